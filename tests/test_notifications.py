"""E-mail notifications: recipients, language, link, no patient data, after commit, real SMTP."""

import logging
import socket
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from mailer.models import RESULT_FAILURE, Message, MessageLog

from accounts.models import Role
from audit.actor import Actor
from audit.models import Event
from casefile import mailqueue, notifications
from meetings import services as meeting_services
from referrals.services import case_submit
from tests.conftest import verified_login
from tests.factories import UserFactory
from tests.mailqueue import discard, drain
from tests.workflow import (
    ADVICE,
    advised_case,
    planned_meeting,
    request_info,
    scheduled_case,
    submitted_case,
)

pytestmark = pytest.mark.django_db

SITE_URL = "https://mdo.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def case_link(case):
    return SITE_URL + reverse("casefile:case_detail", args=[case.pk])


def assert_no_patient_data(message, case):
    patient = case.patient
    text = message.subject + "\n" + message.body
    born = patient.date_of_birth
    for value in (patient.family_name, patient.patient_number, born.isoformat(), born.strftime("%d-%m-%Y"),
                  born.strftime("%-d-%-m-%Y"), ADVICE["text"]):
        assert value not in text


class TestCaseSubmitted:
    def test_it_goes_to_each_active_neuro_oncologist_of_the_centre(self, referrer, neuro_oncologist, chair,
                                                                     centre, other_centre_hospital):
        colleague = UserFactory(hospital=centre, role=Role.NEURO_ONCOLOGIST)
        UserFactory(hospital=centre, role=Role.NEURO_ONCOLOGIST, is_active=False)
        UserFactory(hospital=centre, role=Role.NEURO_ONCOLOGIST, email="")
        UserFactory(hospital=other_centre_hospital.centre, role=Role.NEURO_ONCOLOGIST)
        case = submitted_case(referrer)
        discard()

        assert notifications.case_submitted(case) == 2
        drain()
        assert sorted(m.to for m in mail.outbox) == sorted([[neuro_oncologist.email], [colleague.email]])
        message = mail.outbox[0]
        assert case_link(case) in message.body
        assert notifications.case_reference(case) in message.subject
        assert referrer.hospital.name in message.body
        assert_no_patient_data(message, case)

    def test_it_is_in_english_for_an_english_user(self, referrer, neuro_oncologist):
        neuro_oncologist.language = "en"
        neuro_oncologist.save()
        case = submitted_case(referrer)
        discard()
        notifications.case_submitted(case)
        drain()
        message = mail.outbox[0]
        reference = notifications.case_reference(case)
        assert message.subject == f"New case {reference} for pre-consultation"
        assert message.body.startswith(f"Dear {neuro_oncologist.get_full_name()},")
        assert "awaits your pre-consultation" in message.body

    def test_a_resubmission_says_so(self, referrer, neuro_oncologist):
        neuro_oncologist.language = "en"
        neuro_oncologist.save()
        case = submitted_case(referrer)
        meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message="KPS?")
        case.refresh_from_db()
        case = case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)
        discard()
        notifications.case_submitted(case)
        drain()
        assert "resubmitted with the requested information" in mail.outbox[0].subject

    def test_the_submit_service_queues_it_in_its_transaction(self, referrer, neuro_oncologist,
                                                             django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            case = submitted_case(referrer)
        # Queued with the action, nothing waits for the commit; sent by the worker.
        assert callbacks == []
        assert mail.outbox == [] and not Event.objects.filter(case=case, action="mail.sent").exists()
        assert drain() == (2, 0)
        # The neuro-oncologist is asked for pre-consultation; the referrer gets a confirmation
        # (issue 12 item 17: there was none).
        assert [m.to for m in mail.outbox] == [[neuro_oncologist.email], [referrer.email]]
        events = Event.objects.filter(case=case, action="mail.sent").order_by("pk")
        assert all(event.user is None for event in events)
        assert [event.data for event in events] == [{"kind": "case_submitted", "recipients": 1},
                                                    {"kind": "submission_received", "recipients": 1}]

    def test_the_referrers_confirmation_names_the_centre_and_no_patient(self, referrer, neuro_oncologist,
                                                                        django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            case = submitted_case(referrer, patient={"bsn": "999999990"})
        drain()
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert message.subject == f"Verwijzing {notifications.case_reference(case)} ontvangen"
        assert case.mdo_centre.name in message.body
        assert case.patient.family_name not in message.body and case.patient.bsn not in message.body

    def test_the_neuro_oncologists_mail_does_not_promise_the_neuro_oncology_mdo(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        discard()
        notifications.case_submitted(case)
        drain()
        body = mail.outbox[-1].body
        assert "neuro-oncologisch MDO" not in body and "vooroverleg" in body


class TestInfoRequested:
    def test_it_goes_to_the_referrer_without_the_message(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        record = request_info(case, neuro_oncologist)
        discard()
        assert notifications.info_requested(record) == 1
        drain()
        message = mail.outbox[0]
        assert message.to == [referrer.email]
        assert case_link(case) in message.body
        assert "KPS" not in message.body
        assert str(neuro_oncologist) in message.body
        assert_no_patient_data(message, case)

    def test_it_is_in_english_for_an_english_user(self, referrer, neuro_oncologist):
        referrer.language = "en"
        referrer.save()
        case = submitted_case(referrer)
        record = request_info(case, neuro_oncologist)
        discard()
        notifications.info_requested(record)
        drain()
        message = mail.outbox[0]
        assert message.subject == f"Information requested for case {notifications.case_reference(case)}"
        assert "shown on the case page after you log in" in message.body

    def test_it_is_in_the_recipients_language_not_the_active_one(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        record = request_info(case, neuro_oncologist)
        discard()
        with translation.override("en"):
            notifications.info_requested(record)
            drain()
        with translation.override("nl"):
            # Whatever the Dutch catalogue holds (English until a string is translated).
            expected = translation.gettext("Information requested for case %(reference)s") % {
                "reference": notifications.case_reference(case)}
        assert mail.outbox[0].subject == expected

    def test_the_request_service_queues_one_mail_to_the_referrer(
            self, referrer, neuro_oncologist, django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        discard()
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de KPS.")
        drain()
        assert [m.to for m in mail.outbox] == [[referrer.email]]
        assert Event.objects.filter(case=case, action="mail.sent", data__kind="info_requested").exists()

    def test_no_mail_is_sent_when_the_request_is_refused(self, referrer, neuro_oncologist,
                                                         django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        discard()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(meeting_services.ActionRefused):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message=" ")
        drain()
        assert mail.outbox == []

    def test_a_referrer_without_an_address_gets_nothing(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        referrer.email = ""
        referrer.save()
        record = request_info(case, neuro_oncologist)
        discard()
        assert notifications.info_requested(record) == 0
        drain()
        assert mail.outbox == []
        assert not Event.objects.filter(action="mail.sent").exists()


class TestCaseScheduled:
    def test_it_gives_date_time_location_and_video_link(self, referrer, chair):
        referrer.language = "en"
        referrer.save()
        item = scheduled_case(referrer, chair)
        meeting = item.meeting
        discard()
        assert notifications.case_scheduled(item) == 1
        drain()
        message = mail.outbox[0]
        assert message.to == [referrer.email]
        with translation.override("en"):
            assert meeting.date.strftime("%-d %B %Y") in message.subject
            assert f"Date: {meeting.date.strftime('%A %-d %B %Y')}" in message.body
        assert f"Time: {meeting.start_time:%H:%M}" in message.body
        assert f"Location: {meeting.location}" in message.body
        assert f"Video link: {meeting.video_link}" in message.body
        assert case_link(item.case) in message.body
        assert_no_patient_data(message, item.case)

    def test_the_schedule_and_move_services_send_it_after_commit(self, referrer, chair,
                                                                 django_capture_on_commit_callbacks):
        later = planned_meeting(chair, days_ahead=14)
        with django_capture_on_commit_callbacks(execute=True):
            item = scheduled_case(referrer, chair)
            meeting_services.agenda_move(actor=Actor(user=chair), item_id=item.pk, meeting_id=later.pk)
        drain()
        # The two meeting mails (the confirmation of the submission is a mail of its own).
        to_referrer = [m for m in mail.outbox if m.to == [referrer.email] and "ontvangen" not in m.subject]
        assert len(to_referrer) == 2
        kinds = list(Event.objects.filter(case=item.case, action="mail.sent").values_list("data__kind", flat=True))
        assert kinds.count("case_scheduled") == 2


    def test_a_changed_meeting_tells_the_referrers_of_its_waiting_cases(self, referrer, chair,
                                                                      django_capture_on_commit_callbacks):
        import datetime

        meeting = planned_meeting(chair, days_ahead=7)
        waiting = scheduled_case(referrer, chair, meeting=meeting)
        discard()
        new_date = meeting.date + datetime.timedelta(days=1)
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.meeting_update(actor=Actor(user=chair), meeting_id=meeting.pk,
                                            values={"date": new_date, "video_link": "https://video.example.org/nieuw"},
                                            expected_version=meeting.version)
        drain()
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert "Gewijzigd" in message.subject and waiting.case.reference in message.subject
        assert "https://video.example.org/nieuw" in message.body
        assert "gewijzigd" in message.body
        assert_no_patient_data(message, waiting.case)
        # A change that concerns nobody (the capacity) sends nothing.
        mail.outbox.clear()
        meeting.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.meeting_update(actor=Actor(user=chair), meeting_id=meeting.pk,
                                            values={"capacity_cases": 12}, expected_version=meeting.version)
        drain()
        assert mail.outbox == []


class TestClosedAndUnscheduled:
    def test_closing_tells_the_referrer_where_the_patient_goes(self, referrer, neuro_oncologist,
                                                               django_capture_on_commit_callbacks):
        referrer.language = "en"
        referrer.save()
        case = submitted_case(referrer)
        discard()
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.case_close(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                        reason="Orgaanspecifiek bespreken", closed_forum="organ_specific")
        drain()
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert "will not be discussed" in message.subject and case.reference in message.subject
        assert "Tumour-type MDT" in message.body and "Orgaanspecifiek bespreken" not in message.body
        assert_no_patient_data(message, case)

    def test_taking_a_case_off_the_agenda_tells_the_referrer(self, referrer, chair,
                                                             django_capture_on_commit_callbacks):
        item = scheduled_case(referrer, chair)
        discard()
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.agenda_remove(actor=Actor(user=chair), item_id=item.pk, reason="Opgenomen")
        drain()
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert item.case.reference in message.subject and "Opgenomen" not in message.body
        assert Event.objects.filter(case=item.case, action="mail.sent", data__kind="case_unscheduled").exists()


class TestAdviceRecorded:
    def test_it_goes_to_the_referrer_without_the_advice(self, referrer, chair):
        referrer.language = "en"
        referrer.save()
        advice = advised_case(referrer, chair)
        case = advice.item.case
        discard()
        assert notifications.advice_recorded(advice) == 1
        drain()
        message = mail.outbox[0]
        assert message.to == [referrer.email]
        assert message.subject == f"MDT advice recorded for case {notifications.case_reference(case)}"
        assert "discussed it with the patient" in message.body
        assert "SRT" not in message.body
        assert case_link(case) in message.body
        assert_no_patient_data(message, case)

    def test_a_correction_says_so(self, referrer, chair, django_capture_on_commit_callbacks):
        referrer.language = "en"
        referrer.save()
        advice = advised_case(referrer, chair)
        discard()
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=advice.item_id,
                                                   values={**ADVICE, "text": "Gecorrigeerd."})
        drain()
        assert [m.subject for m in mail.outbox] == [
            f"MDT advice corrected for case {notifications.case_reference(advice.item.case)}"]


class TestFailures:
    def test_a_refused_connection_keeps_the_mail_and_logs_without_patient_data(
            self, referrer, neuro_oncologist, settings, caplog):
        case = submitted_case(referrer)
        record = request_info(case, neuro_oncologist)
        discard()
        use_smtp(settings, free_port())  # nothing listens there
        assert notifications.info_requested(record) == 1
        with caplog.at_level(logging.WARNING, logger="casefile.mailqueue"):
            assert drain() == (0, 1)
        record = next(r for r in caplog.records if r.name == "casefile.mailqueue")
        assert record.levelno == logging.WARNING
        assert str(case.pk) in record.getMessage()
        for value in (case.patient.family_name, case.patient.patient_number, "KPS"):
            assert value not in caplog.text
        assert not Event.objects.filter(action="mail.sent").exists()
        [waiting] = Message.objects.all()
        assert (mailqueue.state(waiting), waiting.retry_count) == ("waiting", 1)
        assert "ConnectionRefusedError" in mailqueue.last_failure(waiting).log_message

    def test_a_broken_service_call_still_completes_the_action(self, referrer, neuro_oncologist, settings,
                                                              django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        use_smtp(settings, free_port())
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de KPS.")
        drain()
        case.refresh_from_db()
        assert case.status == "info_requested"

    def test_any_other_error_is_caught_and_named_only(self, referrer, neuro_oncologist, monkeypatch, caplog):
        case = submitted_case(referrer)
        discard()

        def explode(*args, **kwargs):
            raise ValueError(f"cannot handle {case.patient.family_name}")

        monkeypatch.setattr(mailqueue, "enqueue", explode)
        with caplog.at_level(logging.WARNING, logger="casefile.notifications"):
            assert notifications.case_submitted(case) == 0
        assert "ValueError" in caplog.text
        assert case.patient.family_name not in caplog.text
        assert not Message.objects.exists()

    def test_a_broken_mail_does_not_undo_the_action(self, referrer, neuro_oncologist, monkeypatch):
        case = submitted_case(referrer)
        discard()
        monkeypatch.setattr(mailqueue, "enqueue", lambda *args: 1 / 0)
        meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                           message="Graag de KPS.")
        case.refresh_from_db()
        assert case.status == "info_requested"


    def test_a_database_error_while_queueing_fails_the_action(self, referrer, neuro_oncologist, monkeypatch):
        case = submitted_case(referrer)
        discard()

        def unavailable(*args):
            raise OperationalError("database is locked")

        monkeypatch.setattr(mailqueue, "enqueue", unavailable)
        with pytest.raises(OperationalError), transaction.atomic():
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de KPS.")
        case.refresh_from_db()
        assert case.status == "submitted"


class TestQueue:
    def test_a_rolled_back_action_leaves_no_mail(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        discard()
        with pytest.raises(RuntimeError), transaction.atomic():
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de KPS.")
            assert Message.objects.count() == 1  # written in the action's transaction ...
            raise RuntimeError("the action fails after its mail was queued")
        assert not Message.objects.exists()  # ... and gone with it
        drain()
        assert mail.outbox == []

    def test_a_failing_server_is_retried_with_a_growing_wait(self, referrer, neuro_oncologist, settings):
        settings.MAIL_QUEUE_BACKOFF_SECONDS = 60
        settings.MAIL_QUEUE_BACKOFF_MAX_SECONDS = 600
        settings.MAIL_QUEUE_MAX_ATTEMPTS = 3
        case = submitted_case(referrer)
        discard()
        meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message="KPS?")
        use_smtp(settings, free_port())
        start = timezone.now()
        drain(start)
        [row] = Message.objects.all()
        assert (mailqueue.state(row), row.retry_count) == ("waiting", 1)
        # Not before its wait (60 s) has passed; then a second attempt, and a wait of 120 s.
        drain(start + timedelta(seconds=30))
        row.refresh_from_db()
        assert row.retry_count == 1
        drain(start + timedelta(seconds=61))
        row.refresh_from_db()
        assert row.retry_count == 2
        assert mailqueue.backoff(1) == timedelta(seconds=60) and mailqueue.backoff(2) == timedelta(seconds=120)
        assert mailqueue.backoff(10) == timedelta(seconds=600)
        drain(start + timedelta(seconds=61 + 121))
        row.refresh_from_db()
        assert (mailqueue.state(row), row.retry_count) == ("failed", 3)
        drain(start + timedelta(days=1))  # failed stays failed until an administrator retries
        row.refresh_from_db()
        assert row.retry_count == 3
        assert MessageLog.objects.filter(result=RESULT_FAILURE).count() == 3
        assert not Event.objects.filter(action="mail.sent").exists()
        # The administrator's retry, once the server is back.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mailqueue.retry(Message.objects.all())
        assert drain() == (1, 0)
        assert [m.to for m in mail.outbox] == [[referrer.email]]
        assert Event.objects.filter(case=case, action="mail.sent", data__kind="info_requested").count() == 1

    def test_the_recipient_does_not_see_the_queues_own_headers(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        drain()
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert not any(name.startswith("X-MDO") for name in message.extra_headers)
        assert "X-MDO" not in message.message().as_string()
        assert case.reference in message.subject

    def test_the_worker_command_sends_once(self, referrer, neuro_oncologist):
        submitted_case(referrer)
        out = StringIO()
        call_command("send_mail_queue", "--once", stdout=out)
        assert out.getvalue().strip() == "mail queue: 2 sent, 0 waiting"
        assert len(mail.outbox) == 2


@pytest.fixture
def admin_client(client, admin_user):
    return verified_login(client, admin_user)


class TestQueueAdmin:
    def test_the_administrator_sees_the_waiting_mail_without_a_body_and_retries_it(
            self, admin_client, referrer, neuro_oncologist, settings):
        case = submitted_case(referrer)
        use_smtp(settings, free_port())
        drain()
        url = reverse("admin:casefile_queuedmail_changelist")
        page = admin_client.get(url).content.decode()
        assert case.reference in page and referrer.email in page and neuro_oncologist.email in page
        assert "ConnectionRefusedError" in page
        assert case_link(case) not in page and "Geachte" not in page
        response = admin_client.post(url, {"action": "retry_now",
                                           "_selected_action": list(Message.objects.values_list("pk", flat=True))})
        assert response.status_code == 302
        assert set(Message.objects.values_list("retry_count", flat=True)) == {0}
        assert mailqueue.state(Message.objects.first()) == "pending"

    def test_django_mailers_own_pages_which_show_the_body_are_gone(self, admin_client):
        assert admin_client.get("/beheer/mailer/message/").status_code == 404


# --- A real SMTP server -------------------------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


class Collector:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_smtp(settings, controller.port)
    yield collector
    controller.stop()


def test_mail_reaches_a_real_smtp_server(smtp_server, referrer, neuro_oncologist, settings):
    referrer.language = "en"
    referrer.save()
    case = submitted_case(referrer)
    record = request_info(case, neuro_oncologist)
    discard()

    assert notifications.info_requested(record) == 1
    assert drain() == (1, 0)

    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    assert envelope.rcpt_tos == [referrer.email]
    received = message_from_bytes(envelope.content, policy=email_policy.default)
    assert received["Subject"] == f"Information requested for case {notifications.case_reference(case)}"
    assert received["To"] == referrer.email
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert case_link(case) in body
    assert case.patient.family_name not in body
    assert Event.objects.filter(case=case, action="mail.sent", data__recipients=1).exists()


def test_each_recipient_gets_a_message_of_their_own(smtp_server, referrer, neuro_oncologist, centre):
    colleague = UserFactory(hospital=centre, role=Role.NEURO_ONCOLOGIST, language="en")
    case = submitted_case(referrer)
    discard()
    assert notifications.case_submitted(case) == 2
    drain()
    assert sorted(e.rcpt_tos for e in smtp_server.envelopes) == sorted([[neuro_oncologist.email],
                                                                       [colleague.email]])



def test_mail_queued_while_the_server_is_down_arrives_exactly_once_when_it_is_up(
        referrer, neuro_oncologist, chair, settings):
    collector = Collector()
    port = free_port()
    use_smtp(settings, port)
    settings.MAIL_QUEUE_BACKOFF_SECONDS = 1
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    controller.stop()  # the server was up once, and is down now

    # Several actions while it is down: two submissions (to the neuro-oncologist and a
    # confirmation to the referrer each), a request for information, a placement on a meeting.
    first, second = submitted_case(referrer), submitted_case(referrer)
    request_info(first, neuro_oncologist)
    meeting = planned_meeting(chair)
    meeting_services.case_schedule(actor=Actor(user=chair), case_id=second.pk, meeting_id=meeting.pk)
    queued = Message.objects.count()
    assert queued == 6

    start = timezone.now()
    assert drain(start) == (0, queued)  # nothing sent, nothing lost
    assert drain(start + timedelta(seconds=2)) == (0, queued)  # a retry, still down
    assert set(Message.objects.values_list("retry_count", flat=True)) == {2}
    assert not Event.objects.filter(action="mail.sent").exists()
    assert collector.envelopes == []

    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert drain(start + timedelta(seconds=1)) == (0, queued)  # the wait after attempt 2 is 2 s
        assert drain(start + timedelta(seconds=5)) == (queued, 0)
        assert drain(start + timedelta(minutes=5)) == (0, 0)  # and never again
    finally:
        controller.stop()

    received = sorted((tuple(e.rcpt_tos), message_from_bytes(e.content, policy=email_policy.default)["Subject"])
                      for e in collector.envelopes)
    assert len(received) == queued == len(set(received))  # every mail once
    assert sorted(r for r, _ in received) == sorted(
        [(neuro_oncologist.email,)] * 2 + [(referrer.email,)] * 4)
    sent = Event.objects.filter(action="mail.sent")
    assert sent.count() == queued and {e.data["recipients"] for e in sent} == {1}
    assert {e.case_id for e in sent} == {first.pk, second.pk}
