"""Meetings: list and creation, the meeting page (agenda, attendance, quorum), the advice per case,
(the referrer's record of the plan agreed with the patient is on the case page: casefile)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import MDO_ROLES, User
from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from mdo.i18n import current_lang
from meetings import forms, services
from meetings.access import (
    get_item_for_user,
    get_meeting_for_user,
    is_meeting_administrator,
    may_see_agenda,
    meetings_listed_for,
    meetings_visible_to,
)
from meetings.models import AgendaItem, Attendance, MeetingAdvice, MeetingStatus
from meetings.presenters import advice_path, agenda_items, quorum_context
from referrals.access import get_case_for_user
from referrals.lifecycle import available_actions
from triage.codes import Discipline
from triage.meeting_advice import proposed_follow_up
from triage.presenters import outcome_context


def _refused(request, exc):
    messages.error(request, exc.message)


@login_required
def meeting_list(request):
    user = request.user
    administrator = is_meeting_administrator(user)
    if user.role not in MDO_ROLES and not administrator:
        return render(request, "errors/403.html", status=403)
    today = timezone.localdate()
    # An administrator sees every centre's meetings: their facts and how full they are, no agenda.
    meetings = (meetings_listed_for(user)
                .annotate(cases=Count("items", filter=Q(items__removed_at__isnull=True)))
                .select_related("chair", "centre"))
    # Upcoming: planned and not yet past. A meeting marked held (or closed, or cancelled) today
    # is no longer upcoming.
    upcoming = Q(date__gte=today, status=MeetingStatus.PLANNED)
    return render(request, "meetings/meeting_list.html", {
        "upcoming": meetings.filter(upcoming).order_by("date", "start_time")[:60],
        "past": meetings.exclude(upcoming).order_by("-date", "-start_time")[:30],
        "can_create": user.has_perm("meetings.manage_meetings"),
        "show_centre": administrator,
    })


@login_required
@permission_required("meetings.manage_meetings", raise_exception=True)
def meeting_create(request):
    """A chair creates meetings for their own centre; an administrator chooses the centre (a
    `centre` sent by anyone else is not a field of their form, so it is ignored)."""
    administrator = is_meeting_administrator(request.user)
    centre = None if administrator else request.user.hospital
    if not administrator and (centre is None or not centre.is_mdo_centre):
        return render(request, "errors/403.html", status=403)
    form = forms.MeetingForm(request.POST or None, centre=centre)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k not in ("weeks", "centre")}
        try:
            created = services.meeting_series_create(
                actor=Actor.from_request(request), centre=form.cleaned_data["centre"] if administrator else centre,
                values=values, weeks=form.cleaned_data["weeks"])
        except services.ActionRefused as exc:
            _refused(request, exc)
        except ValidationError as exc:
            _add_model_errors(form, exc)
        else:
            messages.success(request, _("%(n)s meeting(s) created.") % {"n": len(created)})
            return redirect("meetings:meeting_detail", created[0].pk)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": None})


def _add_model_errors(form, exc):
    """A ValidationError of the model at its field when the form has that field, else above it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@permission_required("meetings.manage_meetings", raise_exception=True)
def meeting_edit(request, meeting_id):
    # The meeting's own facts only: an administrator may change them too.
    meeting = get_meeting_for_user(request, meeting_id, agenda=False)
    form = forms.MeetingForm(request.POST or None, instance=meeting, centre=meeting.centre, with_series=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=Actor.from_request(request), meeting_id=meeting.pk,
                                    values=form.cleaned_data,
                                    expected_version=_int(request.POST.get("version")))
        except services.ActionRefused as exc:
            _refused(request, exc)
        except ValidationError as exc:
            _add_model_errors(form, exc)
        else:
            messages.success(request, _("The meeting has been changed."))
            return redirect("meetings:meeting_detail", meeting.pk)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": meeting})


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@login_required
@permission_required("meetings.manage_meetings", raise_exception=True)
@require_POST
def meeting_status(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    status = request.POST.get("status", "")
    if status not in MeetingStatus.values:
        messages.error(request, _("Unknown status."))
    else:
        try:
            services.meeting_set_status(actor=Actor.from_request(request), meeting_id=meeting.pk, status=status)
        except services.ActionRefused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("The status of the meeting has been changed."))
    return redirect("meetings:meeting_detail", meeting.pk)


@login_required
def meeting_detail(request, meeting_id, bound=None, status=200):
    meeting = get_meeting_for_user(request, meeting_id, agenda=False)
    closed = meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED)
    if not may_see_agenda(request.user, meeting):
        # An administrator: the meeting's facts and how full it is; no patient is read or shown.
        return render(request, "meetings/meeting_summary.html", {
            "meeting": meeting,
            "used": AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True).count(),
            "can_manage": request.user.has_perm("meetings.manage_meetings") and not closed,
        })
    items = agenda_items(meeting, with_earlier=True)
    access_record_many(actor=Actor.from_request(request), action=AccessAction.LIST,
                       object_type="meeting_agenda", cases=[item.case for item in items])
    attendances = list(Attendance.objects.filter(meeting=meeting).select_related("user"))
    present = {a.discipline for a in attendances}
    other_meetings = (meetings_visible_to(request.user)
                      .filter(status=MeetingStatus.PLANNED, date__gte=timezone.localdate())
                      .exclude(pk=meeting.pk).order_by("date", "start_time"))
    candidates = attendance_candidates(meeting, attendances)
    lang = current_lang()
    rows = [
        {
            "item": item,
            "outcome": outcome_context(item.case.current_advice.outcome, lang) if item.case.current_advice else None,
            "path": advice_path(item.case, getattr(item, "advice", None), lang),
            "advice": getattr(item, "advice", None),
        }
        for item in items
    ]
    bound = bound or {}
    in_session = meeting.date <= timezone.localdate()
    may_record = request.user.has_perm("meetings.record_meeting_advice") and not closed and in_session
    for row in rows:
        row["may_advise"] = may_record and may_advise(request.user, row["item"].case, row["advice"])
    # One move form is rendered on every agenda row: read its meetings once, not once per row.
    move_form = forms.MoveForm(meetings=other_meetings)
    move_form.fields["meeting"].choices = list(move_form.fields["meeting"].choices)
    return render(request, "meetings/meeting_detail.html", {
        "meeting": meeting,
        "rows": rows,
        "attendances": attendances,
        "quorum": quorum_context(present),
        "attendance_form": bound.get("attendance") or forms.AttendanceForm(candidates=candidates),
        "move_form": move_form,
        "remove_form": forms.RemoveForm(),
        "presence_form": forms.PresenceForm(),
        # A form of one agenda row sent back with its errors (item_remove, item_presence).
        "bound_item": bound.get("item"),
        "bound_remove_form": bound.get("remove"),
        "bound_presence_form": bound.get("presence"),
        # A closed meeting's minutes are final: its page only shows and prints them.
        "can_manage": request.user.has_perm("meetings.manage_meetings") and not closed,
        # What happens in the meeting (attendance, presence, advice) is recorded from its date on
        # (the services refuse it before); attendance is fixed once an advice is recorded.
        "can_record": may_record,
        "in_session": in_session,
        "can_attend": may_record and not any(row["advice"] for row in rows),
        "can_schedule": request.user.has_perm("meetings.schedule_case") and not closed,
        "can_cancel": (request.user.has_perm("meetings.manage_meetings") and meeting.status == MeetingStatus.PLANNED
                       and not any(row["advice"] for row in rows)),
        "cancel_form": bound.get("cancel") or forms.CancelMeetingForm(meetings=other_meetings),
        "used": len(items),
        # Only the statuses it may take now: held and closed from its start on.
        "statuses": [(value, label) for value, label in MeetingStatus.choices
                     if value == meeting.status or (value != MeetingStatus.CANCELLED
                                                    and (value == MeetingStatus.PLANNED or meeting.has_started))],
    }, status=status)


@login_required
@permission_required("meetings.manage_meetings", raise_exception=True)
@require_POST
def meeting_cancel(request, meeting_id):
    """Cancel the meeting: its cases move to the meeting chosen, or leave the agenda (with mails)."""
    meeting = get_meeting_for_user(request, meeting_id)
    form = forms.CancelMeetingForm(request.POST, meetings=meetings_visible_to(request.user).filter(
        status=MeetingStatus.PLANNED, date__gte=timezone.localdate()).exclude(pk=meeting.pk))
    if not form.is_valid():
        return meeting_detail(request, meeting.pk, bound={"cancel": form}, status=400)
    try:
        services.meeting_cancel(actor=Actor.from_request(request), meeting_id=meeting.pk,
                                reason=form.cleaned_data["reason"], move_to=form.cleaned_data["move_to"])
    except services.ActionRefused as exc:
        form.add_error(None, exc.message)
        return meeting_detail(request, meeting.pk, bound={"cancel": form}, status=400)
    messages.success(request, _("The meeting has been cancelled."))
    return redirect("meetings:meeting_detail", meeting.pk)


def attendance_candidates(meeting, attendances=()):
    """Who may be chosen as a participant: the centre's active users not yet registered."""
    return User.objects.filter(hospital=meeting.centre, is_active=True).exclude(
        pk__in=[a.user_id for a in attendances if a.user_id])


def attendance_save(request, meeting, form):
    """Register the bound attendance form through the one service; True when registered. A
    refusal is put on the form, with what was chosen still there. Shared by the meeting page and
    the live session."""
    if not form.is_valid():
        return False
    try:
        services.attendance_add(actor=Actor.from_request(request), meeting_id=meeting.pk,
                                user=form.cleaned_data["user"], name=form.cleaned_data["name"],
                                discipline=form.cleaned_data["discipline"], mode=form.cleaned_data["mode"])
    except (services.ActionRefused, ValidationError) as exc:
        form.add_error(None, exc.message if isinstance(exc, services.ActionRefused) else " ".join(exc.messages))
        return False
    return True


def attendance_delete(request, meeting, attendance_id):
    """Take one registration off the meeting through the one service (a refusal as a message)."""
    if not Attendance.objects.filter(pk=attendance_id, meeting=meeting).exists():
        raise Http404("No such attendance.")
    try:
        services.attendance_remove(actor=Actor.from_request(request), attendance_id=attendance_id)
    except services.ActionRefused as exc:
        _refused(request, exc)


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
@require_POST
def attendance_add(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    form = forms.AttendanceForm(request.POST, candidates=attendance_candidates(meeting))
    if not attendance_save(request, meeting, form):
        return meeting_detail(request, meeting.pk, bound={"attendance": form}, status=400)
    return redirect("meetings:meeting_detail", meeting.pk)


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
@require_POST
def attendance_remove(request, meeting_id, attendance_id):
    meeting = get_meeting_for_user(request, meeting_id)
    attendance_delete(request, meeting, attendance_id)
    return redirect("meetings:meeting_detail", meeting.pk)


@login_required
@permission_required("meetings.schedule_case", raise_exception=True)
@require_POST
def item_move(request, item_id):
    item = get_item_for_user(request, item_id)
    form = forms.MoveForm(request.POST, meetings=meetings_visible_to(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a meeting."))
    else:
        try:
            services.agenda_move(actor=Actor.from_request(request), item_id=item.pk,
                                 meeting_id=form.cleaned_data["meeting"].pk)
        except services.ActionRefused as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("The case has been moved to %(meeting)s.")
                             % {"meeting": form.cleaned_data["meeting"]})
    return redirect("meetings:meeting_detail", item.meeting_id)


@login_required
@permission_required("meetings.schedule_case", raise_exception=True)
@require_POST
def item_remove(request, item_id):
    item = get_item_for_user(request, item_id)
    form = forms.RemoveForm(request.POST)
    if not form.is_valid():
        return meeting_detail(request, item.meeting_id, bound={"item": item.pk, "remove": form}, status=400)
    try:
        services.agenda_remove(actor=Actor.from_request(request), item_id=item.pk,
                               reason=form.cleaned_data["reason"])
    except services.ActionRefused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The case has been taken off the agenda."))
    return redirect("meetings:meeting_detail", item.meeting_id)


@login_required
@permission_required("meetings.schedule_case", raise_exception=True)
@require_POST
def item_reorder(request, item_id):
    item = get_item_for_user(request, item_id)
    direction = request.POST.get("direction")
    if direction in ("up", "down"):
        services.agenda_reorder(actor=Actor.from_request(request), item_id=item.pk, direction=direction)
    return redirect("meetings:meeting_detail", item.meeting_id)


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
@require_POST
def item_presence(request, item_id):
    item = get_item_for_user(request, item_id)
    form = forms.PresenceForm(request.POST)
    if not form.is_valid():
        return meeting_detail(request, item.meeting_id, bound={"item": item.pk, "presence": form}, status=400)
    try:
        services.item_set_presence(actor=Actor.from_request(request), item_id=item.pk,
                                   present=form.cleaned_data["present"],
                                   representative_name=form.cleaned_data["representative_name"])
    except services.ActionRefused as exc:
        _refused(request, exc)
    return redirect("meetings:meeting_detail", item.meeting_id)


def advice_form(request, item, case, existing, *, bound=True):
    """The advice form of an agenda item: bound to the POST, or with the recorded advice (or a
    proposal) and the presence of the treating physician. Shared by the advice page and the live
    session (which leaves it unbound when the POST was another form's)."""
    if existing:
        initial = {name: getattr(existing, name) for name in services.ADVICE_FIELDS}
    else:
        # A proposal: the follow-up spec §7 gives after the chart the triage used.
        initial = {"follow_up": proposed_follow_up(getattr(case.current_advice, "chart", None))}
    initial.update(present=item.treating_physician_present, representative_name=item.representative_name)
    return forms.MeetingAdviceForm((request.POST or None) if bound else None, initial=initial)


def may_advise(user, case, advice):
    """Whether the lifecycle lets `user` record the meeting's advice of `case` now, or correct the
    recorded `advice` (not once the advice is carried out, or the case has left the agenda). The
    meeting's own conditions (closed, not yet begun, the quorum) are the service's."""
    return ("correct_advice" if advice else "record_advice") in available_actions(user, case)


def advice_save(request, item, form):
    """Record the bound advice form through the one service; True when recorded. A refusal is put
    on the form (at its field where there is one), which keeps everything typed."""
    if not form.is_valid():
        return False
    try:
        services.meeting_advice_record(actor=Actor.from_request(request), item_id=item.pk,
                                       values=form.cleaned_data)
    except services.QuorumNotMet as exc:
        labels = dict(Discipline.choices)
        missing = ", ".join(str(labels[d]) for d in exc.missing)
        # Not an f-string: makemessages does not see a string inside one.
        form.add_error("decisions", "{} {}".format(
            exc.message, _("Missing: %(disciplines)s.") % {"disciplines": missing}))
    except services.ConflictingDecisions as exc:
        for field, message in exc.by_field.items():
            form.add_error(field, message)
    except services.PresenceRefused as exc:
        form.add_error("present", exc.message)
    except services.ActionRefused as exc:
        form.add_error(None, exc.message)
    else:
        messages.success(request, _("The advice of the meeting has been recorded."))
        return True
    return False


@login_required
@permission_required("meetings.record_meeting_advice", raise_exception=True)
def item_advice(request, item_id):
    """Record the meeting's advice for one case; refused with the missing disciplines when an
    advice that includes radiotherapy lacks the legal quorum."""
    item = get_item_for_user(request, item_id)
    case = get_case_for_user(request, item.case_id, part="meeting_advice",
                             select=("patient", "current_advice", "referring_physician"))
    existing = MeetingAdvice.objects.filter(item=item).first()
    form = advice_form(request, item, case, existing)
    quorum = quorum_context(services.present_disciplines(item.meeting))
    status = 200
    if request.method == "POST":
        if advice_save(request, item, form):
            return redirect("meetings:meeting_detail", item.meeting_id)
        status = 400
    return render(request, "meetings/item_advice.html", {
        "item": item, "case": case, "form": form, "quorum": quorum, "existing": existing,
        "outcome": outcome_context(case.current_advice.outcome, current_lang()) if case.current_advice else None,
        "path": advice_path(case, existing),
        "may_advise": may_advise(request.user, case, existing),
    }, status=status)
