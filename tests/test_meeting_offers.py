"""A meeting page offers only what may be done now, and a meeting can be cancelled (issue 12 item 8).

Attendance, presence and advice are recorded from the meeting's date on: a future meeting offers
none of their forms. Attendance is fixed once an advice is recorded: no "Remove". A meeting is held
or closed from its start on, and once held it is no longer "upcoming". Cancelling a meeting moves
its cases to another meeting, or takes them off the agenda, in one action, with the mails.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actor import Actor
from audit.models import Event
from meetings import services
from meetings.models import AgendaItem, MeetingStatus
from referrals.models import CaseStatus
from tests.conftest import verified_login
from tests.mailqueue import discard, drain
from tests.workflow import mark_held, planned_meeting, record_advice, register_quorum, scheduled_case


def page(client, meeting):
    return client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()


def test_a_future_meeting_offers_no_attendance_presence_or_advice(client, referrer, chair):
    meeting = planned_meeting(chair, days_ahead=7)
    item = scheduled_case(referrer, chair, meeting)
    verified_login(client, chair)
    content = page(client, meeting)
    assert "attendance-form" not in content and "presence-form" not in content
    assert reverse("meetings:item_advice", args=[item.pk]) not in content
    assert "worden in het MDO zelf vastgelegd, vanaf" in content
    assert 'id="meeting-status"' not in content, "held/closed are not offered before the start"
    # What the page no longer offers is refused all the same.
    with pytest.raises(services.ActionRefused):
        services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk, discipline="neurology",
                                mode="on_site", name="Dr. X")


def test_after_an_advice_attendance_is_fixed_and_not_offered(client, referrer, chair):
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    record_advice(item, chair)
    verified_login(client, chair)
    content = page(client, item.meeting)
    assert "attendance-form" not in content
    assert "/attendance/" not in content.split('id="attendance-title"')[1].split("</section>")[0]
    assert "is de aanwezigheid vastgelegd" in content or "attendance-fixed" in content
    with pytest.raises(services.ActionRefused):
        attendance = item.meeting.attendances.first()
        services.attendance_remove(actor=Actor(user=chair), attendance_id=attendance.pk)


def test_a_meeting_is_not_held_before_its_start(chair):
    now = timezone.localtime()
    if now.time() >= datetime.time(23, 0):
        pytest.skip("needs a start time later today")
    meeting = planned_meeting(chair, start_time=datetime.time(23, 30))
    with pytest.raises(services.ActionRefused, match="nog niet begonnen"):
        services.meeting_set_status(actor=Actor(user=chair), meeting_id=meeting.pk, status="held")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_a_held_meeting_of_today_is_no_longer_upcoming(client, chair):
    meeting = mark_held(planned_meeting(chair, start_time=datetime.time(0, 0)), chair)
    verified_login(client, chair)
    response = client.get(reverse("meetings:meeting_list"))
    assert meeting in response.context["past"] and meeting not in response.context["upcoming"]


class TestCancelling:
    def two_cases(self, referrer, chair):
        meeting = planned_meeting(chair, days_ahead=1)
        first = scheduled_case(referrer, chair, meeting)
        second = scheduled_case(referrer, chair, meeting)
        return meeting, first, second

    def test_the_cases_move_to_the_meeting_chosen_with_mails(self, referrer, chair, mailoutbox,
                                                             django_capture_on_commit_callbacks):
        meeting, first, second = self.two_cases(referrer, chair)
        later = planned_meeting(chair, days_ahead=8)
        discard()
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_cancel(actor=Actor(user=chair), meeting_id=meeting.pk, reason="Zaal niet beschikbaar",
                                    move_to=later)
        drain()
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "Zaal niet beschikbaar"
        assert set(AgendaItem.objects.filter(meeting=later, removed_at__isnull=True).values_list(
            "case_id", flat=True)) == {first.case_id, second.case_id}
        # Per case: the move, and the cancelled meeting's calendar event (interop.ics).
        assert len(mailoutbox) == 4 and all(referrer.email in m.to for m in mailoutbox)
        assert sum(1 for m in mailoutbox if m.attachments and b"METHOD:CANCEL" in _ics(m)) == 2
        assert Event.objects.filter(action="meeting.cancelled").count() == 1

    def test_without_a_meeting_the_cases_leave_the_agenda_with_the_reason(self, referrer, chair, mailoutbox,
                                                                           django_capture_on_commit_callbacks):
        meeting, first, second = self.two_cases(referrer, chair)
        discard()
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_cancel(actor=Actor(user=chair), meeting_id=meeting.pk, reason="Ziekte voorzitter")
        drain()
        for item in (first, second):
            item.refresh_from_db()
            item.case.refresh_from_db()
            assert item.removed_at is not None and "Ziekte voorzitter" in item.removed_reason
            assert item.case.status == CaseStatus.ACCEPTED
        # Per case: taken off the agenda, and the cancelled meeting's calendar event.
        assert len(mailoutbox) == 4
        assert sum(1 for m in mailoutbox if m.attachments and b"METHOD:CANCEL" in _ics(m)) == 2

    def test_it_is_all_or_nothing(self, referrer, chair):
        meeting, first, second = self.two_cases(referrer, chair)
        full = planned_meeting(chair, days_ahead=8, capacity_cases=1)
        with pytest.raises(services.MeetingFull):
            services.meeting_cancel(actor=Actor(user=chair), meeting_id=meeting.pk, reason="x", move_to=full)
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.PLANNED
        assert AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True).count() == 2

    def test_a_meeting_with_an_advice_is_not_cancelled(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        record_advice(item, chair)
        with pytest.raises(services.ActionRefused):
            services.meeting_cancel(actor=Actor(user=chair), meeting_id=item.meeting_id, reason="x")

    def test_the_form_needs_a_reason_at_the_field(self, client, referrer, chair):
        meeting, _first, _second = self.two_cases(referrer, chair)
        verified_login(client, chair)
        response = client.post(reverse("meetings:meeting_cancel", args=[meeting.pk]), {"reason": ""})
        assert response.status_code == 400
        assert "reason" in response.context["cancel_form"].errors
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.PLANNED

    def test_the_page_cancels_and_says_so(self, client, referrer, chair):
        meeting, _first, _second = self.two_cases(referrer, chair)
        verified_login(client, chair)
        response = client.post(reverse("meetings:meeting_cancel", args=[meeting.pk]), {"reason": "Feestdag"})
        assert response.status_code == 302
        content = page(client, meeting)
        assert "meeting-cancelled" in content and "Feestdag" in content
        assert "cancel-form" not in content and "attendance-form" not in content

    def test_a_referrer_cannot_cancel(self, client, referrer, chair):
        meeting, _first, _second = self.two_cases(referrer, chair)
        verified_login(client, referrer)
        response = client.post(reverse("meetings:meeting_cancel", args=[meeting.pk]), {"reason": "x"})
        assert response.status_code in (403, 404)


def _ics(message):
    content = message.attachments[0][1]
    return content.encode() if isinstance(content, str) else content
