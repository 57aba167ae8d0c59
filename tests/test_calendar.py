"""A meeting as an iCalendar event (issue 13, item 5): parsed back with icalendar, no patient in it."""

import datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from audit.actor import Actor
from interop.ics import meeting_ics, meeting_uid
from meetings import services as meeting_services
from tests.conftest import verified_login
from tests.mailqueue import discard, drain
from tests.workflow import planned_meeting, scheduled_case

pytestmark = pytest.mark.django_db


def _event(data):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def _attached_ics(message):
    files = [content for name, content, mimetype in message.attachments if name.endswith(".ics")]
    assert len(files) == 1 and message.attachments[0][2].startswith("text/calendar")
    return files[0].encode() if isinstance(files[0], str) else files[0]


def test_the_event_has_the_meeting_and_no_patient(referrer, chair):
    item = scheduled_case(referrer, chair, patient={"family_name": "Pietersen", "given_names": "Anna"})
    meeting = item.meeting
    calendar, event = _event(meeting_ics(meeting))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"meeting-{meeting.pk}@mdo-hersenmetastasen.nl"
    assert int(event["SEQUENCE"]) == meeting.version
    start = event.decoded("DTSTART")
    assert start == meeting.starts_at
    # Planned length: capacity 10 cases x 10 minutes.
    assert event.decoded("DTEND") - start == datetime.timedelta(minutes=100)
    assert str(event["LOCATION"]) == "Vergaderzaal 2"
    assert str(event["URL"]) == "https://video.example.org/mdo"
    assert str(event["STATUS"]) == "CONFIRMED"
    text = meeting_ics(meeting).decode()
    for private in ("Pietersen", "Anna", item.case.patient.patient_number, item.case.reference):
        assert private not in text


def test_capacity_in_minutes_gives_the_end(chair):
    meeting = planned_meeting(chair, capacity_cases=None, capacity_minutes=45)
    _, event = _event(meeting_ics(meeting))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(minutes=45)


def test_a_change_keeps_the_uid_and_raises_the_sequence(chair):
    meeting = planned_meeting(chair, days_ahead=3)
    _, before = _event(meeting_ics(meeting))
    meeting = meeting_services.meeting_update(actor=Actor(user=chair), meeting_id=meeting.pk,
                                              values={"location": "Zaal 5"}, expected_version=meeting.version)
    _, after = _event(meeting_ics(meeting))
    assert str(after["UID"]) == str(before["UID"]) == meeting_uid(meeting)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["LOCATION"]) == "Zaal 5"


def test_a_cancelled_meeting_is_a_cancel(chair):
    meeting = planned_meeting(chair, days_ahead=3)
    first_sequence = meeting.version
    meeting = meeting_services.meeting_cancel(actor=Actor(user=chair), meeting_id=meeting.pk, reason="Feestdag")
    calendar, event = _event(meeting_ics(meeting))
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == meeting_uid(meeting) and int(event["SEQUENCE"]) > first_sequence


def test_the_scheduled_mail_carries_the_event_and_a_change_sends_it_again(referrer, chair, mailoutbox):
    meeting = planned_meeting(chair, days_ahead=3)
    discard()
    scheduled_case(referrer, chair, meeting)
    drain()
    scheduled = [m for m in mailoutbox if referrer.email in m.to and m.attachments]
    assert len(scheduled) == 1
    _, first = _event(_attached_ics(scheduled[0]))
    assert str(first["UID"]) == meeting_uid(meeting)
    mailoutbox.clear()
    meeting_services.meeting_update(actor=Actor(user=chair), meeting_id=meeting.pk,
                                    values={"start_time": datetime.time(15, 30)}, expected_version=meeting.version)
    drain()
    [changed] = [m for m in mailoutbox if referrer.email in m.to]
    _, second = _event(_attached_ics(changed))
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("DTSTART").time() == datetime.time(15, 30)


def test_a_cancellation_is_mailed_to_the_referrers_with_the_same_uid(referrer, chair, mailoutbox):
    item = scheduled_case(referrer, chair, planned_meeting(chair, days_ahead=3),
                          patient={"family_name": "Pietersen"})
    discard()
    meeting_services.meeting_cancel(actor=Actor(user=chair), meeting_id=item.meeting_id, reason="Feestdag")
    drain()
    cancels = [m for m in mailoutbox if m.attachments]
    assert len(cancels) == 1 and cancels[0].to == [referrer.email]
    calendar, event = _event(_attached_ics(cancels[0]))
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["UID"]) == meeting_uid(item.meeting)
    assert "Pietersen" not in cancels[0].body and "Pietersen" not in cancels[0].subject


def test_download_from_the_meeting_page(client, chair, referrer, django_assert_max_num_queries):
    meeting = planned_meeting(chair)
    verified_login(client, chair)
    url = reverse("interop:meeting_calendar", args=[meeting.pk])
    assert url in client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="mdo-{meeting.date:%Y-%m-%d}.ics"'
    _event(response.content)
    # Who may not open the meeting's page gets no calendar file either.
    assert verified_login(client, referrer).get(url).status_code == 404


def test_the_event_is_in_the_recipients_language(chair):
    from django.utils import translation

    meeting = planned_meeting(chair)
    with translation.override("nl"):
        _, dutch = _event(meeting_ics(meeting))
    with translation.override("en"):
        _, english = _event(meeting_ics(meeting))
    assert str(english["SUMMARY"]).startswith("Neuro-oncology MDT (brain metastases)")
    assert str(dutch["SUMMARY"]).startswith("Neuro-oncologisch MDO (hersenmetastasen)")
    assert "Videolink: https://video.example.org/mdo" in str(dutch["DESCRIPTION"])
    assert "Video link: https://video.example.org/mdo" in str(english["DESCRIPTION"])
