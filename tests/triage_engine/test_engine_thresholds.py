"""Configurable thresholds (spec §1): validation, the rule-set version, their effect."""

import dataclasses
import math
from decimal import Decimal

import pytest

from triage.engine import (
    DEFAULT_THRESHOLDS,
    ENGINE_VERSION,
    Facts,
    Result,
    Thresholds,
    TraceStep,
    evaluate,
    rule_set_version,
)

A = {"treatment_wish": True, "suspected_radionecrosis": False, "symptomatic": False, "kps": 80,
         "expected_prognosis_months": 6, "critical_location": False, "max_lesion_diameter_mm": 8,
         "systemic_option_high_cerebral_response": "yes", "radiotherapy_considered": False}


def evaluate_with(thresholds, **changes):
    return evaluate(Facts(**{**A, **changes}), thresholds)


def test_default_thresholds_are_spec_section_1():
    assert DEFAULT_THRESHOLDS == Thresholds(kps_min=70, prognosis_months=3, diameter_mm=10,
                                            diameter_band_upper_mm=20)


def test_rule_set_version_names_logic_and_every_threshold():
    assert rule_set_version(DEFAULT_THRESHOLDS) == f"{ENGINE_VERSION};kps>=70;prog>3;diam>10;band<=20"
    assert rule_set_version(Thresholds(prognosis_months=2.5)) == (
        f"{ENGINE_VERSION};kps>=70;prog>2.5;diam>10;band<=20"
    )
    assert evaluate(Facts()).rule_set_version == rule_set_version(DEFAULT_THRESHOLDS)


@pytest.mark.parametrize("changes", [
    {"kps_min": 60}, {"prognosis_months": 6}, {"diameter_mm": 5},
    {"diameter_band_upper_mm": 25},
])
def test_every_threshold_changes_the_version(changes):
    assert rule_set_version(Thresholds(**changes)) != rule_set_version(DEFAULT_THRESHOLDS)


def test_equal_thresholds_give_equal_versions():
    assert Thresholds(prognosis_months=3.0) == DEFAULT_THRESHOLDS
    assert rule_set_version(Thresholds(prognosis_months=Decimal("3.0"))) == (
        rule_set_version(DEFAULT_THRESHOLDS)
    )


@pytest.mark.parametrize("changes", [
    {"kps_min": True}, {"kps_min": 70.0}, {"kps_min": -10}, {"kps_min": 110},
    {"prognosis_months": -1}, {"prognosis_months": math.nan}, {"prognosis_months": "3"},
    {"diameter_mm": 0}, {"diameter_mm": math.inf}, {"diameter_mm": 30},
])
def test_bad_thresholds_are_refused_on_construction(changes):
    with pytest.raises((TypeError, ValueError)):
        Thresholds(**changes)


def test_custom_kps_threshold():
    assert evaluate_with(DEFAULT_THRESHOLDS, kps=60).outcome == "RESTRAINED_POLICY_NO_MDO"
    result = evaluate_with(Thresholds(kps_min=60), kps=60)
    assert result.outcome == "ORGAN_SPECIFIC_MDO"
    assert result.trace[3].question_nl == "KPS ≥ 60 en prognose > 3 maanden?"
    assert result.thresholds == Thresholds(kps_min=60)
    assert result.rule_set_version.endswith("kps>=60;prog>3;diam>10;band<=20")


def test_custom_diameter_threshold_and_band():
    thresholds = Thresholds(diameter_mm=5, diameter_band_upper_mm=7)
    result = evaluate_with(thresholds, max_lesion_diameter_mm=8)
    assert result.outcome == "NEURO_ONC_MDO"
    a3 = result.trace[-1]
    assert a3.question_nl == "Grootste hersenmetastase > 5 mm?"
    assert "boven 7 mm afname lokale controle" in a3.note_nl


def test_custom_prognosis_threshold_uses_the_number():
    thresholds = Thresholds(prognosis_months=6)
    assert evaluate_with(thresholds, expected_prognosis_months=6).outcome == (
        "RESTRAINED_POLICY_NO_MDO"
    )
    assert evaluate_with(thresholds, expected_prognosis_months=6.5).outcome == "ORGAN_SPECIFIC_MDO"


def test_prognosis_yes_no_answers_only_in_the_direction_it_implies():
    # "> 3 months: no" implies "not > 6 months".
    over_6 = Thresholds(prognosis_months=6)
    result = evaluate_with(over_6, expected_prognosis_months=None, prognosis_over_3_months=False)
    assert result.outcome == "RESTRAINED_POLICY_NO_MDO"
    assert result.missing == ()
    # "> 3 months: yes" does not tell whether it is > 6 months: the number is needed.
    result = evaluate_with(over_6, expected_prognosis_months=None, prognosis_over_3_months=True)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert result.missing == ("expected_prognosis_months",)
    assert result.deciding == ("expected_prognosis_months",)
    a1 = next(step for step in result.trace if step.node == "A1")
    assert a1.answer == "unknown"
    assert "beantwoordt de vraag bij een drempel van 6 maanden niet" in a1.note_nl
    # Both answers end with radiotherapy not considered: the shared tail stays in the trace.
    assert (result.trace[-1].node, result.trace[-1].answer) == ("L1_RADIOTHERAPY_LEGAL", "no")
    # ... and the number then decides, even next to the yes/no answer.
    result = evaluate_with(over_6, expected_prognosis_months=12, prognosis_over_3_months=True)
    assert result.outcome == "ORGAN_SPECIFIC_MDO"

    # With a lower threshold it is the other way round.
    over_2 = Thresholds(prognosis_months=2)
    assert evaluate_with(over_2, expected_prognosis_months=None,
                         prognosis_over_3_months=True).outcome == "ORGAN_SPECIFIC_MDO"
    result = evaluate_with(over_2, expected_prognosis_months=None, prognosis_over_3_months=False)
    assert result.outcome == "INCOMPLETE_PRECONSULT"
    assert evaluate_with(over_2, expected_prognosis_months=2.5,
                         prognosis_over_3_months=False).outcome == "ORGAN_SPECIFIC_MDO"


def test_questions_print_thresholds_the_dutch_way():
    result = evaluate(Facts(**{**A, "symptomatic": True}), Thresholds(prognosis_months=2.5))
    s2 = next(step for step in result.trace if step.node == "S2")
    assert s2.question_nl == "Prognose > 2,5 maanden?"
    assert s2.question_en == "Prognosis > 2.5 months?"


def test_results_survive_the_round_trip_through_storage():
    # triage.services keeps dataclasses.asdict() of thresholds and steps, and rebuilds them.
    result = evaluate_with(Thresholds(kps_min=60, prognosis_months=2.5), kps=None)
    rebuilt = Result(
        outcome=result.outcome,
        forum=result.forum,
        chart=result.chart,
        trace=tuple(TraceStep(**dataclasses.asdict(step)) for step in result.trace),
        missing=result.missing,
        deciding=result.deciding,
        endpoints=result.endpoints,
        rule_set_version=result.rule_set_version,
        thresholds=Thresholds(**dataclasses.asdict(result.thresholds)),
    )
    assert rebuilt == result
