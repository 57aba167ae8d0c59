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
]


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
                services.case_submit(actor=actor, case_id=case.pk, expected_version=case.version)
        self.stdout.write(self.style.SUCCESS(
            f"Created {Hospital.objects.count()} hospitals, {len(users)} users, "
            f"{Patient.objects.count()} patients."
        ))

    def _print_credentials(self):
        self.stdout.write("\nDemo accounts (development only), password for all: " + DEMO_PASSWORD)
        for username, _first, _last, role, hospital_code, _discipline in USERS:
            self.stdout.write(f"  {username:<12} {Role(role).label:<22} {hospital_code or '-'}")
