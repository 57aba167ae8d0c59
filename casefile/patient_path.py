"""The patient's path: every case, advice, follow-up MRI and new referral of one patient, in order.

Built from a fixed number of queries (one per kind of record), so a patient with many cases over
many years costs the same number of queries as one with a single case.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from followup.models import FollowUpMri, FollowUpPlan, Implementation, ReEvaluation
from meetings.models import MeetingAdvice
from triage.models import Advice
from triage.presenters import outcome_context


@dataclass
class Step:
    at: datetime.datetime
    kind: str
    what: str
    detail: str = ""
    case: object = None
    link: str = ""


def _at(day, recorded=None):
    """A date-only event as a moment: when it was recorded if that was the same day (it then sorts
    after what was done before it that day), otherwise noon."""
    if recorded is not None and timezone.localdate(recorded) == day:
        return recorded
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def patient_path(cases):
    """The steps of the patient's path over `cases` (those the reader may see), oldest first."""
    by_id = {case.pk: case for case in cases}
    steps = []
    for case in cases:
        link = reverse("casefile:case_detail", args=[case.pk])
        steps.append(Step(case.created_at, "case", _("Referral started"),
                          _("Status now: %(status)s") % {"status": case.get_status_display()}, case, link))
        if case.submitted_at:
            steps.append(Step(case.submitted_at, "submitted", _("Referral submitted"), "", case, link))
    for advice in (Advice.objects.filter(case_id__in=by_id).only("id", "case_id", "created_at", "outcome")
                   .order_by("created_at")):
        steps.append(Step(advice.created_at, "triage", _("Triage advice"), outcome_context(advice.outcome)["label"],
                          by_id[advice.case_id],
                          reverse("casefile:case_advice", args=[advice.case_id, advice.pk])))
    for advice in MeetingAdvice.objects.filter(item__case_id__in=by_id).select_related("item__meeting"):
        case = by_id[advice.item.case_id]
        steps.append(Step(advice.recorded_at, "meeting", _("Advice of the meeting (%(date)s)") % {
            "date": advice.item.meeting.date.strftime("%d-%m-%Y")}, ", ".join(advice.decision_labels), case,
            reverse("casefile:case_detail", args=[case.pk])))
        if advice.plan_agreed_on:
            steps.append(Step(_at(advice.plan_agreed_on, advice.recorded_at), "plan_agreed",
                              _("Plan agreed with the patient"), advice.plan_agreed, case))
    for row in Implementation.objects.filter(advice__item__case_id__in=by_id).select_related("advice__item"):
        case = by_id[row.advice.item.case_id]
        detail = row.get_status_display()
        if row.reason:
            detail = f"{detail}: {row.get_reason_display()}" + (f" ({row.reason_text})" if row.reason_text else "")
        steps.append(Step(_at(row.done_on, row.recorded_at) if row.done_on else row.recorded_at, "implementation",
                          _("Implementation: %(decision)s") % {"decision": row.get_decision_display()}, detail, case,
                          reverse("followup:implementation", args=[case.pk])))
    for record in ReEvaluation.objects.filter(case_id__in=by_id).select_related("advice"):
        case = by_id[record.case_id]
        link = reverse("followup:reevaluation", args=[case.pk])
        steps.append(Step(record.set_at, "reevaluation_set", _("Re-evaluation planned for %(date)s") % {
            "date": record.due_on.strftime("%d-%m-%Y")}, record.reason, case, link))
        if record.done_at:
            outcome = outcome_context(record.advice.outcome)["label"] if record.advice_id else ""
            title = _("Re-entry: back to the queue") if record.requalified else _("Re-evaluated: stays closed")
            steps.append(Step(record.done_at, "reentry" if record.requalified else "reevaluated", title,
                              f"{record.changes} — {outcome}", case, link))
    for plan in FollowUpPlan.objects.filter(case_id__in=by_id):
        steps.append(Step(plan.created_at, "followup", _("Follow-up plan"), _(
            "MRI every %(months)s months; follow-up by %(by)s (%(name)s); first point of contact: %(contact)s") % {
            "months": plan.interval_months, "by": plan.get_followed_by_display(), "name": plan.physician_name,
            "contact": plan.first_contact}, by_id[plan.case_id], reverse("followup:plan", args=[plan.case_id])))
    for mri in (FollowUpMri.objects.filter(plan__case_id__in=by_id, done_on__isnull=False)
                .select_related("plan", "rereferral")):
        case = by_id[mri.plan.case_id]
        detail = mri.get_result_display()
        if mri.rereferral_id:
            detail = _("%(result)s; referred again as %(reference)s") % {
                "result": detail, "reference": mri.rereferral.reference}
        what = _("MRI on complaints") if mri.on_complaints else _("Follow-up MRI")
        steps.append(Step(_at(mri.done_on, mri.recorded_at), "mri", what,
                          detail, case, reverse("followup:plan", args=[case.pk])))
    for mri in FollowUpMri.objects.filter(plan__case_id__in=by_id, done_on__isnull=True).select_related("plan"):
        case = by_id[mri.plan.case_id]
        steps.append(Step(_at(mri.due_date), "mri_planned", _("Follow-up MRI planned"), "", case,
                          reverse("followup:plan", args=[case.pk])))
    return sorted(steps, key=lambda step: step.at)
