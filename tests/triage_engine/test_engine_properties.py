"""Properties over all facts (hypothesis), checked against a plain reference of spec §3."""

import dataclasses
import itertools
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from triage.engine import (
    FACT_NAMES,
    GATES,
    NODES,
    OUTCOMES,
    Facts,
    Thresholds,
    evaluate,
    facts_from_dict,
    facts_to_dict,
    result_to_dict,
)

pytestmark = pytest.mark.fuzz

MANY = settings(max_examples=examples(2000), deadline=None)


def maybe(strategy):
    return st.one_of(st.none(), strategy)


# Every field with any value of its declared type, including out-of-range numbers and NaN.
ANY_VALUE = {
    name: st.booleans() for name in FACT_NAMES
}
ANY_VALUE.update(
    kps=st.one_of(st.sampled_from([50, 60, 70, 80, 90, 100]), st.integers(-50, 150)),
    dexamethasone_mg_per_day=st.floats(allow_nan=True, allow_infinity=True),
    expected_prognosis_months=st.one_of(
        st.sampled_from([0, 2, 3, 3.0001, 4, 6, 12]), st.floats(allow_nan=True)
    ),
    max_lesion_diameter_mm=st.one_of(
        st.sampled_from([5, 10, 10.5, 11, 20, 21, 40]), st.floats(allow_nan=True)
    ),
    lesion_count=st.integers(-5, 5000),
    critical_location_site=st.sampled_from(
        ["brainstem", "cerebellopontine_angle", "optic_chiasm_nerve", "language_motor_cortex",
         "ventricular_system", "other", "<b>&"]
    ),
    systemic_option_high_cerebral_response=st.sampled_from(["yes", "no", "unknown"]),
)
# About a third of the facts missing; the gates mostly open, so that the charts get exercised.
any_facts = st.builds(Facts, **{
    **{name: st.one_of(strategy, strategy, st.none()) for name, strategy in ANY_VALUE.items()},
    "treatment_wish": st.sampled_from([True] * 6 + [False, None]),
    "suspected_radionecrosis": st.sampled_from([False] * 6 + [True, None]),
})

any_thresholds = st.sampled_from([
    Thresholds(),
    Thresholds(kps_min=60),
    Thresholds(kps_min=80, prognosis_months=6),
    Thresholds(prognosis_months=2),
    Thresholds(prognosis_months=2.5, diameter_mm=5, diameter_band_upper_mm=15),
])

# Only values facts_from_dict accepts.
valid_facts = st.builds(Facts, **{
    name: maybe(strategy) for name, strategy in {
        **{name: st.booleans() for name in FACT_NAMES},
        "kps": st.sampled_from(range(0, 101, 10)),
        "dexamethasone_mg_per_day": st.floats(0, 1000),
        "expected_prognosis_months": st.floats(0, 1200),
        "max_lesion_diameter_mm": st.floats(0, 1000, exclude_min=True),
        "lesion_count": st.integers(1, 1000),
        "critical_location_site": ANY_VALUE["critical_location_site"].filter(
            lambda site: site != "<b>&"
        ),
        "systemic_option_high_cerebral_response": ANY_VALUE[
            "systemic_option_high_cerebral_response"
        ],
    }.items()
})


def is_missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- a reference: spec §3 written out as plain ifs, for facts with nothing missing -----------


def reference_prognosis(f, t):
    limit = t.prognosis_months
    if f.prognosis_over_3_months is True and limit <= 3:
        return True
    if f.prognosis_over_3_months is False and limit >= 3:
        return False
    return f.expected_prognosis_months > limit


def reference(f, t):
    if not f.treatment_wish:
        return "NO_MDO_NO_TREATMENT_WISH"
    if f.suspected_radionecrosis:
        return "NEURO_ONC_MDO_RADIONECROSIS"
    kps_ok = f.kps >= t.kps_min
    if not f.symptomatic:
        if not (kps_ok and reference_prognosis(f, t)):
            chart_end = "RESTRAINED_POLICY_NO_MDO"
        elif f.critical_location or f.max_lesion_diameter_mm > t.diameter_mm:
            return "NEURO_ONC_MDO"
        elif f.systemic_option_high_cerebral_response == "yes":
            chart_end = "ORGAN_SPECIFIC_MDO"
        else:
            return "NEURO_ONC_MDO"
    else:
        if (kps_ok or f.rapid_kps_improvement_expected) and reference_prognosis(f, t):
            return "NEURO_ONC_MDO"
        if f.local_treatment_could_improve_qol:
            return "NEURO_ONC_MDO_QOL"
        chart_end = "NO_MDO_NO_MEANINGFUL_OPTIONS"
    return "NEURO_ONC_MDO_LEGAL" if f.radiotherapy_considered else chart_end


def representatives(name, t):
    """Values of a missing fact that between them give every answer its boxes can give."""
    if name == "kps":
        return [t.kps_min - 10, t.kps_min]
    if name == "expected_prognosis_months":
        return [t.prognosis_months, t.prognosis_months + 1]
    if name == "max_lesion_diameter_mm":
        return [t.diameter_mm, t.diameter_mm + 1]
    if name == "systemic_option_high_cerebral_response":
        return ["yes", "no", "unknown"]
    return [True, False]


DECISION_FACTS = [
    "treatment_wish", "suspected_radionecrosis", "symptomatic", "kps",
    "expected_prognosis_months", "critical_location", "max_lesion_diameter_mm",
    "systemic_option_high_cerebral_response", "rapid_kps_improvement_expected",
    "local_treatment_could_improve_qol", "radiotherapy_considered",
]


def oracle(facts, t):
    """(possible outcomes, facts whose value can change the outcome) by brute force."""
    open_facts = [name for name in DECISION_FACTS if is_missing(getattr(facts, name))]
    choices = [representatives(name, t) for name in open_facts]
    outcomes = {}
    for values in itertools.product(*choices):
        completed = dataclasses.replace(facts, **dict(zip(open_facts, values, strict=True)))
        outcomes[values] = reference(completed, t)
    sensitive = set()
    for values, outcome in outcomes.items():
        for i, name in enumerate(open_facts):
            for other in choices[i]:
                changed = values[:i] + (other,) + values[i + 1:]
                if outcomes[changed] != outcome:
                    sensitive.add(name)
    return set(outcomes.values()), sensitive


# --- properties ------------------------------------------------------------------------------


@MANY
@given(any_facts, any_thresholds)
def test_every_result_is_well_formed(facts, thresholds):
    result = evaluate(facts, thresholds)
    assert result.outcome in OUTCOMES
    assert result.forum == OUTCOMES[result.outcome].forum
    assert result.trace, "the trace is never empty"
    assert result.trace[0].node == "P_TREATMENT_WISH"
    for step in result.trace:
        assert NODES[step.node].kind == "decision"
        assert step.answer in ("yes", "no", "unknown")
        assert step.question_nl and step.question_en
    assert len(set(result.missing)) == len(result.missing)
    assert all(is_missing(getattr(facts, name)) for name in result.missing)
    assert set(result.deciding) <= set(result.missing)
    incomplete = result.outcome == "INCOMPLETE_PRECONSULT"
    assert bool(result.deciding) is incomplete
    assert bool(result.endpoints) is not incomplete
    for endpoint in result.endpoints:
        # Several endpoints of different neuro-oncology MDO codes give NEURO_ONC_MDO (spec §3).
        assert NODES[endpoint].outcome == result.outcome or (
            result.outcome == "NEURO_ONC_MDO" and OUTCOMES[NODES[endpoint].outcome].forum == "NEURO_ONC_MDO")
    assert result.chart in ("A", "S", None)
    assert evaluate(facts, thresholds) == result, "deterministic"
    assert set(result_to_dict(result)) == {"outcome", "forum", "chart", "trace", "missing",
                                           "rule_set_version"}


@MANY
@given(any_facts, any_thresholds, st.data())
def test_supplying_a_missing_fact_never_changes_a_settled_outcome(facts, thresholds, data):
    result = evaluate(facts, thresholds)
    if result.outcome == "INCOMPLETE_PRECONSULT":
        return
    # Either way to the neuro-oncology MDO (spec §3): a supplied fact may refine the code, never
    # the forum. Otherwise the code itself is settled.
    either_way = any(NODES[e].outcome != result.outcome for e in result.endpoints)

    def settled(outcome):
        return OUTCOMES[outcome].forum == result.forum if either_way else outcome == result.outcome

    for name in result.missing:
        value = data.draw(ANY_VALUE[name], label=name)
        supplied = evaluate(dataclasses.replace(facts, **{name: value}), thresholds)
        assert settled(supplied.outcome), (name, value)
    # ... nor supplying all of them at once.
    values = {name: data.draw(ANY_VALUE[name], label=f"all:{name}") for name in result.missing}
    assert settled(evaluate(dataclasses.replace(facts, **values), thresholds).outcome)


@MANY
@given(any_facts, any_thresholds)
def test_outcome_and_deciding_facts_match_brute_force(facts, thresholds):
    result = evaluate(facts, thresholds)
    outcomes, sensitive = oracle(facts, thresholds)
    if len(outcomes) == 1:
        assert result.outcome == outcomes.pop()
    elif all(OUTCOMES[o].forum == "NEURO_ONC_MDO" for o in outcomes):
        # Spec §3, revised 2026-12: no missing fact decides where the patient goes.
        assert result.outcome == "NEURO_ONC_MDO"
        assert not result.deciding
        return
    else:
        assert result.outcome == "INCOMPLETE_PRECONSULT"
    # The number stands for "the prognosis" in the brute force; the yes/no fact is named next
    # to it whenever the prognosis decides and neither is given.
    deciding = set(result.deciding)
    if "prognosis_over_3_months" in deciding:
        assert "expected_prognosis_months" in deciding
    assert deciding - {"prognosis_over_3_months"} == sensitive


@MANY
@given(valid_facts)
def test_json_round_trip(facts):
    data = json.loads(json.dumps(facts_to_dict(facts)))
    assert facts_from_dict(data) == facts


@settings(max_examples=examples(300), deadline=None)
@given(any_facts, any_thresholds, st.sampled_from(["nl", "en"]))
def test_the_diagram_of_any_result_is_well_formed_xml(facts, thresholds, lang):
    import xml.etree.ElementTree as ET

    from triage.diagram import render_svg_for_result

    result = evaluate(facts, thresholds)
    root = ET.fromstring(render_svg_for_result(result, lang))  # noqa: S314 - our own output
    assert root.tag.endswith("svg")
    drawn = {element.get("data-node") for element in root.iter() if element.get("data-node")}
    passed = {step.node for step in result.trace}
    if result.chart is not None:
        assert passed | set(result.endpoints) <= drawn
    else:
        # Only the gates are drawn: a result without a chart (or with endpoints in both).
        assert passed & set(GATES) <= drawn
