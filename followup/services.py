"""Every write to a follow-up plan and its MRIs: one function each, one transaction, with its event.

The schedule (spec §7): a brain MRI every 3-4 months (default 3), after 2 years every 6 months,
earlier on complaints; the follow-up at the treating physician or a neurologist, named, and a
first point of contact, always. A result of progression, new lesions or suspected radiation
necrosis offers a new referral of the same patient, started from this case (followup_rereferral).
"""

import calendar
import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.models import AccessAction
from audit.services import event_record
from followup.models import REREFERRAL_RESULTS, FollowedBy, FollowUpMri, FollowUpPlan
from meetings.models import MeetingAdvice
from referrals import services as referral_services
from referrals.lifecycle import CaseStatus
from referrals.models import Case
from triage.codes import Decision, FollowUp

# After this long the guideline advises considering a longer interval.
LATER_AFTER_MONTHS = 24
PROPOSED_COUNT = 12
# The meeting's follow-up advice -> who does the follow-up.
FOLLOWED_BY = {FollowUp.TREATING_MRI: FollowedBy.TREATING, FollowUp.NEUROLOGY_MRI: FollowedBy.NEUROLOGIST}
NO_PLAN_STATUSES = {CaseStatus.WITHDRAWN, CaseStatus.DELETED, CaseStatus.DRAFT}
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
    case = Case.objects.select_for_update(no_key=True).select_related("referring_physician").get(pk=case_id)
    existing = FollowUpPlan.objects.filter(case=case).first()
    if existing is not None:
        return existing, False
    if case.status in NO_PLAN_STATUSES:
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
