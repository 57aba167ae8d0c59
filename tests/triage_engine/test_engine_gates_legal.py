"""The gates before the charts and the legal rule after them (spec §3, steps 1-3 and 5)."""

import pytest

from triage.engine import Facts, evaluate

A = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 80,
         "expected_prognosis_months": 6, "critical_location": False, "max_lesion_diameter_mm": 8,
         "systemic_option_high_cerebral_response": "yes", "radiotherapy_considered": False}
S = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": True, "kps": 80,
         "expected_prognosis_months": 6, "rapid_kps_improvement_expected": False,
         "local_treatment_could_improve_qol": False, "radiotherapy_considered": False}

# The three endpoints outside the neuro-oncology MDT, and how to reach them.
NON_MDO = [
    ("A1_NO", "RESTRAINED_POLICY_NO_MDO", "A", {**A, "kps": 60}),
    ("A4_YES", "ORGAN_SPECIFIC_MDO", "A", A),
    ("S4_NO", "NO_MDO_NO_MEANINGFUL_OPTIONS", "S", {**S, "expected_prognosis_months": 2}),
]
# Every endpoint inside the neuro-oncology MDT that a chart can reach.
MDO = [
    ("A2_YES", "NEURO_ONC_MDO", {**A, "critical_location": True}),
    ("A3_YES", "NEURO_ONC_MDO", {**A, "max_lesion_diameter_mm": 15}),
    ("A4_NO", "NEURO_ONC_MDO", {**A, "systemic_option_high_cerebral_response": "no"}),
    ("S2_YES", "NEURO_ONC_MDO", S),
    ("S4_YES", "NEURO_ONC_MDO_QOL", {**S, "expected_prognosis_months": 2,
                                      "local_treatment_could_improve_qol": True}),
]


def test_no_treatment_wish_ends_before_everything():
    result = evaluate(Facts(treatment_wish=False))
    assert result.outcome == "NO_MDO_NO_TREATMENT_WISH"
    assert result.forum == "NONE"
    assert result.chart is None
    assert result.endpoints == ("P_TREATMENT_WISH_NO",)
    assert [(s.node, s.answer) for s in result.trace] == [("P_TREATMENT_WISH", "no")]
    # Nothing else was consulted, so nothing else is missing.
    assert result.missing == ()


@pytest.mark.parametrize("base", [A, S], ids=["A", "S"])
def test_the_treatment_wish_gate_comes_before_the_legal_rule(base):
    result = evaluate(Facts(**{**base, "treatment_wish": False, "radiotherapy_considered": True}))
    assert result.outcome == "NO_MDO_NO_TREATMENT_WISH"


@pytest.mark.parametrize("symptomatic", [True, False, None])
def test_radionecrosis_is_discussed_outside_either_chart(symptomatic):
    base = S if symptomatic else A
    result = evaluate(Facts(**{**base, "symptomatic": symptomatic,
                               "suspected_radionecrosis": True}))
    assert result.outcome == "NEURO_ONC_MDO_RADIONECROSIS"
    assert result.forum == "NEURO_ONC_MDO"
    assert result.chart is None
    assert result.endpoints == ("P_RADIONECROSIS_YES",)
    assert result.trace[-1].node == "P_RADIONECROSIS"
    assert result.trace[-1].footnote == "S2_RADIONECROSIS"  # Bijlage 2, toelichting 2
    assert result.missing == ()


@pytest.mark.parametrize("endpoint, chart_outcome, chart, base", NON_MDO,
                         ids=[case[0] for case in NON_MDO])
def test_legal_rule_overrides_each_non_mdo_endpoint(endpoint, chart_outcome, chart, base):
    without = evaluate(Facts(**base))
    assert without.outcome == chart_outcome
    assert without.endpoints == (endpoint,)

    result = evaluate(Facts(**{**base, "radiotherapy_considered": True}))
    assert result.outcome == "NEURO_ONC_MDO_LEGAL"
    assert result.forum == "NEURO_ONC_MDO"
    assert result.endpoints == ("L1_YES",)
    assert result.chart == chart  # the chart stays, and so does its route in the trace
    nodes = [step.node for step in result.trace]
    assert nodes[:-1] == [step.node for step in without.trace][:-1]
    assert result.trace[-1].node == "L1_RADIOTHERAPY_LEGAL"
    assert result.trace[-1].answer == "yes"
    assert result.trace[-1].footnote == "LEGAL"


@pytest.mark.parametrize("endpoint, outcome, base", MDO, ids=[case[0] for case in MDO])
@pytest.mark.parametrize("radiotherapy", [True, False, None])
def test_legal_rule_is_not_asked_on_mdo_endpoints(endpoint, outcome, base, radiotherapy):
    result = evaluate(Facts(**{**base, "radiotherapy_considered": radiotherapy}))
    assert result.outcome == outcome
    assert result.endpoints == (endpoint,)
    assert "L1_RADIOTHERAPY_LEGAL" not in [step.node for step in result.trace]
    assert "radiotherapy_considered" not in result.missing


@pytest.mark.parametrize("endpoint, chart_outcome, chart, base", NON_MDO,
                         ids=[case[0] for case in NON_MDO])
def test_unknown_radiotherapy_decides_on_non_mdo_endpoints(endpoint, chart_outcome, chart, base):
    result = evaluate(Facts(**{**base, "radiotherapy_considered": None}))
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.forum == "PRECONSULT_FIRST"
    assert result.deciding == ("radiotherapy_considered",)
    assert result.trace[-1].node == "L1_RADIOTHERAPY_LEGAL"
    assert result.trace[-1].answer == "unknown"
    assert result.chart == chart
    assert result.endpoints == ()
