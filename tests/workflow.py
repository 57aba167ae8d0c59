"""Helpers that move a case through the workflow with the real service functions."""

import datetime

from django.utils import timezone

from audit.actor import Actor
from meetings import services as meeting_services
from referrals.services import case_submit
from tests.factories import CaseFactory, PatientFactory


def submitted_case(referrer, **answers):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **answers)
    case.refresh_from_db()
    return case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)


def planned_meeting(chair, *, days_ahead=0, **values):
    # Today by default: attendance, presence and advice are recorded from the meeting's date on.
    values = {
        "date": timezone.localdate() + datetime.timedelta(days=days_ahead),
        "start_time": datetime.time(16, 0),
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
