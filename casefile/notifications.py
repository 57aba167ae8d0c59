"""E-mail to the people a workflow step concerns, queued in the transaction of the step.

The services below (referrals, meetings) publish the action they recorded (mdo.dispatch);
`subscribe_all` (called once at start-up, casefile.apps) says which action queues which mail.
The handlers run inside the action's transaction (`dispatch.subscribe_in_transaction`), not after
its commit: each renders its messages and writes them to the mail queue (casefile.mailqueue) with
the action, so a committed action always has its mail waiting and a rolled-back one has none. The
worker (`manage.py send_mail_queue`) sends them, with retries, and records each accepted message
as a `mail.sent` event. Rendering in the transaction also fixes the content to the state the
action left (a later change does not alter a mail still waiting).

Contract (the service functions rely on it): each function takes the saved record, queues its
mail(s) in the recipient's language (User.language), and puts no clinical content in the mail
beyond what the recipient needs to act: a link to the case. A broken template or context must not
undo a clinical action: that error is logged without patient data (in a savepoint, so that the
action's transaction stays usable) and the function returns 0. A database error is not caught:
the queue row is part of the action, so the action fails with it (and the user sees the error
page) rather than succeed with its mail silently lost.

E-mail is not a secure channel, so a mail names no patient (no name, BSN, date of birth or
patient number) and carries no clinical content: the case is identified by its link and a
neutral reference (`case_reference`), the referring hospital and the date of submission.
Each recipient gets a message of their own, so addresses are not shown to each other and each
message is in its reader's language. Every message the mail server accepted is recorded as a
`mail.sent` event (by casefile.mailqueue, when it is accepted; not when it is queued).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Role, User
from casefile import mailqueue
from interop.ics import ics_file_name, meeting_ics
from mdo import dispatch
from meetings.models import ClosedForum
from triage.models import AdviceTrigger

logger = logging.getLogger(__name__)


def case_reference(case):
    return case.reference


def subscribe_all():
    """Which recorded action sends which mail (payload: the case and the record the action made)."""
    on_case = {
        "case.submitted": lambda case, obj: case_submitted(case),
        "case.resubmitted": lambda case, obj: case_submitted(case),
        # Back from a re-evaluation (followup): the neuro-oncologists review it again.
        "case.reentered": lambda case, obj: case_submitted(case),
        "case.info_requested": lambda case, obj: info_requested(obj),
        "case.closed": lambda case, obj: case_closed(obj),
        "case.scheduled": lambda case, obj: case_scheduled(obj),
        "case.moved": lambda case, obj: case_scheduled(obj),
        "case.unscheduled": lambda case, obj: case_unscheduled(obj),
        "case.advice_recorded": lambda case, obj: advice_recorded(obj),
        "case.advice_corrected": lambda case, obj: advice_recorded(obj),
        "case.withdrawn": lambda case, obj: case_withdrawn(case),
    }
    for action, handler in on_case.items():
        dispatch.subscribe_in_transaction(action, handler)
    # The referrer is told the referral arrived (a second reaction to the same actions).
    for action in ("case.submitted", "case.resubmitted"):
        dispatch.subscribe_in_transaction(action, _confirm_submission)
    # The treating physician must be there for their patient: tell them the new where and when.
    dispatch.subscribe_in_transaction("meeting.changed",
                                      lambda items: [case_scheduled(item, changed=True) for item in items])
    # Whoever got the meeting in their calendar with the "scheduled" mail gets its cancellation.
    dispatch.subscribe_in_transaction("meeting.cancelled",
                                      lambda meeting, cases: [meeting_cancelled(meeting, case) for case in cases])


def _confirm_submission(case, obj):
    return submission_received(case)


def case_submitted(case):
    """To the neuro-oncologists of the case's MDO centre: a case awaits pre-consultation."""
    try:
        neuro_oncologists = User.objects.filter(
            role=Role.NEURO_ONCOLOGIST, hospital_id=case.mdo_centre_id
        ).order_by("pk")
        # current_advice is the advice case_submit just stored: its trigger tells a resubmission.
        trigger = getattr(case.current_advice, "trigger", "")
        return _send("case_submitted", case, neuro_oncologists, resubmitted=trigger == AdviceTrigger.RESUBMITTED,
                     reentered=trigger == AdviceTrigger.REEVALUATED)
    except Exception as exc:
        return _failed("case_submitted", case.pk, exc)


def submission_received(case):
    """To the referring physician: the referral (or the additions asked for) was received."""
    try:
        resubmitted = getattr(case.current_advice, "trigger", "") == AdviceTrigger.RESUBMITTED
        return _send("submission_received", case, [case.referring_physician], resubmitted=resubmitted,
                     centre=case.mdo_centre.name if case.mdo_centre_id else "")
    except Exception as exc:
        return _failed("submission_received", case.pk, exc)


def case_withdrawn(case):
    """To the neuro-oncologists of the case's MDO centre: the referrer withdrew the case."""
    try:
        neuro_oncologists = User.objects.filter(
            role=Role.NEURO_ONCOLOGIST, hospital_id=case.mdo_centre_id
        ).order_by("pk")
        # The reason may hold clinical content: the mail only says where to read it.
        return _send("case_withdrawn", case, neuro_oncologists)
    except Exception as exc:
        return _failed("case_withdrawn", case.pk, exc)


def info_requested(preconsultation):
    """To the referring physician: the neuro-oncologist asks for information (the message)."""
    try:
        case = preconsultation.case
        # The message itself may hold clinical content: the mail only says where to read it.
        return _send("info_requested", case, [case.referring_physician],
                     requested_by=str(preconsultation.by))
    except Exception as exc:
        return _failed("info_requested", preconsultation.case_id, exc)


def case_scheduled(item, *, changed=False):
    """To the referring physician: the case is on a meeting (date, time, location, video link);
    `changed` when the meeting's date, time, place or link changed after the case was placed."""
    try:
        case = item.case
        return _send("case_scheduled", case, [case.referring_physician], meeting=item.meeting, changed=changed,
                     attach=lambda: [_calendar_file(item.meeting)])
    except Exception as exc:
        return _failed("case_scheduled", item.case_id, exc)


def meeting_cancelled(meeting, case):
    """To the referring physician of a case that was on a meeting now cancelled: the calendar event
    again (same UID, higher SEQUENCE) as a cancellation. What became of the case itself (moved, or
    taken off the agenda) has a mail of its own."""
    try:
        return _send("meeting_cancelled", case, [case.referring_physician], meeting=meeting,
                     attach=lambda: [_calendar_file(meeting, cancelled=True)])
    except Exception as exc:
        return _failed("meeting_cancelled", case.pk, exc)


def _calendar_file(meeting, **kwargs):
    """The meeting as an .ics attachment (no patient data: interop.ics), in the current language."""
    return ics_file_name(meeting), meeting_ics(meeting, **kwargs).decode(), "text/calendar; charset=utf-8"


def advice_recorded(advice):
    """To the referring physician: the meeting's advice is recorded."""
    try:
        case = advice.item.case
        # The first save of an advice makes one history record; a correction adds another.
        corrected = advice.history.count() > 1
        return _send("advice_recorded", case, [case.referring_physician],
                     meeting=advice.item.meeting, corrected=corrected)
    except Exception as exc:
        return _failed("advice_recorded", advice.item.case_id, exc)


def case_closed(preconsultation):
    """To the referring physician: the case will not be discussed in the neuro-oncology MDO."""
    try:
        case = preconsultation.case
        # The lazy label, so that it is translated in the recipient's language when rendered.
        forum = dict(ClosedForum.choices).get(preconsultation.closed_forum, preconsultation.closed_forum)
        return _send("case_closed", case, [case.referring_physician], closed_by=str(preconsultation.by),
                     forum=forum)
    except Exception as exc:
        return _failed("case_closed", preconsultation.case_id, exc)


def case_unscheduled(item):
    """To the referring physician: the case was taken off a meeting's agenda."""
    try:
        case = item.case
        return _send("case_unscheduled", case, [case.referring_physician], meeting=item.meeting)
    except Exception as exc:
        return _failed("case_unscheduled", item.case_id, exc)


def reminder(kind, case, users, **context):
    """A daily reminder (casefile.reminders) to `users` about `case`: the reference and the link."""
    try:
        return _send(kind, case, list(users), **context)
    except Exception as exc:
        return _failed(kind, case.pk, exc)


def _send(kind, case, users, attach=None, **context):
    """Render one message per reachable user and queue them. Returns the count queued. `attach`:
    a function that returns the attachments, called in each recipient's language."""
    # A savepoint: a failure to render loses this mail (logged by the caller), not the action.
    with transaction.atomic():
        recipients = [user for user in users if user.is_active and user.email]
        if not recipients:
            logger.info("%s mail for case %s: no active recipient with an e-mail address", kind, case.pk)
            return 0
        context = {
            **context,
            "reference": case_reference(case),
            "hospital": case.referring_hospital.name,
            "submitted_at": case.submitted_at,
            "link": settings.SITE_URL + reverse("casefile:case_detail", args=[case.pk]),
        }
        messages = [_render(kind, user, context, attach) for user in recipients]
        return mailqueue.enqueue(kind, case, messages)


def _render(kind, user, context, attach=None):
    """(subject, body, from, [to], [attachments]) in the user's language."""
    context = {**context, "recipient_name": user.get_full_name() or user.username}
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{kind}_subject.txt", context)
        body = render_to_string(f"emails/{kind}.txt", context)
        attachments = attach() if attach else []
    # A header cannot hold a line break; templates end with a newline.
    subject = " ".join(subject.split())
    return subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], attachments


def _failed(kind, case_id, exc):
    if isinstance(exc, DatabaseError):
        raise exc
    # Named only: the message of an exception raised while rendering might quote a record.
    logger.error("%s mail for case %s not queued: %s", kind, case_id, type(exc).__name__)
    return 0
