"""Every write after the meeting's advice: one function each, one transaction, with its event.

Implementation (implementation_record): per advised decision, carried out (with the date) or not
(with the reason); the case is IMPLEMENTED when every decision has a status. Re-evaluation of a
closed case (reevaluation_set, reevaluation_record): a date, then the new clinical status triages
the case again with the rules in force; a case that now qualifies goes back to the queue.

The schedule (spec §7): a brain MRI every 3-4 months (default 3), after 2 years every 6 months,
earlier on complaints; the follow-up at the treating physician or a neurologist, named, and a
first point of contact, always. A result of progression, new lesions or suspected radiation
necrosis offers a new referral of the same patient, started from this case (followup_rereferral).
"""

import calendar
import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.models import AccessAction
from audit.services import event_record
from followup.models import (
    REREFERRAL_RESULTS,
    DeviationReason,
    FollowedBy,
    FollowUpMri,
    FollowUpPlan,
    Implementation,
    ImplementationStatus,
    ReEvaluation,
    decisions_to_implement,
)
from meetings.models import AgendaItem, MeetingAdvice
from referrals import services as referral_services
from referrals.intake import open_questions
from referrals.lifecycle import NOT_REFERRED_STATUSES, CaseStatus, transition_for
from referrals.models import AdviceSource
from referrals.services import CaseIncomplete
from referrals.transition import ActionRefused, Applied, TransitionRefused, case_transition, lock_case
from triage.codes import Decision, FollowUp
from triage.engine.outcomes import MDO_FORUM
from triage.models import AdviceTrigger
from triage.readiness import meeting_gaps
from triage.services import advice_preview, advice_store

# After this long the guideline advises considering a longer interval.
LATER_AFTER_MONTHS = 24
PROPOSED_COUNT = 12
# The meeting's follow-up advice -> who does the follow-up.
FOLLOWED_BY = {FollowUp.TREATING_MRI: FollowedBy.TREATING, FollowUp.NEUROLOGY_MRI: FollowedBy.NEUROLOGIST}
REREFERRAL_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-4e0f-9a51-1d2c3b4a5e6f")


class FollowUpRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(plan, after):
    """The date of the next scheduled MRI after an MRI (or the start) on `after`."""
    later = after >= add_months(plan.start_date, LATER_AFTER_MONTHS)
    return add_months(after, plan.later_interval_months if later else plan.interval_months)


def proposed_dates(plan, after=None, count=PROPOSED_COUNT):
    """The schedule as proposed: the next `count` MRI dates from `after` (the start by default)."""
    dates, day = [], after or plan.start_date
    for _index in range(count):
        day = next_due(plan, day)
        dates.append(day)
    return dates


def latest_meeting_advice(case):
    return (MeetingAdvice.objects.filter(item__case=case).select_related("item__meeting")
            .order_by("-recorded_at").first())


def plan_proposal(case, advice):
    """The initial values of a new plan, from the meeting's follow-up advice."""
    followed_by = FOLLOWED_BY.get(advice.follow_up, FollowedBy.TREATING)
    name = advice.carried_out_by if followed_by == FollowedBy.NEUROLOGIST else (
        case.referring_physician.get_full_name() if case.referring_physician_id else "")
    return {"start_date": advice.item.meeting.date, "interval_months": 3, "later_interval_months": 6,
            "followed_by": followed_by, "physician_name": name, "first_contact": advice.first_contact}


def _validate_dates(field, day, meeting_date):
    if day is None:
        raise ValidationError({field: _("Give the date.")})
    if day > timezone.localdate():
        raise ValidationError({field: _("This date lies in the future.")})
    if day < meeting_date:
        raise ValidationError({field: _("This date lies before the meeting (%(date)s).")
                               % {"date": date_format(meeting_date, "SHORT_DATE_FORMAT")}})


@transaction.atomic
def plan_create(*, actor, case_id, values):
    """Create the follow-up plan of a case from its meeting advice, with its first scheduled MRI.

    A second create (a double submit) returns the plan made the first time, unchanged."""
    case = lock_case(case_id)
    existing = FollowUpPlan.objects.filter(case=case).first()
    if existing is not None:
        return existing, False
    if case.status in NOT_REFERRED_STATUSES:
        raise FollowUpRefused(_("This case has no follow-up: it was withdrawn or not submitted."))
    advice = latest_meeting_advice(case)
    if advice is None:
        raise FollowUpRefused(_("There is no advice of the meeting yet."))
    if advice.follow_up == FollowUp.NONE or Decision.DISCUSS_AGAIN in advice.decisions:
        raise FollowUpRefused(_("The meeting advised no imaging follow-up for this case."))
    plan = FollowUpPlan(case=case, advice=advice, created_by=actor.user, **values)
    plan.full_clean(exclude=["case", "advice", "created_by"])
    if plan.start_date < advice.item.meeting.date:
        raise ValidationError({"start_date": _("This date lies before the meeting (%(date)s).")
                               % {"date": date_format(advice.item.meeting.date, "SHORT_DATE_FORMAT")}})
    plan.save()
    first = FollowUpMri.objects.create(plan=plan, due_date=next_due(plan, plan.start_date))
    event_record(actor=actor, action="followup.plan_created", case=case, obj=plan, data={
        "interval_months": plan.interval_months, "later_interval_months": plan.later_interval_months,
        "followed_by": plan.followed_by, "physician_name": plan.physician_name,
        "first_contact": plan.first_contact, "first_due": first.due_date.isoformat()},
        access_action=AccessAction.CREATE)
    return plan, True


def _lock_plan(plan_id):
    return (FollowUpPlan.objects.select_for_update(no_key=True)
            .select_related("case", "advice__item__meeting").get(pk=plan_id))


def _next_open(plan):
    return FollowUpMri.objects.filter(plan=plan, done_on__isnull=True, on_complaints=False).first()


def _last_done(plan):
    return FollowUpMri.objects.filter(plan=plan, done_on__isnull=False).order_by("-done_on", "-id").first()


def _replan(plan, after):
    """Date the next scheduled MRI from `after` (an MRI done, or the start)."""
    due = next_due(plan, after)
    following = _next_open(plan)
    if following is None:
        following = FollowUpMri.objects.create(plan=plan, due_date=due)
    elif following.due_date != due:
        following.due_date = due
        following.save(update_fields=["due_date"])
    return following


@transaction.atomic
def mri_record(*, actor, plan_id, mri_id, done_on, result, note=""):
    """Record the scheduled MRI `mri_id` as done, with its date and result; plan the next one."""
    plan = _lock_plan(plan_id)
    mri = FollowUpMri.objects.filter(plan=plan, pk=mri_id).first()
    if mri is None:
        raise FollowUpRefused(_("This MRI is not part of this follow-up plan."))
    if mri.done_on is not None:
        raise FollowUpRefused(_("This MRI has been recorded already."))
    return _record(actor, plan, mri, done_on, result, note)


@transaction.atomic
def mri_add_on_complaints(*, actor, plan_id, done_on, result, note="", token=None):
    """An MRI made earlier because of complaints, at any time. The same token twice: one MRI."""
    plan = _lock_plan(plan_id)
    if token is not None:
        earlier = FollowUpMri.objects.filter(token=token).first()
        if earlier is not None:
            if earlier.plan_id != plan.pk:
                raise FollowUpRefused(_("This form was sent for another follow-up plan."))
            return earlier
    mri = FollowUpMri(plan=plan, on_complaints=True, token=token)
    return _record(actor, plan, mri, done_on, result, note)


def _record(actor, plan, mri, done_on, result, note):
    _validate_dates("done_on", done_on, plan.advice.item.meeting.date)
    if not result:
        raise ValidationError({"result": _("Choose the result of the MRI.")})
    mri.done_on, mri.result, mri.note = done_on, result, note
    mri.recorded_by, mri.recorded_at = actor.user, timezone.now()
    mri.full_clean(exclude=["plan", "recorded_by", "rereferral"], validate_unique=False)
    mri.save()
    following = _replan(plan, max(done_on, _last_done(plan).done_on))
    event_record(actor=actor, action="followup.mri_recorded", case=plan.case, obj=mri, data={
        "done_on": done_on.isoformat(), "result": result, "on_complaints": mri.on_complaints,
        "next_due": following.due_date.isoformat()})
    return mri


@transaction.atomic
def plan_change(*, actor, plan_id, values, reason, expected_version):
    """Change the schedule or who does the follow-up, with the reason; the next MRI is re-dated."""
    plan = _lock_plan(plan_id)
    if expected_version is not None and plan.version != expected_version:
        raise FollowUpRefused(_("The plan was changed after you opened it; nothing was changed. "
                                "Check the plan and change it again if you still want to."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the change.")})
    changed = {name: [str(getattr(plan, name)), str(value)] for name, value in values.items()
               if getattr(plan, name) != value}
    for name, value in values.items():
        setattr(plan, name, value)
    plan.full_clean(exclude=["case", "advice", "created_by"])
    if not changed:
        return plan
    plan.version += 1
    plan.save()
    last = _last_done(plan)
    following = _replan(plan, last.done_on if last else plan.start_date)
    event_record(actor=actor, action="followup.plan_changed", case=plan.case, obj=plan, data={
        "changed": changed, "reason": reason.strip(), "next_due": following.due_date.isoformat()})
    return plan


def _history_note(case, plan, mri):
    """What this MDO advised and what was done, for the history of the new referral."""
    advice = plan.advice
    lines = [_("Earlier MDT (%(date)s, %(reference)s): %(advice)s.") % {
        "date": date_format(advice.item.meeting.date, "SHORT_DATE_FORMAT"), "reference": case.reference,
        "advice": ", ".join(advice.decision_labels)}]
    if advice.text:
        lines.append(advice.text)
    if advice.plan_agreed:
        lines.append(_("Agreed with the patient: %(plan)s") % {"plan": advice.plan_agreed})
    for row in advice.implementations.order_by("id"):
        done = row.get_status_display()
        if row.done_on:
            done = f"{done} ({date_format(row.done_on, 'SHORT_DATE_FORMAT')})"
        if row.reason:
            done = f"{done}: {row.get_reason_display()}" + (f", {row.reason_text}" if row.reason_text else "")
        lines.append(f"{row.get_decision_display()}: {done}.")
    lines.append(_("Follow-up MRI of %(date)s: %(result)s.") % {
        "date": date_format(mri.done_on, "SHORT_DATE_FORMAT"), "result": mri.get_result_display()})
    return "\n".join(lines)


def _patient_values(patient):
    return {name: getattr(patient, name)
            for name in ("patient_number", "family_name", "given_names", "date_of_birth", "sex", "bsn")}


@transaction.atomic
def followup_rereferral(*, actor, plan_id, mri_id):
    """"Refer again": a new draft for the same patient, started from this case (its history,
    primary tumour, markers, earlier treatments, with this MDT's advice and the MRI's result),
    marked as a recurrence; the clinical status is asked afresh. Twice: the same draft."""
    plan = _lock_plan(plan_id)
    mri = FollowUpMri.objects.filter(plan=plan, pk=mri_id).first()
    if mri is None or mri.result not in REREFERRAL_RESULTS:
        raise FollowUpRefused(_("Only an MRI showing progression, new lesions or suspected radiation necrosis "
                                "offers a new referral."))
    if mri.rereferral_id is not None and mri.rereferral.status != CaseStatus.DELETED:
        return mri.rereferral, False
    case = plan.case
    if actor.user.hospital_id != case.referring_hospital_id:
        raise FollowUpRefused(_("Only the referring hospital can refer this patient again."))
    token = uuid.uuid5(REREFERRAL_NAMESPACE, f"{mri.pk}:{mri.rereferral_id or ''}")
    try:
        new_case, created = referral_services.case_create(
            actor=actor, patient_values=_patient_values(case.patient), case_values={},
            intake_token=token, copy_from=case.pk, history_note=_history_note(case, plan, mri))
    except IntegrityError as exc:  # pragma: no cover - the plan's lock serialises two clicks
        raise FollowUpRefused(_("Try again.")) from exc
    mri.rereferral = new_case
    mri.save(update_fields=["rereferral"])
    event_record(actor=actor, action="followup.rereferred", case=case, obj=mri, data={
        "new_case": new_case.reference, "result": mri.result})
    return new_case, created


# --- Implementation of the advice ----------------------------------------------------------------

def _implementation_errors(values, meeting_date):
    """Field -> message for one decision's row (empty: the row may be stored)."""
    errors = {}
    status, done_on = values.get("status"), values.get("done_on")
    reason, text = values.get("reason") or "", (values.get("reason_text") or "").strip()
    if status == ImplementationStatus.DONE and done_on is None:
        errors["done_on"] = _("Give the date it was carried out (or started).")
    if done_on is not None:
        if done_on > timezone.localdate():
            errors["done_on"] = _("This date lies in the future.")
        elif done_on < meeting_date:
            errors["done_on"] = _("This date lies before the meeting (%(date)s).") % {
                "date": date_format(meeting_date, "SHORT_DATE_FORMAT")}
    if status == ImplementationStatus.NOT_DONE and not reason:
        errors["reason"] = _("Choose why it was not carried out.")
    if status == ImplementationStatus.DONE and (reason or text):
        errors["reason"] = _("A reason is only given when the advice was not carried out.")
    if status == ImplementationStatus.NOT_DONE and reason == DeviationReason.OTHER and not text:
        errors["reason_text"] = _("Describe the other reason.")
    return errors


@dataclass
class ImplementationResult:
    saved: list  # the decisions stored
    errors: dict  # decision -> {field: message}: not stored, the typed values stay on the form
    case: object = None


def implementation_record(*, actor, case_id, rows, agreed_on=None, agreed=None):
    """Record, per decision of the case's meeting advice, whether it was carried out.

    `rows`: decision -> {"status", "done_on", "reason", "reason_text"}; a row without a status is
    left as it is (not yet known; a recorded status is corrected, never cleared). A row with an
    error is not stored and its neighbours are (the result says which). `agreed_on`/`agreed`:
    what was discussed with the patient (the MDO advises, the patient decides), None: unchanged.
    The case becomes IMPLEMENTED when every decision has a status."""
    with transaction.atomic():
        case = lock_case(case_id)
        advice = latest_meeting_advice(case)
        if advice is None:
            raise ActionRefused(_("There is no advice of the meeting yet."))
        wanted = decisions_to_implement(advice)
        meeting_date = advice.item.meeting.date
        existing = {row.decision: row for row in advice.implementations.all()}
        errors, valid = {}, {}
        for decision, values in rows.items():
            if decision not in wanted:
                raise ActionRefused(_("This decision is not part of the advice of the meeting."))
            if not values.get("status"):
                continue
            found = _implementation_errors(values, meeting_date)
            if found:
                errors[decision] = found
            else:
                valid[decision] = values
        agreed_errors = {}
        if agreed_on is not None:
            agreed_errors = _implementation_errors({"done_on": agreed_on}, meeting_date)
            if agreed_errors:
                errors["agreed"] = {"agreed_on": agreed_errors["done_on"]}
        plan_changed = agreed is not None and not agreed_errors and (
            (agreed_on, agreed.strip()) != (advice.plan_agreed_on, advice.plan_agreed))
        changed = {decision: values for decision, values in valid.items()
                   if decision not in existing or _row_differs(existing[decision], values)}
        if not changed and not plan_changed:
            return ImplementationResult([], errors, case)
        complete = all(decision in existing or decision in valid for decision in wanted)
        action = ("complete_implementation" if complete and case.status == CaseStatus.DISCUSSED
                  else "record_implementation")

        def apply(case, transition):
            data = {}
            for decision, values in changed.items():
                row = existing.get(decision) or Implementation(advice=advice, decision=decision)
                row.status, row.done_on = values["status"], values.get("done_on")
                row.reason = values.get("reason") or "" if row.status == ImplementationStatus.NOT_DONE else ""
                row.reason_text = (values.get("reason_text") or "").strip()
                row.recorded_by, row._history_user = actor.user, actor.user
                row.save()
                data[decision] = {"status": row.status, "done_on": row.done_on and row.done_on.isoformat(),
                                  "reason": row.reason}
            if plan_changed:
                advice.plan_agreed_on, advice.plan_agreed = agreed_on, agreed.strip()
                advice.plan_agreed_by, advice._history_user = actor.user, actor.user
                # Not the advice's own fields: its recorded_at (auto_now) stays when it was advised.
                advice.save(update_fields=["plan_agreed_on", "plan_agreed", "plan_agreed_by"])
                data["agreed_on"] = agreed_on and agreed_on.isoformat()
            return Applied(advice, {"decisions": data, "complete": complete})

        case, _applied = case_transition(actor=actor, case_id=case.pk, action=action, apply=apply, locked=case)
        return ImplementationResult(list(changed), errors, case)


def _row_differs(row, values):
    reason = values.get("reason") or "" if values["status"] == ImplementationStatus.NOT_DONE else ""
    return (row.status, row.done_on, row.reason, row.reason_text) != (
        values["status"], values.get("done_on"), reason, (values.get("reason_text") or "").strip())


def implementation_due_after():
    return datetime.timedelta(days=settings.IMPLEMENTATION_DUE_DAYS)


def advices_without_implementation(cases, today=None):
    """The discussed cases among `cases` whose meeting lies IMPLEMENTATION_DUE_DAYS or more in the
    past and that still have a decision without implementation status, longest waiting first."""
    today = today or timezone.localdate()
    # The latest advised meeting counts (an earlier "discuss again" does not start the clock). A
    # subquery per case rather than a GROUP BY over every agenda item: a count of the first hundred
    # (the case list's notice) then stops at a hundred.
    latest = (AgendaItem.objects.filter(case=OuterRef("pk"), advice__isnull=False, removed_at__isnull=True)
              .order_by("-meeting__date").values("meeting__date")[:1])
    return (cases.filter(status=CaseStatus.DISCUSSED)
            .annotate(meeting_date=Subquery(latest))
            .filter(meeting_date__lte=today - implementation_due_after())
            .order_by("meeting_date", "id"))


# --- Re-evaluation of a case that did not go to the MDO -------------------------------------------

REEVALUATION_PROPOSED_WEEKS = 6


def reevaluation_proposal(today=None):
    return (today or timezone.localdate()) + datetime.timedelta(weeks=REEVALUATION_PROPOSED_WEEKS)


def reevaluation_set(*, actor, case_id, due_on, reason=""):
    """Set (or move) the date a closed case is looked at again. A second date replaces the open one."""
    if due_on is None:
        raise ValidationError({"due_on": _("Give the date.")})
    if due_on <= timezone.localdate():
        raise ValidationError({"due_on": _("Choose a date after today.")})
    if due_on > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError({"due_on": _("Choose a date within a year.")})

    def apply(case, transition):
        record = case.reevaluations.filter(done_at__isnull=True).first()
        before = record.due_on.isoformat() if record else None
        record = record or ReEvaluation(case=case, set_by=actor.user)
        record.due_on, record.reason, record._history_user = due_on, (reason or "").strip(), actor.user
        record.save()
        return Applied(record, {"due_on": due_on.isoformat(), "before": before})

    return case_transition(actor=actor, case_id=case_id, action="set_reevaluation", apply=apply)[1].obj


def reevaluation_preview(case, values):
    """The triage of `case` with the new clinical `values`, not stored (the re-entry page)."""
    for name, value in values.items():
        setattr(case, name, value)
    return advice_preview(case)


def reevaluation_record(*, actor, case_id, values, changes, expected_version=None):
    """The referrer enters the new clinical status of a closed case: it is triaged again with the
    rules in force; when the advice now is the neuro-oncology MDO, the case is submitted again as a
    re-entry (the pre-consultation queue), otherwise it stays closed with the new advice.

    `values`: the case fields of the clinical and extracranial steps that passed their forms."""
    if not (changes or "").strip():
        raise ValidationError({"changes": _("Describe what changed since the case was closed.")})
    with transaction.atomic():
        case = lock_case(case_id)
        # Which of the two it is depends on the new triage; both start where the lifecycle says.
        if transition_for(("reenter", "reevaluate"), case.status) is None:
            raise TransitionRefused(case, "reevaluate")
        preview = reevaluation_preview(case, values)
        action = "reenter" if preview.forum == MDO_FORUM else "reevaluate"

        def apply(case, transition):
            for name, value in values.items():
                setattr(case, name, value)
            lesions = list(case.lesions.all())
            open_steps = open_questions(case, lesions)
            if open_steps:
                raise CaseIncomplete(open_steps)
            advice = advice_store(actor=actor, case=case, lesions=lesions, trigger=AdviceTrigger.REEVALUATED)
            case.current_advice = advice
            record = case.reevaluations.filter(done_at__isnull=True).first() or ReEvaluation(
                case=case, set_by=actor.user, due_on=timezone.localdate())
            record.done_at, record.done_by, record.changes = timezone.now(), actor.user, changes.strip()
            record.advice, record.requalified = advice, transition.action == "reenter"
            record._history_user = actor.user
            record.save()
            if record.requalified:
                case.outcome_in_force, case.advice_source, case.meeting_decisions = (
                    advice.outcome, AdviceSource.TRIAGE, [])
                case.reentered_at = timezone.now()
                case.meeting_gaps = meeting_gaps(case, lesions, advice.missing)
                case.meeting_ready = not case.meeting_gaps
            return Applied(record, {"advice": advice.outcome, "rule_set_version": advice.rule_set_version,
                                    "requalified": record.requalified, "changed": sorted(values)})

        case, applied = case_transition(actor=actor, case_id=case.pk, action=action, apply=apply,
                                        expected_version=expected_version, locked=case)
        return case, applied.obj


def reevaluations_due(cases, today=None):
    """Open re-evaluations of `cases` due today or earlier, the longest overdue first."""
    today = today or timezone.localdate()
    return (ReEvaluation.objects.filter(case__in=cases, done_at__isnull=True, due_on__lte=today,
                                        case__status=CaseStatus.CLOSED)
            .select_related("case__patient", "case__referring_hospital").order_by("due_on", "id"))
