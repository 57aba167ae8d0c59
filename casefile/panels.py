"""What the case page shows about pre-consultation and the meeting, per role.

A form is offered only for an action the user may take now (referrals.lifecycle): a button is
never shown and then refused for the case's state.
"""


from followup.presenters import followup_summary, implementation_summary, reevaluation_summary
from mdo.i18n import current_lang
from meetings import forms
from meetings.models import AgendaItem, MeetingAdvice, Preconsultation
from meetings.presenters import REVIEW_ACTIONS, advice_path
from meetings.services import next_meeting_with_room, planned_meetings_with_counts
from referrals.lifecycle import CaseStatus, available_actions
from triage.presenters import outcome_context
from triage.readiness import gap_label

# The pre-consultation forms of the case page and the lifecycle action each one takes.
PRECONSULT_FORMS = (
    ("accept", "accept_advice", forms.AcceptForm),
    ("override", "override_advice", forms.OverrideForm),
    ("request_info", "request_info", forms.RequestInfoForm),
    ("close", "close", forms.CloseForm),
)


def case_panels(request, case, bound_forms=None):
    user = request.user
    bound_forms = bound_forms or {}
    actions = available_actions(user, case)
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
    if advice is not None:
        context["followup"] = followup_summary(case)
        context["implementation"] = implementation_summary(advice)
        context["may_record_implementation"] = bool(
            actions & {"record_implementation", "complete_implementation"})
    if case.status == CaseStatus.CLOSED:
        context["reevaluation"] = reevaluation_summary(case)
        context["may_reevaluate"] = "set_reevaluation" in actions
    # The advice in force and its path (triage → pre-consultation → meeting), from the records
    # read above: no further query.
    for record in context["preconsultations"]:
        record.outcome_label = outcome_context(record.outcome)["label"] if record.outcome else ""
    case.reviews = [p for p in reversed(context["preconsultations"]) if p.action in REVIEW_ACTIONS]
    context["path"] = advice_path(case, advice)
    # Taken off an agenda: the latest removal, with its reason and who did it (issue: the reason
    # was only in the timeline). Shown while the case is not on a later agenda.
    if item is None:
        removed = (AgendaItem.objects.filter(case=case, removed_at__isnull=False).select_related("meeting")
                   .order_by("-removed_at").first())
        if removed is not None and (advice is None or removed.removed_at > advice.recorded_at):
            last = removed.history.order_by("-history_date").select_related("history_user").first()
            context["removed_item"] = {"meeting": removed.meeting, "at": removed.removed_at,
                                       "reason": removed.removed_reason,
                                       "by": last.history_user if last else None}

    preconsult_forms = {key: bound_forms.get(key) or forms.preconsult_form(key, form_class)
                        for key, action, form_class in PRECONSULT_FORMS if action in actions}
    if preconsult_forms:
        context["preconsult_forms"] = preconsult_forms
    if "schedule" in actions and case.meeting_ready:
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
    if "withdraw" in actions:
        context["withdraw_form"] = bound_forms.get("withdraw") or forms.WithdrawForm()
    context["may_delete_draft"] = "delete_draft" in actions
    return context
