"""Six months of history for the demo, so that its quality dashboard shows every figure.

Development only (called by casefile's demo_data command, which refuses to run with DEBUG off).
Every case, pre-consultation, meeting, attendance, advice, implementation, follow-up MRI and
re-evaluation is made through the services, with the application's clock set back to the day it
happened (`_clock`): the services refuse to write the past, and this is the past.
"""

import contextlib
import datetime
from unittest import mock

from django.utils import timezone

from audit.actor import Actor
from followup import services as followup_services
from followup.models import decisions_to_implement
from meetings import services as meeting_services
from referrals import services
from referrals.models import Case

MONTHS = 6
CASES_PER_MONTH = 5

STEPS = {
    "patient": {"presenter_role": "treating", "presenter_name": "", "systemic_activity_discussed": "yes"},
    "oncology": {"primary_tumour": "nsclc", "molecular_markers": "Adenocarcinoom", "driver_mutation": "no",
                 "driver_mutation_detail": "", "prior_treatment_lines": "", "prior_brain_metastases": "no"},
    "history": {"comorbidity_relevant": "no", "anticoagulation": "no"},
    "extracranial": {"extracranial_status": "stable", "systemic_option": "no", "prognosis_months": 12,
                     "prognosis_unknown": False},
    "clinical": {"kps": 80, "kps_unknown": False, "dexamethasone": "no", "neuro_deficit": "no", "epilepsy": "no"},
    "imaging": {"lesion_mode": "list"},
    "questions": {"radiotherapy_considered": "yes", "suspected_radionecrosis": "no", "recurrence": "no",
                  "treatment_wish": "yes", "patient_wish": "", "question_to_mdo": "Indicatie voor SRT?"},
}
LESION = [{"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False, "critical_site": ""}]
FAMILY_NAMES = ["Bos", "Vos", "Peters", "Kok", "Jacobs", "de Graaf", "van Leeuwen", "Willems", "Maas", "Verhoeven",
                "Koster", "Prins", "Huisman", "Brouwer", "Kuipers", "Veenstra", "Schouten", "Post", "Vink",
                "Evers", "Wouters", "Hermans", "Sanders", "Dijkstra", "Kramer", "Gerritsen", "Hoekstra", "Timmer",
                "Bosman", "Wijnen"]
# The advice of each case that reaches the meeting, in turn.
DECISIONS = [["srt"], ["systemic"], ["srt", "systemic"], ["resection"], ["wbrt"], ["resection_srt"],
             ["watchful_waiting"]]


@contextlib.contextmanager
def _clock(day, hour=10):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def add_quality_history(users, centre, today=None):
    """Cases of the last six months of both referring hospitals, through pre-consultation, a meeting
    in the middle of each month, and what came after. `users`: demo_data's users by username."""
    today = today or timezone.localdate()
    referrers = [users["verwijzer"], users["verwijzer2"]]
    neuro, chair = Actor(user=users["neuroonc"]), Actor(user=users["voorzitter"])
    number = 0
    for months_ago in range(MONTHS, 0, -1):
        first = _month_start(today, months_ago)
        meeting_day = first + datetime.timedelta(days=13)
        with _clock(first):
            meeting = meeting_services.meeting_create(actor=chair, centre=centre, values={
                "date": meeting_day, "start_time": datetime.time(16, 0), "location": "Vergaderzaal Neuro-oncologie, C3",
                "capacity_cases": 6, "minutes_per_case": 10, "chair": users["voorzitter"]})
        to_meeting = []
        for index in range(CASES_PER_MONTH):
            referrer = referrers[number % 2]
            submitted = first + datetime.timedelta(days=index)
            case = _submitted_case(referrer, number, submitted)
            kind = number % 6
            decided = submitted + datetime.timedelta(days=1 + number % 4)
            if kind == 0:  # information asked, answered two days later, then accepted
                with _clock(submitted + datetime.timedelta(days=1)):
                    meeting_services.case_request_info(actor=neuro, case_id=case.pk,
                                                       message="Graag de actuele KPS zonder dexamethason.")
                with _clock(submitted + datetime.timedelta(days=3)):
                    case = Case.objects.get(pk=case.pk)
                    services.case_submit(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version,
                                         answer="KPS 80 zonder dexamethason.")
                decided = submitted + datetime.timedelta(days=4)
            with _clock(decided):
                if kind == 1:
                    meeting_services.case_override_advice(
                        actor=neuro, case_id=case.pk, outcome="NEURO_ONC_MDO_QOL",
                        reason="Symptomatische laesie; lokale behandeling kan de kwaliteit van leven verbeteren.")
                elif kind == 2:
                    meeting_services.case_close(
                        actor=neuro, case_id=case.pk, closed_forum="organ_specific",
                        reason="Geen lokale behandeling nodig: bespreken in het longoncologisch MDO.")
                else:
                    meeting_services.case_accept_advice(actor=neuro, case_id=case.pk)
            if kind == 2:
                _reevaluate(case, referrer, neuro, decided, number, today)
            else:
                with _clock(decided):
                    meeting_services.case_schedule(actor=chair, case_id=case.pk, meeting_id=meeting.pk)
                to_meeting.append((case, referrer, number))
            number += 1
        _hold(meeting, chair, users, to_meeting, months_ago, today)


def _month_start(today, months_ago):
    month = today.month - months_ago
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1)


def _submitted_case(referrer, number, day):
    actor = Actor(user=referrer)
    with _clock(day, hour=9):
        case, _created = services.case_create(actor=actor, patient_values={
            "patient_number": f"Q{200000 + number}", "family_name": FAMILY_NAMES[number % len(FAMILY_NAMES)],
            "given_names": "K.", "date_of_birth": datetime.date(1950 + number % 25, 1 + number % 12, 10),
            "sex": "female" if number % 2 else "male", "bsn": ""}, case_values=dict(STEPS["patient"]))
        for key, values in STEPS.items():
            if key == "patient":
                continue
            values = {**values, "mri_date": day - datetime.timedelta(days=4)} if key == "imaging" else values
            case = services.case_save_step(actor=actor, case_id=case.pk, step_key=key, values=values,
                                           expected_version=case.version,
                                           lesions=LESION if key == "imaging" else None)
    with _clock(day, hour=11):
        return services.case_submit(actor=actor, case_id=case.pk, expected_version=case.version)


def _hold(meeting, chair, users, to_meeting, months_ago, today):
    day = meeting.date
    with _clock(day, hour=16):
        disciplines = ["neurosurgery", "radiation_oncology", "neurology", "neuroradiology", "medical_oncology"]
        if months_ago % 2:
            disciplines.append("nurse_specialist")
        for discipline in disciplines:
            meeting_services.attendance_add(actor=chair, meeting_id=meeting.pk, discipline=discipline, mode="on_site",
                                            name=f"Dr. {discipline.replace('_', ' ').title()}")
        advices = []
        for case, referrer, number in to_meeting:
            item = case.agenda_items.get(removed_at__isnull=True)
            advices.append((meeting_services.meeting_advice_record(actor=chair, item_id=item.pk, values={
                "present": "yes", "decisions": DECISIONS[number % len(DECISIONS)], "text": "Advies van het MDO.",
                "follow_up": "treating_mri", "follow_up_text": "", "carried_out_by": "Neuro-oncologisch Centrum Zuid",
                "first_contact": "Verpleegkundig specialist"}), referrer, number))
        meeting_services.meeting_set_status(actor=chair, meeting_id=meeting.pk, status="held")
        meeting_services.meeting_set_status(actor=chair, meeting_id=meeting.pk, status="closed")
    for advice, referrer, number in advices:
        _after(advice, referrer, number, day, today)


# Of each case's decisions: carried out, or not and why (in turn).
OUTCOMES_AFTER = [("done", ""), ("done", ""), ("done", ""), ("not_done", "patient_choice"), ("done", ""),
                  ("not_done", "clinical_change"), ("done", ""), ("not_done", "other")]


def _after(advice, referrer, number, meeting_day, today):
    """The plan agreed with the patient, each decision carried out or not, the follow-up MRIs."""
    agreed_on = meeting_day + datetime.timedelta(days=2 + number % 5)
    rows = {}
    for offset, decision in enumerate(decisions_to_implement(advice)):
        status, reason = OUTCOMES_AFTER[(number + offset) % len(OUTCOMES_AFTER)]
        rows[decision] = {"status": status, "done_on": meeting_day + datetime.timedelta(days=5 + (number * 3) % 17),
                          "reason": reason,
                          "reason_text": "Patiënt ziet af van behandeling." if reason == "other" else ""}
    latest = max(agreed_on, *(row["done_on"] for row in rows.values()))
    if latest < today:
        with _clock(latest):
            followup_services.implementation_record(actor=Actor(user=referrer), case_id=advice.item.case_id,
                                                    rows=rows, agreed_on=agreed_on, agreed="Besproken met de patiënt.")
    with _clock(meeting_day + datetime.timedelta(days=1)):
        plan, _created = followup_services.plan_create(actor=Actor(user=referrer), case_id=advice.item.case_id,
                                                       values={**followup_services.plan_proposal(advice.item.case,
                                                                                                 advice),
                                                               "first_contact": "Verpleegkundig specialist"})
    mri = plan.mris.get()
    late = (0, 5, 30)[number % 3]  # on time, on time, late
    done_on = mri.due_date + datetime.timedelta(days=late)
    if done_on < today - datetime.timedelta(days=1) and number % 4 != 3:
        with _clock(done_on):
            followup_services.mri_record(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=mri.pk, done_on=done_on,
                                         result="stable", note="")
    # Otherwise the MRI stays open: overdue if its date has passed.


def _reevaluate(case, referrer, neuro, closed_on, number, today):
    """A closed case to be looked at again; every other one has been, qualified and re-entered (and
    was accepted in pre-consultation two days later)."""
    due = closed_on + datetime.timedelta(days=42)
    actor = Actor(user=referrer)
    with _clock(closed_on):
        followup_services.reevaluation_set(actor=actor, case_id=case.pk, due_on=due, reason="KPS na dexamethason?")
    if number % 4 == 2 and due < today - datetime.timedelta(days=2):
        with _clock(due, hour=11):
            followup_services.reevaluation_record(actor=actor, case_id=case.pk, values={"kps": 80},
                                                  changes="KPS na behandeling weer 80.")
        with _clock(due + datetime.timedelta(days=2)):
            meeting_services.case_accept_advice(actor=neuro, case_id=case.pk)
