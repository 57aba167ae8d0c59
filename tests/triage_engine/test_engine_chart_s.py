"""Chart S (Bijlage 2, symptomatic): every box, every endpoint, the boundaries."""

import pytest

from triage.engine import Facts, evaluate

BASE = {
    "treatment_wish": True,
    "suspected_radionecrosis": False,
    "symptomatic": True,
    "kps": 80,
    "expected_prognosis_months": 6,
    "rapid_kps_improvement_expected": False,
    "local_treatment_could_improve_qol": False,
    "radiotherapy_considered": False,
}
GATES = [("P_TREATMENT_WISH", "yes"), ("P_RADIONECROSIS", "no"), ("P_SYMPTOMATIC", "yes")]


def facts(**changes):
    return Facts(**{**BASE, **changes})


def route(result):
    return [(step.node, step.answer) for step in result.trace]


CASES = [
    ("S1 yes, S2 yes", {}, "NEURO_ONC_MDO", "S2_YES", [("S1", "yes"), ("S2", "yes")]),
    ("S1 yes, S2 no, S4 yes", {"expected_prognosis_months": 2,
                                   "local_treatment_could_improve_qol": True},
     "NEURO_ONC_MDO_QOL", "S4_YES", [("S1", "yes"), ("S2", "no"), ("S4", "yes")]),
    ("S1 yes, S2 no, S4 no", {"expected_prognosis_months": 2},
     "NO_MDO_NO_MEANINGFUL_OPTIONS", "S4_NO",
     [("S1", "yes"), ("S2", "no"), ("S4", "no"), ("L1_RADIOTHERAPY_LEGAL", "no")]),
    ("S1 no, S3 yes, S2 yes", {"kps": 50, "rapid_kps_improvement_expected": True},
     "NEURO_ONC_MDO", "S2_YES", [("S1", "no"), ("S3", "yes"), ("S2", "yes")]),
    ("S1 no, S3 yes, S2 no, S4 yes", {"kps": 50, "rapid_kps_improvement_expected": True,
                                          "expected_prognosis_months": 1,
                                          "local_treatment_could_improve_qol": True},
     "NEURO_ONC_MDO_QOL", "S4_YES", [("S1", "no"), ("S3", "yes"), ("S2", "no"), ("S4", "yes")]),
    ("S1 no, S3 no, S4 yes", {"kps": 50, "local_treatment_could_improve_qol": True},
     "NEURO_ONC_MDO_QOL", "S4_YES", [("S1", "no"), ("S3", "no"), ("S4", "yes")]),
    ("S1 no, S3 no, S4 no", {"kps": 50}, "NO_MDO_NO_MEANINGFUL_OPTIONS", "S4_NO",
     [("S1", "no"), ("S3", "no"), ("S4", "no"), ("L1_RADIOTHERAPY_LEGAL", "no")]),
]


@pytest.mark.parametrize("name, changes, outcome, endpoint, chart_route", CASES,
                         ids=[case[0] for case in CASES])
def test_it_walks_every_box_to_every_endpoint(name, changes, outcome, endpoint, chart_route):
    result = evaluate(facts(**changes))
    assert result.outcome == outcome
    assert result.chart == "S"
    assert result.endpoints == (endpoint,)
    assert route(result) == GATES + chart_route
    assert result.missing == ()


@pytest.mark.parametrize("kps, s1", [(60, "no"), (70, "yes"), (80, "yes")])
def test_kps_boundary(kps, s1):
    step = next(s for s in evaluate(facts(kps=kps)).trace if s.node == "S1")
    assert step.answer == s1


@pytest.mark.parametrize("changes, s2", [
    ({"expected_prognosis_months": 3}, "no"),
    ({"expected_prognosis_months": 4}, "yes"),
    ({"expected_prognosis_months": None, "prognosis_over_3_months": False}, "no"),
    ({"expected_prognosis_months": None, "prognosis_over_3_months": True}, "yes"),
    ({"expected_prognosis_months": 10, "prognosis_over_3_months": False}, "no"),
])
def test_prognosis_boundary(changes, s2):
    step = next(s for s in evaluate(facts(**changes)).trace if s.node == "S2")
    assert step.answer == s2


def test_s3_yes_recalls_that_prognosis_still_matters():
    result = evaluate(facts(kps=40, rapid_kps_improvement_expected=True))
    s3 = next(step for step in result.trace if step.node == "S3")
    assert s3.footnote == "S3"
    assert "prognose > 3 maanden" in s3.note_nl


@pytest.mark.parametrize("changes, note_nl, note_en", [
    ({"on_dexamethasone": True, "dexamethasone_mg_per_day": 8}, "met dexamethason 8 mg/dag",
     "on dexamethasone 8 mg/day"),
    ({"on_dexamethasone": True, "dexamethasone_mg_per_day": 2.5}, "met dexamethason 2,5 mg/dag",
     "on dexamethasone 2.5 mg/day"),
    ({"on_dexamethasone": True}, "met dexamethason", "on dexamethasone"),
    ({"on_dexamethasone": False}, "zonder dexamethason", "without dexamethasone"),
])
def test_s1_mentions_dexamethasone(changes, note_nl, note_en):
    s1 = next(step for step in evaluate(facts(**changes)).trace if step.node == "S1")
    assert note_nl in s1.note_nl.lower()
    assert note_en in s1.note_en.lower()


def test_s4_cites_footnote_4():
    s4 = next(s for s in evaluate(facts(kps=50)).trace if s.node == "S4")
    assert s4.footnote == "S4"
