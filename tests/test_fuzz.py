"""Property-based fuzzing of every form and of the triage command (hypothesis).

Each form is posted, as a user who may use it, with valid posts spoiled by hostile values
(tests/fuzz_strategies.py). Whatever is sent:

* the response is never a server error: the test client re-raises any exception a view lets
  through, so hypothesis reports (and shrinks) it;
* a form sent back with errors shows every error and keeps what was typed;
* a refused request writes nothing (the counts and versions of the clinical tables are compared),
  and the intake, which stores what is valid of a step by design, never stores an invalid value.

Every example runs in a savepoint that is rolled back, so the data made once per test serves all
its examples. BUDGET says how many examples each test runs; together at least 10,000.
"""

import copy
import datetime
import io
import re
from collections import Counter
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.forms import BaseFormSet, CheckboxInput, HiddenInput, PasswordInput, RadioSelect, Select, SelectMultiple
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from audit.actor import Actor
from audit.models import Event
from meetings import services as meeting_services
from meetings.forms import PresenceForm, RemoveForm
from meetings.models import AgendaItem, Attendance, Meeting, MeetingAdvice, Preconsultation
from referrals.intake import STEPS_BY_KEY
from referrals.models import Case, Lesion, Patient
from tests.conftest import EXAMPLE_SCALE, examples, verified_login
from tests.factories import CaseFactory, CentreFactory, LesionFactory, PatientFactory, UserFactory
from tests.fuzz_strategies import ENCODINGS, form_post, hostile_json_text, raw_body
from tests.intake_helpers import STEP_DATA, imaging_data
from tests.workflow import (
    ADVICE,
    ADVICE_POST,
    planned_meeting,
    register_quorum,
    scheduled_case,
    submitted_case,
    time_passes,
)
from triage import cli
from triage.engine import DEFAULT_THRESHOLDS
from triage.models import Advice

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

# Examples per test. CI runs them all, a developer's run a share (tests/conftest.py); the sum is
# the number of generated inputs.
BUDGET = {
    "intake_new": 180,
    "intake_patient": 150,
    "intake_oncology": 130,
    "intake_history": 90,
    "intake_extracranial": 120,
    "intake_clinical": 150,
    "intake_imaging": 180,
    "intake_questions": 90,
    "intake_submit": 70,
    "preconsult": 180,
    "schedule": 90,
    "meeting_create": 180,
    "meeting_edit": 150,
    "meeting_status": 60,
    "attendance": 150,
    "presence": 110,
    "move": 70,
    "remove": 90,
    "reorder": 40,
    "advice": 170,
    "implementation": 150,
    "reevaluation": 100,
    "access_log": 160,
    "queue": 110,
    "case_list": 50,
    "login": 150,
    "two_factor": 130,
    "two_factor_setup": 70,
    "password_change": 150,
    "language": 90,
    "triage_cli": 6090,
    "triage_command": 400,
}
assert sum(BUDGET.values()) >= 10_000


def examples_for(name):
    return examples(BUDGET[name])


def fuzz(name):
    return settings(max_examples=examples_for(name), deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


def run_examples(name, body, *strategies):
    """Run `body` under hypothesis and check that the budget was really spent."""
    seen = []

    @fuzz(name)
    @given(st.tuples(*strategies))
    def examples(args):
        seen.append(1)
        body(*args)

    examples()
    assert len(seen) >= examples_for(name), f"{name}: {len(seen)} examples, budget {examples_for(name)}"


# --- Sending and judging ----------------------------------------------------------------------------

@contextmanager
def rolled_back(client):
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def _plain(data):
    """Files become their names: GET and urlencoded bodies cannot carry them."""
    def one(value):
        return value.name if isinstance(value, SimpleUploadedFile) else value
    return {k: [one(x) for x in v] if isinstance(v, list) else one(v) for k, v in data.items()}


def send(client, method, url, data, encoding="multipart", raw=b""):
    if method == "get":
        return client.get(url, _plain(data))
    if encoding == "raw":
        return client.generic("POST", url, raw, content_type="application/x-www-form-urlencoded")
    if encoding == "urlencoded":
        return client.post(url, urlencode(_plain(data), doseq=True),
                           content_type="application/x-www-form-urlencoded")
    for value in data.values():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, SimpleUploadedFile):
                part.seek(0)
    return client.post(url, data)


def said(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def failed(response):
    """The request was refused: a page with the form again, an error page, or a redirect that
    says why."""
    if response.status_code in (400, 403, 404):
        return True
    levels = {level for level, _ in said(response)}
    if response.status_code == 302:
        return bool(levels & {"error", "warning"})
    return bool(bound_forms(response) and any(form_has_errors(f) for f in bound_forms(response)))


FORM_KEYS = ("form", "patient_form", "formset", "attendance_form", "plan_form", "preconsult_forms",
             "bound_remove_form", "bound_presence_form")


def bound_forms(response):
    if response.context is None:
        return []
    forms = []
    for key in FORM_KEYS:
        value = response.context.get(key)
        if isinstance(value, dict):
            forms.extend(value.values())
        elif value is not None:
            forms.append(value)
    return [form for form in forms if getattr(form, "is_bound", False)]


def form_has_errors(form):
    if isinstance(form, BaseFormSet):
        return bool(form.non_form_errors()) or any(f.errors for f in form.forms)
    return bool(form.errors)


TEXT_WIDGETS_EXCLUDED = (CheckboxInput, HiddenInput, PasswordInput, Select, RadioSelect, SelectMultiple)


def assert_form_shown_with_errors(response, form):
    """Every error of a bound form is on the page, and what was typed in a field with an error
    is still in that field."""
    content = response.content.decode()
    if isinstance(form, BaseFormSet):
        for message in form.non_form_errors():
            assert escape(message) in content, message
        for sub in form.forms:
            assert_form_shown_with_errors(response, sub)
        return
    for name, errors in form.errors.items():
        for message in errors:
            assert escape(message) in content, (name, message)
        if name == "__all__" or name not in form.fields:
            continue
        widget = form.fields[name].widget
        value = form.data.get(form.add_prefix(name))
        if isinstance(widget, TEXT_WIDGETS_EXCLUDED) or not isinstance(value, str) or not value.strip():
            continue
        assert escape(value) in content, (name, value[:80])


def same_site(location):
    """A redirect that stays on this site, as a browser reads it (backslash as slash, leading
    control characters dropped)."""
    parts = urlsplit("".join(c for c in location if c >= " ").strip().replace("\\", "/"))
    return not parts.scheme and not parts.netloc


def judge(response, *, allowed=(200, 302, 400)):
    """The checks every fuzzed response must pass; True when the request was refused."""
    assert response.status_code in allowed, response.status_code
    for form in bound_forms(response):
        if form_has_errors(form):
            assert_form_shown_with_errors(response, form)
    if response.status_code == 302:
        assert same_site(response["Location"]), response["Location"]
    return failed(response)


HISTORY = (Case.history.model, Patient.history.model, Lesion.history.model, AgendaItem.history.model,
           MeetingAdvice.history.model, Meeting.history.model)


COUNTED = (Patient, Case, Lesion, Advice, Event, Preconsultation, AgendaItem, Attendance, MeetingAdvice,
           *HISTORY)


def db_state():
    """Counts and versions of everything a request may write, except the access log of reads.
    The counts come in one query: this runs for every example."""
    # Table names of our own models, no input: S608 does not apply.
    tables = [connection.ops.quote_name(model._meta.db_table) for model in COUNTED]
    counts = ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        state = dict(zip((model._meta.label for model in COUNTED), cursor.fetchone(), strict=True))
    # Every login attempt is logged on purpose (auth.*, issue 16): not a write of the request's data.
    state["audit.Event"] = Event.objects.exclude(action__startswith="auth.").count()
    state["case versions"] = sorted(Case.objects.values_list("version", "status"))
    state["meetings"] = sorted(Meeting.objects.values_list("version", "status", "capacity_cases", "capacity_minutes"),
                               key=repr)
    state["removed"] = AgendaItem.objects.filter(removed_at__isnull=False).count()
    return state


def fuzz_form(client, name, method, url, valid, *, choices=None, extra=(), allowed=(200, 302, 400),
              check=None, all_or_nothing=True, expect=("accepted", "refused")):
    """Post spoiled versions of `valid` to `url`; nothing may be written by a refused request
    (the intake checks its own rule instead: what is valid of a step is stored).

    `expect`: the outcomes the run must have seen at least once, so that a fuzzer that only
    ever gets refused (or a login that silently broke) does not pass unnoticed."""
    before = db_state()
    outcomes = Counter()

    def body(data, encoding, raw):
        with rolled_back(client):
            response = send(client, method, url, data, encoding, raw)
            refused = judge(response, allowed=allowed)
            outcomes["refused" if refused else "accepted"] += 1
            after = db_state()
            if refused and all_or_nothing:
                assert after == before, (response.status_code, said(response))
            if check is not None:
                check(response, before, after)

    run_examples(name, body, form_post(valid, choices=choices, extra=extra), ENCODINGS, raw_body())
    if EXAMPLE_SCALE >= 1:
        for outcome in expect:
            assert outcomes[outcome], f"{name}: no request was {outcome} ({dict(outcomes)})"


# --- The intake -------------------------------------------------------------------------------------------

BUTTONS = ["next", "save", "goto", "add_lesion", "remove_lesion"]


def draft(referrer, **answers):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **answers)
    case.refresh_from_db()
    return case


def intake_check(case, step_key):
    """The intake stores what is valid of a step, never what is not, and one version per save."""
    step = STEPS_BY_KEY[step_key]
    stored = Case.objects.select_related("patient").get(pk=case.pk)
    lesions = list(stored.lesions.values_list("region", "side", "diameter_mm", "critical", "critical_site"))
    stored_rows = {row[0]: row[1:] for row in stored.lesions.values_list(
        "pk", "region", "side", "diameter_mm", "critical", "critical_site")}
    events = Event.objects.filter(case=case).count()

    def check(response, before, after):
        now = Case.objects.select_related("patient").get(pk=case.pk)
        assert now.version - stored.version in (0, 1)
        new_events = list(Event.objects.filter(case=case).order_by("at", "id")
                          .values_list("action", flat=True)[events:])
        if now.version == stored.version:
            assert new_events == [] and after == before
        else:
            assert sorted(set(new_events) - {"patient.changed"}) == ["case.step_saved"], new_events
        posted = response.wsgi_request.POST
        dob = {"date_of_birth": stored.patient.date_of_birth} if step_key in ("oncology", "imaging") else {}
        lenient = step.form_class(posted, instance=copy.copy(stored), **dob)
        lenient.is_valid()
        for field in lenient.errors:
            if field in lenient.fields:
                assert getattr(now, field) == getattr(stored, field), f"invalid {field} was stored"
        if step_key == "patient":
            from referrals.forms import PatientForm

            patient = PatientForm(posted, instance=copy.copy(stored.patient), hospital=stored.patient.hospital)
            if not patient.is_valid():
                # Issue 12 item 1: a field with an error no longer holds back the valid ones.
                fresh = Patient.objects.get(pk=stored.patient.pk)
                for field in patient.errors:
                    if field in PatientForm._meta.fields:
                        assert getattr(fresh, field) == getattr(stored.patient, field), f"invalid patient {field}"
        if step.has_lesions and response.context is not None and response.context.get("formset") is not None:
            formset = response.context["formset"]
            if formset.is_bound and not formset.is_valid():
                # Issue 12 item 1: a row with an error keeps its stored values; its neighbours
                # are stored (and a formset error of its own stores no row).
                if not formset.rows_can_be_stored():
                    assert list(now.lesions.values_list("region", "side", "diameter_mm", "critical",
                                                        "critical_site")) == lesions
                fields = ("region", "side", "diameter_mm", "critical", "critical_site")
                for row in formset.forms:
                    if row.errors and row.instance.pk and row.instance.pk in stored_rows:
                        fresh = now.lesions.filter(pk=row.instance.pk).values_list(*fields).first()
                        assert fresh == stored_rows[row.instance.pk], "an invalid lesion row was stored"
        if response.status_code == 200:
            # Sent back: an error at a field, a message, or the stale-edit notice.
            assert said(response) or any(form_has_errors(f) for f in bound_forms(response))

    return check


INTAKE_CHOICES = {
    "presenter_role": ["neurologist", "nurse", "other", ""],
    "systemic_activity_discussed": ["no", "unknown", ""],
    "primary_tumour": ["other", "breast", "unknown_primary", ""],
    "driver_mutation": ["no", "unknown"],
    "prior_brain_metastases": ["yes", "unknown"],
    "comorbidity_relevant": ["yes", "unknown"],
    "anticoagulation": ["no", ""],
    "extracranial_status": ["progressive", "none", "unknown"],
    "systemic_option": ["yes", "unknown"],
    "cerebral_response": ["high", "low", "unknown"],
    "prognosis_months": ["", "0", "240", "4,5", "2.5", "4,55", "> 3"],
    "prognosis_unknown": ["on", ""],
    "prognosis_over_3_months": ["yes", "no", "unknown", ""],
    "kps": ["", "0", "100", "70"],
    "kps_unknown": ["on"],
    "dexamethasone": ["no", "unknown"],
    "neuro_deficit": ["yes"],
    "epilepsy": ["yes", "unknown"],
    "rapid_kps_improvement": ["yes", "no"],
    "qol_improvement": ["yes", "unknown"],
    "lesion_mode": ["many", ""],
    "critical_location": ["yes", "no", "unknown"],
    "critical_location_site": ["brainstem", "other"],
    "largest_diameter_mm": ["1", "150", "12", "7,5", "0,5", "7.55"],
    "lesions-0-critical": ["on"],
    "lesions-0-critical_site": ["brainstem", "optic_chiasm_nerve"],
    "lesions-0-region": ["brainstem", "dura", "other"],
    "lesions-TOTAL_FORMS": ["0", "1", "3", "1001"],
    "lesions-INITIAL_FORMS": ["0", "1", "2"],
    "goto": list(STEPS_BY_KEY) + ["../admin"],
    "remove_lesion": ["0", "1", "-1", "99"],
}


class TestIntake:
    def test_the_first_step_of_a_new_referral(self, referrer_client, referrer):
        PatientFactory(hospital=referrer.hospital, patient_number="K000001", family_name="Anders")
        valid = {**STEP_DATA["patient"], "intake_token": "8c1f0c39-5b7b-4bb0-9d0e-2f4b8f7d8a01",
                 "next": "1"}
        choices = {**INTAKE_CHOICES, "patient_number": ["K000001", "z123456"], "sex": ["male", "other"],
                   "bsn": ["111222333", "123456789"], "intake_token": ["", "not-a-uuid"]}

        def check(response, before, after):
            cases = after["referrals.Case"] - before["referrals.Case"]
            assert cases in (0, 1)
            if cases == 0:
                # No orphan: a patient or an event is never left without its draft.
                assert after == before
            if response.context is not None and response.context.get("patient_form") is not None:
                if response.context["patient_form"].errors:
                    assert cases == 0

        fuzz_form(referrer_client, "intake_new", "post", reverse("referrals:intake_new"), valid,
                  choices=choices, extra=BUTTONS, check=check, all_or_nothing=False)

    @pytest.mark.parametrize("step_key", ["patient", "oncology", "history", "extracranial", "clinical",
                                          "questions"])
    def test_each_step(self, referrer_client, referrer, step_key):
        case = draft(referrer)
        valid = {**STEP_DATA[step_key], "version": str(case.version), "save": "1"}
        choices = {**INTAKE_CHOICES, "version": ["0", str(case.version + 1), "-1"],
                   "save": ["1", ""]}
        fuzz_form(referrer_client, f"intake_{step_key}", "post",
                  reverse("referrals:intake_step", args=[case.pk, step_key]), valid,
                  choices=choices, extra=BUTTONS, check=intake_check(case, step_key), all_or_nothing=False)

    def test_the_imaging_step_with_its_lesions(self, referrer_client, referrer):
        case = draft(referrer, with_lesion=False)
        first = LesionFactory(case=case, position=0)
        LesionFactory(case=case, position=1, region="temporal", diameter_mm=22)
        other = LesionFactory()  # a lesion of somebody else's case
        rows = [{"id": first.pk, "region": "frontal", "side": "left", "diameter_mm": 14, "critical": True,
                 "critical_site": "language_motor_cortex"},
                {"region": "cerebellum", "side": "right", "diameter_mm": 9, "critical": False,
                 "critical_site": ""}]
        valid = {**imaging_data(rows, initial=1), "version": str(case.version), "next": "1"}
        choices = {**INTAKE_CHOICES, "lesions-0-id": ["", str(other.pk), "0", "x"],
                   "lesions-0-DELETE": ["on"], "lesions-1-diameter_mm": ["0", "151", "-5", "7,5", "7.55"]}
        fuzz_form(referrer_client, "intake_imaging", "post",
                  reverse("referrals:intake_step", args=[case.pk, "imaging"]), valid, choices=choices,
                  extra=BUTTONS + ["lesions-2-region", "lesions-0-DELETE"], check=intake_check(case, "imaging"),
                  all_or_nothing=False)

    def test_the_final_submit(self, referrer_client, referrer):
        case = draft(referrer)
        fuzz_form(referrer_client, "intake_submit", "post", reverse("referrals:intake_submit", args=[case.pk]),
                  {"version": str(case.version)}, choices={"version": ["0", str(case.version + 1)]})


# --- Pre-consultation and meetings ------------------------------------------------------------------------

class TestPreconsultation:
    def test_its_four_actions(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        actions = ["accept", "override", "request_info", "close"]

        def body(action, data, encoding, raw):
            before = db_state()
            with rolled_back(client):
                response = send(client, "post", reverse("casefile:preconsult", args=[case.pk, action]), data,
                                encoding, raw)
                if judge(response):
                    assert db_state() == before

        valid = {"outcome": "NEURO_ONC_MDO", "reason": "Toch bespreken", "message": "Graag de MRI.",
                 "closed_forum": "organ_specific"}
        choices = {"outcome": ["NO_MDO_NO_TREATMENT_WISH", "x"], "closed_forum": ["other", "neurology"],
                   "reason": ["", " "], "message": ["", "\x00"]}
        run_examples("preconsult", body, st.sampled_from(actions + ["bogus"]),
                     form_post(valid, choices=choices), ENCODINGS, raw_body())

    def test_placing_on_the_agenda(self, client, referrer, chair, centre):
        case = submitted_case(referrer)
        meeting = planned_meeting(chair, capacity_cases=1)
        full = planned_meeting(chair, days_ahead=14, capacity_cases=1)
        scheduled_case(referrer, chair, full)
        far = planned_meeting(UserFactory(role=Role.CHAIR, hospital=CentreFactory()), days_ahead=7)
        verified_login(client, chair)
        fuzz_form(client, "schedule", "post", reverse("casefile:schedule", args=[case.pk]),
                  {"meeting": str(meeting.pk)}, choices={"meeting": [str(full.pk), str(far.pk), "", "1"]})


def meeting_post(meeting, chair):
    return {"date": meeting.date.isoformat(), "start_time": "16:00", "location": "Zaal 3",
            "video_link": "https://video.example.org/mdo", "capacity_cases": "8", "capacity_minutes": "",
            "minutes_per_case": "10", "chair": str(chair.pk)}


MEETING_CHOICES = {
    "capacity_cases": ["", "1", "100", "101", "0"],
    "capacity_minutes": ["", "5", "600", "601", "4"],
    "minutes_per_case": ["1", "120", "121", "0"],
    "video_link": ["", "video.example.org", "javascript:alert(1)", "ftp://x"],
    "date": [(datetime.date.today() + datetime.timedelta(days=1)).isoformat(), "9999-12-31", "9999-12-25",
             "2000-01-01"],
    "weeks": ["1", "52", "53", "0", "-1"],
    "start_time": ["00:00", "23:59", "24:00"],
}


class TestMeetings:
    def test_creating_a_meeting_or_a_series(self, client, chair):
        template = planned_meeting(chair)
        verified_login(client, chair)
        valid = {**meeting_post(template, chair), "weeks": "3"}
        fuzz_form(client, "meeting_create", "post", reverse("meetings:meeting_create"), valid,
                  choices=MEETING_CHOICES)

    def test_changing_a_meeting(self, client, referrer, chair):
        meeting = planned_meeting(chair, capacity_cases=3)
        scheduled_case(referrer, chair, meeting)
        scheduled_case(referrer, chair, meeting)
        verified_login(client, chair)
        valid = {**meeting_post(meeting, chair), "version": str(meeting.version)}
        fuzz_form(client, "meeting_edit", "post", reverse("meetings:meeting_edit", args=[meeting.pk]), valid,
                  choices={**MEETING_CHOICES, "version": ["0", "2", "x"], "capacity_cases": ["1", "2", "3"]})

    def test_setting_its_status(self, client, chair):
        meeting = planned_meeting(chair)
        verified_login(client, chair)
        fuzz_form(client, "meeting_status", "post", reverse("meetings:meeting_status", args=[meeting.pk]),
                  {"status": "held"}, choices={"status": ["planned", "closed", "open"]})

    def test_registering_attendance(self, client, chair, centre, neuro_oncologist):
        meeting = planned_meeting(chair)
        stranger = UserFactory(role=Role.REFERRER)
        meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk, user=neuro_oncologist,
                                        discipline="neurology", mode="on_site")
        verified_login(client, chair)
        valid = {"user": "", "name": "Dr. Jansen", "discipline": "neurosurgery", "mode": "video"}
        fuzz_form(client, "attendance", "post", reverse("meetings:attendance_add", args=[meeting.pk]), valid,
                  choices={"user": [str(chair.pk), str(neuro_oncologist.pk), str(stranger.pk)],
                           "discipline": ["other", "x"], "mode": ["on_site", "x"], "name": ["", " "]})


def sent_back_when_invalid(form_class):
    """A form with typed text comes back with its errors (400), not as a redirect that loses it."""
    def check(response, before, after):
        if response.status_code == 302:
            assert form_class(response.wsgi_request.POST).is_valid(), said(response)
    return check


class TestAgendaItems:
    @pytest.fixture
    def item(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        return item

    def test_presence_of_the_treating_physician(self, client, chair, item):
        verified_login(client, chair)
        fuzz_form(client, "presence", "post", reverse("meetings:item_presence", args=[item.pk]),
                  {"present": "representative", "representative_name": "Dr. de Boer"},
                  choices={"present": ["yes", "no", "maybe"], "representative_name": ["", " "]},
                  check=sent_back_when_invalid(PresenceForm))

    def test_moving_to_another_meeting(self, client, chair, item):
        other = planned_meeting(chair, days_ahead=21)
        past = time_passes(planned_meeting(chair, days_ahead=1), days_ago=7)
        verified_login(client, chair)
        fuzz_form(client, "move", "post", reverse("meetings:item_move", args=[item.pk]),
                  {"meeting": str(other.pk)}, choices={"meeting": [str(item.meeting_id), str(past.pk), ""]})

    def test_taking_off_the_agenda(self, client, chair, item):
        verified_login(client, chair)
        fuzz_form(client, "remove", "post", reverse("meetings:item_remove", args=[item.pk]),
                  {"reason": "Patiënt opgenomen"}, choices={"reason": ["", " ", "x" * 501]},
                  check=sent_back_when_invalid(RemoveForm))

    def test_reordering(self, client, referrer, chair, item):
        scheduled_case(referrer, chair, item.meeting)
        verified_login(client, chair)
        fuzz_form(client, "reorder", "post", reverse("meetings:item_reorder", args=[item.pk]),
                  {"direction": "down"}, choices={"direction": ["up", "sideways"]}, expect=("accepted",))

    def test_recording_the_advice(self, client, chair, item):
        meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        verified_login(client, chair)
        valid = {**ADVICE_POST, "decisions": "srt"}
        fuzz_form(client, "advice", "post", reverse("meetings:item_advice", args=[item.pk]), valid,
                  choices={"decisions": ["wbrt", "systemic", "x", "supportive", "resection", "resection_srt"],
                           "follow_up": ["none", "x"]},
                  extra=["decisions"])

    def test_recording_the_implementation_of_the_advice(self, client, referrer, chair, item):
        meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        meeting_services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
        time_passes(item.meeting, days_ago=3)
        verified_login(client, referrer)
        today = timezone.localdate()
        fuzz_form(client, "implementation", "post", reverse("followup:implementation", args=[item.case_id]),
                  {"agreed_on": today.isoformat(), "agreed": "SRT, start volgende week",
                   "srt-status": "not_done", "srt-done_on": today.isoformat(), "srt-reason": "other",
                   "srt-reason_text": "Patiënt overleden"},
                  choices={"agreed_on": [(today + datetime.timedelta(days=1)).isoformat(),
                                         (today - datetime.timedelta(days=30)).isoformat(), "9999-12-31"],
                           "agreed": ["", " "], "srt-status": ["done", "x"], "srt-reason": ["x", ""],
                           "srt-done_on": ["9999-12-31", "31-02-2026"]},
                  # A row with an error never discards its valid neighbours (issue 12 item 1).
                  all_or_nothing=False)


# --- Searching and the access log -------------------------------------------------------------------------

class TestAfterTheMeeting:
    def test_the_new_clinical_status_of_a_closed_case(self, client, referrer, neuro_oncologist):
        from tests.test_reentry import CLINICAL, closed_restrained_case

        case = closed_restrained_case(referrer, neuro_oncologist)
        verified_login(client, referrer)
        fuzz_form(client, "reevaluation", "post", reverse("followup:reevaluation_record", args=[case.pk]),
                  {**CLINICAL, "version": str(case.version)},
                  choices={"clinical-kps": ["75", "-10", "abc", "", "100"], "clinical-dexamethasone": ["yes", "x"],
                           "extracranial-prognosis_months": ["-1", "999", "1,5"], "changes": ["", " "],
                           "version": ["0", "x"]})


class TestQueries:
    def test_the_access_log_query(self, client, referrer, centre):
        case = submitted_case(referrer)
        officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
        verified_login(client, officer)
        today = timezone.localdate()
        valid = {"hospital": str(referrer.hospital.pk), "patient_number": case.patient.patient_number,
                 "date_from": (today - datetime.timedelta(days=3)).isoformat(), "date_to": today.isoformat(),
                 "page": "1"}
        fuzz_form(client, "access_log", "get", reverse("audit:access_log"), valid, allowed=(200,),
                  choices={"date_from": ["0001-01-01", "9999-12-31"], "date_to": ["9999-12-31", "0001-01-01"],
                           "page": ["last", "0", "-1", "99999999999999999999"],
                           "patient_number": [case.patient.patient_number.lower()]})

    def test_the_preconsultation_queue_filters(self, client, referrer, neuro_oncologist):
        submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        valid = {"q": "Jansen", "outcome": "NEURO_ONC_MDO", "hospital": str(referrer.hospital.pk),
                 "status": "submitted", "complete": "yes", "sort": "patient", "page": "1"}
        fuzz_form(client, "queue", "get", reverse("meetings:queue"), valid, allowed=(200,),
                  choices={"sort": ["waiting", "recent", "hospital", "outcome"], "complete": ["no", ""],
                           "page": ["last", "0", "99999999999999999999"]})

    def test_the_case_list_filter(self, referrer_client, referrer):
        draft(referrer)
        fuzz_form(referrer_client, "case_list", "get", reverse("referrals:case_list"),
                  {"status": "draft", "page": "1"}, allowed=(200,),
                  choices={"status": ["submitted", ""], "page": ["last", "-1", "1e9"]}, expect=("accepted",))


# --- Logging in, two-factor, password, language ---------------------------------------------------------

TOTP_KEY = "3132333435363738393031323334353637383930"


class TestAccounts:
    def test_login(self, client, referrer):
        def check(response, before, after):
            # A password typed is never sent back in the page.
            for tag in re.findall(r"<input[^>]*>", response.content.decode()):
                if 'name="password"' in tag:
                    assert "value=" not in tag, tag

        fuzz_form(client, "login", "post", reverse("accounts:login"),
                  {"username": referrer.username, "password": "a-long-test-password-1", "next": "/cases/"},
                  choices={"username": ["VERWIJZER", "verwijzer ", "nobody"],
                           "password": ["wrong-password", ""],
                           "next": ["//evil.example.org/", "https://evil.example.org/", "/\\evil"]},
                  check=check)

    def test_the_two_factor_code(self, client, referrer):
        TOTPDevice.objects.create(user=referrer, name="app", confirmed=True, key=TOTP_KEY)
        client.force_login(referrer)
        code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
        fuzz_form(client, "two_factor", "post", reverse("accounts:2fa_verify"),
                  {"token": code, "next": "/cases/"},
                  choices={"token": ["000000", " " + code + " ", code + "0", "１２３４５６"],
                           "next": ["//evil.example.org/", "https://evil.example.org/", "/\\evil", "/cases/\r\n"]})

    def test_two_factor_enrolment(self, client, referrer):
        # The device the setup page shows (not yet confirmed), with a key the test knows.
        TOTPDevice.objects.create(user=referrer, name="authenticator", confirmed=False, key=TOTP_KEY)
        client.force_login(referrer)
        fuzz_form(client, "two_factor_setup", "post", reverse("accounts:2fa_setup"),
                  {"token": f"{totp(bytes.fromhex(TOTP_KEY)):06d}", "next": "/cases/"},
                  choices={"token": ["", "12345", "1234567"], "next": ["//evil.example.org/"]})

    def test_changing_the_password(self, referrer_client, referrer):
        password = "a-long-test-password-1"
        new = "Nieuw-en-heel-lang-2026"

        def check(response, before, after):
            referrer.refresh_from_db()
            if response.status_code != 302:
                assert referrer.check_password(password), "a refused change changed the password"

        fuzz_form(referrer_client, "password_change", "post", reverse("accounts:password_change"),
                  {"old_password": password, "new_password1": new, "new_password2": new},
                  choices={"old_password": ["wrong"], "new_password1": ["kort", "password123", "verwijzer1234"],
                           "new_password2": ["different-but-long-1"]},
                  check=check)

    def test_switching_the_language(self, referrer_client):
        fuzz_form(referrer_client, "language", "post", reverse("set_language"),
                  {"language": "en", "next": "/cases/"}, allowed=(200, 204, 302, 400),
                  choices={"language": ["nl", "de", "en-gb", "EN", ""],
                           "next": ["//evil.example.org/", "https://evil.example.org/", "/\\evil", ""]},
                  expect=("accepted",))


# --- The triage command -----------------------------------------------------------------------------------

class TestTriageCommand:
    def test_the_json_command_never_crashes(self):
        def body(text, as_json, lang):
            status, out, err = cli.run(text, thresholds=DEFAULT_THRESHOLDS, as_json=as_json, lang=lang)
            assert status in (cli.EXIT_OK, cli.EXIT_INPUT_ERROR)
            if status == cli.EXIT_OK:
                assert out and not err
            else:
                assert err and not out and "Traceback" not in err

        run_examples("triage_cli", body, hostile_json_text(), st.booleans(), st.sampled_from(cli.LANGUAGES))

    def test_manage_py_triage_exits_0_or_2(self, tmp_path):
        path = tmp_path / "facts.json"

        def body(content, as_json):
            path.write_bytes(content)
            out, err = io.StringIO(), io.StringIO()
            args = [str(path)] + (["--json"] if as_json else [])
            try:
                call_command("triage", *args, stdout=out, stderr=err)
                status = 0
            except SystemExit as exit_:
                status = exit_.code
            except CommandError as error:
                status = error.returncode
                err.write(str(error))
            assert status in (0, 2)
            assert (status == 0) == bool(out.getvalue()) and (status == 2) == bool(err.getvalue())

        contents = st.one_of(hostile_json_text().map(lambda t: t.encode("utf-8", "surrogatepass")),
                             st.binary(max_size=100), st.just(b"\xff\xfe{}"), st.just(b'{"kps": 8\xe90}'))
        run_examples("triage_command", body, contents, st.booleans())


# --- What the fuzzing found: each bug once more, as a plain test --------------------------------------

class TestFoundByFuzzing:
    def test_a_weekly_series_near_the_end_of_the_calendar_is_refused_not_a_crash(self, client, chair):
        verified_login(client, chair)
        template = planned_meeting(chair)
        response = client.post(reverse("meetings:meeting_create"),
                               {**meeting_post(template, chair), "date": "9999-12-31", "weeks": "3"})
        assert response.status_code == 200
        assert response.context["form"].errors["date"]
        assert Meeting.objects.count() == 1

    @pytest.mark.parametrize("date_from,date_to", [("0001-01-01", None), (None, "9999-12-31")])
    def test_the_access_log_takes_far_off_dates(self, client, referrer, centre, date_from, date_to):
        case = submitted_case(referrer)
        officer = UserFactory(hospital=centre, role=Role.PRIVACY_OFFICER)
        verified_login(client, officer)
        today = timezone.localdate().isoformat()
        response = client.get(reverse("audit:access_log"), {
            "hospital": referrer.hospital.pk, "patient_number": case.patient.patient_number,
            "date_from": date_from or today, "date_to": date_to or today})
        assert response.status_code == 200
        assert response.context["page"].object_list

    def test_a_bare_word_as_the_next_page_after_the_two_factor_code_goes_home(self, client, referrer):
        TOTPDevice.objects.create(user=referrer, name="app", confirmed=True, key=TOTP_KEY)
        client.force_login(referrer)
        code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
        response = client.post(reverse("accounts:2fa_verify"), {"token": code, "next": "0"})
        assert response.status_code == 302 and response["Location"] == reverse("home")

    def test_add_lesion_on_a_step_without_lesions_builds_no_lesion_rows(self, referrer_client, referrer):
        case = draft(referrer)
        response = referrer_client.post(reverse("referrals:intake_step", args=[case.pk, "extracranial"]), {
            **STEP_DATA["extracranial"], "prognosis_months": "-3", "version": case.version, "add_lesion": "1"})
        assert response.status_code == 200
        assert response.context["formset"] is None
        assert response.context["form"].errors["prognosis_months"]

    def test_an_error_of_a_lesion_rows_hidden_field_is_shown(self, referrer_client, referrer):
        case = draft(referrer, with_lesion=False)
        lesion = LesionFactory(case=case)
        rows = [{"id": lesion.pk + 1000, "region": "frontal", "side": "left", "diameter_mm": 14,
                 "critical": False, "critical_site": ""}]
        response = referrer_client.post(reverse("referrals:intake_step", args=[case.pk, "imaging"]), {
            **imaging_data(rows, initial=1), "version": case.version, "save": "1"})
        assert response.status_code == 200
        errors = response.context["formset"].forms[0].errors["id"]
        assert errors and escape(errors[0]) in response.content.decode()

    def test_a_forged_number_of_lesion_rows_builds_at_most_fifty(self, referrer_client, referrer):
        case = draft(referrer)
        response = referrer_client.post(reverse("referrals:intake_step", args=[case.pk, "imaging"]), {
            **imaging_data(), "lesions-TOTAL_FORMS": "1000", "version": case.version, "save": "1"})
        assert response.status_code == 200
        assert len(response.context["formset"].forms) == 50
        assert response.context["formset"].non_form_errors()

    def test_a_reason_too_long_to_take_a_case_off_the_agenda_comes_back_with_the_form(self, client, referrer,
                                                                                    chair):
        item = scheduled_case(referrer, chair)
        verified_login(client, chair)
        reason = "Opgenomen; " + "x" * 600
        response = client.post(reverse("meetings:item_remove", args=[item.pk]), {"reason": reason})
        assert response.status_code == 400
        content = response.content.decode()
        assert response.context["bound_remove_form"].errors["reason"] and reason in content
        assert not AgendaItem.objects.filter(removed_at__isnull=False).exists()

    def test_a_representative_without_a_name_is_a_field_error(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        verified_login(client, chair)
        response = client.post(reverse("meetings:item_presence", args=[item.pk]),
                               {"present": "representative", "representative_name": " "})
        assert response.status_code == 400
        assert response.context["bound_presence_form"].errors["representative_name"]
        item.refresh_from_db()
        assert item.treating_physician_present == ""

    def test_an_overlong_user_name_is_a_form_error_not_a_server_error(self, client, referrer):
        # On PostgreSQL, django-axes' log of the failed login could not hold the name.
        response = client.post(reverse("accounts:login"), {"username": "ab\r\n" * 101, "password": "x" * 20})
        assert response.status_code == 200
        assert response.context["form"].errors["username"]
