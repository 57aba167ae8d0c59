"""Helpers that move a case through the workflow with the real service functions.

Tests build clinical state (a submitted case, a pre-consultation, an agenda item, an advice) with
these, never with `objects.create(status=...)`: what a test sets up is then a state the
application can reach. The exceptions let the calendar move on: `time_passes` writes a meeting's
date by hand, `reevaluation_date_comes` a re-evaluation's (tests/test_state_through_services.py
keeps them the only ones).
"""

import datetime

from django.utils import timezone

from audit.actor import Actor
from followup.models import ReEvaluation
from meetings import services as meeting_services
from meetings.models import Meeting
from referrals.services import case_submit
from tests.factories import CaseFactory, LesionFactory, PatientFactory


def submitted_case(referrer, *, patient=None, lesions=None, **answers):
    """A complete case of `referrer`, submitted. `patient`: fields of its patient (family_name,
    bsn, ...); `lesions`: fields of each lesion, instead of the one 14 mm lesion ({} for that
    one); `answers`: the case's answers."""
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital, **(patient or {})),
                       referring_physician=referrer, with_lesion=lesions is None, **answers)
    for fields in lesions or ():
        LesionFactory(case=case, **fields)
    case.refresh_from_db()
    return case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)


def request_info(case, neuro_oncologist, message="Graag de KPS zonder dexamethason."):
    """Send the case back to its referrer; returns the pre-consultation record."""
    return meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk,
                                              message=message)


def planned_meeting(chair, *, days_ahead=0, **values):
    # Today by default: attendance, presence and advice are recorded from the meeting's date on.
    # At midnight: a meeting is held (or closed) only from its start, and a test runs at any hour.
    values = {
        "date": timezone.localdate() + datetime.timedelta(days=days_ahead),
        "start_time": datetime.time(0, 0),
        "location": "Vergaderzaal 2",
        "video_link": "https://video.example.org/mdo",
        "capacity_cases": 10,
        "minutes_per_case": 10,
        "chair": chair,
        **values,
    }
    return meeting_services.meeting_create(actor=Actor(user=chair), centre=chair.hospital, values=values)


def register_quorum(meeting, chair, disciplines=("neurosurgery", "radiation_oncology", "neurology",
                                                  "neuroradiology")):
    for discipline in disciplines:
        meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk, discipline=discipline,
                                        mode="on_site", name=f"Dr. {discipline}")


def scheduled_case(referrer, chair, meeting=None, **answers):
    """A submitted case (submitted_case's arguments) placed on `meeting`, today's by default."""
    case = submitted_case(referrer, **answers)
    meeting = meeting or planned_meeting(chair)
    item = meeting_services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
    return item


ADVICE = {
    "decisions": ["srt"],
    "text": "SRT 3x8 Gy op de frontale laesie.",
    "follow_up": "treating_mri",
    "follow_up_text": "",
    "carried_out_by": "Radiotherapie, Neuro-oncologisch Centrum",
    "first_contact": "Longarts, Ziekenhuis Noord",
}


# What the advice form posts: the advice and the treating physician's presence, asked with it.
ADVICE_POST = {**ADVICE, "present": "yes"}


def record_advice(item, chair, *, present="yes", representative_name="", **values):
    """Record that the treating physician (or a representative) was there, then the meeting's
    advice (ADVICE, with `values` instead): the meeting needs its quorum for radiotherapy."""
    meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present=present,
                                       representative_name=representative_name)
    return meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                                  values={**ADVICE, **values})


def advised_case(referrer, chair, meeting=None, **values):
    """A case scheduled on `meeting` (today's by default) with the quorum and the advice recorded."""
    item = scheduled_case(referrer, chair, meeting)
    if not item.meeting.attendances.exists():
        register_quorum(item.meeting, chair)
    return record_advice(item, chair, **values)


def mark_held(meeting, chair):
    return meeting_services.meeting_set_status(actor=Actor(user=chair), meeting_id=meeting.pk, status="held")


def time_passes(meeting, *, days_ago=0, to=None):
    """Let time pass: `meeting` now lies `days_ago` days before today (or on the date `to`).

    The only place in the tests that writes a meeting's date by hand, on purpose: the services
    rightly refuse to place a case on a past meeting, to move a meeting into the past, and to
    record attendance, presence and advice before the meeting's date. A test of what follows a
    meeting (an earlier discussion, a plan agreed days later, a printout with a fixed date) builds
    the meeting through the services and then moves the clock on here. Only the date changes:
    no version, no history, as if the calendar had moved and not the meeting.
    """
    date = to if to is not None else timezone.localdate() - datetime.timedelta(days=days_ago)
    Meeting.objects.filter(pk=meeting.pk).update(date=date)
    meeting.date = date
    return meeting


def reevaluation_date_comes(case, *, on=None):
    """Let time pass until the open re-evaluation of `case` is due: its date is now today (or `on`).

    The services rightly accept only a date after today (followup.services.reevaluation_set); a
    test of what happens on the date sets it through them and then moves the clock on here. Only
    the date changes, as with `time_passes`."""
    day = on or timezone.localdate()
    ReEvaluation.objects.filter(case=case, done_at__isnull=True).update(due_on=day)
    return day
