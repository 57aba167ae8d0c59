"""The case timeline: every action and change in order, who did it, old → new, no BSN, no outsiders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from audit.actor import Actor
from audit.models import AccessLog
from casefile.timeline import build_timeline
from meetings import services as meeting_services
from referrals import services as referral_services
from referrals.models import CaseStatus
from referrals.presenters import mask_bsn
from tests.conftest import speak, verified_login
from tests.factories import CaseFactory, PatientFactory
from tests.mailqueue import drain
from tests.workflow import ADVICE, planned_meeting, register_quorum

pytestmark = pytest.mark.django_db

OLD_BSN = "111222333"
NEW_BSN = "123456782"
LESION = {"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False, "critical_site": ""}


def timeline_url(case):
    return reverse("casefile:case_timeline", args=[case.pk])


def english(client):
    speak(client, "en")
    return client


def save_step(referrer, case, step_key, values, **extra):
    case.refresh_from_db()
    return referral_services.case_save_step(actor=Actor(user=referrer), case_id=case.pk, step_key=step_key,
                                            values=values, expected_version=case.version, **extra)


def submit(referrer, case):
    case.refresh_from_db()
    return referral_services.case_submit(actor=Actor(user=referrer), case_id=case.pk,
                                         expected_version=case.version)


def patient_values(patient, **changes):
    names = ("patient_number", "family_name", "given_names", "date_of_birth", "sex", "bsn")
    return {**{name: getattr(patient, name) for name in names}, **changes}


def walked_case(referrer, neuro_oncologist, chair, bsns=(OLD_BSN, NEW_BSN)):
    """Intake, submission, a request for information, resubmission, scheduling, the meeting's advice."""
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital, bsn=bsns[0]),
                       referring_physician=referrer, kps=80, with_lesion=False)
    save_step(referrer, case, "imaging", {"mri_date": case.mri_date, "lesion_mode": "list"}, lesions=[LESION])
    submit(referrer, case)
    meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                       message="Graag de KPS zonder dexamethason.")
    save_step(referrer, case, "clinical", {"kps": 60},
              patient_values=patient_values(case.patient, bsn=bsns[1]))
    # A row without its id: the lesion is deleted and a new one added.
    save_step(referrer, case, "imaging", {}, lesions=[{**LESION, "diameter_mm": 18}])
    submit(referrer, case)
    meeting = planned_meeting(chair)
    item = meeting_services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
    register_quorum(meeting, chair)
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
    case.refresh_from_db()
    return case


def details_of(entry):
    return [(d.label, d.old, d.new) for d in entry.details]


class TestTimeline:
    def test_it_shows_every_action_in_order_with_who_did_it(self, client, referrer, neuro_oncologist, chair):
        case = walked_case(referrer, neuro_oncologist, chair)
        response = english(verified_login(client, referrer)).get(timeline_url(case))
        assert response.status_code == 200
        entries = response.context["entries"]
        assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
        done = [(entry.what, entry.user) for entry in entries]
        expected = [
            ("Intake step saved: Imaging and lesions", referrer),
            ("Triage advice computed", referrer),
            ("Case submitted", referrer),
            ("Pre-consultation: information requested from the referrer", neuro_oncologist),
            ("Patient data changed", referrer),
            ("Intake step saved: Clinical status", referrer),
            ("Intake step saved: Imaging and lesions", referrer),
            ("Triage advice computed", referrer),
            ("Case resubmitted with the requested information", referrer),
            ("Placed on the agenda", chair),
            ("Presence of the treating physician recorded", chair),
            ("Advice of the meeting recorded", chair),
        ]
        assert [step for step in done if step in expected] == expected
        assert case.status == CaseStatus.DISCUSSED

    def test_it_shows_old_and_new_values_with_labels(self, referrer, neuro_oncologist, chair):
        case = walked_case(referrer, neuro_oncologist, chair)
        with translation.override("en"):
            entries = build_timeline(case)
        by_what = {}
        for entry in entries:
            by_what.setdefault(entry.what, []).extend(details_of(entry))
        assert ("KPS", "80", "60") in by_what["Intake step saved: Clinical status"]
        imaging = by_what["Intake step saved: Imaging and lesions"]
        assert ("Lesion added", None, "Frontal lobe, Left, 14 mm") in imaging
        assert ("Lesion deleted", None, "Frontal lobe, Left, 14 mm") in imaging
        assert ("Lesion added", None, "Frontal lobe, Left, 18 mm") in imaging
        assert ("Message to the referrer", None, "Graag de KPS zonder dexamethason.") in \
            by_what["Pre-consultation: information requested from the referrer"]
        assert ("Status", "Scheduled for a meeting", "Discussed, advice recorded") in \
            by_what["Advice of the meeting recorded"]
        assert ("Advice", None, "Stereotactic radiotherapy") in by_what["Advice of the meeting recorded"]
        outcomes = [new for label, _, new in by_what["Triage advice computed"] if label == "Outcome"]
        assert len(outcomes) == 2
        # Noise is left out.
        labels = {label for details in by_what.values() for label, _, _ in details}
        assert not labels & {"version", "Last changed", "completed steps", "meeting gaps", "Discussed at"}

    def test_it_never_shows_the_bsn(self, client, referrer, neuro_oncologist, chair):
        case = walked_case(referrer, neuro_oncologist, chair)
        response = english(verified_login(client, referrer)).get(timeline_url(case))
        content = response.content.decode()
        assert "BSN changed" in content
        # Neither number, nor the masked form the case page uses (three digits alone would also
        # match a UUID or a timestamp on the page).
        for shown in (OLD_BSN, NEW_BSN, mask_bsn(OLD_BSN), mask_bsn(NEW_BSN)):
            assert shown not in content

    def test_the_page_has_time_who_what_details_and_no_inline_style(self, client, referrer, neuro_oncologist,
                                                                   chair):
        case = walked_case(referrer, neuro_oncologist, chair)
        content = english(verified_login(client, neuro_oncologist)).get(timeline_url(case)).content.decode()
        for heading in ("Time", "Who", "What", "Details"):
            assert f'<th scope="col">{heading}</th>' in content
        assert "KPS: 80 → 60" in content
        assert str(neuro_oncologist) in content and str(chair) in content
        assert "style=" not in content

    def test_it_logs_the_read(self, client, referrer):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        verified_login(client, referrer).get(timeline_url(case))
        assert AccessLog.objects.filter(case=case, user=referrer, action="read", object_type="timeline").exists()

    def test_an_outsider_gets_404_and_the_attempt_is_logged(self, client, referrer, outsider):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        response = verified_login(client, outsider).get(timeline_url(case))
        assert response.status_code == 404
        assert AccessLog.objects.filter(case=case, user=outsider, result="denied").exists()

    def test_anonymous_users_are_sent_to_login(self, client, referrer):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        response = client.get(timeline_url(case))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]

    def test_a_change_without_an_event_is_shown_on_its_own(self, referrer, admin_user):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                           kps=80)
        # Saved by hand on purpose: a change no service made (the shell, a data fix) has no event.
        case.kps = 50
        case._history_user = admin_user
        case.save()
        with translation.override("en"):
            entry = build_timeline(case)[-1]
        assert (entry.what, entry.user) == ("Case changed", admin_user)
        assert details_of(entry) == [("KPS", "80", "50")]

    def test_the_mail_sent_is_shown_as_done_by_the_system(self, referrer, neuro_oncologist,
                                                          django_capture_on_commit_callbacks):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        with django_capture_on_commit_callbacks(execute=True):
            submit(referrer, case)
        drain()
        with translation.override("en"):
            mails = [e for e in build_timeline(case) if e.what.startswith("E-mail sent")]
        entry = mails[0]
        assert entry.what == "E-mail sent: case submitted, to the neuro-oncologists"
        assert entry.user is None
        assert details_of(entry) == [("Recipients", None, "1")]
        # And the referrer's confirmation (issue 12 item 17).
        assert [e.what for e in mails[1:]] == ["E-mail sent: confirmation of the referral, to the referring physician"]


def test_the_number_of_queries_does_not_grow_with_the_history(client, referrer, neuro_oncologist, chair):
    few = walked_case(referrer, neuro_oncologist, chair)
    many = walked_case(referrer, neuro_oncologist, chair, bsns=("999999990", "100000009"))
    item = many.agenda_items.get()
    for correction in range(5):
        meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                               values={**ADVICE, "text": f"Correctie {correction}"})
    patient = many.patient
    # The patient's own history grows (as with the intake of the patient's other referrals); only
    # its length matters here, so it is written directly.
    for number in range(10):
        patient.given_names = f"J.{number}"
        patient._history_user = referrer
        patient.save()
    verified_login(client, referrer)
    client.get(timeline_url(few))  # warm-up: the session's first request
    with CaptureQueriesContext(connection) as for_few:
        short = client.get(timeline_url(few)).context["entries"]
    with CaptureQueriesContext(connection) as for_many:
        long = client.get(timeline_url(many)).context["entries"]
    assert len(long) >= len(short) + 15
    assert len(for_many) == len(for_few)
