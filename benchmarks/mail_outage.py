"""The load test's mail server is down during the run, then comes back (issue 16 item 2).

Used by load_test.py --mail-outage, in the load test's own process: while the simulated referrers
submit, a worker thread runs the mail queue (casefile.mailqueue.send_due, as `manage.py
send_mail_queue` does) against an SMTP port where nothing listens, so every attempt fails and is
deferred. After the run the queue must hold every mail the submits caused: per submitted case one
confirmation to the referrer and one per active neuro-oncologist of the case's MDO centre with an
e-mail address. Then a real SMTP server (aiosmtpd) starts on that port, the worker drains the
queue (the backoff waived, as if its time had come), and every queued mail must arrive exactly
once, each with its `mail.sent` event.
"""

import socket
import threading
import time
from collections import Counter
from datetime import timedelta

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from mailer.models import Message

from accounts.models import Role, User
from audit.models import Event
from casefile import mailqueue
from referrals.models import Case, CaseStatus

WORKER_PAUSE = 2.0  # seconds between runs of the worker during the outage
DRAIN_TIMEOUT = 300


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps the Message-ID of every mail it accepts."""

    def __init__(self):
        self.message_ids = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("message-id:"):
                with self.lock:
                    self.message_ids.append(line.split(":", 1)[1].strip())
                break
        return "250 OK"


class MailOutage:
    def __init__(self):
        self.port = free_port()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", self.port, 5
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        self.stop = threading.Event()
        self.attempts = 0
        self.thread = threading.Thread(target=self._worker, daemon=True)
        self.started_at = timezone.now()

    def start(self):
        self.thread.start()

    def _worker(self):
        try:
            while not self.stop.is_set():
                sent, _left = mailqueue.send_due()
                if sent:
                    raise RuntimeError("a mail was sent while the mail server was down")
                self.attempts += 1
                self.stop.wait(WORKER_PAUSE)
        finally:
            connection.close()

    def finish(self, referrer_ids):
        """Stop the failing worker, check the queue, bring the server up, drain, check delivery."""
        self.stop.set()
        self.thread.join()
        cases = list(Case.objects.filter(referring_physician_id__in=referrer_ids, status=CaseStatus.SUBMITTED,
                                         submitted_at__gte=self.started_at)
                     .values_list("pk", "referring_physician__email", "mdo_centre_id"))
        per_centre = dict(User.objects.filter(role=Role.NEURO_ONCOLOGIST, is_active=True).exclude(email="")
                          .values_list("hospital_id").annotate(n=Count("pk")).values_list("hospital_id", "n"))
        expected = {str(pk): (1 if email else 0) + per_centre.get(centre, 0) for pk, email, centre in cases}
        queued = Counter()
        message_ids = set()
        for message in Message.objects.all():
            email = message.email
            case_id = email.extra_headers.get(mailqueue.CASE, "") if email is not None else ""
            if case_id in expected:
                queued[case_id] += 1
                message_ids.add(email.extra_headers["Message-ID"])
        queued_ok = dict(queued) == {k: v for k, v in expected.items() if v}
        failed_attempts = Message.objects.deferred().count()

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=self.port)
        controller.start()
        started = time.monotonic()
        try:
            far = timezone.now() + timedelta(days=1)  # every backoff waived: the retry is due
            while Message.objects.exists() and time.monotonic() - started < DRAIN_TIMEOUT:
                mailqueue.send_due(now=far)
        finally:
            controller.stop()
        drain_seconds = time.monotonic() - started
        arrived = Counter(inbox.message_ids)
        ours = {mid: n for mid, n in arrived.items() if mid in message_ids}
        sent_events = Event.objects.filter(action="mail.sent", case_id__in=list(expected)).count()
        delivered_once = set(ours) == message_ids and all(n == 1 for n in ours.values())
        result = {
            "submitted_cases": len(cases), "expected_mails": sum(expected.values()),
            "queued_during_outage": sum(queued.values()), "queued_as_expected": queued_ok,
            "worker_runs_during_outage": self.attempts, "deferred_at_end_of_outage": failed_attempts,
            "arrived": sum(ours.values()), "arrived_twice": sum(1 for n in ours.values() if n > 1),
            "delivered_exactly_once": delivered_once, "mail_sent_events": sent_events,
            "left_in_queue": Message.objects.count(),
            "drain_seconds": round(drain_seconds, 1),
        }
        result["ok"] = (queued_ok and delivered_once and sent_events == len(message_ids)
                        and result["left_in_queue"] == 0 and len(cases) > 0)
        return result

    def markdown(self, r):
        verdict = "**nothing lost, nothing twice**" if r["ok"] else "**NOT as expected**"
        return (
            f"Mail server down during the run: {r['submitted_cases']:,} submitted cases should cause "
            f"{r['expected_mails']:,} mails; queued during the outage {r['queued_during_outage']:,} "
            f"({'as expected' if r['queued_as_expected'] else 'NOT as expected'}), the worker tried "
            f"{r['worker_runs_during_outage']} times and deferred them ({r['deferred_at_end_of_outage']:,} deferred "
            f"at the end). Server up: {r['arrived']:,} arrived ({r['arrived_twice']} twice) in "
            f"{r['drain_seconds']} s, {r['mail_sent_events']:,} `mail.sent` events, {r['left_in_queue']} left "
            f"in the queue: {verdict}."
        )
