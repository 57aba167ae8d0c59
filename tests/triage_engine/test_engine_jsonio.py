"""The JSON form of facts and results (spec §4)."""

import json
import math

import pytest

from triage.engine import (
    FACT_NAMES,
    Facts,
    FactsError,
    evaluate,
    facts_from_dict,
    facts_to_dict,
    result_to_dict,
)


def test_it_reads_a_full_object():
    data = {
        "treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": True,
        "kps": 70, "on_dexamethasone": True, "dexamethasone_mg_per_day": 4,
        "expected_prognosis_months": 6.5, "prognosis_over_3_months": None,
        "critical_location": True, "critical_location_site": "brainstem",
        "max_lesion_diameter_mm": 12, "lesion_count": 3,
        "systemic_option_high_cerebral_response": "unknown",
        "rapid_kps_improvement_expected": False, "local_treatment_could_improve_qol": False,
        "radiotherapy_considered": True, "recurrence": False,
    }
    facts = facts_from_dict(data)
    assert facts.kps == 70
    assert facts.dexamethasone_mg_per_day == 4.0
    assert isinstance(facts.max_lesion_diameter_mm, float)
    assert facts.prognosis_over_3_months is None
    assert facts_to_dict(facts) == data


def test_absent_keys_are_missing_facts():
    assert facts_from_dict({}) == Facts()
    assert facts_from_dict({"kps": None}) == Facts()


def test_facts_to_dict_has_every_fact_in_spec_order():
    assert tuple(facts_to_dict(Facts())) == FACT_NAMES
    assert len(FACT_NAMES) == 17


@pytest.mark.parametrize("data, field", [
    ({"kpss": 70}, "kpss"),
    ({"kps": True}, "kps"),
    ({"kps": 75}, "kps"),
    ({"kps": 70.0}, "kps"),  # strict: a KPS is an integer
    ({"kps": "70"}, "kps"),
    ({"kps": -10}, "kps"),
    ({"kps": 110}, "kps"),
    ({"treatment_wish": 1}, "treatment_wish"),
    ({"treatment_wish": "yes"}, "treatment_wish"),
    ({"symptomatic": "true"}, "symptomatic"),
    ({"expected_prognosis_months": -1}, "expected_prognosis_months"),
    ({"expected_prognosis_months": math.nan}, "expected_prognosis_months"),
    ({"expected_prognosis_months": math.inf}, "expected_prognosis_months"),
    ({"expected_prognosis_months": 1201}, "expected_prognosis_months"),
    ({"expected_prognosis_months": True}, "expected_prognosis_months"),
    ({"dexamethasone_mg_per_day": -0.5}, "dexamethasone_mg_per_day"),
    ({"dexamethasone_mg_per_day": 2000}, "dexamethasone_mg_per_day"),
    ({"max_lesion_diameter_mm": 0}, "max_lesion_diameter_mm"),
    ({"max_lesion_diameter_mm": -math.inf}, "max_lesion_diameter_mm"),
    ({"max_lesion_diameter_mm": "12"}, "max_lesion_diameter_mm"),
    ({"lesion_count": 0}, "lesion_count"),
    ({"lesion_count": 2.0}, "lesion_count"),
    ({"lesion_count": True}, "lesion_count"),
    ({"critical_location_site": "pons"}, "critical_location_site"),
    ({"systemic_option_high_cerebral_response": "Yes"}, "systemic_option_high_cerebral_response"),
    ({"systemic_option_high_cerebral_response": True}, "systemic_option_high_cerebral_response"),
    ({"systemic_option_high_cerebral_response": ["yes"]},
     "systemic_option_high_cerebral_response"),
])
def test_it_refuses_bad_facts_naming_the_field(data, field):
    with pytest.raises(FactsError) as caught:
        facts_from_dict(data)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert error.message


@pytest.mark.parametrize("data", [[], "kps", 70, None, [{"kps": 70}]])
def test_it_refuses_anything_but_an_object(data):
    with pytest.raises(FactsError) as caught:
        facts_from_dict(data)
    assert caught.value.field is None
    assert str(caught.value).startswith("(root): ")


def test_nan_from_json_text_is_refused():
    # Python's json module reads NaN and Infinity; the facts parser does not.
    with pytest.raises(FactsError):
        facts_from_dict(json.loads('{"max_lesion_diameter_mm": Infinity}'))


def test_result_to_dict_has_exactly_the_spec_keys():
    result = evaluate(Facts(treatment_wish=True, suspected_radionecrosis=False, symptomatic=False,
                            kps=80, expected_prognosis_months=6, critical_location=False,
                            max_lesion_diameter_mm=15))
    data = result_to_dict(result)
    assert set(data) == {"outcome", "forum", "chart", "trace", "missing", "rule_set_version"}
    for step in data["trace"]:
        assert set(step) == {"node", "question", "answer", "note"}
    assert data["outcome"] == "NEURO_ONC_MDO"
    assert data["chart"] == "A"
    assert data["missing"] == []
    a3 = data["trace"][-1]
    assert a3["question"] == "Grootste hersenmetastase > 10 mm?"
    assert a3["note"].startswith("(Bijlage 1, toelichting 3) Grootste hersenmetastase 15 mm")
    json.dumps(data)


def test_result_to_dict_in_english():
    data = result_to_dict(evaluate(Facts(treatment_wish=False)), lang="en")
    assert data["trace"][0]["question"] == "Does the patient wish to be treated?"
    assert data["trace"][0]["note"] == "(Appendix 2, note 2)"
    assert data["chart"] is None
