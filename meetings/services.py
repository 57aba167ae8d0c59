"""Pre-consultation, meetings, agenda, attendance and the meeting's advice.

Every function runs in one transaction, locks the rows whose invariants it guards (the case for
its status; the meeting for its capacity) and writes its audit records. A change of the case goes
through referrals.transition.case_transition, whose table (referrals.lifecycle) says from which
states each action may start and where it leads; it publishes the recorded action, and casefile
mails about it after the commit. A refused action raises `ActionRefused` (or a subclass) with a
message for the user; nothing is written then.
"""

import datetime

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AccessAction
from audit.services import event_record
from mdo import dispatch
from meetings import pdfs, report
from meetings.models import (
    AdviceReport,
    AgendaItem,
    Attendance,
    Decision,
    FollowUp,
    Meeting,
    MeetingAdvice,
    MeetingStatus,
    PreconsultAction,
    Preconsultation,
)
from referrals.intake import FORM_STEPS
from referrals.lifecycle import CaseStatus
from referrals.models import AdviceSource
from referrals.transition import ActionRefused, Applied, case_transition
from triage import meeting_advice
from triage.engine import OUTCOMES
from triage.quorum import missing_disciplines, needs_quorum


class NotReadyForMeeting(ActionRefused):
    def __init__(self, gaps):
        super().__init__(_("The information the meeting needs is not complete."))
        self.gaps = gaps


class MeetingFull(ActionRefused):
    def __init__(self, meeting):
        super().__init__(_("This meeting is full (%(n)s cases).") % {"n": meeting.capacity_in_cases})
        self.meeting = meeting


class QuorumNotMet(ActionRefused):
    def __init__(self, missing):
        super().__init__(_("The legal quorum is not met: an advice that includes radiotherapy "
                           "needs these disciplines present."))
        self.missing = missing


class PresenceRefused(ActionRefused):
    """The advice cannot be recorded for the treating physician's presence (shown at that field)."""


class ConflictingDecisions(ActionRefused):
    """The advice combines decisions, or decisions and follow-up, that cannot be given together
    (triage.meeting_advice). ``by_field`` holds the message for each form field concerned."""

    def __init__(self, found):
        decisions = dict(Decision.choices)
        follow_ups = dict(FollowUp.choices)
        self.by_field = {}
        for kind, codes in found:
            if kind == meeting_advice.SUPPORTIVE_WITH_ACTIVE:
                message = (_("Best supportive care cannot be advised together with an active treatment "
                             "or watchful waiting (here: %(decisions)s). Choose one or the other.")
                           % {"decisions": ", ".join(str(decisions[code]) for code in codes)})
            elif kind == meeting_advice.ONE_OF_TWO:
                message = (_("Choose either “%(first)s” or “%(second)s”, not both: "
                             "they name the same operation twice.")
                           % {"first": decisions[codes[0]], "second": decisions[codes[1]]})
            elif kind == meeting_advice.NO_FOLLOW_UP_WITH_ACTIVE:
                message = (_("“%(follow_up)s” does not go with %(decisions)s: choose the follow-up "
                             "after that advice.")
                           % {"follow_up": follow_ups[FollowUp.NONE],
                              "decisions": ", ".join(str(decisions[code]) for code in codes)})
            elif kind == meeting_advice.SUPPORTIVE_WITH_FOLLOW_UP:
                message = (_("Best supportive care has no imaging follow-up: choose “%(none)s”.")
                           % {"none": follow_ups[FollowUp.NONE]})
            else:
                message = (_("“%(follow_up)s” needs a treatment among the decisions; none is chosen.")
                           % {"follow_up": follow_ups[FollowUp.PER_TREATMENT]})
            field = meeting_advice.FIELD[kind]
            self.by_field[field] = " ".join(filter(None, (self.by_field.get(field), str(message))))
        super().__init__(" ".join(self.by_field.values()))
        self.found = found


def _preconsult(actor, case, action, **fields):
    record = Preconsultation.objects.create(case=case, advice=case.current_advice, action=action,
                                            by=actor.user, **fields)
    return record


def _require(value, message):
    if not str(value or "").strip():
        raise ActionRefused(message)


# --- Pre-consultation -------------------------------------------------------------------------

def case_accept_advice(*, actor, case_id, reason=""):
    def apply(case, transition):
        record = _preconsult(actor, case, PreconsultAction.ACCEPT, outcome=case.current_advice.outcome,
                             reason=reason)
        case.outcome_in_force, case.advice_source = record.outcome, AdviceSource.ACCEPTED
        return Applied(record, {"outcome": record.outcome})

    return case_transition(actor=actor, case_id=case_id, action="accept_advice", apply=apply)[1].obj


def case_override_advice(*, actor, case_id, outcome, reason):
    if outcome not in OUTCOMES:
        raise ActionRefused(_("Choose an outcome."))
    _require(reason, _("Give the reason for overriding the advice."))

    def apply(case, transition):
        record = _preconsult(actor, case, PreconsultAction.OVERRIDE, outcome=outcome, reason=reason)
        case.outcome_in_force, case.advice_source = outcome, AdviceSource.OVERRIDDEN
        return Applied(record, {"from": case.current_advice.outcome, "to": outcome})

    return case_transition(actor=actor, case_id=case_id, action="override_advice", apply=apply)[1].obj


def case_request_info(*, actor, case_id, message, steps=()):
    """Send the case back to the referrer, who can edit and resubmit it (a new advice follows).

    `steps`: the intake steps the question concerns; they lose their tick in the intake until the
    referrer saves them again, and the question is shown at the top of every step."""
    _require(message, _("Write which information is needed."))
    steps = list(dict.fromkeys(steps))
    if any(key not in {step.key for step in FORM_STEPS} for key in steps):
        raise ActionRefused(_("Choose steps of the intake."))

    def apply(case, transition):
        record = _preconsult(actor, case, PreconsultAction.REQUEST_INFO, message=message)
        case.info_request = {"message": message, "by": str(actor.user), "at": timezone.now().isoformat(),
                             "steps": steps, "answer": "", "answered_at": None}
        case.completed_steps = [key for key in case.completed_steps if key not in steps]
        return Applied(record, {"steps": steps})

    return case_transition(actor=actor, case_id=case_id, action="request_info", apply=apply)[1].obj


def case_close(*, actor, case_id, reason, closed_forum):
    _require(reason, _("Give the reason for closing the case."))
    _require(closed_forum, _("Choose where the patient goes instead."))

    def apply(case, transition):
        record = _preconsult(actor, case, PreconsultAction.CLOSE, reason=reason, closed_forum=closed_forum,
                             outcome=case.current_advice.outcome)
        return Applied(record, {"forum": closed_forum})

    return case_transition(actor=actor, case_id=case_id, action="close", apply=apply)[1].obj


# --- Withdrawal by the referrer -----------------------------------------------------------------

def case_withdraw(*, actor, case_id, reason, expected_version=None):
    """The referrer takes the referral back, with a reason: the case leaves the pre-consultation
    queue and, if it is on an agenda, the agenda (also of a closed meeting: the advice was not
    recorded, so the case was not discussed). Here, not in referrals, because of the agenda.

    Possible until the meeting's advice (referrals.lifecycle). The neuro-oncologists are told
    (casefile.notifications)."""
    _require(reason, _("Give the reason for withdrawing the referral."))

    def apply(case, transition):
        data = {"from": case.status}
        if case.status == CaseStatus.SCHEDULED:
            item = (AgendaItem.objects.select_for_update(of=("self",), no_key=True)
                    .filter(case=case, removed_at__isnull=True, advice__isnull=True).first())
            if item is not None:
                item.removed_at = timezone.now()
                item.removed_reason = reason.strip()[:500]
                item._history_user = actor.user
                item.save()
                data["meeting"] = str(item.meeting_id)
        case.withdrawn_at = timezone.now()
        case.withdrawn_reason = reason.strip()
        return Applied(data=data)

    return case_transition(actor=actor, case_id=case_id, action="withdraw", apply=apply,
                           expected_version=expected_version)[0]


# --- Meetings -----------------------------------------------------------------------------------

# What the referrers of the cases on the agenda were told when their case was placed.
NOTIFIED_FIELDS = ("date", "start_time", "location", "video_link")
MEETING_FIELDS = ("date", "start_time", "location", "video_link", "capacity_cases",
                  "capacity_minutes", "minutes_per_case", "chair")


@transaction.atomic
def meeting_create(*, actor, centre, values):
    """One meeting of `centre` (an MDO centre; full_clean refuses any other hospital, and a
    chair who is not one of its chairs)."""
    meeting = Meeting(centre=centre, **{k: v for k, v in values.items() if k in MEETING_FIELDS})
    meeting._history_user = actor.user
    meeting.full_clean()
    meeting.save()
    event_record(actor=actor, action="meeting.created", obj=meeting, access_action=None,
                 data={"date": meeting.date.isoformat(), "centre": meeting.centre_id})
    return meeting


@transaction.atomic
def meeting_series_create(*, actor, centre, values, weeks):
    """A weekly series: the same meeting on `weeks` consecutive weeks from values["date"]."""
    if not 1 <= weeks <= 52:
        raise ActionRefused(_("A series has 1 to 52 meetings."))
    first = values["date"]
    return [
        meeting_create(actor=actor, centre=centre,
                       values={**values, "date": first + datetime.timedelta(weeks=week)})
        for week in range(weeks)
    ]


@transaction.atomic
def meeting_update(*, actor, meeting_id, values, expected_version):
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
    if meeting.version != expected_version:
        raise ActionRefused(_("The meeting was changed by someone else meanwhile; reload and try again."))
    _refuse_if_closed(meeting)
    before = {name: getattr(meeting, name) for name in NOTIFIED_FIELDS}
    for name, value in values.items():
        if name in MEETING_FIELDS:
            setattr(meeting, name, value)
    meeting.full_clean()
    if meeting.date != before["date"] and meeting.date < timezone.localdate():
        raise ActionRefused(_("A meeting cannot be moved into the past."))
    if meeting.capacity_in_cases < _active_items(meeting).count():
        raise ActionRefused(_("The new capacity is smaller than the number of cases already on the agenda."))
    meeting.version += 1
    meeting._history_user = actor.user
    meeting.save()
    event_record(actor=actor, action="meeting.changed", obj=meeting, access_action=None)
    if any(getattr(meeting, name) != value for name, value in before.items()):
        # The treating physician must be there for their patient: tell them where and when now.
        waiting = list(_active_items(meeting).filter(advice__isnull=True)
                       .select_related("case__referring_physician", "case__referring_hospital", "meeting"))
        dispatch.publish("meeting.changed", items=waiting)
    return meeting


@transaction.atomic
def meeting_set_status(*, actor, meeting_id, status):
    """Planned and held may go back and forth (a slip of the hand); closed is final, because the
    minutes of a closed meeting are the record of its advice. A meeting is held, or closed, from
    its date on, and only closed when no case on its agenda still waits for its advice."""
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
    if status not in MeetingStatus.values or status == MeetingStatus.CANCELLED:
        # Cancelling moves or releases the cases first: meeting_cancel, not a status change.
        raise ActionRefused(_("Unknown status."))
    if status == meeting.status:
        return meeting
    if meeting.status == MeetingStatus.CLOSED:
        raise ActionRefused(_("This meeting is closed: its minutes are final. A correction is discussed "
                              "and recorded in a later meeting."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ActionRefused(_("This meeting was cancelled."))
    if status != MeetingStatus.PLANNED and not meeting.has_started:
        raise ActionRefused(_("This meeting has not started yet: it can be marked held or closed from "
                              "%(date)s %(time)s on.") % {"date": _date(meeting.date),
                                                         "time": f"{meeting.start_time:%H:%M}"})
    if status == MeetingStatus.CLOSED:
        waiting = _active_items(meeting).filter(advice__isnull=True).count()
        if waiting:
            raise ActionRefused(_("%(n)s case(s) on the agenda have no advice yet. Record their advice, "
                                  "or move them to another meeting or take them off the agenda, before "
                                  "closing the meeting.") % {"n": waiting})
    meeting.status = status
    meeting.version += 1
    meeting._history_user = actor.user
    meeting.save()
    event_record(actor=actor, action=f"meeting.{status}", obj=meeting, access_action=None)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor, meeting_id, reason, move_to=None):
    """Cancel a planned meeting in one step: every case on its agenda is moved to `move_to` (a
    planned meeting of the same centre, with room) or, without one, taken off the agenda with the
    reason, and its referrer is told (the mails of a move or a removal). All or nothing."""
    _require(reason, _("Give the reason for cancelling the meeting."))
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise ActionRefused(_("Only a planned meeting can be cancelled."))
    items = list(_active_items(meeting).order_by("position", "added_at"))
    if _active_items(meeting).filter(advice__isnull=False).exists():
        raise ActionRefused(_("Advice has been recorded in this meeting: it took place and cannot be cancelled."))
    if move_to is not None and move_to.pk == meeting.pk:
        raise ActionRefused(_("Choose another meeting to move the cases to."))
    for item in items:
        if move_to is not None:
            agenda_move(actor=actor, item_id=item.pk, meeting_id=move_to.pk)
        else:
            agenda_remove(actor=actor, item_id=item.pk,
                          reason=_("The meeting of %(date)s was cancelled: %(reason)s")
                          % {"date": _date(meeting.date), "reason": reason})
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.version += 1
    meeting._history_user = actor.user
    meeting.save()
    event_record(actor=actor, action="meeting.cancelled", obj=meeting, access_action=None,
                 data={"reason": reason, "cases": len(items),
                       "moved_to": str(move_to.pk) if move_to is not None else None})
    # The referrers had the meeting in their calendar (the "scheduled" mail): they get its cancellation.
    dispatch.publish("meeting.cancelled", meeting=meeting, cases=[item.case for item in items])
    return meeting


def _date(value):
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _refuse_if_closed(meeting):
    if meeting.status == MeetingStatus.CLOSED:
        raise ActionRefused(_("This meeting is closed."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ActionRefused(_("This meeting was cancelled."))


def _refuse_before_the_meeting(meeting, message):
    """What happens in a meeting (attendance, presence, advice) is recorded from its date on: it
    keeps an advice from landing on next week's meeting of a weekly series by mistake."""
    if meeting.date > timezone.localdate():
        raise ActionRefused(message % {"date": _date(meeting.date)})


def _active_items(meeting):
    return AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True)


def meetings_open_for(case, meetings):
    """Of `meetings`, those the case can still be placed on: not one in which it was already
    discussed (after an advice "discuss again" it goes to a later meeting)."""
    return meetings.exclude(items__case=case, items__removed_at__isnull=True)


def planned_meetings_with_counts(centre_id, *, today=None, case=None, limit=52):
    """The planned meetings from today on (not those `case` is on already), each annotated with
    `active_items`, the number of cases on its agenda: one query, however many are full."""
    today = today or timezone.localdate()
    meetings = Meeting.objects.filter(centre_id=centre_id, status=MeetingStatus.PLANNED, date__gte=today)
    if case is not None:
        meetings = meetings_open_for(case, meetings)
    return list(meetings.annotate(active_items=Count("items", filter=Q(items__removed_at__isnull=True)))
                .order_by("date", "start_time")[:limit])


def next_meeting_with_room(centre, *, today=None, case=None, meetings=None):
    """The first planned meeting from today on that still has room (and that `case` is not on
    already), or None. `meetings`: the list of planned_meetings_with_counts, if already read."""
    if meetings is None:
        meetings = planned_meetings_with_counts(centre.pk, today=today, case=case)
    return next((m for m in meetings if m.active_items < m.capacity_in_cases), None)


def _lock_meeting_for_agenda(meeting_id, centre_id):
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id, centre_id=centre_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise ActionRefused(_("Cases can only be placed on a planned meeting."))
    if meeting.date < timezone.localdate():
        raise ActionRefused(_("This meeting lies in the past."))
    if _active_items(meeting).count() >= meeting.capacity_in_cases:
        raise MeetingFull(meeting)
    return meeting


def case_schedule(*, actor, case_id, meeting_id):
    """Place a case on a meeting's agenda: only when complete, never beyond capacity."""

    def apply(case, transition):
        if not case.meeting_ready:
            raise NotReadyForMeeting(case.meeting_gaps)
        # The meeting row lock serialises concurrent placements, so the count below is exact.
        meeting = _lock_meeting_for_agenda(meeting_id, case.mdo_centre_id)
        if AgendaItem.objects.filter(meeting=meeting, case=case, removed_at__isnull=True).exists():
            raise ActionRefused(_("This case has been discussed in this meeting already; choose a later meeting."))
        position = (_active_items(meeting).aggregate(m=Max("position"))["m"] or 0) + 1
        item = AgendaItem(meeting=meeting, case=case, position=position, added_by=actor.user)
        item._history_user = actor.user
        item.save()
        if case.status == CaseStatus.SUBMITTED:
            # Placed straight from the queue: that is accepting the advice.
            _preconsult(actor, case, PreconsultAction.ACCEPT, outcome=case.current_advice.outcome,
                        reason=_("Scheduled directly."))
        return Applied(item, {"meeting": str(meeting.pk), "date": meeting.date.isoformat()})

    return case_transition(actor=actor, case_id=case_id, action="schedule", apply=apply)[1].obj


def _lock_item(item_id):
    item = (AgendaItem.objects.select_for_update(of=("self",), no_key=True).select_related("meeting", "case")
            .get(pk=item_id, removed_at__isnull=True))
    return item


@transaction.atomic
def agenda_move(*, actor, item_id, meeting_id):
    item = _lock_item(item_id)
    if hasattr(item, "advice"):
        raise ActionRefused(_("The advice of this case has been recorded; it cannot be moved."))
    old_meeting = item.meeting
    _refuse_if_closed(old_meeting)
    if old_meeting.pk == meeting_id:
        return item
    target = _lock_meeting_for_agenda(meeting_id, item.case.mdo_centre_id)
    if AgendaItem.objects.filter(meeting=target, case_id=item.case_id, removed_at__isnull=True).exists():
        raise ActionRefused(_("This case has been discussed in this meeting already; choose a later meeting."))
    item.meeting = target
    item.position = (_active_items(target).aggregate(m=Max("position"))["m"] or 0) + 1
    item._history_user = actor.user
    item.save()
    event_record(actor=actor, action="case.moved", case=item.case, obj=item,
                 data={"from": str(old_meeting.pk), "to": str(target.pk), "date": target.date.isoformat()})
    dispatch.publish("case.moved", case=item.case, obj=item)
    return item


@transaction.atomic
def agenda_remove(*, actor, item_id, reason):
    _require(reason, _("Give the reason for taking the case off the agenda."))
    item = _lock_item(item_id)
    if hasattr(item, "advice"):
        raise ActionRefused(_("The advice of this case has been recorded; it cannot be removed."))
    _refuse_if_closed(item.meeting)

    def apply(case, transition):
        item.removed_at = timezone.now()
        item.removed_reason = reason
        item._history_user = actor.user
        item.save()
        return Applied(item, {"reason": reason})

    case_transition(actor=actor, case_id=item.case_id, action="unschedule", apply=apply)
    return item


@transaction.atomic
def agenda_reorder(*, actor, item_id, direction):
    item = _lock_item(item_id)
    _refuse_if_closed(Meeting.objects.select_for_update(no_key=True).get(pk=item.meeting_id))
    items = list(_active_items(item.meeting).order_by("position", "added_at"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    swap = index - 1 if direction == "up" else index + 1
    if 0 <= swap < len(items):
        items[index], items[swap] = items[swap], items[index]
        for position, other in enumerate(items, start=1):
            if other.position != position:
                other.position = position
                other._history_user = actor.user
                other.save(update_fields=["position"])
        # The order is no recorded action (no event): tell the printed agenda directly.
        pdfs.documents_changed([item.meeting_id])
    return item


# --- Attendance and the meeting's advice ------------------------------------------------------

@transaction.atomic
def attendance_add(*, actor, meeting_id, discipline, mode, user=None, name=""):
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting_id)
    _refuse_if_closed(meeting)
    _refuse_before_the_meeting(meeting, _("Attendance is registered in the meeting itself, from %(date)s on."))
    if user is None:
        _require(name, _("Choose a participant or type a name."))
    if user is not None and Attendance.objects.filter(meeting=meeting, user=user).exists():
        raise ActionRefused(_("This participant is already registered."))
    if user is None and Attendance.objects.filter(meeting=meeting, user__isnull=True,
                                                  name__iexact=name.strip()).exists():
        # One person counts for one discipline of the quorum.
        raise ActionRefused(_("This participant is already registered."))
    if user is not None and user.discipline and user.discipline != discipline:
        # The legal quorum counts disciplines: a colleague with an account counts for their own.
        raise ActionRefused(_("%(name)s is registered as %(discipline)s.") % {
            "name": user, "discipline": user.get_discipline_display()})
    attendance = Attendance(meeting=meeting, user=user, name=name.strip(), discipline=discipline,
                            mode=mode, recorded_by=actor.user)
    attendance._history_user = actor.user
    attendance.full_clean()
    attendance.save()
    event_record(actor=actor, action="meeting.attendance_added", obj=meeting, access_action=None,
                 data={"discipline": discipline, "mode": mode})
    return attendance


@transaction.atomic
def attendance_remove(*, actor, attendance_id):
    attendance = Attendance.objects.select_related("meeting").get(pk=attendance_id)
    _refuse_if_closed(Meeting.objects.select_for_update(no_key=True).get(pk=attendance.meeting_id))
    if MeetingAdvice.objects.filter(item__meeting_id=attendance.meeting_id).exists():
        raise ActionRefused(_("Advice has been recorded in this meeting; its attendance is fixed."))
    attendance._history_user = actor.user
    attendance.delete()
    event_record(actor=actor, action="meeting.attendance_removed", obj=attendance.meeting,
                 access_action=None, data={"discipline": attendance.discipline})


def present_disciplines(meeting):
    return sorted(set(Attendance.objects.filter(meeting=meeting).values_list("discipline", flat=True)))


@transaction.atomic
def item_set_presence(*, actor, item_id, present, representative_name=""):
    item = _lock_item(item_id)
    _refuse_if_closed(item.meeting)
    _refuse_before_the_meeting(item.meeting, _("Presence is recorded in the meeting itself, from %(date)s on."))
    _record_presence(actor, item, present, representative_name)
    return item


PRESENCE_CHOICES = ("yes", "representative", "no")


def _record_presence(actor, item, present, representative_name):
    """Store the treating physician's presence on a locked item, with its event (no-op if unchanged)."""
    if present not in PRESENCE_CHOICES:
        raise PresenceRefused(_("Choose whether the treating physician was present."))
    if present == "representative":
        _require(representative_name, _("Give the name of the representative."))
    name = representative_name.strip() if present == "representative" else ""
    if (item.treating_physician_present, item.representative_name) == (present, name):
        return
    item.treating_physician_present, item.representative_name = present, name
    item._history_user = actor.user
    item.save()
    event_record(actor=actor, action="case.presence_recorded", case=item.case, obj=item,
                 data={"present": present})


ADVICE_FIELDS = ("decisions", "text", "follow_up", "follow_up_text", "carried_out_by", "first_contact")


@transaction.atomic
def meeting_advice_record(*, actor, item_id, values):
    """Record (or correct) the meeting's advice for one case, under the legal quorum rule.

    An advice "discuss again" sends the case back to be placed on a later meeting (status
    accepted); this item stays on its meeting's agenda and minutes with the advice."""
    item = _lock_item(item_id)
    # Lock the meeting: attendance cannot change between the quorum check and the record.
    meeting = Meeting.objects.select_for_update(no_key=True).get(pk=item.meeting_id)
    _refuse_if_closed(meeting)
    _refuse_before_the_meeting(meeting, _("This meeting has not taken place yet: its advice can be recorded "
                                          "from %(date)s on."))
    if not values.get("decisions"):
        raise ActionRefused(_("Choose at least one advice."))
    unknown = [code for code in values["decisions"] if code not in Decision.values]
    if unknown:
        raise ActionRefused(_("Unknown advice: %(codes)s.") % {"codes": ", ".join(map(str, unknown))})
    found = meeting_advice.conflicts(values["decisions"], values.get("follow_up"))
    if found:
        raise ConflictingDecisions(found)
    present = present_disciplines(meeting)
    missing = missing_disciplines(present)
    if needs_quorum(values["decisions"]) and missing:
        raise QuorumNotMet(missing)
    if "present" in values:
        # Recorded with the advice, in this transaction: refused advice, unchanged presence.
        _record_presence(actor, item, values["present"], values.get("representative_name", ""))
    if not item.treating_physician_present:
        raise PresenceRefused(_("Record first that the treating physician or a representative who knows "
                                "the history was present for this patient (guideline section 2)."))
    if item.treating_physician_present == "no":
        raise PresenceRefused(_("The treating physician was not present, nor a representative who knows the "
                                "history: the guideline asks for one of them when the patient is discussed "
                                "(section 2). Record who was present, or move the case to another meeting."))
    advice = getattr(item, "advice", None) or MeetingAdvice(item=item)
    action = "correct_advice" if advice.pk is not None else "record_advice"
    if Decision.DISCUSS_AGAIN in values["decisions"]:
        action += "_discuss_again"

    def apply(case, transition):
        if (AgendaItem.objects.filter(case=case, removed_at__isnull=True, added_at__gt=item.added_at)
                .exclude(pk=item.pk).exists()):
            raise ActionRefused(_("This case has since been placed on a later meeting; its advice is recorded "
                                  "there."))
        for name in ADVICE_FIELDS:
            setattr(advice, name, values.get(name, getattr(advice, name)))
        advice.present_disciplines = present
        advice.recorded_by = actor.user
        advice._history_user = actor.user
        advice.full_clean()
        advice.save()
        if item.discussed_at is None:
            item.discussed_at = timezone.now()
            item._history_user = actor.user
            item.save(update_fields=["discussed_at"])
        case.meeting_decisions, case.advice_source = list(advice.decisions), AdviceSource.MEETING
        version = _report_version(actor, item, advice, case)
        return Applied(advice, {"decisions": list(advice.decisions), "report_version": version.version})

    case_transition(actor=actor, case_id=item.case_id, action=action, apply=apply)
    return advice


def _report_version(actor, item, advice, case):
    """The next version of the MDO report of `advice`, frozen from what was recorded now."""
    latest = advice.reports.aggregate(m=Max("version"))["m"] or 0
    return AdviceReport.objects.create(advice=advice, version=latest + 1, created_by=actor.user,
                                       content=report.snapshot(item=item, advice=advice, case=case))


@transaction.atomic
def advice_report_backfill(*, actor, advice_id):
    """Version 1 of the report of an advice recorded before reports were made (migration
    meetings 0005), from the data as they are now: the report says it was made afterwards.
    None when the advice has a report already."""
    advice = (MeetingAdvice.objects.select_for_update(of=("self",), no_key=True)
              .select_related("item__meeting", "item__case", "recorded_by").get(pk=advice_id))
    if advice.reports.exists():
        return None
    content = report.snapshot(item=advice.item, advice=advice, case=advice.item.case)
    content["made_afterwards"] = {"at": timezone.now().isoformat(), "advice_at": advice.recorded_at.isoformat()}
    record = AdviceReport.objects.create(advice=advice, version=1, created_by=advice.recorded_by, content=content)
    event_record(actor=actor, action="case.report_made_afterwards", case=advice.item.case, obj=record,
                 data={"version": 1}, access_action=AccessAction.CREATE)
    return record


@transaction.atomic
def patient_letter_request(*, actor, report_id):
    """The referrer asks for the letter for the patient of the current version of the report. Asked
    again, nothing changes (a double click, a second referrer)."""
    record = (AdviceReport.objects.select_for_update(of=("self",), no_key=True)
              .select_related("advice__item__case").get(pk=report_id))
    if record.advice.reports.filter(version__gt=record.version).exists():
        raise ActionRefused(_("This version of the report has been corrected since; ask for the letter of the "
                              "latest version."))
    if record.letter_requested_at is not None:
        return record
    record.letter_requested_at = timezone.now()
    record.letter_requested_by = actor.user
    record.save(update_fields=["letter_requested_at", "letter_requested_by"])
    event_record(actor=actor, action="case.patient_letter_requested", case=record.advice.item.case, obj=record,
                 data={"version": record.version}, access_action=AccessAction.CREATE)
    return record
