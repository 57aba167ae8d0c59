"""Pre-consultation, meetings, agenda, attendance, the legal quorum and the meeting's advice."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actor import Actor
from audit.models import AccessLog, Event
from meetings import services
from meetings.models import AgendaItem, Attendance, Meeting, MeetingAdvice, Preconsultation
from referrals.models import CaseStatus
from tests.conftest import verified_login
from tests.factories import CentreFactory, UserFactory
from tests.workflow import (
    ADVICE,
    ADVICE_POST,
    mark_held,
    planned_meeting,
    record_advice,
    register_quorum,
    scheduled_case,
    submitted_case,
    time_passes,
)

pytestmark = pytest.mark.django_db


def case_url(case):
    return reverse("casefile:case_detail", args=[case.pk])


class TestQueue:
    def test_it_lists_submitted_cases_of_the_centre_with_their_columns(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        response = client.get(reverse("meetings:queue"))
        assert response.status_code == 200
        row = response.context["rows"][0]
        assert row["case"] == case and row["days_waiting"] == 0
        content = response.content.decode()
        assert case.patient.family_name in content and referrer.hospital.name in content
        assert AccessLog.objects.filter(case=case, action="list", user=neuro_oncologist).exists()

    def test_drafts_scheduled_and_closed_cases_are_not_in_it(self, client, referrer, neuro_oncologist, chair):
        submitted = submitted_case(referrer)
        scheduled = scheduled_case(referrer, chair).case
        closed = submitted_case(referrer)
        services.case_close(actor=Actor(user=neuro_oncologist), case_id=closed.pk, reason="r",
                            closed_forum="organ_specific")
        verified_login(client, neuro_oncologist)
        shown = [row["case"] for row in client.get(reverse("meetings:queue")).context["rows"]]
        assert shown == [submitted]
        assert scheduled not in shown

    def test_other_regions_are_not_in_it(self, client, neuro_oncologist, other_centre_hospital):
        far_referrer = UserFactory(hospital=other_centre_hospital, role="referrer")
        submitted_case(far_referrer)
        verified_login(client, neuro_oncologist)
        assert client.get(reverse("meetings:queue")).context["rows"] == []

    def test_search_filter_and_sort(self, client, referrer, neuro_oncologist, other_hospital):
        first = submitted_case(referrer)
        second = submitted_case(referrer, kps=None, kps_unknown=True)
        other_referrer = UserFactory(hospital=other_hospital, role="referrer")
        third = submitted_case(other_referrer, treatment_wish="no")
        verified_login(client, neuro_oncologist)

        def shown(**params):
            return [row["case"] for row in client.get(reverse("meetings:queue"), params).context["rows"]]

        assert shown(q=first.patient.family_name) == [first]
        assert shown(q=second.patient.patient_number) == [second]
        assert shown(hospital=other_hospital.pk) == [third]
        assert shown(outcome="NO_MDO_NO_TREATMENT_WISH") == [third]
        assert second not in shown(complete="yes") and second in shown(complete="no")
        assert shown(sort="waiting")[0] == first and shown(sort="recent")[0] == third
        assert AccessLog.objects.filter(case=first, action="search").exists()

    def test_invalid_filter_values_are_ignored_not_an_error(self, client, referrer, neuro_oncologist):
        submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        response = client.get(reverse("meetings:queue"), {"outcome": "BOGUS", "hospital": "x", "sort": "evil"})
        assert response.status_code == 200

    def test_paginates(self, client, referrer, neuro_oncologist):
        for _ in range(27):
            submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        assert len(client.get(reverse("meetings:queue")).context["rows"]) == 25
        assert len(client.get(reverse("meetings:queue"), {"page": 2}).context["rows"]) == 2

    def test_referrers_cannot_see_it(self, referrer_client):
        assert referrer_client.get(reverse("meetings:queue")).status_code == 403


class TestPreconsultation:
    def post(self, client, case, action, data):
        return client.post(reverse("casefile:preconsult", args=[case.pk, action]), data)

    def test_accept_records_who_when_and_reason(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        response = self.post(client, case, "accept", {"reason": "Past in stroomschema"})
        assert response.status_code == 302
        case.refresh_from_db()
        record = Preconsultation.objects.get(case=case)
        assert (record.action, record.by, record.outcome, record.reason) == (
            "accept", neuro_oncologist, "NEURO_ONC_MDO", "Past in stroomschema")
        assert case.status == CaseStatus.ACCEPTED
        assert Event.objects.filter(case=case, action="case.advice_accepted").exists()

    def test_override_needs_a_reason(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        response = self.post(client, case, "override", {"outcome": "ORGAN_SPECIFIC_MDO", "reason": ""})
        assert response.status_code == 400
        assert "reason" in response.context["preconsult_forms"]["override"].errors
        assert not Preconsultation.objects.exists()
        response = self.post(client, case, "override", {"outcome": "ORGAN_SPECIFIC_MDO",
                                                        "reason": "Goede systemische optie"})
        record = Preconsultation.objects.get(case=case)
        assert record.outcome == "ORGAN_SPECIFIC_MDO" and record.reason == "Goede systemische optie"
        case.refresh_from_db()
        assert case.current_advice.outcome == "NEURO_ONC_MDO"  # the triage advice itself is kept

    def test_request_info_reopens_the_case_for_the_referrer_and_resubmission_gives_new_advice(
            self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer, kps=None, kps_unknown=True)
        first_advice = case.current_advice
        verified_login(client, neuro_oncologist)
        self.post(client, case, "request_info", {"message": "Graag de actuele KPS."})
        case.refresh_from_db()
        assert case.status == CaseStatus.INFO_REQUESTED

        verified_login(client, referrer)
        page = client.get(case_url(case)).content.decode()
        assert "Graag de actuele KPS." in page
        step = reverse("referrals:intake_step", args=[case.pk, "clinical"])
        response = client.post(step, {"kps": "80", "dexamethasone": "no", "neuro_deficit": "no",
                                      "epilepsy": "no", "version": case.version, "next": "1"})
        assert response.status_code == 302
        case.refresh_from_db()
        response = client.post(reverse("referrals:intake_submit", args=[case.pk]), {"version": case.version})
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED
        assert case.advices.count() == 2
        assert case.current_advice != first_advice and case.current_advice.trigger == "resubmitted"
        assert case.meeting_ready
        first_advice.refresh_from_db()
        assert first_advice.facts["kps"] is None  # the old advice is kept as it was

    def test_close_needs_reason_and_forum(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        assert self.post(client, case, "close", {"reason": "", "closed_forum": ""}).status_code == 400
        self.post(client, case, "close", {"reason": "Orgaanspecifiek", "closed_forum": "organ_specific"})
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED

    def test_actions_are_refused_in_the_wrong_status(self, client, referrer, neuro_oncologist, chair):
        case = scheduled_case(referrer, chair).case
        verified_login(client, neuro_oncologist)
        self.post(client, case, "request_info", {"message": "x"})
        case.refresh_from_db()
        assert case.status == CaseStatus.SCHEDULED

    def test_referrers_and_other_regions_cannot_act(self, client, referrer, other_centre_hospital):
        case = submitted_case(referrer)
        verified_login(client, referrer)
        assert self.post(client, case, "accept", {}).status_code == 403
        far = UserFactory(hospital=CentreFactory(), role="neuro_oncologist")
        verified_login(client, far)
        assert self.post(client, case, "accept", {}).status_code == 404
        assert not Preconsultation.objects.exists()


class TestMeetings:
    def test_the_chair_creates_a_weekly_series(self, client, chair):
        verified_login(client, chair)
        first = timezone.localdate() + datetime.timedelta(days=3)
        response = client.post(reverse("meetings:meeting_create"), {
            "date": first.isoformat(), "start_time": "16:00", "location": "Zaal 1", "video_link": "",
            "capacity_cases": "8", "capacity_minutes": "", "minutes_per_case": "10", "chair": chair.pk,
            "weeks": "4"})
        assert response.status_code == 302
        dates = list(Meeting.objects.order_by("date").values_list("date", flat=True))
        assert dates == [first + datetime.timedelta(weeks=n) for n in range(4)]

    def test_a_meeting_needs_a_capacity_and_no_past_date(self, client, chair):
        verified_login(client, chair)
        response = client.post(reverse("meetings:meeting_create"), {
            "date": "2020-01-01", "start_time": "16:00", "location": "Zaal 1", "capacity_cases": "",
            "capacity_minutes": "", "minutes_per_case": "10", "weeks": "1"})
        assert response.status_code == 200
        assert set(response.context["form"].errors) >= {"date", "capacity_cases"}
        assert not Meeting.objects.exists()

    def test_capacity_in_minutes(self, chair):
        meeting = planned_meeting(chair, capacity_cases=None, capacity_minutes=45, minutes_per_case=10)
        assert meeting.capacity_in_cases == 4

    def test_neuro_oncologists_cannot_create_meetings(self, client, neuro_oncologist):
        verified_login(client, neuro_oncologist)
        assert client.get(reverse("meetings:meeting_create")).status_code == 403


class TestAgenda:
    def test_scheduling_places_the_case_and_proposes_the_next_meeting_with_room(
            self, client, referrer, chair):
        full = planned_meeting(chair, days_ahead=2, capacity_cases=1)
        scheduled_case(referrer, chair, meeting=full)
        later = planned_meeting(chair, days_ahead=9)
        case = submitted_case(referrer)
        verified_login(client, chair)
        page = client.get(case_url(case))
        assert page.context["proposed_meeting"] == later
        response = client.post(reverse("casefile:schedule", args=[case.pk]), {"meeting": later.pk})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == CaseStatus.SCHEDULED
        assert AgendaItem.objects.get(case=case).meeting == later

    def test_an_incomplete_case_cannot_be_placed_and_the_page_says_what_is_missing(
            self, client, referrer, chair):
        case = submitted_case(referrer, kps=None, kps_unknown=True)
        meeting = planned_meeting(chair)
        verified_login(client, chair)
        page = client.get(case_url(case)).content.decode()
        assert "KPS" in page and "schedule-form" not in page
        client.post(reverse("casefile:schedule", args=[case.pk]), {"meeting": meeting.pk})
        assert not AgendaItem.objects.exists()
        with pytest.raises(services.NotReadyForMeeting) as exc:
            services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
        assert "kps" in exc.value.gaps

    def test_capacity_is_never_exceeded(self, referrer, chair):
        meeting = planned_meeting(chair, capacity_cases=2)
        for _ in range(2):
            scheduled_case(referrer, chair, meeting=meeting)
        case = submitted_case(referrer)
        with pytest.raises(services.MeetingFull):
            services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
        assert AgendaItem.objects.filter(meeting=meeting).count() == 2
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED

    def test_move_remove_and_reorder(self, client, referrer, chair):
        meeting = planned_meeting(chair)
        other = planned_meeting(chair, days_ahead=14)
        first = scheduled_case(referrer, chair, meeting=meeting)
        second = scheduled_case(referrer, chair, meeting=meeting)
        verified_login(client, chair)
        client.post(reverse("meetings:item_reorder", args=[second.pk]), {"direction": "up"})
        order = list(AgendaItem.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True))
        assert order == [second.pk, first.pk]
        client.post(reverse("meetings:item_move", args=[first.pk]), {"meeting": other.pk})
        first.refresh_from_db()
        assert first.meeting == other
        response = client.post(reverse("meetings:item_remove", args=[second.pk]), {"reason": ""})
        second.refresh_from_db()
        # Sent back with the form and its error (tests/test_fuzz.py checks what was typed is kept).
        assert second.removed_at is None and response.status_code == 400
        client.post(reverse("meetings:item_remove", args=[second.pk]), {"reason": "Patiënt opgenomen"})
        second.refresh_from_db()
        assert second.removed_at is not None and second.removed_reason == "Patiënt opgenomen"
        second.case.refresh_from_db()
        assert second.case.status == CaseStatus.ACCEPTED
        # Taken off, the case can be placed again.
        services.case_schedule(actor=Actor(user=chair), case_id=second.case.pk, meeting_id=other.pk)

    def test_moving_to_a_full_meeting_is_refused(self, referrer, chair):
        meeting = planned_meeting(chair)
        full = planned_meeting(chair, days_ahead=14, capacity_cases=1)
        scheduled_case(referrer, chair, meeting=full)
        item = scheduled_case(referrer, chair, meeting=meeting)
        with pytest.raises(services.MeetingFull):
            services.agenda_move(actor=Actor(user=chair), item_id=item.pk, meeting_id=full.pk)


class TestAttendanceQuorumAdvice:
    def test_the_quorum_panel_shows_present_and_missing_disciplines(self, client, chair):
        meeting = planned_meeting(chair)
        register_quorum(meeting, chair, disciplines=("neurosurgery", "neurology"))
        verified_login(client, chair)
        response = client.get(reverse("meetings:meeting_detail", args=[meeting.pk]))
        quorum = response.context["quorum"]
        assert not quorum["met"]
        assert [str(label) for label in quorum["missing"]] == ["Radiotherapie", "(Neuro)radiologie"]

    def test_attendance_of_a_user_or_a_name(self, client, chair, neuro_oncologist):
        meeting = planned_meeting(chair)
        verified_login(client, chair)
        client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                    {"user": neuro_oncologist.pk, "discipline": "neurology", "mode": "video"})
        client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                    {"name": "Dr. Gast", "discipline": "neuroradiology", "mode": "on_site"})
        response = client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                               {"discipline": "neurosurgery", "mode": "on_site"})
        assert response.status_code == 400
        assert sorted(Attendance.objects.values_list("discipline", "mode")) == [
            ("neurology", "video"), ("neuroradiology", "on_site")]

    def test_radiotherapy_advice_is_refused_without_quorum_naming_the_missing(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair, disciplines=("neurosurgery", "neurology", "neuroradiology"))
        services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        verified_login(client, chair)
        response = client.post(reverse("meetings:item_advice", args=[item.pk]), ADVICE_POST)
        assert response.status_code == 400
        errors = " ".join(response.context["form"].errors["decisions"])
        assert "Ontbreekt: Radiotherapie." in errors and "Missing" not in errors
        assert not MeetingAdvice.objects.exists()

        register_quorum(item.meeting, chair, disciplines=("radiation_oncology",))
        response = client.post(reverse("meetings:item_advice", args=[item.pk]), ADVICE_POST)
        assert response.status_code == 302
        advice = MeetingAdvice.objects.get()
        assert advice.decisions == ["srt"] and advice.recorded_by == chair
        assert set(advice.present_disciplines) >= {"neurosurgery", "radiation_oncology", "neurology",
                                                   "neuroradiology"}
        item.case.refresh_from_db()
        assert item.case.status == CaseStatus.DISCUSSED

    def test_advice_without_radiotherapy_does_not_need_the_quorum(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="representative",
                                   representative_name="Dr. Waarnemer")
        advice = services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                                values={**ADVICE, "decisions": ["systemic"]})
        assert advice.pk

    def test_advice_needs_the_treating_physician_or_a_representative(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        with pytest.raises(services.ActionRefused):
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)

    def test_the_referrer_sees_the_advice_and_records_the_plan(self, client, referrer, chair):
        item = scheduled_case(referrer, chair, )
        register_quorum(item.meeting, chair)
        record_advice(item, chair)
        verified_login(client, referrer)
        page = client.get(case_url(item.case)).content.decode()
        assert "SRT 3x8 Gy" in page
        future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
        url = reverse("followup:implementation", args=[item.case.pk])
        client.post(url, {"agreed_on": future, "agreed": "Akkoord met SRT"})
        item.case.refresh_from_db()
        assert item.case.status == CaseStatus.DISCUSSED
        client.post(url, {"agreed_on": timezone.localdate().isoformat(), "agreed": "Akkoord met SRT",
                          "srt-status": "done", "srt-done_on": timezone.localdate().isoformat()})
        item.case.refresh_from_db()
        assert item.case.status == CaseStatus.IMPLEMENTED
        assert MeetingAdvice.objects.get().plan_agreed == "Akkoord met SRT"


class TestMeetingAccess:
    def test_only_the_centres_mdo_members_see_a_meeting(self, client, referrer, chair, neuro_oncologist,
                                                         other_centre_hospital):
        item = scheduled_case(referrer, chair)
        url = reverse("meetings:meeting_detail", args=[item.meeting.pk])
        verified_login(client, neuro_oncologist)
        assert client.get(url).status_code == 200
        verified_login(client, referrer)
        assert client.get(url).status_code == 404
        far_chair = UserFactory(hospital=other_centre_hospital.mdo_centre, role="chair")
        verified_login(client, far_chair)
        assert client.get(url).status_code == 404
        for name in ("item_presence", "item_remove", "item_move", "item_reorder"):
            assert client.post(reverse(f"meetings:{name}", args=[item.pk]), {}).status_code == 404
        assert client.get(reverse("meetings:item_advice", args=[item.pk])).status_code == 404


def test_a_meeting_in_which_no_case_fits_is_refused(chair):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        planned_meeting(chair, capacity_cases=None, capacity_minutes=5, minutes_per_case=10)
    assert "capacity_minutes" in exc.value.message_dict


def test_another_hospitals_intake_token_is_ignored(client, referrer, outsider):
    from referrals.models import Case
    from tests.intake_helpers import STEP_DATA

    token = "5f0e8a52-4b0e-4a5c-9a51-7c8d3f3b1a10"
    verified_login(client, outsider)
    client.post(reverse("referrals:intake_new"), {**STEP_DATA["patient"], "next": "1", "intake_token": token})
    verified_login(client, referrer)
    response = client.post(reverse("referrals:intake_new"),
                           {**STEP_DATA["patient"], "next": "1", "intake_token": token})
    assert response.status_code == 302
    assert Case.objects.filter(referring_hospital=referrer.hospital).count() == 1
    assert Case.objects.count() == 2


class TestDiscussAgain:
    def test_the_case_goes_back_to_be_placed_on_a_later_meeting_and_the_first_advice_stays(
            self, client, referrer, chair):
        first = scheduled_case(referrer, chair)
        register_quorum(first.meeting, chair)
        record_advice(first, chair, decisions=["diagnostics", "discuss_again"], text="Eerst perfusie-MRI.")
        case = first.case
        case.refresh_from_db()
        assert case.status == CaseStatus.ACCEPTED
        first.refresh_from_db()
        assert first.discussed_at is not None

        verified_login(client, chair)
        page = client.get(case_url(case))
        assert page.context["agenda_item"] is None  # it waits for no meeting now
        later = planned_meeting(chair, days_ahead=7)
        page = client.get(case_url(case))
        # Not the meeting that just discussed it, though that one has room.
        assert page.context["proposed_meeting"] == later
        assert [meeting["pk"] for meeting in page.context["schedule_choices"]] == [later.pk]
        with pytest.raises(services.ActionRefused):
            services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=first.meeting_id)
        response = client.post(reverse("casefile:schedule", args=[case.pk]), {"meeting": later.pk})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == CaseStatus.SCHEDULED
        second = AgendaItem.objects.get(case=case, meeting=later)
        assert client.get(case_url(case)).context["agenda_item"] == second
        with pytest.raises(services.ActionRefused):
            services.agenda_move(actor=Actor(user=chair), item_id=second.pk, meeting_id=first.meeting_id)

        # The first meeting keeps the case and its advice on its agenda and minutes.
        from meetings.presenters import agenda_items

        assert [item.pk for item in agenda_items(first.meeting)] == [first.pk]
        minutes = client.get(reverse("meetings:minutes_print", args=[first.meeting.pk])).content.decode()
        assert "Eerst perfusie-MRI." in minutes
        # Its advice is not rewritten once the case waits for the later meeting.
        with pytest.raises(services.ActionRefused):
            record_advice(first, chair, decisions=["systemic"])

        time_passes(later)
        register_quorum(later, chair)
        record_advice(second, chair)
        case.refresh_from_db()
        assert case.status == CaseStatus.DISCUSSED
        assert client.get(case_url(case)).context["meeting_advice"].item == second
        assert MeetingAdvice.objects.filter(item__case=case).count() == 2

    def test_a_correction_to_discuss_again_sends_the_case_back_and_back_again(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        record_advice(item, chair)
        services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                       values={**ADVICE, "decisions": ["discuss_again"]})
        item.case.refresh_from_db()
        assert item.case.status == CaseStatus.ACCEPTED
        services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
        item.case.refresh_from_db()
        assert item.case.status == CaseStatus.DISCUSSED
        assert Event.objects.filter(case=item.case, action="case.advice_corrected").count() == 2


class TestWhatHappensInTheMeeting:
    def test_a_future_meeting_takes_no_attendance_presence_or_advice(self, referrer, chair):
        # The presence is recorded today, then the meeting is moved to next week: its advice must be
        # refused for the date alone, not for a presence missing.
        item = scheduled_case(referrer, chair)
        services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        meeting = services.meeting_update(actor=Actor(user=chair), meeting_id=item.meeting_id,
                                          values={"date": timezone.localdate() + datetime.timedelta(days=7)},
                                          expected_version=item.meeting.version)
        with pytest.raises(services.ActionRefused) as exc:
            register_quorum(meeting, chair)
        assert "aanwezigheid" in exc.value.message and f"{meeting.date:%-d-%-m-%Y}" in exc.value.message
        with pytest.raises(services.ActionRefused):
            services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        with pytest.raises(services.ActionRefused):
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                           values={**ADVICE, "decisions": ["systemic"]})
        assert not Attendance.objects.exists() and not MeetingAdvice.objects.exists()
        with pytest.raises(services.ActionRefused):
            services.meeting_set_status(actor=Actor(user=chair), meeting_id=meeting.pk, status="held")

    def test_every_radiotherapy_advice_needs_the_quorum(self, referrer, chair):
        for decisions in (["srt"], ["resection_srt"], ["wbrt"], ["systemic", "srt"]):
            item = scheduled_case(referrer, chair)
            services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
            with pytest.raises(services.QuorumNotMet) as exc:
                services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                               values={**ADVICE, "decisions": decisions})
            assert exc.value.missing == ["neurosurgery", "radiation_oncology", "neurology", "neuroradiology"]
        assert not MeetingAdvice.objects.exists()

    def test_a_participant_with_an_account_counts_for_their_own_discipline(self, client, chair):
        meeting = planned_meeting(chair)
        colleague = UserFactory(hospital=chair.hospital, role="neuro_oncologist", discipline="neurology",
                                first_name="Piet", last_name="Neuroloog")
        with pytest.raises(services.ActionRefused) as exc:
            services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk, user=colleague,
                                    discipline="neurosurgery", mode="on_site")
        assert "Neurologie" in str(exc.value.message)
        verified_login(client, chair)
        response = client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                               {"user": colleague.pk, "discipline": "radiation_oncology", "mode": "on_site"})
        assert response.status_code == 400
        assert "is geregistreerd als Neurologie" in " ".join(response.context["attendance_form"].non_field_errors())
        assert not Attendance.objects.exists()
        client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                    {"user": colleague.pk, "discipline": "neurology", "mode": "video"})
        assert Attendance.objects.get().discipline == "neurology"


class TestClosingTheMeeting:
    def test_it_is_refused_while_a_case_waits_for_its_advice(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        verified_login(client, chair)
        response = client.post(reverse("meetings:meeting_status", args=[item.meeting.pk]), {"status": "closed"},
                               follow=True)
        assert response.status_code == 200
        assert "1 casus" in response.content.decode() or "1 case" in response.content.decode()
        item.meeting.refresh_from_db()
        assert item.meeting.status == "planned"
        record_advice(item, chair, decisions=["systemic"])
        client.post(reverse("meetings:meeting_status", args=[item.meeting.pk]), {"status": "closed"})
        item.meeting.refresh_from_db()
        assert item.meeting.status == "closed"

    def test_a_closed_meeting_is_final(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        record_advice(item, chair)
        meeting = services.meeting_set_status(actor=Actor(user=chair), meeting_id=item.meeting_id, status="closed")
        actor = Actor(user=chair)
        refused = [
            lambda: services.meeting_set_status(actor=actor, meeting_id=meeting.pk, status="planned"),
            lambda: services.meeting_advice_record(actor=actor, item_id=item.pk, values=ADVICE),
            lambda: services.attendance_add(actor=actor, meeting_id=meeting.pk, discipline="neurology",
                                            mode="on_site", name="Dr. Laat"),
            lambda: services.attendance_remove(actor=actor, attendance_id=Attendance.objects.first().pk),
            lambda: services.item_set_presence(actor=actor, item_id=item.pk, present="no"),
            lambda: services.agenda_reorder(actor=actor, item_id=item.pk, direction="up"),
            lambda: services.meeting_update(actor=actor, meeting_id=meeting.pk, values={"location": "Elders"},
                                            expected_version=meeting.version),
        ]
        for action in refused:
            with pytest.raises(services.ActionRefused):
                action()
        meeting.refresh_from_db()
        assert meeting.status == "closed" and meeting.location == "Vergaderzaal 2"
        assert Attendance.objects.filter(meeting=meeting).count() == 4
        item.refresh_from_db()
        assert item.treating_physician_present == "yes"
        # The page shows and prints the minutes but offers no form to change them.
        verified_login(client, chair)
        page = client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
        assert "attendance-form" not in page and "presence-form" not in page
        assert 'name="status"' not in page
        assert reverse("meetings:minutes_pdf", args=[meeting.pk]) in page


class TestAttendanceAndAdviceForms:
    def test_one_person_counts_for_one_discipline(self, client, chair):
        meeting = planned_meeting(chair)
        verified_login(client, chair)
        client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                    {"name": "Dr. Gast", "discipline": "neurosurgery", "mode": "on_site"})
        response = client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                               {"name": " dr. gast ", "discipline": "radiation_oncology", "mode": "video"})
        assert response.status_code == 400
        form = response.context["attendance_form"]
        assert form.non_field_errors() and form["name"].value() == " dr. gast "
        assert list(Attendance.objects.values_list("discipline", flat=True)) == ["neurosurgery"]

    def test_the_advice_form_proposes_the_follow_up_of_the_chart(self, client, referrer, chair):
        asymptomatic = scheduled_case(referrer, chair)
        symptomatic = scheduled_case(referrer, chair, epilepsy="yes", rapid_kps_improvement="no",
                                     qol_improvement="no")
        assert asymptomatic.case.current_advice.chart == "A"
        assert symptomatic.case.current_advice.chart == "S"
        verified_login(client, chair)
        for item, follow_up in ((asymptomatic, "treating_mri"), (symptomatic, "neurology_mri")):
            form = client.get(reverse("meetings:item_advice", args=[item.pk])).context["form"]
            assert form["follow_up"].value() == follow_up

    def test_the_presence_is_chosen_not_taken_by_default(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        verified_login(client, chair)
        response = client.post(reverse("meetings:item_presence", args=[item.pk]), {"present": ""})
        assert response.status_code == 400
        item.refresh_from_db()
        assert item.treating_physician_present == ""


def test_the_migration_marks_the_items_already_advised_as_discussed(referrer, chair):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("meetings.migrations.0002_agendaitem_discussed_at")
    advised, waiting = scheduled_case(referrer, chair), scheduled_case(referrer, chair)
    register_quorum(advised.meeting, chair)
    record_advice(advised, chair)
    # As the rows were before the migration: the one place a test writes an agenda item by hand.
    AgendaItem.objects.update(discussed_at=None)
    migration.mark_discussed(apps, None)
    advised.refresh_from_db()
    waiting.refresh_from_db()
    assert advised.discussed_at == advised.advice.recorded_at and waiting.discussed_at is None


def test_the_advice_keeps_whether_it_includes_radiotherapy_and_had_the_quorum(referrer, chair):
    """The quality dashboard's law figures read two columns, set from the decisions and the
    disciplines present at every save of the advice (MeetingAdvice.derive)."""
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    advice = record_advice(item, chair, decisions=["srt"])
    advice.refresh_from_db()
    assert advice.includes_radiotherapy and advice.quorum_present
    advice = record_advice(item, chair, decisions=["systemic"], follow_up="treating_mri")  # a correction
    advice.refresh_from_db()
    assert not advice.includes_radiotherapy and advice.quorum_present
    assert advice.history.first().includes_radiotherapy is False


def test_the_migration_fills_the_law_columns_of_existing_advices(referrer, chair):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("meetings.migrations.0007_advice_law_columns")
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    record_advice(item, chair, decisions=["srt"])
    # As the rows were before the migration: both columns at their default.
    MeetingAdvice.objects.update(includes_radiotherapy=False, quorum_present=False)
    MeetingAdvice.history.update(includes_radiotherapy=False, quorum_present=False)
    migration.fill(apps, None)
    advice = MeetingAdvice.objects.get()
    assert advice.includes_radiotherapy and advice.quorum_present
    assert all(row.includes_radiotherapy and row.quorum_present for row in advice.history.all())


def test_a_case_is_not_placed_on_a_past_or_held_meeting(referrer, chair):
    past = time_passes(planned_meeting(chair), days_ago=1)
    held = mark_held(planned_meeting(chair), chair)
    case = submitted_case(referrer)
    for meeting in (past, held):
        with pytest.raises(services.ActionRefused):
            services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
    assert services.next_meeting_with_room(chair.hospital) is None
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and not AgendaItem.objects.exists()
