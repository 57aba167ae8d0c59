"""Synthetic data at scale: hospitals, users, patients, cases with lesions and advice, weekly
meetings with agenda, attendance and the meeting's advice, history and audit rows.

    manage.py synthetic_data --cases 100000 --seed 1

For benchmarks and for trying the app with realistic volumes. Every patient is marked
`is_synthetic` and has an obviously made-up name ("Synth-Bakker", number "SYN0000001"). The
command refuses to run on a database that holds real (non-synthetic) patients unless `--force`.

Rows are bulk-inserted in batches, not written through the service functions (those take a few
milliseconds per case). What the service functions compute is computed the same way here: the
triage advice with the pure engine and stored with the mapping of `triage.services`, the
information the meeting needs with `triage.readiness`, the completed intake steps with
`referrals.intake`. Status, version and timestamps follow the workflow: a case on a past meeting
has an accepted advice, was scheduled before the meeting and has the meeting's advice.

Two passes. The first draws every case's answers (each case has its own random generator, seeded
from --seed and its number), evaluates them and decides its status; the meetings are then planned
so that the cases that need an agenda fit: weekly per MDO centre, never more than the capacity,
back from four weeks ahead for as many weeks as needed. The second pass draws the same answers
again, batch by batch, and inserts the rows.
"""

import contextlib
import copy
import datetime
import functools
import itertools
import json
import math
import random
import time
import uuid
from base64 import b32encode
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Hospital, Role, User
from audit.models import AccessAction, AccessLog, Event, advance_chain
from followup.models import DeviationReason, Implementation, ImplementationStatus, decisions_to_implement
from meetings.models import (
    AgendaItem,
    Attendance,
    ClosedForum,
    Meeting,
    MeetingAdvice,
    MeetingStatus,
    PreconsultAction,
    Preconsultation,
)
from referrals.intake import FORM_STEPS
from referrals.lifecycle import TRANSITIONS, replay
from referrals.models import AdviceSource, Case, CaseStatus, Lesion, LesionMode, Patient
from triage import meeting_advice as meeting_advice_rules
from triage.codes import Discipline
from triage.engine import evaluate
from triage.facts import SYMPTOM_FIELDS, facts_from_case, symptomatic
from triage.models import Advice
from triage.quorum import REQUIRED_DISCIPLINES
from triage.readiness import meeting_gaps
from triage.services import advice_from_result, current_threshold_set

PASSWORD = "synthetisch-wachtwoord-2026"  # noqa: S105 - synthetic accounts, printed on purpose

CAPACITY = 30  # cases per meeting (as a number, or as 300 minutes of 10)
FUTURE_MEETINGS = 4
FUTURE_FILL = (30, 22, 12, 5)  # how full the coming meetings already are

CITIES = ["Aabeek", "Beekdal", "Calmdorp", "Dijkhaven", "Eikenrode", "Fleerburg", "Gansoord",
          "Heiveen", "IJsselwijk", "Jutveld", "Kromwaard", "Lindehoek", "Meerstad", "Noordmolen",
          "Oosterlo", "Polderhem", "Queekhoven", "Rietmond", "Steenwold", "Tolbrug", "Uitdam",
          "Veenoord", "Wolderland", "Zandmeer"]
SURNAMES = ["Bakker", "Jansen", "de Vries", "van Dijk", "Visser", "Smit", "Meijer", "de Boer",
            "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
            "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs",
            "de Haan", "Vermeulen", "van den Berg", "van der Linden", "Koster", "Prins"]
INITIALS = ["A.", "B.", "C.J.", "D.", "E.M.", "F.", "G.H.", "H.", "I.", "J.P.", "K.", "L.",
            "M.A.", "N.", "P.", "R.W.", "S.", "T.", "W.", "Y."]

STATUS_ORDER = list(CaseStatus.values)
# The lifecycle actions that lead to each status (the first intake step creates the draft, each
# later one saves it); replayed through referrals.lifecycle for the status, version and events.
INTAKE = ("create", *["save_step"] * (len(FORM_STEPS) - 1), "submit")
PATHS = {
    "submitted": INTAKE,
    "info_requested": (*INTAKE, "request_info"),
    "accepted": (*INTAKE, "accept_advice"),
    "closed": (*INTAKE, "close"),
    "scheduled": (*INTAKE, "accept_advice", "schedule"),
    "discussed": (*INTAKE, "accept_advice", "schedule", "record_advice"),
    "implemented": (*INTAKE, "accept_advice", "schedule", "record_advice", "complete_implementation"),
}


@functools.cache
def replayed(status, steps_done=0):
    """(status, version) of a case that went the path to `status`, by the lifecycle's table."""
    actions = PATHS[status] if status != "draft" else ("create", *["save_step"] * max(0, steps_done - 1))
    reached, version, _done = replay(actions)
    assert reached == status, (status, reached)
    return version


def event_of(action):
    return TRANSITIONS[action].event

DEVIATIONS = {DeviationReason.PATIENT_CHOICE: 60, DeviationReason.CLINICAL_CHANGE: 30, DeviationReason.OTHER: 10}
ACCEPTED_LIKE = ("accepted", "scheduled", "discussed", "implemented")
AGENDA = "agenda"  # first pass: the case goes on a meeting; which one decides its status


_TABLES = {}


def pick(rng, weighted):
    """One key of {value: weight} (the tables are module constants: cache their cumulative weights)."""
    table = _TABLES.get(id(weighted))
    if table is None or table[0] is not weighted:
        table = _TABLES[id(weighted)] = (weighted, list(weighted), list(itertools.accumulate(weighted.values())))
    return rng.choices(table[1], cum_weights=table[2])[0]


_ANSWERS = {}


def _diameter(mm):
    """A lesion's diameter as a radiologist writes it: a decimal below 10 mm, whole above."""
    mm = min(150, max(1, mm))
    return Decimal(str(round(mm, 1 if mm < 10 else 0)))


def answer(rng, yes, no, unknown=0):
    weights = _ANSWERS.get((yes, no, unknown))
    if weights is None:
        weights = _ANSWERS[yes, no, unknown] = {"yes": yes, "no": no, "unknown": unknown}
    return pick(rng, weights)


# --- One case's answers ------------------------------------------------------------------------

TUMOUR = {"nsclc": 40, "breast": 20, "melanoma": 12, "sclc": 6, "renal": 6, "colorectal": 6,
          "gynaecological": 3, "unknown_primary": 4, "other": 3}
MARKERS = {"nsclc": ["Adenocarcinoom, PD-L1 80%", "Adenocarcinoom, PD-L1 <1%", "Plaveiselcelcarcinoom"],
           "breast": ["HER2-positief", "Triple-negatief", "ER+/HER2-"],
           "melanoma": ["BRAF wildtype", "Cutaan melanoom"], "renal": ["Heldercellig"]}
DRIVERS = {"nsclc": ["EGFR exon 19 deletie", "ALK-fusie", "ROS1", "KRAS G12C"],
           "breast": ["HER2-amplificatie", "PIK3CA"], "melanoma": ["BRAF V600E"]}
REGIONS = {"frontal": 25, "parietal": 18, "temporal": 12, "occipital": 10, "insula": 2,
           "basal_ganglia": 4, "corpus_callosum": 2, "cerebellum": 20, "brainstem": 3, "ventricle": 1,
           "dura": 2, "other": 1}
SITES_BY_REGION = {"brainstem": "brainstem", "cerebellum": "cerebellopontine_angle",
                   "ventricle": "ventricular_system", "frontal": "language_motor_cortex",
                   "temporal": "language_motor_cortex", "occipital": "optic_chiasm_nerve"}


def draw_case(rng, created):
    """(answers, lesions) of a complete intake: every question answered, a few with "unknown"."""
    a = {}
    a["presenter_role"] = pick(rng, {"treating": 80, "neurologist": 10, "nurse": 7, "other": 3})
    a["presenter_name"] = "" if a["presenter_role"] == "treating" else f"Synth-presentator {rng.randint(1, 99)}"
    a["systemic_activity_discussed"] = answer(rng, 85, 10, 5)

    tumour = pick(rng, TUMOUR)
    a["primary_tumour"] = tumour
    a["primary_tumour_other"] = "Synthetisch: schildkliercarcinoom" if tumour == "other" else ""
    a["primary_diagnosis_date"] = created.date() - datetime.timedelta(days=rng.randint(30, 3000))
    a["molecular_markers"] = rng.choice(MARKERS.get(tumour, ["Niet bepaald"]))
    a["driver_mutation"] = answer(rng, 25, 65, 10) if tumour in DRIVERS else answer(rng, 3, 87, 10)
    a["driver_mutation_detail"] = rng.choice(DRIVERS.get(tumour, ["overig"])) if a["driver_mutation"] == "yes" else ""
    a["prior_treatment_lines"] = rng.choice(["", "1e lijn chemo-immunotherapie", "2 lijnen systemische therapie",
                                             "Chirurgie en adjuvante chemotherapie"])
    a["prior_brain_metastases"] = answer(rng, 20, 78, 2)
    prior = a["prior_brain_metastases"] == "yes"
    a["prior_bm_treatment"] = rng.choice(["SRT 1x21 Gy", "Resectie", "WBRT 5x4 Gy"]) if prior else ""
    a["prior_bm_effect"] = rng.choice(["Goede respons", "Stabiel", "Progressie"]) if prior else ""
    a["prior_radiation_fields"] = "Zie radiotherapieverslag (synthetisch)" if prior else ""

    a["comorbidity_relevant"] = answer(rng, 25, 72, 3)
    a["comorbidity"] = rng.choice(["COPD GOLD II", "Diabetes mellitus type 2", "Hartfalen"]) \
        if a["comorbidity_relevant"] == "yes" else ""
    a["anticoagulation"] = answer(rng, 15, 83, 2)
    a["anticoagulation_detail"] = rng.choice(["Apixaban 5 mg 2dd", "Acenocoumarol"]) \
        if a["anticoagulation"] == "yes" else ""

    a["extracranial_status"] = pick(rng, {"stable": 45, "progressive": 30, "none": 20, "unknown": 5})
    a["systemic_option"] = answer(rng, 40, 55, 5)
    option = a["systemic_option"] == "yes"
    a["systemic_line"] = pick(rng, {"first": 50, "switch": 50}) if option else ""
    a["cerebral_response"] = pick(rng, {"high": 40, "low": 40, "unknown": 20}) if option else ""
    # Mostly a number of months (one decimal); without one, sometimes the guideline's "> 3 months?".
    no_number = rng.random()
    a["prognosis_unknown"] = 0.025 <= no_number < 0.04
    a["prognosis_over_3_months"] = "yes" if no_number < 0.015 else "no" if no_number < 0.025 else ""
    months = min(240, max(1, rng.expovariate(1 / 14)))
    a["prognosis_months"] = None if no_number < 0.04 else Decimal(str(round(months, 1 if months < 6 else 0)))

    a["kps_unknown"] = rng.random() < 0.03
    a["kps"] = None if a["kps_unknown"] else pick(
        rng, {40: 3, 50: 6, 60: 12, 70: 22, 80: 27, 90: 22, 100: 8})
    a["dexamethasone"] = answer(rng, 30, 70)
    a["dexamethasone_mg"] = Decimal(rng.choice(["1", "2", "4", "8", "16"])) if a["dexamethasone"] == "yes" else None
    a["neuro_deficit"] = answer(rng, 30, 68, 2)
    a["neuro_deficit_detail"] = rng.choice(["Hemiparese rechts", "Afasie", "Gezichtsvelduitval", "Ataxie"]) \
        if a["neuro_deficit"] == "yes" else ""
    a["epilepsy"] = answer(rng, 15, 83, 2)
    # The questions of triage.facts.SYMPTOMATIC_ONLY, each with its own distribution.
    asked = bool(symptomatic(a[name] for name in SYMPTOM_FIELDS))
    a["rapid_kps_improvement"] = answer(rng, 35, 55, 10) if asked else ""
    a["qol_improvement"] = answer(rng, 45, 45, 10) if asked else ""

    a["mri_date"] = created.date() - datetime.timedelta(days=rng.randint(1, 20))
    many = rng.random() < 0.15
    lesions = []
    if many:
        a["lesion_mode"] = LesionMode.MANY
        a["largest_diameter_mm"] = rng.choice([None, Decimal(rng.randint(30, 300)) / 10])
        a["critical_location"] = answer(rng, 25, 70, 5)
        a["critical_location_site"] = rng.choice(list(set(SITES_BY_REGION.values()))) \
            if a["critical_location"] == "yes" else ""
    else:
        a["lesion_mode"] = LesionMode.LIST
        a["largest_diameter_mm"] = None
        a["critical_location"] = ""
        a["critical_location_site"] = ""
        for position in range(pick(rng, {1: 40, 2: 25, 3: 15, 4: 10, 5: 10})):
            region = pick(rng, REGIONS)
            critical = region in SITES_BY_REGION and rng.random() < 0.3
            lesions.append({
                "position": position, "region": region, "side": pick(rng, {"left": 45, "right": 45, "midline": 10}),
                "diameter_mm": _diameter(rng.lognormvariate(2.4, 0.6)), "critical": critical,
                "critical_site": SITES_BY_REGION[region] if critical else "",
            })

    a["radiotherapy_considered"] = answer(rng, 70, 25, 5)
    a["suspected_radionecrosis"] = answer(rng, 8, 90, 2)
    a["recurrence"] = answer(rng, 20, 80)
    a["treatment_wish"] = answer(rng, 88, 8, 4)
    a["patient_wish"] = rng.choice(["", "Wil graag behandeld worden.", "Wil eerst met familie overleggen."])
    a["question_to_mdo"] = rng.choice(["Indicatie stereotactische radiotherapie?", "Resectie zinvol?",
                                       "Lokale behandeling naast systeemtherapie?", "Beleid bij recidief?"])
    return a, lesions


# Which fields a draft that stopped after step n still has (the others are blank).
STEP_FIELDS = [list(step.form_class._meta.fields) for step in FORM_STEPS]
BLANK = {f.name: (None if f.null else (False if f.get_internal_type() == "BooleanField" else ""))
         for f in Case._meta.concrete_fields}


def as_draft(answers, lesions, steps_done):
    """Blank every step after the first `steps_done` (step 1 is always stored: it creates the draft)."""
    answers = dict(answers)
    for fields in STEP_FIELDS[steps_done:]:
        for name in fields:
            answers[name] = BLANK[name]
    imaging = [s.key for s in FORM_STEPS].index("imaging")
    return answers, (lesions if steps_done > imaging else [])


def classify(rng, result, gaps):
    """The status a submitted case reached, given its advice and whether it is complete."""
    to_mdo = result.forum == "NEURO_ONC_MDO"
    if to_mdo and not gaps:
        return pick(rng, {AGENDA: 90, "submitted": 2.5, "accepted": 2, "info_requested": 0.5, "closed": 5})
    if to_mdo:
        return pick(rng, {"info_requested": 8, "submitted": 6, "accepted": 4, "closed": 82})
    return pick(rng, {"closed": 93, "submitted": 4, "info_requested": 3})


# --- Plan ---------------------------------------------------------------------------------------

@dataclass
class Plan:
    """The first pass's decisions for one case (the answers are drawn again in the second)."""

    index: int
    hospital: int  # index into SyntheticData.hospitals
    patient: int  # index of the patient (new, or an earlier one of the same hospital)
    new_patient: bool
    status: str
    steps_done: int = 7
    meeting: int | None = None  # index into SyntheticData.meetings
    position: int = 0


@dataclass
class MeetingPlan:
    centre: int
    date: datetime.date
    status: str
    capacity_cases: int | None
    capacity_minutes: int | None
    minutes_per_case: int
    items: list = field(default_factory=list)
    pk: uuid.UUID = field(default_factory=uuid.uuid4)


@contextlib.contextmanager
def explicit_timestamps():
    """Let bulk inserts keep the timestamps we set (auto_now / auto_now_add would say "now")."""
    patched = []
    models = (Patient, Case, Advice, Meeting, AgendaItem, Attendance, MeetingAdvice, Preconsultation)
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                patched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in patched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def at_hour(day, rng, start=8, end=17):
    """A moment on `day` during working hours (Amsterdam time)."""
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(start, end - 1), rng.randint(0, 59),
                                                          rng.randint(0, 59)))
    return timezone.make_aware(moment)


class SyntheticData:
    def __init__(self, *, seed, batch_size=2000, log=print):
        self.seed = seed
        self.batch_size = batch_size
        self.log = log
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.counts = Counter()
        self.written = []  # (case id, status, version) of every case written
        self.meetings = []
        self.thresholds = current_threshold_set().as_engine()

    def rng(self, index):
        return random.Random(f"{self.seed}:{index}")

    # --- Organisation ------------------------------------------------------------------------

    def organisation(self, *, centres, hospitals_per_centre):
        """Hospitals (MDO centres and the hospitals that refer to them) and their users."""
        self.centres, self.hospitals = [], []
        city = iter(CITIES * 10)
        for c in range(centres):
            centre, _ = Hospital.objects.get_or_create(
                code=f"syn-centrum-{c + 1}",
                defaults={"name": f"Synthetisch Neuro-oncologisch Centrum {next(city)}", "is_mdo_centre": True,
                          "city": "Synthetisch"})
            self.centres.append(centre)
            self.hospitals.append(centre)
            for h in range(hospitals_per_centre):
                hospital, _ = Hospital.objects.get_or_create(
                    code=f"syn-zh-{c + 1}-{h + 1}",
                    defaults={"name": f"Synthetisch Ziekenhuis {next(city)}", "mdo_centre": centre,
                              "city": "Synthetisch"})
                self.hospitals.append(hospital)
        self.referrers = [self.user(f"synth-verwijzer-{h.code[4:]}", Role.REFERRER, h, Discipline.PULMONARY_ONCOLOGY)
                          for h in self.hospitals]
        self.neuro_oncologists = {c.pk: self.user(f"synth-neuroonc-{c.code[4:]}", Role.NEURO_ONCOLOGIST, c,
                                                  Discipline.NEUROLOGY) for c in self.centres}
        self.chairs = {c.pk: self.user(f"synth-voorzitter-{c.code[4:]}", Role.CHAIR, c, Discipline.NEUROSURGERY)
                       for c in self.centres}

    def user(self, username, role, hospital, discipline):
        user = User.objects.filter(username=username).first()
        if user is None:
            number = username.rsplit("-", 1)[-1]
            user = User(username=username, first_name="Synth", last_name=f"{Role(role).label} {number}",
                        email=f"{username}@synthetisch.invalid", role=role, hospital=hospital,
                        discipline=discipline)
            user.set_password(PASSWORD)
            user.save()
            self.counts["users"] += 1
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="synthetisch", confirmed=True)
        return user

    # --- First pass ---------------------------------------------------------------------------

    def plan(self, n, *, offset=0):
        """Answers, advice and status for every case; then the meetings they need."""
        plans = []
        patients_of = defaultdict(list)
        patient_count = 0
        for i in range(offset, offset + n):
            rng = self.rng(i)
            # The dates in the answers do not matter here (the engine does not read them); the
            # second pass draws the same answers with the case's real creation time.
            answers, lesions = draw_case(rng, self.now)
            hospital = rng.randrange(len(self.hospitals))
            earlier = patients_of[hospital]
            if earlier and rng.random() < 0.12:
                patient, new = rng.choice(earlier), False  # a second referral of the same patient
            else:
                patient, new = patient_count, True
                patient_count += 1
                earlier.append(patient)
            if rng.random() < 0.02:
                steps = rng.choice([1, 1, 2, 3, 4, 5, 6, 7])
                plans.append(Plan(i, hospital, patient, new, "draft", steps_done=steps))
                continue
            case = SimpleNamespace(**answers)
            lesion_rows = [SimpleNamespace(**row) for row in lesions]
            result = evaluate(facts_from_case(case, lesion_rows), self.thresholds)
            gaps = meeting_gaps(case, lesion_rows, result.missing)
            plans.append(Plan(i, hospital, patient, new, classify(rng, result, gaps)))
        self.patient_count = patient_count
        self.plan_meetings(plans)
        return plans

    def plan_meetings(self, plans):
        """Weekly meetings per centre, back from four weeks ahead, as many as the agenda needs."""
        rng = random.Random(f"{self.seed}:meetings")
        by_centre = defaultdict(list)
        centre_index = {c.pk: i for i, c in enumerate(self.centres)}
        for plan in plans:
            if plan.status == AGENDA:
                by_centre[centre_index[self.hospitals[plan.hospital].centre_id]].append(plan)
        self.meetings = []
        for c in range(len(self.centres)):
            todo = by_centre[c]
            rng.shuffle(todo)
            # Centre c meets every week on weekday c % 5 (Monday = 0), never today (half held).
            ahead = (c % 5 - self.today.weekday()) % 7 or 7
            upcoming = [self.today + datetime.timedelta(days=ahead, weeks=k) for k in range(FUTURE_MEETINGS)]
            last_past = upcoming[0] - datetime.timedelta(weeks=1)
            if last_past >= self.today:
                last_past -= datetime.timedelta(weeks=1)
            # The coming meetings fill up as the date nears; with few cases, proportionally less.
            scale = min(1.0, len(todo) / 600)
            fills = [math.ceil(fill * scale) for fill in FUTURE_FILL]
            week = 0
            for day, fill in zip(upcoming, fills, strict=True):
                self.add_meeting(c, day, fill, todo, rng)
            while todo:
                day = last_past - datetime.timedelta(weeks=week)
                self.add_meeting(c, day, rng.choice([CAPACITY] * 3 + list(range(22, CAPACITY))), todo, rng)
                week += 1
        self.first_day = min((m.date for m in self.meetings), default=self.today - datetime.timedelta(weeks=26))
        self.first_day = min(self.first_day, self.today - datetime.timedelta(weeks=26))

    def add_meeting(self, centre, day, fill, todo, rng):
        future = day > self.today
        by_minutes = rng.random() < 0.3
        meeting = MeetingPlan(
            centre=centre, date=day,
            status=(MeetingStatus.PLANNED if future else
                    MeetingStatus.HELD if (self.today - day).days <= 7 else MeetingStatus.CLOSED),
            capacity_cases=None if by_minutes else CAPACITY,
            capacity_minutes=CAPACITY * 10 if by_minutes else None, minutes_per_case=10)
        for position in range(1, min(fill, len(todo)) + 1):
            plan = todo.pop()
            plan.meeting, plan.position = len(self.meetings), position
            plan.status = self.status_on(meeting, rng)
            meeting.items.append(plan)
        self.meetings.append(meeting)

    def status_on(self, meeting, rng):
        if meeting.status == MeetingStatus.PLANNED:
            return "scheduled"
        if (self.today - meeting.date).days <= 14:
            return "discussed" if rng.random() < 0.7 else "implemented"
        return "discussed" if rng.random() < 0.04 else "implemented"

    def complete_drafts(self, hospital, n):
        """`n` drafts of `hospital` with every question answered, ready to submit (e.g. for a
        benchmark of the submit). Returns [(case id, version)]."""
        index = next(i for i, h in enumerate(self.hospitals) if h.pk == hospital.pk)
        offset = 10**9 + Case.objects.filter(patient__is_synthetic=True).count()
        self.patient_count = n
        self.meetings = []
        start = len(self.written)
        self.write([Plan(offset + i, index, i, True, "draft", steps_done=len(FORM_STEPS)) for i in range(n)])
        return [(pk, version) for pk, _status, version in self.written[start:]]

    # --- Second pass --------------------------------------------------------------------------

    def write(self, plans):
        self.patient_ids = [uuid.uuid4() for _ in range(self.patient_count)]
        base = Patient.objects.filter(is_synthetic=True).count()
        self.write_meetings()
        for start in range(0, len(plans), self.batch_size):
            with transaction.atomic():
                self.write_batch(plans[start:start + self.batch_size], base)
            done = min(start + self.batch_size, len(plans))
            if done % (self.batch_size * 10) == 0 or done == len(plans):
                self.log(f"  {done:,} cases written")

    def write_meetings(self):
        self.chair_of = {}
        meetings, attendances = [], []
        for plan in self.meetings:
            centre = self.centres[plan.centre]
            chair = self.chairs[centre.pk]
            start = datetime.time(16, 0)
            created = at_hour(plan.date - datetime.timedelta(weeks=8), random.Random(str(plan.pk)))
            meeting = Meeting(
                id=plan.pk, centre=centre, date=plan.date, start_time=start,
                location="Vergaderzaal 2 (synthetisch)", video_link="https://video.synthetisch.invalid/mdo",
                capacity_cases=plan.capacity_cases, capacity_minutes=plan.capacity_minutes,
                minutes_per_case=plan.minutes_per_case, chair=chair, status=plan.status,
                version=1 if plan.status == MeetingStatus.PLANNED else 2, created_at=created)
            meeting._history_user, meeting._history_date = chair, created
            meetings.append(meeting)
            if plan.status != MeetingStatus.PLANNED:
                when = timezone.make_aware(datetime.datetime.combine(plan.date, start))
                attendances.append(Attendance(meeting=meeting, user=chair, discipline=chair.discipline,
                                              recorded_by=chair, recorded_at=when))
                for discipline in (*REQUIRED_DISCIPLINES, Discipline.MEDICAL_ONCOLOGY, Discipline.NURSE_SPECIALIST):
                    if discipline == chair.discipline:
                        continue
                    attendances.append(Attendance(
                        meeting=meeting, name=f"Dr. Synth ({Discipline(discipline).label})", discipline=discipline,
                        mode="video" if discipline == Discipline.MEDICAL_ONCOLOGY else "on_site",
                        recorded_by=chair, recorded_at=when))
            self.chair_of[plan.pk] = chair
        with transaction.atomic():
            self.insert(Meeting, meetings, history=True)
            for a in attendances:
                a._history_user, a._history_date = a.recorded_by, a.recorded_at
            self.insert(Attendance, attendances, history=True)
        self.present = {plan.pk: sorted({*REQUIRED_DISCIPLINES, Discipline.MEDICAL_ONCOLOGY,
                                         Discipline.NURSE_SPECIALIST, Discipline.NEUROSURGERY})
                        for plan in self.meetings}

    def insert(self, model, objs, *, history=False):
        """Insert the rows (and a "+" history row each): COPY on PostgreSQL, bulk_create elsewhere."""
        if not objs:
            return objs
        if connection.vendor == "postgresql":
            self.copy_rows(model, objs)
        else:
            objs = model.objects.bulk_create(objs, batch_size=500)
        self.counts[model._meta.label] += len(objs)
        if history:
            self.history_only(model, objs)
        return objs

    def insert_plain(self, model, rows):
        """Rows given as {attname: value} (the audit tables: a million model instances cost seconds).

        bulk_create chains the rows itself; for COPY the hashes are computed here."""
        if not rows:
            return
        if connection.vendor == "postgresql":
            # The hash chain (audit/chain.py), computed in the order COPY inserts the rows.
            for row, chain_hash in zip(rows, advance_chain(model, rows), strict=True):
                row["chain_hash"] = chain_hash
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            convert = list(zip([f.attname for f in fields], self.converters(fields), strict=True))
            self.copy(model, [f.column for f in fields], (
                tuple(c(row[a]) if c else row[a] for a, c in convert) for row in rows))
        else:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
        self.counts[model._meta.label] += len(rows)

    def history_only(self, model, objs, *, update=False):
        if not objs:
            return
        if connection.vendor == "postgresql":
            self.copy_history(model, objs, update)
        else:
            model.history.bulk_history_create(objs, batch_size=500, update=update)
        self.counts[f"{model._meta.label} history"] += len(objs)

    # PostgreSQL: COPY is several times faster than INSERT for a million rows, and ids of
    # auto-increment keys come from the table's own sequence beforehand.

    def next_ids(self, model, n):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, model._meta.pk.column, n])
            return [row[0] for row in cursor.fetchall()]

    def copy(self, model, columns, rows):
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @staticmethod
    def converters(fields):
        def json_value(value):
            return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)

        return [json_value if f.get_internal_type() == "JSONField" else None for f in fields]

    def copy_rows(self, model, objs):
        pk = model._meta.pk
        if pk.get_internal_type() in ("AutoField", "BigAutoField"):
            missing = [obj for obj in objs if obj.pk is None]
            for obj, pk_value in zip(missing, self.next_ids(model, len(missing)), strict=True):
                obj.pk = pk_value
        fields = model._meta.concrete_fields
        convert = list(zip([f.attname for f in fields], self.converters(fields), strict=True))
        self.copy(model, [f.column for f in fields], (
            tuple(c(getattr(obj, a)) if c else getattr(obj, a) for a, c in convert) for obj in objs))

    def copy_history(self, model, objs, update):
        """The rows simple_history's bulk_history_create would write, by COPY."""
        history = model.history.model
        tracked = history.tracked_fields
        convert = list(zip([f.attname for f in tracked], self.converters(tracked), strict=True))
        columns = ["history_id", "history_date", "history_change_reason", "history_type", "history_user_id",
                   *[history._meta.get_field(f.name).column for f in tracked]]
        kind = "~" if update else "+"
        ids = self.next_ids(history, len(objs))
        self.copy(history, columns, (
            (history_id, obj._history_date, "", kind, obj._history_user.pk,
             *[c(getattr(obj, a)) if c else getattr(obj, a) for a, c in convert])
            for history_id, obj in zip(ids, objs, strict=True)))

    def write_batch(self, plans, base):
        rows = defaultdict(list)  # model -> rows, inserted in dependency order below
        case_history = []  # (Case, first state) pairs for the "+" and "~" history rows
        for plan in plans:
            self.build_case(plan, base, rows, case_history)

        self.insert(Patient, rows[Patient], history=True)
        # Advice first: its id goes into case.current_advice (case ids are known UUIDs).
        self.insert(Advice, [advice for advice, _case in rows[Advice]])
        for advice, case in rows[Advice]:
            case.current_advice_id = advice.pk
        self.insert(Case, [case for case, _first in case_history])
        # History: the draft as first saved ("+"), and the case as it is now ("~").
        self.history_only(Case, [first for _case, first in case_history])
        self.history_only(Case, [case for case, _first in case_history if case.version > 1], update=True)
        self.insert(Lesion, rows[Lesion], history=True)
        for record, advice in rows[Preconsultation]:
            record.advice_id = advice.pk
        self.insert(Preconsultation, [record for record, _advice in rows[Preconsultation]])
        self.insert(AgendaItem, rows[AgendaItem], history=True)
        self.insert(MeetingAdvice, rows[MeetingAdvice], history=True)
        for row in rows[Implementation]:
            row.advice_id = row.advice.pk
        self.insert(Implementation, rows[Implementation], history=True)
        self.insert_plain(Event, rows[Event])
        self.insert_plain(AccessLog, rows[AccessLog])

    def build_case(self, plan, base, rows, case_history):
        rng = random.Random(f"{self.seed}:{plan.index}:dates")
        meeting = self.meetings[plan.meeting] if plan.meeting is not None else None
        times = self.timeline(plan, meeting, rng)
        created, submitted = times["created"], times.get("submitted")
        answers, lesions = draw_case(self.rng(plan.index), created)
        hospital = self.hospitals[plan.hospital]
        referrer = self.referrers[plan.hospital]
        centre_id = hospital.centre_id
        neuro_oncologist = self.neuro_oncologists[centre_id]
        status = plan.status
        if status == "draft":
            answers, lesions = as_draft(answers, lesions, plan.steps_done)
        patient_id = self.patient_ids[plan.patient]
        if plan.new_patient:
            number = f"SYN{base + plan.patient + 1:07d}"
            family = f"Synth-{rng.choice(SURNAMES)}"
            patient = Patient(
                id=patient_id, hospital=hospital, patient_number=number, family_name=family,
                given_names=rng.choice(INITIALS), date_of_birth=datetime.date(rng.randint(1935, 1995),
                                                                              rng.randint(1, 12), rng.randint(1, 28)),
                sex=pick(rng, {"female": 50, "male": 49, "other": 1}), bsn="", is_synthetic=True,
                created_at=created, updated_at=created)
            patient._history_user, patient._history_date = referrer, created
            rows[Patient].append(patient)

        case = Case(id=uuid.uuid4(), patient_id=patient_id, referring_hospital=hospital, mdo_centre_id=centre_id,
                    referring_physician=referrer, status=status, created_at=created,
                    updated_at=times["last"], submitted_at=submitted, **answers)
        lesion_objs = [Lesion(case=case, **row) for row in lesions]
        case.completed_steps = [step.key for step in FORM_STEPS if step.is_completed(case, lesion_objs)]
        case.version = replayed(status, plan.steps_done)
        for lesion in lesion_objs:
            lesion._history_user, lesion._history_date = referrer, created
        rows[Lesion].extend(lesion_objs)

        # The history: the draft as first stored, and the case as it is now.
        first = copy.copy(case)
        first.status, first.version, first.submitted_at = CaseStatus.DRAFT, 1, None
        first._history_user, first._history_date = referrer, created
        case._history_user = neuro_oncologist if status not in ("draft", "submitted", "implemented") else referrer
        case._history_date = times["last"]
        case_history.append((case, first))
        self.written.append((case.pk, status, case.version))

        events = rows[Event]
        access = rows[AccessLog]

        def event(at, user, action, obj_type="referrals.case", obj_id=None, data=None, access_action="change"):
            obj_id = str(obj_id or case.pk)
            events.append({"at": at, "user_id": user.pk, "action": action, "case_id": case.pk, "object_type": obj_type,
                           "object_id": obj_id, "data": data or {}, "client_ip": "127.0.0.1"})
            if access_action:
                access.append(self.access(at, user, access_action, action, case, obj_id))

        if plan.new_patient:
            event(created, referrer, "patient.created", "referrals.patient", patient_id, access_action="create")
        event(created, referrer, event_of("create"), data={"step": "patient"}, access_action="create")
        if status == "draft":
            if plan.steps_done > 1:
                event(times["last"], referrer, event_of("save_step"),
                      data={"step": FORM_STEPS[plan.steps_done - 1].key, "fields": []})
            return

        facts = facts_from_case(case, lesion_objs)
        result = evaluate(facts, self.thresholds)
        advice = advice_from_result(case=case, facts=facts, result=result, user=referrer)
        advice.created_at = submitted
        rows[Advice].append((advice, case))
        case.meeting_gaps = meeting_gaps(case, lesion_objs, result.missing)
        case.meeting_ready = not case.meeting_gaps
        event(submitted, referrer, event_of("save_step"), data={"step": "questions", "fields": []})
        event(submitted, referrer, "case.triaged", "triage.advice", None,
              data={"outcome": result.outcome, "rule_set_version": result.rule_set_version}, access_action=None)
        event(submitted, referrer, event_of("submit"),
              data={"advice": result.outcome, "rule_set_version": result.rule_set_version})
        access.append(self.access(submitted, referrer, AccessAction.READ, "case", case, case.pk))
        # The advice in force, as the services set it (submit, accept_advice, record_advice).
        case.outcome_in_force, case.advice_source = result.outcome, AdviceSource.TRIAGE
        if status == "submitted":
            return

        decided = times["preconsult"]
        access.append(self.access(decided, neuro_oncologist, AccessAction.READ, "case", case, case.pk))
        if status == "info_requested":
            record = Preconsultation(case=case, action=PreconsultAction.REQUEST_INFO, by=neuro_oncologist, at=decided,
                                     message="Graag de actuele KPS en de MRI-datum aanvullen (synthetisch).")
            rows[Preconsultation].append((record, advice))
            event(decided, neuro_oncologist, event_of("request_info"), "meetings.preconsultation")
            return
        if status == "closed":
            forum = {"ORGAN_SPECIFIC_MDO": ClosedForum.ORGAN_SPECIFIC, "NONE": ClosedForum.TREATING_PHYSICIAN}.get(
                result.forum, ClosedForum.OTHER)
            record = Preconsultation(case=case, action=PreconsultAction.CLOSE, by=neuro_oncologist, at=decided,
                                     outcome=result.outcome, closed_forum=forum,
                                     reason="Volgens stroomschema niet voor het neuro-oncologisch MDO (synthetisch).")
            rows[Preconsultation].append((record, advice))
            event(decided, neuro_oncologist, event_of("close"), "meetings.preconsultation", data={"forum": forum})
            return
        record = Preconsultation(case=case, action=PreconsultAction.ACCEPT, by=neuro_oncologist, at=decided,
                                 outcome=result.outcome)
        rows[Preconsultation].append((record, advice))
        case.advice_source = AdviceSource.ACCEPTED
        event(decided, neuro_oncologist, event_of("accept_advice"), "meetings.preconsultation",
              data={"outcome": result.outcome})
        if meeting is None:
            return

        chair = self.chair_of[meeting.pk]
        scheduled = times["scheduled"]
        item = AgendaItem(id=uuid.uuid4(), meeting_id=meeting.pk, case=case, position=plan.position, added_by=chair,
                          added_at=scheduled,
                          treating_physician_present="" if status == "scheduled" else "yes")
        item._history_user, item._history_date = chair, scheduled
        rows[AgendaItem].append(item)
        event(scheduled, chair, event_of("schedule"), "meetings.agendaitem", item.pk,
              data={"meeting": str(meeting.pk), "date": meeting.date.isoformat()})
        if status == "scheduled":
            return

        advised = times["advised"]
        item.discussed_at = advised  # as meeting_advice_record sets it with the first advice
        decisions = self.decisions(result, rng)
        agreed_on = times["agreed"].date() if status == "implemented" else None
        meeting_advice = MeetingAdvice(
            item=item, decisions=decisions, text="Advies van het MDO (synthetisch).",
            # A follow-up that fits the decisions (triage.meeting_advice), as the service demands.
            follow_up=rng.choice([f for f in ("per_treatment", "treating_mri", "neurology_mri", "none")
                                  if not meeting_advice_rules.conflicts(decisions, f)]),
            carried_out_by=f"Radiotherapie, {self.centre_name(centre_id)}", first_contact=f"Verwijzer, {hospital.name}",
            present_disciplines=self.present[meeting.pk], recorded_by=chair, recorded_at=advised,
            plan_agreed_on=agreed_on, plan_agreed="Patiënt kiest voor het advies (synthetisch)." if agreed_on else "",
            plan_agreed_by=referrer if agreed_on else None)
        meeting_advice.derive()  # COPY does not call save()
        meeting_advice._history_user, meeting_advice._history_date = chair, advised
        rows[MeetingAdvice].append(meeting_advice)
        case.meeting_decisions, case.advice_source = decisions, AdviceSource.MEETING
        event(advised, chair, "case.presence_recorded", "meetings.agendaitem", item.pk, data={"present": "yes"})
        event(advised, chair, event_of("record_advice"), "meetings.meetingadvice", None, data={"decisions": decisions})
        if agreed_on:
            # Most advice carried out; a deviation now and then, with its reason (the audits: 15-20%).
            done = {}
            for code in decisions_to_implement(meeting_advice):
                carried_out = rng.random() < 0.85
                row = Implementation(
                    advice=meeting_advice, decision=code,
                    status=ImplementationStatus.DONE if carried_out else ImplementationStatus.NOT_DONE,
                    done_on=agreed_on, reason="" if carried_out else pick(rng, DEVIATIONS),
                    recorded_by=referrer, recorded_at=times["agreed"])
                row.reason_text = "Anders (synthetisch)." if row.reason == DeviationReason.OTHER else ""
                row._history_user, row._history_date = referrer, times["agreed"]
                rows[Implementation].append(row)
                done[code] = {"status": row.status, "done_on": agreed_on.isoformat(), "reason": row.reason}
            event(times["agreed"], referrer, event_of("complete_implementation"), "meetings.meetingadvice", None,
                  data={"decisions": done, "complete": True})

    def centre_name(self, centre_id):
        return next(c.name for c in self.centres if c.pk == centre_id)

    @staticmethod
    def decisions(result, rng):
        if result.forum != "NEURO_ONC_MDO":
            return [pick(rng, {"systemic": 40, "watchful_waiting": 30, "supportive": 30})]
        return [pick(rng, {"srt": 50, "resection_srt": 14, "resection": 10, "systemic": 10, "watchful_waiting": 10,
                           "wbrt": 3, "supportive": 3})]

    def access(self, at, user, action, object_type, case, object_id):
        return {"at": at, "user_id": user.pk, "username": user.username, "role": user.role, "action": action,
                "object_type": object_type, "object_id": str(object_id), "case_id": case.pk,
                "patient_id": case.patient_id, "client_ip": "127.0.0.1", "on_behalf_of": "", "result": "ok"}

    def timeline(self, plan, meeting, rng):
        """The moments of a case's workflow, consistent with its status and meeting."""
        status = plan.status
        now = self.now
        days = datetime.timedelta(days=1)
        if meeting is not None:
            meeting_start = timezone.make_aware(datetime.datetime.combine(meeting.date, datetime.time(16, 0)))
            scheduled = min(meeting_start - rng.uniform(1, 10) * days, now - rng.uniform(0.05, 2) * days)
            decided = scheduled - rng.uniform(0, 1) * datetime.timedelta(hours=2)
            submitted = decided - rng.uniform(0.2, 5) * days
            times = {"submitted": submitted, "preconsult": decided, "scheduled": scheduled, "last": scheduled}
            if status in ("discussed", "implemented"):
                times["advised"] = times["last"] = meeting_start + rng.uniform(0.2, 2) * datetime.timedelta(hours=1)
            if status == "implemented":
                agreed = min(times["advised"] + rng.uniform(1, 14) * days, now - datetime.timedelta(minutes=5))
                times["agreed"] = times["last"] = max(agreed, times["advised"] + datetime.timedelta(days=1))
                if times["agreed"] > now:  # a meeting of yesterday: agreed today
                    times["agreed"] = times["last"] = now - datetime.timedelta(minutes=1)
        else:
            # Cases still in pre-consultation are recent; closed ones are spread over the whole period.
            recent = {"draft": 60, "submitted": 14, "accepted": 28, "info_requested": 42}
            if status in recent:
                start = now - recent[status] * days
            else:
                start = timezone.make_aware(datetime.datetime.combine(self.first_day, datetime.time(9, 0)))
            span = max((now - start).total_seconds() - 7200, 3600)
            moment = start + datetime.timedelta(seconds=rng.uniform(0, span))
            if status == "draft":
                return {"created": moment - rng.uniform(0, 1) * days, "last": moment}
            times = {"submitted": moment, "last": moment}
            if status != "submitted":
                decided = min(moment + rng.uniform(0.1, 4) * days, now - datetime.timedelta(minutes=10))
                times["preconsult"] = times["last"] = max(decided, moment)
        times["created"] = times["submitted"] - rng.uniform(0.01, 3) * days
        return times


class Command(BaseCommand):
    help = ("Create synthetic hospitals, users and N cases with lesions, advice, meetings, history and "
            "audit rows (bulk inserts), for benchmarks and for trying the app at scale.")

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--centres", type=int, default=6, help="MDO centres (default 6)")
        parser.add_argument("--hospitals-per-centre", type=int, default=3,
                            help="referring hospitals per centre (default 3); centres refer too")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--force", action="store_true",
                            help="run even though the database holds real (non-synthetic) patients")
        parser.add_argument("--show-totp", action="store_true",
                            help="print the TOTP secret of each synthetic user (to log in with an app)")

    def handle(self, *args, **options):
        if options["cases"] < 0 or options["centres"] < 1 or options["hospitals_per_centre"] < 0:
            raise CommandError("--cases must be >= 0, --centres >= 1, --hospitals-per-centre >= 0.")
        if Patient.objects.filter(is_synthetic=False).exists() and not options["force"]:
            raise CommandError(
                "This database holds real (non-synthetic) patients; synthetic_data refuses to add to it. "
                "Use --force only on a copy meant for testing.")
        started = time.monotonic()
        data = SyntheticData(seed=options["seed"], batch_size=options["batch_size"], log=self.stdout.write)
        offset = Case.objects.filter(patient__is_synthetic=True).count()
        with explicit_timestamps():
            data.organisation(centres=options["centres"], hospitals_per_centre=options["hospitals_per_centre"])
            plans = data.plan(options["cases"], offset=offset)
            planned = time.monotonic() - started
            self.stdout.write(f"Planned {len(plans):,} cases and {len(data.meetings):,} meetings "
                              f"in {planned:.1f} s; writing...")
            data.write(plans)
        elapsed = time.monotonic() - started
        self.report(data, plans, elapsed, options)

    def report(self, data, plans, elapsed, options):
        out = self.stdout.write
        out(self.style.SUCCESS(f"Synthetic data created in {elapsed:.1f} s (seed {options['seed']})."))
        statuses = Counter(plan.status for plan in plans)
        out("Cases by status: " + ", ".join(f"{s} {statuses[s]:,}" for s in STATUS_ORDER if statuses[s]))
        out(f"Meetings from {data.first_day:%Y-%m-%d}, weekly per centre, capacity {CAPACITY} cases.")
        for label, count in sorted(data.counts.items()):
            out(f"  {label:<36} {count:>10,}")
        out(f"Users (password {PASSWORD!r}, confirmed TOTP device each):")
        users = [*data.referrers, *data.neuro_oncologists.values(), *data.chairs.values()]
        for user in users:
            line = f"  {user.username:<32} {Role(user.role).label:<22} {user.hospital.name}"
            if options["show_totp"]:
                device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                line += f"  TOTP {b32encode(device.bin_key).decode()}"
            out(line)
        if not options["show_totp"]:
            out("  (--show-totp prints each user's TOTP secret for an authenticator app)")
