"""An administrator creates and changes the meetings of every MDO centre, and never sees a patient.

The administrator belongs to no hospital, so they choose the meeting's MDO centre in the form; a
chair creates for their own centre and has no such field (a forged one is ignored). The meeting
list and the meeting page show an administrator the meeting's facts: date, time, place, chair, how
many cases against the capacity, status. Not the agenda, attendance, advice or printouts.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessLog, Event
from meetings import services
from meetings.forms import MeetingForm
from meetings.models import Meeting
from tests.conftest import speak, verified_login
from tests.factories import CentreFactory, UserFactory
from tests.mailqueue import discard, drain
from tests.workflow import ADVICE, planned_meeting, register_quorum, scheduled_case

pytestmark = pytest.mark.django_db

CREATE = reverse("meetings:meeting_create")


def meeting_data(**values):
    return {
        "date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(), "start_time": "16:00",
        "location": "Zaal 3", "video_link": "", "capacity_cases": "8", "capacity_minutes": "",
        "minutes_per_case": "10", "chair": "", "weeks": "1", **values,
    }


@pytest.fixture
def admin_client(client, admin_user):
    return verified_login(client, admin_user)


@pytest.fixture
def far_centre(db):
    return CentreFactory(name="Centrum Oost", code="oost")


class TestTheAdministratorCreatesMeetings:
    def test_a_single_meeting_for_the_centre_chosen(self, admin_client, admin_user, centre, chair):
        response = admin_client.post(CREATE, meeting_data(centre=centre.pk, chair=chair.pk))
        assert response.status_code == 302
        meeting = Meeting.objects.get()
        assert (meeting.centre, meeting.chair, meeting.location, meeting.capacity_cases) == (
            centre, chair, "Zaal 3", 8)
        assert response["Location"] == reverse("meetings:meeting_detail", args=[meeting.pk])
        event = Event.objects.get(action="meeting.created")
        assert event.user == admin_user and event.object_id == str(meeting.pk)
        assert event.data == {"date": meeting.date.isoformat(), "centre": centre.pk}
        assert meeting.history.get().history_user == admin_user

    def test_a_weekly_series_for_another_centre(self, admin_client, admin_user, centre, far_centre):
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR)
        first = timezone.localdate() + datetime.timedelta(days=3)
        response = admin_client.post(CREATE, meeting_data(centre=far_centre.pk, chair=far_chair.pk, weeks="4"))
        assert response.status_code == 302
        meetings = Meeting.objects.order_by("date")
        assert [m.date for m in meetings] == [first + datetime.timedelta(weeks=n) for n in range(4)]
        assert {m.centre for m in meetings} == {far_centre} and {m.chair for m in meetings} == {far_chair}
        assert not Meeting.objects.filter(centre=centre).exists()
        assert Event.objects.filter(action="meeting.created", user=admin_user).count() == 4

    def test_the_form_offers_the_mdo_centres_and_their_chairs(self, admin_client, centre, hospital, chair,
                                                              far_centre):
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR, first_name="Olga", last_name="Oost")
        UserFactory(hospital=centre, role=Role.NEURO_ONCOLOGIST)
        form = admin_client.get(CREATE).context["form"]
        assert list(form.fields)[0] == "centre"
        assert set(form.fields["centre"].queryset) == {centre, far_centre}
        assert set(form.fields["chair"].queryset) == {chair, far_chair}
        labels = dict(form.fields["chair"].choices)
        assert "Olga Oost (Centrum Oost)" in labels.values()

    def test_without_a_centre_it_is_refused_at_the_field(self, admin_client):
        response = admin_client.post(CREATE, meeting_data())
        assert response.status_code == 200
        assert response.context["form"].errors["centre"] == ["Kies het MDO-centrum van de vergadering."]
        assert response.context["form"]["location"].value() == "Zaal 3"  # what was typed stays
        # (The administrator's login is an event of its own: auth.login.)
        assert not Meeting.objects.exists() and not Event.objects.exclude(action__startswith="auth.").exists()

    def test_a_hospital_that_is_not_an_mdo_centre_is_refused_at_the_field(self, admin_client, hospital):
        response = admin_client.post(CREATE, meeting_data(centre=hospital.pk))
        assert response.status_code == 200
        assert response.context["form"].errors["centre"] == ["Kies een van de MDO-centra uit de lijst."]
        assert not Meeting.objects.exists()

    def test_the_refusal_is_in_english_for_an_english_user(self, admin_client, hospital):
        speak(admin_client, "en")
        response = admin_client.post(CREATE, meeting_data(centre=hospital.pk))
        assert response.context["form"].errors["centre"] == ["Choose one of the MDT centres in the list."]

    def test_a_chair_of_another_centre_is_refused_at_the_chair_field(self, admin_client, centre, far_centre):
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR)
        response = admin_client.post(CREATE, meeting_data(centre=centre.pk, chair=far_chair.pk))
        assert response.status_code == 200
        assert response.context["form"].errors["chair"] == [f"{far_chair} is geen voorzitter van {centre}."]
        assert not Meeting.objects.exists()

    def test_the_service_refuses_a_hospital_that_is_not_an_mdo_centre(self, admin_user, hospital, chair):
        with pytest.raises(ValidationError) as exc:
            services.meeting_create(actor=Actor(user=admin_user), centre=hospital, values={
                "date": timezone.localdate(), "start_time": datetime.time(16), "location": "Zaal 1",
                "capacity_cases": 5})
        assert "centre" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.meeting_create(actor=Actor(user=admin_user), centre=CentreFactory(), values={
                "date": timezone.localdate(), "start_time": datetime.time(16), "location": "Zaal 1",
                "capacity_cases": 5, "chair": chair})
        assert "chair" in exc.value.message_dict
        # (The administrator's login is an event of its own: auth.login.)
        assert not Meeting.objects.exists() and not Event.objects.exclude(action__startswith="auth.").exists()


class TestAChairCreatesForTheirOwnCentreOnly:
    def test_a_forged_centre_is_ignored(self, client, chair, centre, far_centre):
        verified_login(client, chair)
        assert "centre" not in client.get(CREATE).context["form"].fields
        response = client.post(CREATE, meeting_data(centre=far_centre.pk, chair=chair.pk, weeks="2"))
        assert response.status_code == 302
        assert set(Meeting.objects.values_list("centre", flat=True)) == {centre.pk}
        assert Meeting.objects.count() == 2
        assert not Meeting.objects.filter(centre=far_centre).exists()

    def test_a_chair_of_another_centre_cannot_be_chosen(self, client, chair, far_centre):
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR)
        verified_login(client, chair)
        response = client.post(CREATE, meeting_data(chair=far_chair.pk))
        assert response.status_code == 200 and "chair" in response.context["form"].errors
        assert not Meeting.objects.exists()

    def test_a_chair_of_another_centre_reaches_neither_page_nor_form_of_our_meeting(self, client, chair,
                                                                                    far_centre):
        meeting = planned_meeting(chair)
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR)
        verified_login(client, far_chair)
        for name in ("meeting_detail", "meeting_edit"):
            assert client.get(reverse(f"meetings:{name}", args=[meeting.pk])).status_code == 404


@pytest.fixture
def meeting_with_patients(referrer, chair):
    """A meeting with two cases: one advised, one discussed before in an earlier meeting."""
    earlier = scheduled_case(referrer, chair, patient={"family_name": "Eerderbesproken"},
                             question_to_mdo="Vraag vooraf?")
    register_quorum(earlier.meeting, chair)
    services.item_set_presence(actor=Actor(user=chair), item_id=earlier.pk, present="yes")
    services.meeting_advice_record(actor=Actor(user=chair), item_id=earlier.pk, values={
        **ADVICE, "decisions": ["diagnostics", "discuss_again"], "text": "Eerst perfusie-MRI."})
    meeting = planned_meeting(chair, days_ahead=7)
    again = services.case_schedule(actor=Actor(user=chair), case_id=earlier.case_id, meeting_id=meeting.pk)
    other = scheduled_case(referrer, chair, meeting=meeting)
    return meeting, [again.case, other.case]


def secrets_of(cases):
    words = []
    for case in cases:
        words += [case.patient.family_name, case.patient.patient_number, case.patient.given_names,
                  case.question_to_mdo]
    return words + ["Eerst perfusie-MRI.", "Aanvullende diagnostiek"]


class TestTheAdministratorNeverSeesAPatient:
    def test_list_page_and_form_show_the_meeting_and_no_patient(self, admin_client, admin_user,
                                                                meeting_with_patients):
        meeting, cases = meeting_with_patients
        logged = AccessLog.objects.count()
        pages = {
            "list": reverse("meetings:meeting_list"),
            "page": reverse("meetings:meeting_detail", args=[meeting.pk]),
            "edit": reverse("meetings:meeting_edit", args=[meeting.pk]),
            "create": CREATE,
        }
        contents = {}
        for key, url in pages.items():
            response = admin_client.get(url)
            assert response.status_code == 200, key
            contents[key] = response.content.decode()
            for secret in secrets_of(cases):
                assert secret not in contents[key], (key, secret)
        # What it does show: the facts of the meeting, and how full it is.
        assert "Vergaderzaal 2" in contents["page"] and "2 / 10" in contents["page"]
        assert str(meeting.chair) in contents["page"] and str(meeting.centre) in contents["page"]
        assert "2 / 10" in contents["list"] and str(meeting.centre) in contents["list"]
        assert reverse("meetings:agenda_print", args=[meeting.pk]) not in contents["page"]
        assert 'name="status"' not in contents["page"]
        # No patient was read, so none is in the access log.
        assert AccessLog.objects.count() == logged
        assert not AccessLog.objects.filter(user=admin_user).exists()

    def test_agenda_attendance_advice_and_printouts_are_out_of_reach(self, admin_client, meeting_with_patients):
        meeting, cases = meeting_with_patients
        item = meeting.items.first()
        for name in ("agenda_print", "agenda_pdf", "minutes_print", "minutes_pdf"):
            response = admin_client.get(reverse(f"meetings:{name}", args=[meeting.pk]))
            assert response.status_code == 404, name
        assert admin_client.get(reverse("meetings:item_advice", args=[item.pk])).status_code == 403
        assert admin_client.post(reverse("meetings:attendance_add", args=[meeting.pk]),
                                 {"name": "Dr. X", "discipline": "neurology", "mode": "on_site"}).status_code == 403
        assert admin_client.post(reverse("meetings:meeting_status", args=[meeting.pk]),
                                 {"status": "held"}).status_code == 404
        assert admin_client.get(reverse("casefile:case_detail", args=[cases[0].pk])).status_code == 404

    def test_the_administrator_changes_the_meeting_and_sees_no_patient_in_the_answer(
            self, admin_client, admin_user, chair, meeting_with_patients, mailoutbox,
            django_capture_on_commit_callbacks):
        meeting, cases = meeting_with_patients
        discard()
        url = reverse("meetings:meeting_edit", args=[meeting.pk])
        data = {**meeting_data(date=meeting.date.isoformat(), location="Zaal 9", chair=chair.pk),
                "version": meeting.version}
        response = admin_client.post(url, {**data, "capacity_cases": "1"})
        # Refused: two cases on the agenda. The message counts, it names no one.
        assert response.status_code == 200
        content = response.content.decode()
        assert all(secret not in content for secret in secrets_of(cases))
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url, data, follow=True)
        assert response.status_code == 200
        content = response.content.decode()
        assert "Zaal 9" in content and all(secret not in content for secret in secrets_of(cases))
        meeting.refresh_from_db()
        assert meeting.location == "Zaal 9"
        assert Event.objects.filter(action="meeting.changed", user=admin_user, object_id=str(meeting.pk)).exists()
        # The referrers of the cases waiting for it are told where the meeting is now.
        drain()
        assert len(mailoutbox) == 2

    def test_the_list_shows_every_centres_meetings_with_their_centre(self, admin_client, chair, far_centre):
        ours = planned_meeting(chair)
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR)
        theirs = services.meeting_create(actor=Actor(user=far_chair), centre=far_centre, values={
            "date": timezone.localdate(), "start_time": datetime.time(9), "location": "Oostzaal",
            "capacity_cases": 4, "chair": far_chair})
        response = admin_client.get(reverse("meetings:meeting_list"))
        assert set(response.context["upcoming"]) == {ours, theirs}
        content = response.content.decode()
        assert "Centrum Oost" in content and "Oostzaal" in content and "0 / 4" in content

    def test_the_mdo_members_still_see_only_their_own_centre(self, client, chair, far_centre):
        ours = planned_meeting(chair)
        far_chair = UserFactory(hospital=far_centre, role=Role.CHAIR)
        services.meeting_create(actor=Actor(user=far_chair), centre=far_centre, values={
            "date": timezone.localdate(), "start_time": datetime.time(9), "location": "Oostzaal",
            "capacity_cases": 4, "chair": far_chair})
        verified_login(client, chair)
        assert list(client.get(reverse("meetings:meeting_list")).context["upcoming"]) == [ours]


def test_a_new_meeting_starts_with_the_regions_minutes_per_case(settings):
    settings.MDO_DEFAULT_MINUTES_PER_CASE = 15
    form = MeetingForm(centre=None)

    assert form.fields["minutes_per_case"].initial == 15
