"""The live session ("vergadermodus"): the meeting run from one screen, one case at a time.

The chair or the secretary shares this page on the projector. It shows everything the discussion
of one case needs and, beside it, the advice form of the advice page (the same form, the same
service: meetings.views.meetings.advice_form / advice_save). Next, previous and the agenda list
are plain links, so the page reads without JavaScript; static/js/live.js adds the keyboard and
the timer against the meeting's planned minutes per case.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from meetings import forms
from meetings.access import get_item_for_user, get_meeting_for_user
from meetings.models import AgendaItem, Attendance, MeetingAdvice, MeetingStatus
from meetings.presenters import advice_path, quorum_context
from meetings.views.meetings import (
    advice_form,
    advice_save,
    attendance_candidates,
    attendance_delete,
    attendance_save,
    may_advise,
)
from referrals.access import get_case_for_user
from referrals.models import Lesion, LesionMode
from referrals.presenters import case_sections

LIVE_SELECT = ("patient", "current_advice", "referring_physician", "referring_hospital")


def _agenda(meeting):
    """The meeting's agenda for the navigation: one query, whatever its length."""
    return list(AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True)
                .select_related("case__patient", "advice").order_by("position", "added_at"))


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
def live_start(request, meeting_id):
    """The live session's entrance: the case chosen in the agenda list (?item=), or the first
    case without an advice yet, or else the first case."""
    meeting = get_meeting_for_user(request, meeting_id)
    items = list(AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True)
                 .select_related("advice").order_by("position", "added_at"))
    if not items:
        return render(request, "meetings/live_empty.html", {"meeting": meeting})
    chosen = request.GET.get("item", "")
    item = (next((i for i in items if str(i.pk) == chosen), None)
            or next((i for i in items if not hasattr(i, "advice")), None)
            or items[0])
    return redirect("meetings:live_item", meeting.pk, item.pk)


def _live_objects(request, meeting_id, item_id):
    item = get_item_for_user(request, item_id)
    if item.meeting_id != meeting_id:
        raise Http404("No such agenda item.")
    meeting = get_meeting_for_user(request, meeting_id)
    case = get_case_for_user(request, item.case_id, part="live_session", select=LIVE_SELECT)
    return meeting, item, case


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
def live_item(request, meeting_id, item_id):
    meeting, item, case = _live_objects(request, meeting_id, item_id)
    existing = MeetingAdvice.objects.filter(item=item).first()
    form = advice_form(request, item, case, existing)
    if request.method == "POST":
        if advice_save(request, item, form):
            next_item = _neighbours(_agenda(meeting), item)[1]
            if request.POST.get("then") == "next" and next_item is not None:
                return redirect("meetings:live_item", meeting.pk, next_item.pk)
            return redirect("meetings:live_item", meeting.pk, item.pk)
        return _page(request, meeting, item, case, existing, form=form, status=400)
    return _page(request, meeting, item, case, existing, form=form)


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
@require_POST
def live_attendance_add(request, meeting_id, item_id):
    """Register a participant from the live session; back to the same case, the quorum panel
    counting them. A refused registration is shown on the live page with what was chosen."""
    meeting, item, case = _live_objects(request, meeting_id, item_id)
    attendance_form = forms.AttendanceForm(request.POST, candidates=attendance_candidates(meeting))
    if attendance_save(request, meeting, attendance_form):
        return redirect("meetings:live_item", meeting.pk, item.pk)
    existing = MeetingAdvice.objects.filter(item=item).first()
    # The advice form as it was stored: the attendance form did not carry the typed advice.
    form = advice_form(request, item, case, existing, bound=False)
    return _page(request, meeting, item, case, existing, form=form, attendance_form=attendance_form, status=400)


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
@require_POST
def live_attendance_remove(request, meeting_id, item_id, attendance_id):
    meeting, item, _ = _live_objects(request, meeting_id, item_id)
    attendance_delete(request, meeting, attendance_id)
    return redirect("meetings:live_item", meeting.pk, item.pk)


def _neighbours(items, item):
    index = next(n for n, i in enumerate(items) if i.pk == item.pk)
    return (items[index - 1] if index > 0 else None,
            items[index + 1] if index + 1 < len(items) else None)


def _page(request, meeting, item, case, existing, *, form, attendance_form=None, status=200):
    items = _agenda(meeting)
    # The agenda list names every patient of the meeting: logged as the meeting page does.
    access_record_many(actor=Actor.from_request(request), action=AccessAction.LIST,
                       object_type="live_session_agenda", cases=[i.case for i in items])
    index = next(n for n, i in enumerate(items) if i.pk == item.pk)
    previous_item, next_item = _neighbours(items, item)
    closed = meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED)
    can_record = not closed and meeting.date <= timezone.localdate()
    attendances = list(Attendance.objects.filter(meeting=meeting).select_related("user"))

    lesions = list(Lesion.objects.filter(case=case).order_by("position", "id"))
    sections = case_sections(case, lesions)
    for section in sections:
        # The lesions have their own panel beside the images.
        section.pop("lesions", None)
    # Earlier advice of this patient's meetings, this case's and earlier referrals' (oldest first).
    earlier = list(AgendaItem.objects.filter(case__patient_id=case.patient_id, removed_at__isnull=True,
                                             advice__isnull=False, added_at__lt=item.added_at)
                   .exclude(pk=item.pk).select_related("meeting", "advice")
                   .order_by("meeting__date", "added_at"))
    return render(request, "meetings/live.html", {
        "meeting": meeting,
        "item": item,
        "case": case,
        "items": items,
        "position": index + 1,
        "previous_item": previous_item,
        "next_item": next_item,
        "path": advice_path(case, existing, with_reason=True),
        "sections": sections,
        "lesions": lesions,
        "lesion_list": case.lesion_mode == LesionMode.LIST,
        "earlier": earlier,
        "quorum": quorum_context({a.discipline for a in attendances}),
        "form": form,
        "existing": existing,
        "can_record": can_record,
        "may_advise": can_record and may_advise(request.user, case, existing),
        # The attendance of the meeting page, posting to this page's URLs. It is fixed once an
        # advice is recorded in the meeting (the rule of the meeting page).
        "live": True,
        "attendances": attendances,
        "attendance_form": attendance_form or forms.AttendanceForm(
            candidates=attendance_candidates(meeting, attendances)),
        "in_session": meeting.date <= timezone.localdate(),
        "can_attend": can_record and not any(hasattr(i, "advice") for i in items),
    }, status=status)
