"""A meeting as an iCalendar event (RFC 5545), built with the icalendar library.

No patient data: the event says what the meeting is, when, where and the video link, nothing of
its agenda. The UID is the meeting's own (meeting-<id>@ICS_UID_HOST), so an update or a
cancellation replaces the event in the recipient's calendar; SEQUENCE is the meeting's version
(meetings.services raises it with every change), so a later file wins. A cancelled meeting is
sent with METHOD:CANCEL and STATUS:CANCELLED.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from meetings.models import MeetingStatus

PRODID = "-//MDO hersenmetastasen//interop.ics//NL"


def meeting_uid(meeting):
    return f"meeting-{meeting.pk}@{settings.ICS_UID_HOST}"


def meeting_duration(meeting):
    """The planned length: the capacity in minutes, or the cases that fit times the minutes per case."""
    minutes = meeting.capacity_minutes or (meeting.capacity_cases or 1) * (meeting.minutes_per_case or 10)
    return datetime.timedelta(minutes=minutes)


def meeting_calendar(meeting, *, cancelled=None):
    """The calendar (one event) of `meeting`, in the current language. `cancelled`: force a
    cancellation (default: when the meeting's status is cancelled)."""
    if cancelled is None:
        cancelled = meeting.status == MeetingStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.version)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    start = timezone.localtime(meeting.starts_at)
    event.add("dtstart", start)
    event.add("dtend", start + meeting_duration(meeting))
    centre = meeting.centre.name if meeting.centre_id else ""
    event.add("summary", _("Neuro-oncology MDT (brain metastases), %(centre)s") % {"centre": centre}
              if centre else _("Neuro-oncology MDT (brain metastases)"))
    if meeting.location:
        event.add("location", meeting.location)
    description = [_("Regional neuro-oncology MDT meeting. The agenda is in the application.")]
    if meeting.video_link:
        event.add("url", meeting.video_link)
        description.append(_("Video link: %(link)s") % {"link": meeting.video_link})
    event.add("description", "\n".join(description))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar


def meeting_ics(meeting, **kwargs):
    """The .ics file's bytes."""
    return meeting_calendar(meeting, **kwargs).to_ical()


def ics_file_name(meeting):
    return f"mdo-{meeting.date:%Y-%m-%d}.ics"
