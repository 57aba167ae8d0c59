"""triage.cli.run: the command line of spec §4 without the command."""

import json
import sys

import pytest

from triage.cli import run
from triage.engine import DEFAULT_THRESHOLDS, ENGINE_VERSION, Thresholds

A_CASE = {
    "treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 80,
    "expected_prognosis_months": 6, "critical_location": False, "max_lesion_diameter_mm": 15,
}


def run_default(text, as_json=True, lang="nl"):
    return run(text, thresholds=DEFAULT_THRESHOLDS, as_json=as_json, lang=lang)


def test_an_object_gives_an_object():
    status, out, err = run_default(json.dumps(A_CASE))
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["outcome"] == "NEURO_ONC_MDO"
    assert set(data) == {"outcome", "forum", "chart", "trace", "missing", "rule_set_version"}


def test_an_array_gives_an_array():
    status, out, err = run_default(json.dumps([A_CASE, {"treatment_wish": False}, {}]))
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert [item["outcome"] for item in data] == [
        "NEURO_ONC_MDO", "NO_MDO_NO_TREATMENT_WISH", "INCOMPLETE_PRECONSULT",
    ]


def test_json_output_keeps_dutch_letters_and_is_indented():
    status, out, _ = run_default(json.dumps({"treatment_wish": False}))
    assert status == 0
    assert "patiënt" in out
    assert out.startswith("{\n  ")


def test_an_empty_array_gives_an_empty_array():
    assert run_default("[]") == (0, "[]\n", "")


@pytest.mark.parametrize("text, line, column", [
    ('{"kps": 70', 1, 11),
    ('[\n  {"kps": 70},\n  {"kps" 70}\n]', 3, 10),
])
def test_invalid_json_names_line_and_column(text, line, column):
    status, out, err = run_default(text)
    assert (status, out) == (2, "")
    assert f"line {line}, column {column}" in err


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_an_empty_input_says_so(text):
    assert run_default(text) == (2, "", "invalid JSON: the input is empty\n")


@pytest.mark.parametrize("facts, message", [
    ({"kps": "70"}, 'kps: expected an integer 0-100 in steps of 10, got "70"'),
    ({"treatment_wish": 0}, "treatment_wish: expected true, false or null, got 0"),
    ({"treatment_wish": "true"}, 'treatment_wish: expected true, false or null, got "true"'),
    ({"systemic_option_high_cerebral_response": True},
     "systemic_option_high_cerebral_response: expected one of yes, no, unknown, got true"),
    ({"lesion_count": 2.0}, "lesion_count: expected an integer >= 1, got 2.0"),
])
def test_a_bad_value_is_shown_as_json_spells_it(facts, message):
    assert run_default(json.dumps(facts)) == (2, "", message + "\n")


def test_nan_and_infinity_are_shown_as_json_spells_them():
    assert run_default('{"expected_prognosis_months": NaN}')[2] == (
        "expected_prognosis_months: expected a finite number, got NaN\n")
    assert run_default('{"kps": 1e400}')[2] == "kps: expected an integer 0-100 in steps of 10, got Infinity\n"


def test_a_value_nested_just_too_deep_to_show_is_named_by_its_type():
    """Found by fuzzing: a nesting that json.loads still parses but json.dumps can no longer
    write out (which depth depends on how deep the stack already is) raised RecursionError."""
    bad_value = "kps: expected an integer 0-100 in steps of 10, got "
    shown = set()
    for depth in range(2, sys.getrecursionlimit() + 10):
        status, out, err = run_default('{"kps": ' * depth + "1" + "}" * depth, as_json=False)
        assert status == 2 and not out, depth
        if err.startswith(bad_value):
            shown.add("object" if err == bad_value + "object\n" else "as JSON")
        else:
            assert err.startswith("invalid JSON: maximum recursion depth exceeded"), err
    assert shown == {"as JSON", "object"}


def test_array_members_that_are_not_objects_are_named_by_their_json_type():
    status, out, err = run_default('[{"kps": 70}, 3, "x", null, [], true]')
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "[1]: expected a JSON object, got number", "[2]: expected a JSON object, got string",
        "[3]: expected a JSON object, got null", "[4]: expected a JSON object, got array",
        "[5]: expected a JSON object, got boolean",
    ]
    assert run_default("null")[2] == "(root): expected a JSON object or an array of objects, got null\n"


def test_an_error_in_an_array_element_names_the_index_and_field():
    text = json.dumps([A_CASE, {**A_CASE, "kps": 75}])
    status, out, err = run_default(text)
    assert (status, out) == (2, "")
    assert err.startswith("[1].kps: ")


def test_every_bad_element_is_reported():
    status, _, err = run_default(json.dumps([{"kps": 75}, 3, {"colour": "red"}]))
    assert status == 2
    assert err.splitlines()[0].startswith("[0].kps: ")
    assert err.splitlines()[1].startswith("[1]: expected a JSON object")
    assert err.splitlines()[2] == "[2].colour: unknown fact"


def test_an_unknown_key_in_an_object_names_the_key():
    status, _, err = run_default('{"kps": 70, "colour": "red"}')
    assert status == 2
    assert err == "colour: unknown fact\n"


def test_a_duplicate_key_is_an_error():
    status, _, err = run_default('{"kps": 70, "kps": 80}')
    assert status == 2
    assert err.startswith("kps: ")


@pytest.mark.parametrize("text", ["5", '"facts"', "null", "true"])
def test_a_root_that_is_neither_object_nor_array_is_an_error(text):
    status, _, err = run_default(text)
    assert status == 2
    assert err.startswith("(root): ")


def test_human_output_in_dutch():
    status, out, err = run_default(json.dumps(A_CASE), as_json=False)
    assert (status, err) == (0, "")
    assert "Uitkomst: Bespreken in het neuro-oncologisch MDO: indicatie lokale therapie?" in out
    assert "Forum: Neuro-oncologisch MDO" in out
    assert "A3: Grootste hersenmetastase > 10 mm? → ja" in out
    assert "Bijlage 1, toelichting 3" in out
    assert "Ontbrekende gegevens: geen" in out
    assert f"Regelset: {ENGINE_VERSION};kps>=70;prog>3;diam>10;band<=20" in out


def test_human_output_names_missing_and_deciding_facts():
    status, out, _ = run_default(json.dumps({**A_CASE, "kps": None}), as_json=False)
    assert status == 0
    assert "Uitkomst: Gegevens ontbreken" in out
    assert "Ontbrekende gegevens: kps (KPS (Karnofsky Performance Status))" in out
    assert "Bepalend voor de uitkomst: kps" in out
    assert "→ onbekend" in out


def test_human_output_in_english_for_an_array():
    status, out, _ = run_default(json.dumps([A_CASE, {"treatment_wish": False}]), as_json=False,
                                 lang="en")
    assert status == 0
    assert out.startswith("[0]\nOutcome: Discuss in the neuro-oncology MDT")
    assert "\n[1]\nOutcome: No MDT: the patient does not wish to be treated" in out


def test_thresholds_are_used_and_reported():
    # 15 mm is over the default 10 mm, not over 20 mm: then A4 is asked, and its fact is missing.
    status, out, _ = run(json.dumps(A_CASE), thresholds=Thresholds(diameter_mm=20), as_json=True)
    assert status == 0
    data = json.loads(out)
    assert data["outcome"] == "INCOMPLETE_PRECONSULT"
    assert data["missing"] == ["systemic_option_high_cerebral_response", "radiotherapy_considered"]
    assert data["rule_set_version"].endswith("diam>20;band<=20")
