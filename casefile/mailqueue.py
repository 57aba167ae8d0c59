"""The queue of notification mail: written with the action, sent by a worker, counted when accepted.

Why a queue. A mail sent after the commit is lost when the mail server is down (the action has
succeeded, the mail is gone). So the mail is a row in the database, written in the transaction of
the action it is about (casefile.notifications runs inside that transaction): a rolled-back action
leaves no mail, a committed one always has its mail waiting.

Why django-mailer. Its queue (`mailer.Message`, a serialised EmailMessage) works on SQLite and
PostgreSQL, and its sender (`mailer.engine.send_all`) takes each row in a transaction of its own with
`SELECT ... FOR UPDATE NOWAIT`: a worker skips a row another worker holds and deletes the row in the
same transaction that sends it, so several workers on several machines can share one PostgreSQL
queue without sending a mail twice (SQLite has no row locks: run one worker there). Two of its hooks
are used, so nothing of the library is patched:

- MAILER_EMAIL_BACKEND = `RecordingBackend`: hands the message to the real EMAIL_BACKEND (SMTP in
  production) and records `mail.sent` only when that backend accepted it, in the transaction that
  deletes the row. django-post-office was the other candidate; its sender locks a file (one machine)
  and has no hook between "accepted" and "marked sent".
- MAILER_ERROR_HANDLER = `handle_failure`: any failure (refused connection, SMTP error) defers the row,
  counts the attempt and logs the error; `release_due` puts it back in the queue after a backoff that
  doubles per attempt (MAIL_QUEUE_BACKOFF_SECONDS, at most MAIL_QUEUE_BACKOFF_MAX_SECONDS). After
  MAIL_QUEUE_MAX_ATTEMPTS it stays as failed until an administrator retries it (/beheer/).

What a row carries besides the mail: its kind, the case's id and neutral reference, in headers of the
stored message that `RecordingBackend` removes before sending (the recipient never sees them). The
mails themselves name no patient (casefile.notifications), so the admin list shows no body anyway.

Delivery is at least once: if the database fails after the server accepted a mail and before the
row's deletion commits, that mail is sent again by the next run.
"""

import contextvars
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone
from mailer import engine
from mailer.models import (
    PRIORITY_DEFERRED,
    PRIORITY_MEDIUM,
    RESULT_FAILURE,
    Message,
    MessageLog,
    get_message_id,
)

from audit.actor import Actor
from audit.services import event_record
from referrals.models import Case

logger = logging.getLogger(__name__)

KIND = "X-MDO-Kind"
CASE = "X-MDO-Case"
REFERENCE = "X-MDO-Reference"
_PRIVATE = (KIND, CASE, REFERENCE)
# What this run of the worker sent (per thread: several workers may share a process in the tests).
_accepted = contextvars.ContextVar("accepted", default=None)


def enqueue(kind, case, messages):
    """Queue (subject, body, from, [to]) messages about `case`, in the caller's transaction; a fifth
    element, when there, lists attachments as (file name, content, MIME type) (a calendar event)."""
    rows = []
    for subject, body, from_email, to, *rest in messages:
        email = EmailMessage(subject, body, from_email, to, headers={
            "Message-ID": make_msgid(domain=DNS_NAME),
            KIND: kind, CASE: str(case.pk), REFERENCE: case.reference,
        })
        for filename, content, mimetype in (rest[0] if rest else ()):
            email.attach(filename, content, mimetype)
        rows.append(Message(email=email, priority=PRIORITY_MEDIUM))
    Message.objects.bulk_create(rows)
    return len(rows)


def send_due(now=None):
    """One run of the worker: put the retries that are due back in the queue, send the queue.
    Returns (sent, left in the queue)."""
    release_due(now)
    accepted = []
    token = _accepted.set(accepted)
    try:
        engine.send_all()
    finally:
        _accepted.reset(token)
    return len(accepted), Message.objects.count()


def backoff(attempts):
    """The wait after the `attempts`-th failed attempt: doubling, with a ceiling."""
    seconds = settings.MAIL_QUEUE_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.MAIL_QUEUE_BACKOFF_MAX_SECONDS))


def release_due(now=None):
    """Deferred rows whose backoff has passed go back in the queue; failed rows stay."""
    now = now or timezone.now()
    released = 0
    for message in Message.objects.deferred().filter(retry_count__lt=settings.MAIL_QUEUE_MAX_ATTEMPTS):
        last = last_failure(message)
        if last is None or last.when_attempted + backoff(message.retry_count) <= now:
            released += Message.objects.filter(pk=message.pk, priority=PRIORITY_DEFERRED).update(
                priority=PRIORITY_MEDIUM)
    return released


def retry(queryset):
    """An administrator's retry: the rows go back in the queue now, with a fresh count of attempts."""
    return queryset.update(priority=PRIORITY_MEDIUM, retry_count=0)


def last_failure(message):
    email = message.email
    message_id = get_message_id(email) if email is not None else None
    if message_id is None:
        return None
    return (MessageLog.objects.filter(message_id=message_id, result=RESULT_FAILURE)
            .order_by("-when_attempted", "-pk").first())


def state(message):
    """'pending', 'waiting' (for its next attempt) or 'failed' (no attempts left)."""
    if message.priority != PRIORITY_DEFERRED:
        return "pending"
    return "failed" if message.retry_count >= settings.MAIL_QUEUE_MAX_ATTEMPTS else "waiting"


def describe(message):
    """What an administrator needs of a row: kind, case reference and the recipients."""
    email = message.email
    if email is None:
        return {"kind": "", "reference": "", "to": []}
    headers = email.extra_headers
    return {"kind": headers.get(KIND, ""), "reference": headers.get(REFERENCE, ""), "to": list(email.to)}


class RecordingBackend(BaseEmailBackend):
    """The backend django-mailer's sender uses: strips the queue's own headers, sends through
    EMAIL_BACKEND (raising on failure) and records `mail.sent` for each message it accepted."""

    def send_messages(self, email_messages):
        sent = 0
        for email in email_messages:
            meta = {name: email.extra_headers.pop(name, "") for name in _PRIVATE}
            if get_connection(fail_silently=False).send_messages([email]):
                sent += 1
                _record(meta[KIND], meta[CASE])
                if (accepted := _accepted.get()) is not None:
                    accepted.append(meta[CASE])
        return sent


def _record(kind, case_id):
    # The application sends the mail, not the person whose action caused it: the event has no
    # user. A savepoint, so that a failure here cannot undo the deletion of the sent row.
    try:
        with transaction.atomic():
            event_record(actor=Actor(user=None), action="mail.sent", case=Case.objects.get(pk=case_id),
                         access_action=None, data={"kind": kind, "recipients": 1})
    except Exception as exc:
        logger.warning("%s mail for case %s sent but not recorded: %s", kind, case_id, type(exc).__name__)


def handle_failure(connection, message, exc):
    """django-mailer's error handler: defer the row, count the attempt, log the error (no patient data:
    network and server errors explain themselves, any other exception is named only)."""
    detail = f"{type(exc).__name__}: {exc}" if isinstance(exc, (OSError, smtplib.SMTPException)) \
        else type(exc).__name__
    message.retry_count += 1
    message.priority = PRIORITY_DEFERRED
    message.save(update_fields=["retry_count", "priority"])
    MessageLog.objects.log(message, RESULT_FAILURE, log_message=detail)
    meta = describe(message)
    email = message.email
    case_id = email.extra_headers.get(CASE, "") if email is not None else ""
    logger.warning("%s mail for case %s not sent (attempt %s): %s", meta["kind"], case_id,
                   message.retry_count, detail)
    return None, "deferred"  # a new connection for the next message
