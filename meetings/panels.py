"""What the case page shows about pre-consultation and the meeting, per role."""

from django.utils import timezone

from meetings import forms
from meetings.models import AgendaItem, MeetingAdvice, Preconsultation
from meetings.services import next_meeting_with_room, planned_meetings_with_counts
from referrals.models import CaseStatus
from triage.presenters import current_lang
from triage.readiness import gap_label

PRECONSULT_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED)


def case_panels(request, case, bound_forms=None):
    user = request.user
    bound_forms = bound_forms or {}
    context = {
        "preconsultations": list(
            Preconsultation.objects.filter(case=case).select_related("by").order_by("at", "id")
        ),
        "gaps": [gap_label(code, current_lang()) for code in case.meeting_gaps],
    }
    # The meeting the case waits for (after an advice "discuss again" the earlier one is done).
    item = (AgendaItem.objects.filter(case=case, removed_at__isnull=True, advice__isnull=True)
            .select_related("meeting").first())
    context["agenda_item"] = item
    advice = (MeetingAdvice.objects.filter(item__case=case).select_related("item__meeting", "recorded_by")
              .order_by("-recorded_at").first())
    context["meeting_advice"] = advice

    if user.has_perm("referrals.preconsult_case") and case.status in PRECONSULT_STATUSES:
        context["preconsult_forms"] = {
            "accept": bound_forms.get("accept") or forms.AcceptForm(),
            "override": bound_forms.get("override") or forms.OverrideForm(),
            "request_info": bound_forms.get("request_info") or forms.RequestInfoForm(),
            "close": bound_forms.get("close") or forms.CloseForm(),
        }
    if user.has_perm("meetings.schedule_case") and case.status in PRECONSULT_STATUSES and case.meeting_ready:
        # The case's centre is the user's (cases_visible_to): its planned meetings, counted once
        # for both the proposal and the choices. The POST is validated by ScheduleForm.
        meetings = planned_meetings_with_counts(case.mdo_centre_id, case=case)
        proposal = next_meeting_with_room(None, meetings=meetings)
        context["schedule_choices"] = [
            {"pk": meeting.pk, "label": str(meeting), "location": meeting.location,
             "cases": meeting.active_items, "capacity": meeting.capacity_in_cases,
             "selected": meeting == proposal}
            for meeting in meetings
        ]
        context["proposed_meeting"] = proposal
        context["may_schedule"] = True
    if (advice is not None and user.has_perm("referrals.refer_case")
            and case.status in (CaseStatus.DISCUSSED, CaseStatus.PLAN_AGREED)):
        context["plan_form"] = bound_forms.get("plan") or forms.PlanAgreedForm(initial={
            "agreed_on": advice.plan_agreed_on or timezone.localdate(), "agreed": advice.plan_agreed})
    return context
