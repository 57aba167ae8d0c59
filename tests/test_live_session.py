"""The live session ("vergadermodus", issue 13 item 1): the meeting run from one shared screen.

One case per screen with what its discussion needs (question, advice in force and its path,
images, lesions, the facts, earlier advice of the patient, the quorum), the advice form of the
advice page (same form, same service), next/previous/jump as plain links, and the access rules and
log of the advice page.
"""

import pytest
from django.urls import reverse

from audit.actor import Actor
from audit.models import AccessLog, Event
from meetings import services
from meetings.models import MeetingAdvice
from referrals.models import Case
from tests.conftest import speak, verified_login
from tests.factories import LesionFactory
from tests.workflow import (
    ADVICE,
    ADVICE_POST,
    planned_meeting,
    record_advice,
    register_quorum,
    scheduled_case,
    time_passes,
)

pytestmark = pytest.mark.django_db

TEXT = "SRT 1x20 Gy op de laesie in de linker pariëtaalkwab."


@pytest.fixture
def agenda(referrer, chair, neuro_oncologist):
    """Today's meeting with the quorum and three cases; the first overridden in pre-consultation."""
    meeting = planned_meeting(chair, minutes_per_case=12)
    register_quorum(meeting, chair)
    first = scheduled_case(referrer, chair, meeting, question_to_mdo="Resectie of SRT van de cerebellaire laesie?",
                           imaging_url="https://pacs.noord.example/viewer?study=1.2.3",
                           accession_number="ACC-20261201-77")
    second = scheduled_case(referrer, chair, meeting, question_to_mdo="Is WBRT nog zinvol?")
    third = scheduled_case(referrer, chair, meeting)
    return {"meeting": meeting, "items": [first, second, third]}


def live_url(item):
    return reverse("meetings:live_item", args=[item.meeting_id, item.pk])


@pytest.fixture
def chair_client(client, chair):
    return verified_login(client, chair)


class TestReading:
    def test_the_page_shows_the_case_for_the_discussion(self, chair_client, agenda):
        first = agenda["items"][0]
        speak(chair_client, "nl")
        response = chair_client.get(live_url(first))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Resectie of SRT van de cerebellaire laesie?" in html
        assert first.case.patient.display_name in html
        assert 'data-advice-in-force="' in html  # the advice in force and its path
        assert 'class="quorum-panel' in html
        assert 'href="https://pacs.noord.example/viewer?study=1.2.3" target="_blank" rel="noopener noreferrer"' in html
        assert "ACC-20261201-77" in html
        assert 'class="table table-sm table-bordered lesion-summary' in html
        assert "Vergadermodus" in html and "casus 1 van 3" in html
        assert 'data-planned-minutes="12"' in html
        # The section-3 facts in the guideline's order, as on the case page.
        sections = [section["step"].key for section in response.context["sections"]]
        assert sections == ["patient", "oncology", "history", "extracranial", "clinical", "imaging", "questions"]
        assert html.index('id="section-oncology"') < html.index('id="section-clinical"')
        assert 'src="/static/js/live.js"' in html

    def test_the_page_speaks_english(self, chair_client, agenda):
        speak(chair_client, "en")
        html = chair_client.get(live_url(agenda["items"][1])).content.decode()
        assert "Live session" in html and "case 2 of 3" in html and "Question to the MDT" in html

    def test_next_and_previous_are_plain_links(self, chair_client, agenda):
        first, second, third = agenda["items"]
        html = chair_client.get(live_url(second)).content.decode()
        assert f'rel="prev" data-live-previous href="{live_url(first)}"' in html
        assert f'rel="next" data-live-next href="{live_url(third)}"' in html
        first_html = chair_client.get(live_url(first)).content.decode()
        assert "data-live-previous" not in first_html
        assert "data-live-next" not in chair_client.get(live_url(third)).content.decode()

    def test_the_pre_consultation_note_of_the_neuro_oncologist_is_on_the_path(self, chair_client, referrer, chair,
                                                                                  neuro_oncologist):
        from tests.workflow import submitted_case
        case = submitted_case(referrer)
        services.case_override_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                      outcome=case.current_advice.outcome,
                                      reason="Eerst beeld van de neuroradioloog afwachten.")
        item = services.case_schedule(actor=Actor(user=chair), case_id=case.pk,
                                      meeting_id=planned_meeting(chair).pk)
        html = chair_client.get(live_url(item)).content.decode()
        assert "advice-path-review" in html and "Eerst beeld van de neuroradioloog afwachten." in html

    def test_the_entrance_goes_to_the_first_case_without_advice_or_the_case_chosen(self, chair_client, agenda,
                                                                                      chair):
        first, second, third = agenda["items"]
        record_advice(first, chair)
        start = reverse("meetings:live_start", args=[agenda["meeting"].pk])
        assert chair_client.get(start)["Location"] == live_url(second)
        assert chair_client.get(start, {"item": str(third.pk)})["Location"] == live_url(third)
        assert chair_client.get(start, {"item": "rubbish"})["Location"] == live_url(second)

    def test_an_empty_agenda_says_so(self, chair_client, chair):
        meeting = planned_meeting(chair)
        response = chair_client.get(reverse("meetings:live_start", args=[meeting.pk]))
        assert response.status_code == 200 and b"live-empty" in response.content

    def test_an_item_of_another_meeting_is_not_found(self, chair_client, agenda, referrer, chair):
        other = scheduled_case(referrer, chair, planned_meeting(chair, days_ahead=7))
        url = reverse("meetings:live_item", args=[agenda["meeting"].pk, other.pk])
        assert chair_client.get(url).status_code == 404

    def test_earlier_advice_of_the_patient_is_shown(self, chair_client, referrer, chair):
        earlier = scheduled_case(referrer, chair, question_to_mdo="Eerste bespreking")
        register_quorum(earlier.meeting, chair)
        record_advice(earlier, chair, decisions=["diagnostics", "discuss_again"], text="Eerst perfusie-MRI.")
        time_passes(earlier.meeting, days_ago=14)
        later = planned_meeting(chair, days_ahead=0, location="Zaal 3")
        again = services.case_schedule(actor=Actor(user=chair), case_id=earlier.case_id, meeting_id=later.pk)
        html = chair_client.get(live_url(again)).content.decode()
        assert "earlier-advice" in html and "Eerst perfusie-MRI." in html
        # ... and the earlier meeting's own page shows no "earlier" for its case.
        assert "earlier-advice" not in chair_client.get(live_url(earlier)).content.decode()

    def test_earlier_advice_of_an_earlier_referral_of_the_patient_is_shown(self, chair_client, referrer, chair):
        from referrals.services import case_submit
        from tests.factories import CaseFactory
        earlier = scheduled_case(referrer, chair)
        register_quorum(earlier.meeting, chair)
        record_advice(earlier, chair, text="Eerste verwijzing: SRT.")
        time_passes(earlier.meeting, days_ago=60)
        case = CaseFactory(patient=earlier.case.patient, referring_physician=referrer)
        case = case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)
        item = services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=planned_meeting(chair).pk)
        html = chair_client.get(live_url(item)).content.decode()
        assert "earlier-advice" in html and "Eerste verwijzing: SRT." in html

    def test_the_meeting_page_links_to_the_live_session(self, chair_client, agenda):
        html = chair_client.get(reverse("meetings:meeting_detail", args=[agenda["meeting"].pk])).content.decode()
        assert reverse("meetings:live_start", args=[agenda["meeting"].pk]) in html

    def test_before_the_meeting_the_page_reads_but_offers_no_form(self, chair_client, referrer, chair):
        item = scheduled_case(referrer, chair, planned_meeting(chair, days_ahead=3))
        response = chair_client.get(live_url(item))
        assert response.status_code == 200 and b"main-form advice-form" not in response.content
        assert b"not-yet" in response.content


class TestSaving:
    def post(self, client, item, **values):
        return client.post(live_url(item), {**ADVICE_POST, "text": TEXT, **values})

    def test_saving_stays_in_the_live_session_with_a_message(self, chair_client, agenda):
        first = agenda["items"][0]
        speak(chair_client, "nl")
        events = Event.objects.filter(case=first.case).count()
        response = self.post(chair_client, first, then="stay")
        assert response.status_code == 302 and response["Location"] == live_url(first)
        advice = MeetingAdvice.objects.get(item=first)
        assert advice.text == TEXT and advice.decisions == ADVICE["decisions"]
        # The same service as the advice page: its event, nothing else.
        assert set(Event.objects.filter(case=first.case).order_by("id").values_list("action", flat=True)
                   [events:]) == {"case.presence_recorded", "case.advice_recorded"}
        page = chair_client.get(response["Location"]).content.decode()
        assert "Het advies van het MDO is vastgelegd." in page
        assert "Advies van het MDO (vastgelegd)" in page

    def test_record_and_next_goes_to_the_next_case(self, chair_client, agenda):
        first, second, _ = agenda["items"]
        response = self.post(chair_client, first, then="next")
        assert response["Location"] == live_url(second)

    def test_the_presence_of_the_treating_physician_is_recorded_with_it(self, chair_client, agenda):
        first = agenda["items"][0]
        self.post(chair_client, first, present="representative", representative_name="Dr. Waarnemer")
        first.refresh_from_db()
        assert (first.treating_physician_present, first.representative_name) == ("representative", "Dr. Waarnemer")

    def test_a_refused_save_keeps_what_was_typed(self, chair_client, agenda):
        first = agenda["items"][0]
        speak(chair_client, "nl")
        response = self.post(chair_client, first, decisions=["best_supportive_care", "srt"])
        assert response.status_code == 400
        assert TEXT in response.content.decode() and "decisions" in response.context["form"].errors
        assert not MeetingAdvice.objects.exists()
        # Without the presence: at its field, the text still there.
        response = self.post(chair_client, first, present="")
        assert response.status_code == 400 and "present" in response.context["form"].errors
        assert TEXT in response.content.decode()

    def test_without_the_quorum_radiotherapy_is_refused_and_the_text_stays(self, chair_client, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair, disciplines=("neurology",))
        response = self.post(chair_client, item)
        assert response.status_code == 400 and TEXT in response.content.decode()
        assert "decisions" in response.context["form"].errors

    def test_a_correction_goes_through_the_same_service(self, chair_client, agenda, chair):
        first = agenda["items"][0]
        record_advice(first, chair)
        response = self.post(chair_client, first, text="Gecorrigeerd.")
        assert response.status_code == 302
        assert MeetingAdvice.objects.get(item=first).text == "Gecorrigeerd."

    def test_a_closed_meeting_shows_its_advice_and_no_form(self, chair_client, agenda, chair):
        first = agenda["items"][0]
        for item in agenda["items"]:
            record_advice(item, chair)
        services.meeting_set_status(actor=Actor(user=chair), meeting_id=agenda["meeting"].pk, status="closed")
        html = chair_client.get(live_url(first)).content.decode()
        assert "main-form advice-form" not in html and ADVICE["text"] in html


class TestAttendance:
    """The attendance is registered in the live session itself, with the meeting page's form and
    service, and the quorum panel counts it at once."""

    QUORUM = ("neurosurgery", "radiation_oncology", "neurology", "neuroradiology")

    def add_url(self, item):
        return reverse("meetings:live_attendance_add", args=[item.meeting_id, item.pk])

    def test_registering_the_quorum_stays_on_the_case_and_the_panel_says_met(self, chair_client, referrer, chair):
        item = scheduled_case(referrer, chair)
        html = chair_client.get(live_url(item)).content.decode()
        assert 'data-quorum-met="false"' in html and f'action="{self.add_url(item)}"' in html
        for discipline in self.QUORUM:
            response = chair_client.post(self.add_url(item), {"name": f"Dr. {discipline}", "discipline": discipline,
                                                              "mode": "on_site"})
            assert response.status_code == 302 and response["Location"] == live_url(item)
        html = chair_client.get(live_url(item)).content.decode()
        assert 'data-quorum-met="true"' in html
        assert all(f'data-discipline="{d}"' in html for d in self.QUORUM)
        assert "Dr. neuroradiology" in html
        # Through the meeting's one service: its events, on the meeting.
        added = Event.objects.filter(action="meeting.attendance_added", object_id=str(item.meeting_id))
        assert added.count() == 4
        # ... and now radiotherapy can be advised from here.
        response = chair_client.post(live_url(item), ADVICE_POST)
        assert response.status_code == 302 and MeetingAdvice.objects.filter(item=item).exists()

    def test_a_colleague_with_an_account_counts_for_their_own_discipline(self, chair_client, referrer, chair):
        from tests.factories import UserFactory
        item = scheduled_case(referrer, chair)
        surgeon = UserFactory(hospital=chair.hospital, role="neuro_oncologist", discipline="neurosurgery")
        html = chair_client.get(live_url(item)).content.decode()
        assert f'<option value="{surgeon.pk}">' in html
        response = chair_client.post(self.add_url(item), {"user": surgeon.pk, "discipline": "neurosurgery",
                                                          "mode": "video"})
        assert response.status_code == 302
        html = chair_client.get(live_url(item)).content.decode()
        assert 'class="quorum-discipline present" data-discipline="neurosurgery"' in html
        # Registered: no longer offered.
        assert f'<option value="{surgeon.pk}">' not in html

    def test_a_refused_registration_is_shown_on_the_live_page(self, chair_client, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair, disciplines=("neurology",))
        speak(chair_client, "en")
        response = chair_client.post(self.add_url(item), {"name": "Dr. neurology", "discipline": "neurology",
                                                          "mode": "on_site"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "live-session" in html and "This participant is already registered." in html
        # The advice form is not judged by the attendance's POST.
        assert not response.context["form"].is_bound
        response = chair_client.post(self.add_url(item), {"discipline": "neurology", "mode": "on_site"})
        assert response.status_code == 400 and "name" in response.context["attendance_form"].errors
        assert item.meeting.attendances.count() == 1

    def test_a_registration_is_removed_from_the_live_page(self, chair_client, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        attendance = item.meeting.attendances.get(discipline="neurology")
        url = reverse("meetings:live_attendance_remove", args=[item.meeting_id, item.pk, attendance.pk])
        assert url in chair_client.get(live_url(item)).content.decode()
        response = chair_client.post(url)
        assert response.status_code == 302 and response["Location"] == live_url(item)
        assert 'data-quorum-met="false"' in chair_client.get(live_url(item)).content.decode()
        assert not item.meeting.attendances.filter(pk=attendance.pk).exists()

    def test_once_an_advice_is_recorded_the_attendance_is_fixed(self, chair_client, agenda, chair):
        first, second, _ = agenda["items"]
        record_advice(first, chair)
        html = chair_client.get(live_url(second)).content.decode()
        assert "attendance-fixed" in html and "attendance-form" not in html
        attendance = agenda["meeting"].attendances.first()
        chair_client.post(reverse("meetings:live_attendance_remove",
                                  args=[second.meeting_id, second.pk, attendance.pk]))
        assert agenda["meeting"].attendances.filter(pk=attendance.pk).exists()

    def test_before_the_meeting_nothing_is_registered(self, chair_client, referrer, chair):
        item = scheduled_case(referrer, chair, planned_meeting(chair, days_ahead=3))
        html = chair_client.get(live_url(item)).content.decode()
        assert "attendance-form" not in html
        response = chair_client.post(self.add_url(item), {"name": "Dr. X", "discipline": "neurology",
                                                          "mode": "on_site"})
        assert response.status_code == 400 and not item.meeting.attendances.exists()

    def test_a_referrer_is_refused_and_an_outsider_gets_404(self, client, agenda, referrer, other_centre_hospital):
        from accounts.models import Role
        from tests.factories import UserFactory
        first = agenda["items"][0]
        attendance = agenda["meeting"].attendances.first()
        remove = reverse("meetings:live_attendance_remove", args=[first.meeting_id, first.pk, attendance.pk])
        values = {"name": "Dr. Y", "discipline": "neurology", "mode": "on_site"}
        verified_login(client, referrer)
        assert client.post(self.add_url(first), values).status_code == 403
        assert client.post(remove).status_code == 403
        far_chair = UserFactory(hospital=other_centre_hospital.mdo_centre or other_centre_hospital, role=Role.CHAIR)
        verified_login(client, far_chair)
        assert client.post(self.add_url(first), values).status_code == 404
        assert client.post(remove).status_code == 404
        assert client.get(self.add_url(first)).status_code in (404, 405)
        assert agenda["meeting"].attendances.count() == 4


class TestAccess:
    def test_a_referrer_is_refused_and_an_outsider_gets_404(self, client, agenda, referrer, outsider,
                                                             other_centre_hospital):
        from accounts.models import Role
        from tests.factories import UserFactory
        first = agenda["items"][0]
        verified_login(client, referrer)
        assert client.get(live_url(first)).status_code == 403
        assert client.post(live_url(first), ADVICE_POST).status_code == 403
        far_chair = UserFactory(hospital=other_centre_hospital.mdo_centre or other_centre_hospital,
                                role=Role.CHAIR)
        verified_login(client, far_chair)
        assert client.get(live_url(first)).status_code == 404
        assert client.post(live_url(first), ADVICE_POST).status_code == 404
        assert client.get(reverse("meetings:live_start", args=[agenda["meeting"].pk])).status_code == 404
        assert not MeetingAdvice.objects.exists()
        assert AccessLog.objects.filter(user=far_chair, result="denied").count() == 3

    def test_a_referrers_refusal_is_logged_with_the_patient(self, client, agenda, referrer):
        first = agenda["items"][0]
        verified_login(client, referrer)
        assert client.get(live_url(first)).status_code == 403
        row = AccessLog.objects.get(result="denied", user=referrer)
        assert (row.patient_id, row.object_id) == (first.case.patient_id, str(first.pk))

    def test_every_view_is_logged_with_the_case_read(self, chair_client, agenda, chair):
        first = agenda["items"][0]
        before = AccessLog.objects.count()
        chair_client.get(live_url(first))
        rows = AccessLog.objects.filter(pk__gt=before, user=chair)
        read = rows.filter(action="read", object_type="live_session")
        assert [row.case_id for row in read] == [first.case_id]
        assert read.get().patient_id == first.case.patient_id
        # The agenda list names every patient of the meeting: one row per case.
        listed = rows.filter(action="list", object_type="live_session_agenda")
        assert sorted(row.case_id for row in listed) == sorted(item.case_id for item in agenda["items"])


def test_the_query_count_does_not_grow_with_lesions_or_agenda_items(client, referrer, chair,
                                                                    django_assert_max_num_queries):
    meeting = planned_meeting(chair, capacity_cases=100)
    register_quorum(meeting, chair)
    item = scheduled_case(referrer, chair, meeting)
    record_advice(scheduled_case(referrer, chair, meeting), chair)
    verified_login(client, chair)
    url = live_url(item)
    client.get(url)

    def measure():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    few = measure()
    for n in range(20):
        LesionFactory(case=item.case, position=n + 5)
        other = scheduled_case(referrer, chair, meeting)
        if n % 2:
            record_advice(other, chair)
    assert Case.objects.get(pk=item.case_id).lesions.count() > 20
    assert measure() == few
    with django_assert_max_num_queries(few):
        client.get(url)
