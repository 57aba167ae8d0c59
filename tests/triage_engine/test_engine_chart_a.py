"""Chart A (Bijlage 1, asymptomatic): every box, every endpoint, the boundaries."""

import pytest

from triage.engine import Facts, evaluate

# Known facts that walk A1 yes, A2 no, A3 no, A4 yes -> ORGAN_SPECIFIC_MDO, radiotherapy no.
BASE = {
    "treatment_wish": True,
    "suspected_radionecrosis": False,
    "symptomatic": False,
    "kps": 80,
    "expected_prognosis_months": 6,
    "critical_location": False,
    "max_lesion_diameter_mm": 8,
    "systemic_option_high_cerebral_response": "yes",
    "radiotherapy_considered": False,
}
GATES = [("P_TREATMENT_WISH", "yes"), ("P_RADIONECROSIS", "no"), ("P_SYMPTOMATIC", "no")]


def facts(**changes):
    return Facts(**{**BASE, **changes})


def route(result):
    return [(step.node, step.answer) for step in result.trace]


# (name, changes, outcome, endpoint, chart route after the gates)
CASES = [
    ("A1 no by KPS", {"kps": 60}, "RESTRAINED_POLICY_NO_MDO", "A1_NO",
     [("A1", "no"), ("L1_RADIOTHERAPY_LEGAL", "no")]),
    ("A1 no by prognosis", {"expected_prognosis_months": 2}, "RESTRAINED_POLICY_NO_MDO", "A1_NO",
     [("A1", "no"), ("L1_RADIOTHERAPY_LEGAL", "no")]),
    ("A2 yes", {"critical_location": True}, "NEURO_ONC_MDO", "A2_YES",
     [("A1", "yes"), ("A2", "yes")]),
    ("A3 yes", {"max_lesion_diameter_mm": 15}, "NEURO_ONC_MDO", "A3_YES",
     [("A1", "yes"), ("A2", "no"), ("A3", "yes")]),
    ("A4 yes", {}, "ORGAN_SPECIFIC_MDO", "A4_YES",
     [("A1", "yes"), ("A2", "no"), ("A3", "no"), ("A4", "yes"), ("L1_RADIOTHERAPY_LEGAL", "no")]),
    ("A4 no", {"systemic_option_high_cerebral_response": "no"}, "NEURO_ONC_MDO", "A4_NO",
     [("A1", "yes"), ("A2", "no"), ("A3", "no"), ("A4", "no")]),
    ("A4 unknown grade", {"systemic_option_high_cerebral_response": "unknown"}, "NEURO_ONC_MDO",
     "A4_NO", [("A1", "yes"), ("A2", "no"), ("A3", "no"), ("A4", "no")]),
]


@pytest.mark.parametrize("name, changes, outcome, endpoint, chart_route", CASES,
                         ids=[case[0] for case in CASES])
def test_it_walks_every_box_to_every_endpoint(name, changes, outcome, endpoint, chart_route):
    result = evaluate(facts(**changes))
    assert result.outcome == outcome
    assert result.chart == "A"
    assert result.endpoints == (endpoint,)
    assert route(result) == GATES + chart_route
    assert result.missing == ()
    assert result.deciding == ()


@pytest.mark.parametrize("kps, passes", [(60, False), (70, True), (80, True), (0, False),
                                         (100, True)])
def test_kps_boundary(kps, passes):
    result = evaluate(facts(kps=kps))
    assert (result.outcome != "RESTRAINED_POLICY_NO_MDO") is passes


@pytest.mark.parametrize("changes, passes", [
    ({"expected_prognosis_months": 3}, False),  # strictly more than 3
    ({"expected_prognosis_months": 3.01}, True),
    ({"expected_prognosis_months": 4}, True),
    ({"expected_prognosis_months": None, "prognosis_over_3_months": False}, False),
    ({"expected_prognosis_months": None, "prognosis_over_3_months": True}, True),
    # The yes/no answer wins over the number when both are given (spec §4).
    ({"expected_prognosis_months": 4, "prognosis_over_3_months": False}, False),
    ({"expected_prognosis_months": 3, "prognosis_over_3_months": True}, True),
])
def test_prognosis_boundary_by_number_and_by_yes_no(changes, passes):
    result = evaluate(facts(**changes))
    assert (result.outcome != "RESTRAINED_POLICY_NO_MDO") is passes
    assert result.missing == ()


def test_a_conflicting_number_is_mentioned():
    result = evaluate(facts(expected_prognosis_months=4, prognosis_over_3_months=False))
    a1 = next(step for step in result.trace if step.node == "A1")
    assert "wijkt af" in a1.note_nl and "takes precedence" in a1.note_en


@pytest.mark.parametrize("diameter, a3_answer, note_nl", [
    (10, "no", "ook bij een kleinere hersenmetastase"),
    (10.5, "yes", "binnen de band 10-20 mm"),
    (11, "yes", "binnen de band 10-20 mm"),
    (20, "yes", "binnen de band 10-20 mm"),
    (21, "yes", "afname lokale controle door SRS en toename kans op radiatienecrose"),
])
def test_diameter_boundaries_and_band_notes(diameter, a3_answer, note_nl):
    result = evaluate(facts(max_lesion_diameter_mm=diameter))
    a3 = next(step for step in result.trace if step.node == "A3")
    assert a3.answer == a3_answer
    assert a3.footnote == "A3"
    assert note_nl in a3.note_nl
    assert a3.note_en
    expected = "NEURO_ONC_MDO" if a3_answer == "yes" else "ORGAN_SPECIFIC_MDO"
    assert result.outcome == expected


def test_dutch_decimal_comma_in_notes():
    a3 = next(s for s in evaluate(facts(max_lesion_diameter_mm=12.5)).trace if s.node == "A3")
    assert "12,5 mm" in a3.note_nl and "12.5 mm" in a3.note_en


def test_a1_no_quotes_the_nb_about_kps():
    a1 = next(step for step in evaluate(facts(kps=50)).trace if step.node == "A1")
    assert a1.footnote == "A_NB"
    assert "opnieuw overwegen in te brengen" in a1.note_nl
    assert "≥ 70" in a1.note_nl
    assert "KPS 50 < 70" in a1.note_nl


def test_a4_footnotes_follow_the_answer():
    yes = next(s for s in evaluate(facts()).trace if s.node == "A4")
    no = next(s for s in evaluate(facts(systemic_option_high_cerebral_response="no")).trace
              if s.node == "A4")
    assert (yes.footnote, no.footnote) == ("A4", "A5")


def test_unknown_response_grade_answers_no_and_says_so():
    result = evaluate(facts(systemic_option_high_cerebral_response="unknown"))
    a4 = next(step for step in result.trace if step.node == "A4")
    assert a4.answer == "no"
    assert "onbekend" in a4.note_nl and "unknown" in a4.note_en


def test_critical_location_site_is_shown():
    result = evaluate(facts(critical_location=True, critical_location_site="brainstem"))
    a2 = next(step for step in result.trace if step.node == "A2")
    assert "hersenstam" in a2.note_nl and "brainstem" in a2.note_en
    assert a2.footnote == "A2"


def test_recurrence_follows_the_same_chart():
    plain, recurrence = evaluate(facts()), evaluate(facts(recurrence=True))
    assert recurrence.outcome == plain.outcome
    step = next(s for s in recurrence.trace if s.node == "P_SYMPTOMATIC")
    assert step.footnote == "A1" and "recidief" in step.note_nl.lower()


def test_questions_are_in_both_languages():
    step = next(s for s in evaluate(facts()).trace if s.node == "A1")
    assert step.question("nl") == "KPS ≥ 70 en prognose > 3 maanden?"
    assert step.question("en") == "KPS ≥ 70 and prognosis > 3 months?"
    assert step.note("en") == step.note_en
