"""Demo data for a living app on a development machine: hospitals, one user per role, cases.

Development only: refuses to run with DEBUG off. Every case is made through the same service
functions the intake uses, so its advice, history and audit records are real.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Hospital, Role, User
from audit.actor import Actor
from followup import services as followup_services
from followup.models import FollowUpMri, ReEvaluation
from meetings import services as meeting_services
from meetings.models import Meeting
from quality.demo import add_quality_history
from referrals import services
from referrals.models import Patient
from triage.codes import Discipline

DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - printed, development only

USERS = [
    # username, first, last, role, hospital code, discipline
    ("verwijzer", "Anna", "de Vries", Role.REFERRER, "noordoever",
     Discipline.PULMONARY_ONCOLOGY),
    ("verwijzer2", "Bram", "Jansen", Role.REFERRER, "westland", Discipline.MEDICAL_ONCOLOGY),
    ("neuroonc", "Carla", "Bakker", Role.NEURO_ONCOLOGIST, "centrum", Discipline.NEUROLOGY),
    ("voorzitter", "Daan", "Visser", Role.CHAIR, "centrum", Discipline.NEUROSURGERY),
    ("beheerder", "Eva", "Smit", Role.ADMIN, None, ""),
    ("privacy", "Femke", "Mulder", Role.PRIVACY_OFFICER, "centrum", ""),
]

STEP_PATIENT = {"presenter_role": "treating", "presenter_name": "", "systemic_activity_discussed": "yes"}
ONCOLOGY = {
    "primary_tumour": "nsclc", "molecular_markers": "Adenocarcinoom, PD-L1 60%",
    "driver_mutation": "yes", "driver_mutation_detail": "EGFR exon 19 deletie",
    "prior_treatment_lines": "1e lijn osimertinib sinds 2025", "prior_brain_metastases": "no",
}
HISTORY = {"comorbidity_relevant": "no", "anticoagulation": "no"}
EXTRACRANIAL = {
    "extracranial_status": "stable", "systemic_option": "no", "prognosis_months": 12,
    "prognosis_unknown": False,
}
CLINICAL = {
    "kps": 80, "kps_unknown": False, "dexamethasone": "no", "neuro_deficit": "no", "epilepsy": "no",
}
IMAGING = {"mri_date": None, "lesion_mode": "list"}
QUESTIONS = {
    "radiotherapy_considered": "yes", "suspected_radionecrosis": "no", "recurrence": "no",
    "treatment_wish": "yes", "patient_wish": "Wil graag behandeld worden.",
    "question_to_mdo": "Indicatie voor stereotactische radiotherapie?",
}

DEMO_CASES = [
    # (patient number, family name, given names, dob, sex, overrides per step, lesions, submit)
    ("100234", "Jansen", "P.", datetime.date(1961, 3, 14), "male", {}, [
        {"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False, "critical_site": ""},
        {"region": "cerebellum", "side": "right", "diameter_mm": 6, "critical": False, "critical_site": ""},
    ], True),
    ("100781", "de Boer", "M.J.", datetime.date(1955, 11, 2), "female", {
        "oncology": {"primary_tumour": "breast", "driver_mutation": "no", "driver_mutation_detail": "",
                     "molecular_markers": "HER2-positief"},
        "extracranial": {"systemic_option": "yes", "systemic_line": "switch", "cerebral_response": "high"},
        "questions": {"radiotherapy_considered": "no",
                      "question_to_mdo": "Is lokale behandeling nodig naast switch naar T-DXd?"},
    }, [
        {"region": "parietal", "side": "right", "diameter_mm": 7, "critical": False, "critical_site": ""},
    ], True),
    ("101455", "Pietersen", "H.", datetime.date(1948, 6, 23), "male", {
        "oncology": {"primary_tumour": "melanoma", "driver_mutation": "yes",
                     "driver_mutation_detail": "BRAF V600E"},
        "extracranial": {"extracranial_status": "progressive", "prognosis_months": 2},
        "clinical": {"kps": 50, "dexamethasone": "yes", "dexamethasone_mg": Decimal("8"),
                     "neuro_deficit": "yes", "neuro_deficit_detail": "Hemiparese links",
                     "rapid_kps_improvement": "no", "qol_improvement": "no"},
        "questions": {"radiotherapy_considered": "no",
                      "question_to_mdo": "Zinvolle behandelopties?"},
    }, [
        {"region": "frontal", "side": "right", "diameter_mm": 32, "critical": True,
         "critical_site": "language_motor_cortex"},
    ], True),
    ("102012", "Smits", "L.", datetime.date(1970, 1, 30), "female", {
        "extracranial": {"prognosis_months": None, "prognosis_unknown": True},
        "clinical": {"kps": 60},
    }, [
        {"region": "occipital", "side": "left", "diameter_mm": 9, "critical": False, "critical_site": ""},
    ], True),
    ("102340", "Hendriks", "W.", datetime.date(1966, 8, 8), "male", {
        "clinical": {"kps": None, "kps_unknown": False},
    }, [], False),
    ("103118", "Verbeek", "A.", datetime.date(1958, 4, 17), "female", {
        "oncology": {"primary_tumour": "breast", "driver_mutation": "no", "driver_mutation_detail": "",
                     "molecular_markers": "ER-positief, HER2-negatief"},
    }, [
        {"region": "temporal", "side": "left", "diameter_mm": 12, "critical": False, "critical_site": ""},
    ], True),
    ("103522", "Dekker", "R.", datetime.date(1963, 9, 5), "male", {}, [
        {"region": "brainstem", "side": "midline", "diameter_mm": 8, "critical": True, "critical_site": "brainstem"},
    ], True),
    ("104007", "Mulder", "T.", datetime.date(1952, 12, 11), "male", {
        "oncology": {"primary_tumour": "melanoma", "driver_mutation": "yes", "driver_mutation_detail": "BRAF V600E"},
    }, [
        {"region": "parietal", "side": "left", "diameter_mm": 18, "critical": False, "critical_site": ""},
        {"region": "frontal", "side": "right", "diameter_mm": 5, "critical": False, "critical_site": ""},
    ], True),
    ("104366", "van Dijk", "S.", datetime.date(1969, 2, 27), "female", {
        "imaging": {"mass_effect": "yes", "oedema": "yes", "csf_obstruction_risk": "yes"},
        "questions": {"urgent": True, "urgent_reason": "Toenemende hoofdpijn en braken; dreigende hydrocefalus.",
                      "question_to_mdo": "Resectie of stereotactische radiotherapie, met spoed?"},
    }, [
        {"region": "occipital", "side": "right", "diameter_mm": 15, "critical": False, "critical_site": ""},
    ], True),
    ("105001", "Willems", "G.", datetime.date(1957, 7, 19), "male", {}, [
        {"region": "parietal", "side": "right", "diameter_mm": 11, "critical": False, "critical_site": ""},
    ], True),
    # Asymptomatic, KPS below 70: a restrained policy, no MDO (the chart's NB: bring back if the KPS
    # recovers). One waits for its re-evaluation, one came back with a KPS of 80.
    ("105230", "Koster", "E.", datetime.date(1950, 5, 2), "female", {
        "clinical": {"kps": 50}, "questions": {"radiotherapy_considered": "no"}}, [
        {"region": "frontal", "side": "left", "diameter_mm": 8, "critical": False, "critical_site": ""},
    ], True),
    ("105512", "Bos", "J.", datetime.date(1962, 10, 9), "male", {
        "clinical": {"kps": 60}, "questions": {"radiotherapy_considered": "no"}}, [
        {"region": "temporal", "side": "right", "diameter_mm": 13, "critical": False, "critical_site": ""},
    ], True),
]

# The demo's day (issue 12 item 18), by patient number: what pre-consultation and the meetings did.
PAST_MEETING = ("100234", "103118")       # a closed meeting a week ago: advice, minutes; one plan agreed
TODAY_MEETING = ("103522", "104007")      # today: attendance partly recorded, no advice yet
UPCOMING_MEETING = ("101455", "104366")   # next week: one overridden in pre-consultation, one urgent
INFO_REQUESTED = "102012"                 # waits for the referrer's answer
EARLIER_MEETING = "105001"                # six weeks ago: advice without implementation status
RESTRAINED = ("105230", "105512")         # closed in pre-consultation; re-evaluation due / re-entered


class Command(BaseCommand):
    help = "Create demo hospitals, one user per role and a few cases (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the credentials.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_data is for development only (DEBUG is off).")
        with transaction.atomic():
            if User.objects.filter(username="verwijzer").exists():
                self.stdout.write("Demo data already present; nothing changed.")
            else:
                self._create()
        if not options["quiet"]:
            self._print_credentials()

    def _create(self):
        centre = Hospital.objects.create(
            name="Neuro-oncologisch Centrum Zuid", code="centrum", city="Tilburg", is_mdo_centre=True
        )
        hospitals = {
            "centrum": centre,
            "noordoever": Hospital.objects.create(
                name="Ziekenhuis Noordoever", code="noordoever", city="Breda", mdo_centre=centre
            ),
            "westland": Hospital.objects.create(
                name="Ziekenhuis Westland", code="westland", city="Roosendaal", mdo_centre=centre
            ),
        }
        users = {}
        for username, first, last, role, hospital_code, discipline in USERS:
            user = User(
                username=username, first_name=first, last_name=last, role=role,
                hospital=hospitals.get(hospital_code), discipline=discipline,
                email=f"{username}@example.org", is_staff=role == Role.ADMIN,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            users[username] = user

        actor = Actor(user=users["verwijzer"], ip="127.0.0.1")
        today = datetime.date.today()
        cases = {}
        for number, family, given, dob, sex, overrides, lesions, submit in DEMO_CASES:
            patient_values = {"patient_number": number, "family_name": family, "given_names": given,
                              "date_of_birth": dob, "sex": sex, "bsn": ""}
            case, _created = services.case_create(
                actor=actor, patient_values=patient_values, case_values=dict(STEP_PATIENT)
            )
            steps = {
                "oncology": ONCOLOGY, "history": HISTORY, "extracranial": EXTRACRANIAL,
                "clinical": CLINICAL, "imaging": {**IMAGING, "mri_date": today - datetime.timedelta(days=5)},
                "questions": QUESTIONS,
            }
            for key, values in steps.items():
                values = {**values, **overrides.get(key, {})}
                case = services.case_save_step(
                    actor=actor, case_id=case.pk, step_key=key, values=values,
                    expected_version=case.version, lesions=lesions if key == "imaging" else None,
                )
            if submit:
                case = services.case_submit(actor=actor, case_id=case.pk, expected_version=case.version)
            cases[number] = case
        self._day(users, centre, cases, today)
        # Six months of history behind today, for the quality dashboard (quality/demo.py).
        add_quality_history(users, centre, today)
        self.stdout.write(self.style.SUCCESS(
            f"Created {Hospital.objects.count()} hospitals, {len(users)} users, "
            f"{Patient.objects.count()} patients."
        ))

    def _day(self, users, centre, cases, today):
        """Pre-consultation and three meetings, through the services: what every role sees on an
        ordinary day. The services refuse to write the past (a meeting a week ago), so the past
        meeting is held today and then moved back a week: the one write outside a service, like
        the clock turning, and said so here."""
        neuro = Actor(user=users["neuroonc"], ip="127.0.0.1")
        chair = Actor(user=users["voorzitter"], ip="127.0.0.1")
        referrer = Actor(user=users["verwijzer"], ip="127.0.0.1")
        meeting_values = {"location": "Vergaderzaal Neuro-oncologie, C3", "video_link": "https://video.example.org/mdo",
                          "capacity_cases": 12, "minutes_per_case": 10, "chair": users["voorzitter"]}

        meeting_services.case_request_info(
            actor=neuro, case_id=cases[INFO_REQUESTED].pk,
            message="Graag de actuele KPS (zonder dexamethason) en de verwachte prognose.")
        overridden, accepted = UPCOMING_MEETING
        meeting_services.case_override_advice(
            actor=neuro, case_id=cases[overridden].pk, outcome="NEURO_ONC_MDO_QOL",
            reason="Hemiparese door de grote frontale laesie; resectie kan de kwaliteit van leven verbeteren.")
        for number in (accepted, *TODAY_MEETING, *PAST_MEETING, EARLIER_MEETING):
            meeting_services.case_accept_advice(actor=neuro, case_id=cases[number].pk)
        self._restrained(neuro, referrer, cases, today)

        # Six weeks ago: held, advice recorded; its implementation never recorded (the list of
        # advices without implementation status, a reminder). Its first MRI is due within 14 days.
        earlier = meeting_services.meeting_create(actor=chair, centre=centre, values={
            **meeting_values, "date": today, "start_time": datetime.time(0, 30)})
        self._quorum(chair, earlier)
        item = meeting_services.case_schedule(actor=chair, case_id=cases[EARLIER_MEETING].pk, meeting_id=earlier.pk)
        earlier_advice = meeting_services.meeting_advice_record(actor=chair, item_id=item.pk, values={
            "present": "yes", "decisions": ["srt"], "text": "Stereotactische radiotherapie van de laesie.",
            "follow_up": "treating_mri", "follow_up_text": "",
            "carried_out_by": "Radiotherapie, Neuro-oncologisch Centrum Zuid",
            "first_contact": "Longarts, Ziekenhuis Noordoever"})
        meeting_services.meeting_set_status(actor=chair, meeting_id=earlier.pk, status="held")
        meeting_services.meeting_set_status(actor=chair, meeting_id=earlier.pk, status="closed")
        Meeting.objects.filter(pk=earlier.pk).update(date=today - datetime.timedelta(days=42))

        # A week ago: held, advice recorded, closed; both implemented since (one with a deviation).
        past = meeting_services.meeting_create(actor=chair, centre=centre, values={
            **meeting_values, "date": today, "start_time": datetime.time(0, 0)})
        self._quorum(chair, past)
        advices = []
        for number, decisions in zip(PAST_MEETING, (["srt"], ["srt", "systemic"]), strict=True):
            item = meeting_services.case_schedule(actor=chair, case_id=cases[number].pk, meeting_id=past.pk)
            advices.append(meeting_services.meeting_advice_record(actor=chair, item_id=item.pk, values={
                "present": "yes", "decisions": decisions,
                "text": "Stereotactische radiotherapie van de laesie(s); systeemtherapie voortzetten.",
                "follow_up": "treating_mri", "follow_up_text": "",
                "carried_out_by": "Radiotherapie, Neuro-oncologisch Centrum Zuid",
                "first_contact": "Longarts, Ziekenhuis Noordoever"}))
        meeting_services.meeting_set_status(actor=chair, meeting_id=past.pk, status="held")
        meeting_services.meeting_set_status(actor=chair, meeting_id=past.pk, status="closed")
        Meeting.objects.filter(pk=past.pk).update(date=today - datetime.timedelta(days=7))
        done = {"status": "done", "done_on": today - datetime.timedelta(days=3)}
        followup_services.implementation_record(
            actor=referrer, case_id=advices[0].item.case_id, rows={"srt": done},
            agreed_on=today - datetime.timedelta(days=5),
            agreed="Patiënt kiest voor stereotactische radiotherapie; start volgende week.")
        followup_services.implementation_record(
            actor=referrer, case_id=advices[1].item.case_id, rows={"srt": done, "systemic": {
                "status": "not_done", "done_on": today - datetime.timedelta(days=4), "reason": "patient_choice",
                "reason_text": "Patiënt wil eerst de radiotherapie afwachten."}})
        self._follow_up(referrer, [*advices, earlier_advice], today)

        # Today: the agenda set, attendance partly recorded (the quorum not yet complete).
        current = meeting_services.meeting_create(actor=chair, centre=centre, values={
            **meeting_values, "date": today, "start_time": datetime.time(16, 0)})
        for number in TODAY_MEETING:
            meeting_services.case_schedule(actor=chair, case_id=cases[number].pk, meeting_id=current.pk)
        meeting_services.attendance_add(actor=chair, meeting_id=current.pk, discipline="neurosurgery",
                                        mode="on_site", user=users["voorzitter"])
        meeting_services.attendance_add(actor=chair, meeting_id=current.pk, discipline="neurology",
                                        mode="video", user=users["neuroonc"])

        # Next week: the overridden case and an accepted one on the agenda.
        upcoming = meeting_services.meeting_create(actor=chair, centre=centre, values={
            **meeting_values, "date": today + datetime.timedelta(days=7), "start_time": datetime.time(16, 0)})
        for number in UPCOMING_MEETING:
            meeting_services.case_schedule(actor=chair, case_id=cases[number].pk, meeting_id=upcoming.pk)

    def _quorum(self, chair, meeting):
        for discipline, name in (("neurosurgery", "Dr. K. de Wit"), ("radiation_oncology", "Dr. L. Peeters"),
                                 ("neurology", "Dr. M. Claes"), ("neuroradiology", "Dr. N. Janssens")):
            meeting_services.attendance_add(actor=chair, meeting_id=meeting.pk, discipline=discipline,
                                            mode="on_site", name=name)

    def _restrained(self, neuro, referrer, cases, today):
        """Two cases closed in pre-consultation with a restrained policy (KPS below 70). One has a
        re-evaluation date that has come (set in the past: the clock turning, like the meetings');
        the other was re-evaluated with a KPS of 80 and is back in the queue as a re-entry."""
        waiting, back = (cases[number] for number in RESTRAINED)
        for case in (waiting, back):
            meeting_services.case_close(actor=neuro, case_id=case.pk, closed_forum="treating_physician",
                                        reason="Terughoudend beleid bij een KPS onder 70; opnieuw inbrengen als "
                                               "de KPS herstelt.")
            record = followup_services.reevaluation_set(
                actor=referrer, case_id=case.pk, due_on=followup_services.reevaluation_proposal(today),
                reason="KPS na de dexamethasonafbouw en de fysiotherapie.")
        ReEvaluation.objects.filter(pk=record.pk).update(due_on=today - datetime.timedelta(days=1))
        ReEvaluation.objects.filter(case=waiting, done_at__isnull=True).update(due_on=today)
        followup_services.reevaluation_record(
            actor=referrer, case_id=back.pk, values={"kps": 80},
            changes="KPS 80 na de revalidatie; dexamethason afgebouwd.")

    def _follow_up(self, referrer, advices, today):
        """Follow-up plans of the meetings' three cases: one with an MRI done (stable), one whose
        first MRI is overdue, one due within 14 days. The services plan an MRI months after the
        meeting, so the dates are moved, like the meetings': the clock turning, not a service."""
        plans = []
        for advice in advices:
            case = advice.item.case
            plan, _created = followup_services.plan_create(actor=referrer, case_id=case.pk, values={
                **followup_services.plan_proposal(case, advice),
                "first_contact": "Verpleegkundig specialist longoncologie, Ziekenhuis Noordoever, 076-5551234"})
            plans.append(plan)
        done = plans[0].mris.get()
        followup_services.mri_record(actor=referrer, plan_id=plans[0].pk, mri_id=done.pk,
                                     done_on=today - datetime.timedelta(days=2), result="stable",
                                     note="Geen nieuwe laesies; behandelde laesie kleiner.")
        FollowUpMri.objects.filter(plan=plans[1], done_on__isnull=True).update(
            due_date=today - datetime.timedelta(days=10))
        FollowUpMri.objects.filter(plan=plans[2], done_on__isnull=True).update(
            due_date=today + datetime.timedelta(days=10))

    def _print_credentials(self):
        self.stdout.write("\nDemo accounts (development only), password for all: " + DEMO_PASSWORD)
        for username, _first, _last, role, hospital_code, _discipline in USERS:
            self.stdout.write(f"  {username:<12} {Role(role).label:<22} {hospital_code or '-'}")
