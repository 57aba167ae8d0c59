"""Computing, storing and re-reading advice; the thresholds in force."""

import dataclasses

from django.db import transaction

from audit.services import event_record
from triage.engine import DEFAULT_THRESHOLDS, Result, Thresholds, TraceStep, evaluate, facts_to_dict
from triage.facts import facts_from_case
from triage.models import Advice, AdviceTrigger, ThresholdSet


def current_threshold_set():
    """The stored thresholds (pk=1), created with the defaults of spec §1 on first use."""
    threshold_set, _ = ThresholdSet.objects.get_or_create(
        pk=1,
        defaults={
            "kps_min": DEFAULT_THRESHOLDS.kps_min,
            "prognosis_months": DEFAULT_THRESHOLDS.prognosis_months,
            "diameter_mm": DEFAULT_THRESHOLDS.diameter_mm,
            "diameter_band_upper_mm": DEFAULT_THRESHOLDS.diameter_band_upper_mm,
        },
    )
    return threshold_set


def current_thresholds() -> Thresholds:
    return current_threshold_set().as_engine()


def advice_preview(case, lesions=None) -> Result:
    """The advice as it would be given now; shown live on the review step, not stored."""
    return evaluate(facts_from_case(case, lesions), current_thresholds())


def advice_from_result(*, case, facts, result, user, resubmission=False, trigger=None) -> Advice:
    """The Advice row (unsaved) for an engine result: the one mapping from a result to what is
    stored. advice_store saves it; manage.py synthetic_data bulk-creates it."""
    return Advice(
        case=case,
        created_by=user,
        trigger=trigger or (AdviceTrigger.RESUBMITTED if resubmission else AdviceTrigger.SUBMITTED),
        outcome=result.outcome,
        forum=result.forum,
        chart=result.chart or "",
        rule_set_version=result.rule_set_version,
        thresholds=dataclasses.asdict(result.thresholds),
        facts=facts_to_dict(facts),
        trace=[dataclasses.asdict(step) for step in result.trace],
        missing=list(result.missing),
        deciding=list(result.deciding),
        endpoints=list(result.endpoints),
    )


@transaction.atomic
def advice_store(*, actor, case, lesions=None, resubmission=False, trigger=None) -> Advice:
    """Compute the advice for the case and keep it, with everything needed to show it again."""
    facts = facts_from_case(case, lesions)
    result = evaluate(facts, current_thresholds())
    advice = advice_from_result(case=case, facts=facts, result=result, user=actor.user,
                                resubmission=resubmission, trigger=trigger)
    advice.save(force_insert=True)
    event_record(
        actor=actor, action="case.triaged", case=case, obj=advice, access_action=None,
        data={"outcome": result.outcome, "rule_set_version": result.rule_set_version},
    )
    return advice


def result_from_advice(advice: Advice) -> Result:
    """The engine result exactly as it was stored (not recomputed with today's rules)."""
    return Result(
        outcome=advice.outcome,
        forum=advice.forum,
        chart=advice.chart or None,
        trace=tuple(TraceStep(**step) for step in advice.trace),
        missing=tuple(advice.missing),
        deciding=tuple(advice.deciding),
        endpoints=tuple(advice.endpoints),
        rule_set_version=advice.rule_set_version,
        thresholds=Thresholds(**advice.thresholds),
    )


THRESHOLD_FIELDS = ("kps_min", "prognosis_months", "diameter_mm", "diameter_band_upper_mm")


@transaction.atomic
def thresholds_update(*, actor, values):
    """Change the thresholds. A change gives a new rule-set version for advice computed from now;
    advice already stored keeps the version and thresholds it was computed with."""
    threshold_set = current_threshold_set()
    old_version = threshold_set.version
    for name in (*THRESHOLD_FIELDS, "change_reason"):
        if name in values:
            setattr(threshold_set, name, values[name])
    threshold_set.updated_by = actor.user
    threshold_set._history_user = actor.user
    threshold_set.full_clean()
    threshold_set.as_engine()  # the engine validates the set as a whole
    threshold_set.save()
    event_record(actor=actor, action="thresholds.changed", obj=threshold_set, access_action=None,
                 data={"from": old_version, "to": threshold_set.version,
                       "reason": values.get("change_reason", "")})
    return threshold_set
