"""E-mail notifications: recipients, language, link, no patient data, after commit, real SMTP."""

import logging
import socket
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import Role
from audit.actor import Actor
from audit.models import Event
from casefile import notifications
from meetings import services as meeting_services
from referrals.services import case_submit
from tests.factories import UserFactory
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

        assert notifications.case_submitted(case) == 2
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
        notifications.case_submitted(case)
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
        mail.outbox.clear()
        notifications.case_submitted(case)
        assert "resubmitted with the requested information" in mail.outbox[0].subject

    def test_the_submit_service_sends_it_after_the_commit(self, referrer, neuro_oncologist,
                                                         django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            case = submitted_case(referrer)
        assert len(callbacks) == 1
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
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert message.subject == f"Verwijzing {notifications.case_reference(case)} ontvangen"
        assert case.mdo_centre.name in message.body
        assert case.patient.family_name not in message.body and case.patient.bsn not in message.body

    def test_the_neuro_oncologists_mail_does_not_promise_the_neuro_oncology_mdo(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        notifications.case_submitted(case)
        body = mail.outbox[-1].body
        assert "neuro-oncologisch MDO" not in body and "vooroverleg" in body


class TestInfoRequested:
    def test_it_goes_to_the_referrer_without_the_message(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        record = request_info(case, neuro_oncologist)
        assert notifications.info_requested(record) == 1
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
        notifications.info_requested(request_info(case, neuro_oncologist))
        message = mail.outbox[0]
        assert message.subject == f"Information requested for case {notifications.case_reference(case)}"
        assert "shown on the case page after you log in" in message.body

    def test_it_is_in_the_recipients_language_not_the_active_one(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        with translation.override("en"):
            notifications.info_requested(request_info(case, neuro_oncologist))
        with translation.override("nl"):
            # Whatever the Dutch catalogue holds (English until a string is translated).
            expected = translation.gettext("Information requested for case %(reference)s") % {
                "reference": notifications.case_reference(case)}
        assert mail.outbox[0].subject == expected

    def test_the_request_service_sends_one_mail_to_the_referrer_after_commit(
            self, referrer, neuro_oncologist, django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de KPS.")
        assert [m.to for m in mail.outbox] == [[referrer.email]]
        assert Event.objects.filter(case=case, action="mail.sent", data__kind="info_requested").exists()

    def test_no_mail_is_sent_when_the_request_is_refused(self, referrer, neuro_oncologist,
                                                         django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(meeting_services.ActionRefused):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message=" ")
        assert mail.outbox == []

    def test_a_referrer_without_an_address_gets_nothing(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        referrer.email = ""
        referrer.save()
        assert notifications.info_requested(request_info(case, neuro_oncologist)) == 0
        assert mail.outbox == []
        assert not Event.objects.filter(action="mail.sent").exists()


class TestCaseScheduled:
    def test_it_gives_date_time_location_and_video_link(self, referrer, chair):
        referrer.language = "en"
        referrer.save()
        item = scheduled_case(referrer, chair)
        meeting = item.meeting
        assert notifications.case_scheduled(item) == 1
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
        mail.outbox.clear()
        new_date = meeting.date + datetime.timedelta(days=1)
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.meeting_update(actor=Actor(user=chair), meeting_id=meeting.pk,
                                            values={"date": new_date, "video_link": "https://video.example.org/nieuw"},
                                            expected_version=meeting.version)
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
        assert mail.outbox == []


class TestClosedAndUnscheduled:
    def test_closing_tells_the_referrer_where_the_patient_goes(self, referrer, neuro_oncologist,
                                                               django_capture_on_commit_callbacks):
        referrer.language = "en"
        referrer.save()
        case = submitted_case(referrer)
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.case_close(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                        reason="Orgaanspecifiek bespreken", closed_forum="organ_specific")
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert "will not be discussed" in message.subject and case.reference in message.subject
        assert "Tumour-type MDT" in message.body and "Orgaanspecifiek bespreken" not in message.body
        assert_no_patient_data(message, case)

    def test_taking_a_case_off_the_agenda_tells_the_referrer(self, referrer, chair,
                                                             django_capture_on_commit_callbacks):
        item = scheduled_case(referrer, chair)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.agenda_remove(actor=Actor(user=chair), item_id=item.pk, reason="Opgenomen")
        message = next(m for m in mail.outbox if m.to == [referrer.email])
        assert item.case.reference in message.subject and "Opgenomen" not in message.body
        assert Event.objects.filter(case=item.case, action="mail.sent", data__kind="case_unscheduled").exists()


class TestAdviceRecorded:
    def test_it_goes_to_the_referrer_without_the_advice(self, referrer, chair):
        referrer.language = "en"
        referrer.save()
        advice = advised_case(referrer, chair)
        case = advice.item.case
        assert notifications.advice_recorded(advice) == 1
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
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=advice.item_id,
                                                   values={**ADVICE, "text": "Gecorrigeerd."})
        assert [m.subject for m in mail.outbox] == [
            f"MDT advice corrected for case {notifications.case_reference(advice.item.case)}"]


class TestFailures:
    def test_a_refused_connection_does_not_raise_and_logs_without_patient_data(
            self, referrer, neuro_oncologist, settings, caplog):
        case = submitted_case(referrer)
        use_smtp(settings, free_port())  # nothing listens there
        with caplog.at_level(logging.WARNING, logger="casefile.notifications"):
            assert notifications.info_requested(request_info(case, neuro_oncologist)) == 0
        record = next(r for r in caplog.records if r.name == "casefile.notifications")
        assert record.levelno == logging.WARNING
        assert str(case.pk) in record.getMessage()
        for value in (case.patient.family_name, case.patient.patient_number, "KPS"):
            assert value not in caplog.text
        assert not Event.objects.filter(action="mail.sent").exists()

    def test_a_broken_service_call_still_completes_the_action(self, referrer, neuro_oncologist, settings,
                                                              django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        use_smtp(settings, free_port())
        with django_capture_on_commit_callbacks(execute=True):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                               message="Graag de KPS.")
        case.refresh_from_db()
        assert case.status == "info_requested"

    def test_any_other_error_is_caught_and_named_only(self, referrer, neuro_oncologist, monkeypatch, caplog):
        case = submitted_case(referrer)

        def explode(*args, **kwargs):
            raise ValueError(f"cannot handle {case.patient.family_name}")

        monkeypatch.setattr(notifications, "send_mass_mail", explode)
        with caplog.at_level(logging.WARNING, logger="casefile.notifications"):
            assert notifications.case_submitted(case) == 0
        assert "ValueError" in caplog.text
        assert case.patient.family_name not in caplog.text


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

    assert notifications.info_requested(request_info(case, neuro_oncologist)) == 1

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
    assert notifications.case_submitted(case) == 2
    assert sorted(e.rcpt_tos for e in smtp_server.envelopes) == sorted([[neuro_oncologist.email],
                                                                       [colleague.email]])

