"""The MDO report of a meeting advice ("MDO-verslag") and the letter for the patient: what they say.

`snapshot` freezes the report when the advice is recorded or corrected (meetings.services): the
words that depend on the language (choice labels, the summary of the facts) are written in every
language of the application, so a version reads the same in Dutch and English years later, also
after the case or the attendance was changed. The summary of the facts is the printed agenda's
(meetings.printing.case_summary), the quorum the meeting page's (presenters.quorum_context).

The report is read in the referring physician's language (`report_language`): it goes into the
referring hospital's record.
"""

import datetime

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from meetings.models import Attendance
from meetings.presenters import quorum_context
from meetings.printing import case_summary
from referrals.models import LesionMode
from referrals.presenters import mask_bsn
from triage.codes import Decision

LANGUAGES = [code for code, _name in settings.LANGUAGES]

# The decisions of the meeting in plain words for the letter to the patient (B1: short sentences,
# no jargon). The Dutch text is the translation in locale/nl.
PLAIN_DECISIONS = {
    Decision.SRT: _("Radiation treatment aimed precisely at the spots in the brain. The radiation is given "
                    "in one or a few sessions. The healthy brain around it gets as little radiation as possible."),
    Decision.RESECTION: _("An operation to remove the tumour in the brain."),
    Decision.RESECTION_SRT: _("An operation to remove the tumour in the brain. After that, radiation treatment "
                              "of the place where the tumour was. This lowers the chance that it comes back."),
    Decision.WBRT: _("Radiation treatment of the whole brain."),
    Decision.SYSTEMIC: _("Medicines that work in the whole body, for example chemotherapy, immunotherapy or "
                         "targeted therapy. You start with them, or you switch to other medicines."),
    Decision.WATCHFUL_WAITING: _("No treatment for now. You get an MRI scan of the brain at set times. "
                                 "If something changes, the doctors look again at what is best."),
    Decision.SUPPORTIVE: _("No treatment against the tumour. The care is aimed at feeling as well as "
                           "possible, and at fewer complaints."),
    Decision.DIAGNOSTICS: _("First more tests, to know better what is going on. After that the team gives "
                            "its advice."),
    Decision.DISCUSS_AGAIN: _("The team will discuss you again in a later meeting, for example after a new scan."),
}


def report_language(case):
    """The referring physician's language, else the application's."""
    language = getattr(case.referring_physician, "language", "") or settings.LANGUAGE_CODE
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def snapshot(*, item, advice, case):
    """What version N of the report says (JSON): see the module's docstring."""
    meeting = item.meeting
    patient = case.patient
    lesions = list(case.lesions.order_by("position", "id")) if case.lesion_mode == LesionMode.LIST else None
    attendances = list(Attendance.objects.filter(meeting=meeting).select_related("user"))
    content = {
        "patient": {
            "name": patient.display_name,
            "letter_name": f"{patient.given_names} {patient.family_name}".strip(),
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else "",
            "patient_number": patient.patient_number,
            # As on the case page and the minutes: never the full BSN outside the patient form.
            "bsn": mask_bsn(patient.bsn),
        },
        "referring_physician": str(case.referring_physician) if case.referring_physician_id else "",
        "referring_hospital": str(case.referring_hospital),
        "reference": case.reference,
        "question": case.question_to_mdo,
        "meeting": {
            "date": meeting.date.isoformat(),
            "start_time": f"{meeting.start_time:%H:%M}",
            "location": meeting.location,
            "centre": str(meeting.centre),
            "chair": str(meeting.chair) if meeting.chair_id else "",
        },
        "decisions": list(advice.decisions),
        "text": advice.text,
        "follow_up_text": advice.follow_up_text,
        "carried_out_by": advice.carried_out_by,
        "first_contact": advice.first_contact,
        "representative_name": item.representative_name,
        "recorded_by": str(advice.recorded_by),
        "has_lesion_list": lesions is not None,
    }
    for language in LANGUAGES:
        with translation.override(language):
            content[language] = _words(item, advice, case, lesions, attendances)
    return content


def _words(item, advice, case, lesions, attendances):
    """The parts of the report that are words in the current language."""
    quorum = quorum_context({a.discipline for a in attendances})
    return {
        "sex": case.patient.get_sex_display(),
        "participants": [{"name": a.display_name, "discipline": a.get_discipline_display(),
                          "mode": a.get_mode_display()} for a in attendances],
        "quorum": {"met": quorum["met"], "missing": [str(label) for label in quorum["missing"]],
                   "required": [{"label": str(d["label"]), "present": d["present"]} for d in quorum["required"]]},
        "facts": [{"label": str(row["label"]), "value": str(row["value"])}
                  for row in case_summary(case, lesions or [])],
        "lesions": [{"location": f"{lesion.get_region_display()}, {lesion.get_side_display().lower()}",
                     "diameter_mm": floatformat(lesion.diameter_mm, -1),
                     "critical": str(lesion.get_critical_site_display()) if lesion.critical else ""}
                    for lesion in lesions or ()],
        "decisions": [str(label) for label in advice.decision_labels],
        "follow_up": str(advice.get_follow_up_display()),
        "presence": str(item.get_treating_physician_present_display()),
    }


def report_context(report, language):
    """The template context of one version: the language-free part and the words in `language`."""
    content = report.content
    born = content["patient"]["date_of_birth"]
    afterwards = content.get("made_afterwards")
    return {**content, "words": content.get(language) or content[settings.LANGUAGE_CODE],
            "made_afterwards": {"at": datetime.datetime.fromisoformat(afterwards["at"]),
                                "advice_at": datetime.datetime.fromisoformat(afterwards["advice_at"])}
            if afterwards else None,
            "meeting_date": datetime.date.fromisoformat(content["meeting"]["date"]),
            "date_of_birth": datetime.date.fromisoformat(born) if born else None}


def letter_context(report, language):
    """The letter for the patient: the plain words per decision, and the first point of contact
    (the referring physician when the advice names none, and the letter says so)."""
    content = report.content
    with translation.override(language):
        plain = [str(PLAIN_DECISIONS.get(code, "")) for code in content["decisions"]]
    contact = content["first_contact"].strip()
    return {
        **report_context(report, language),
        "plain_decisions": [text for text in plain if text],
        "contact": contact or content["referring_physician"],
        "contact_is_referrer": not contact,
    }
