"""Faults: a web server killed mid-intake, and a database that fails or is not there at all.

* A real gunicorn process serves a physician who logs in over HTTP (password and TOTP code),
  completes three intake steps and is typing the fourth when the server is killed with SIGKILL
  (once between requests, once with the fourth step's form half sent). A new server process,
  on the same database, shows the draft with every completed step and resumes at the fourth.
* A server whose database refuses connections answers with the plain Dutch error page.
* In process, every query of each write request is made to fail in turn: the response is the
  error page, and the database holds either everything the request writes or none of it.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp

from audit.actor import Actor
from audit.models import AccessLog, Event
from meetings import services as meeting_services
from meetings.models import AgendaItem, Attendance, Meeting, MeetingAdvice, Preconsultation
from referrals.models import Case, CaseStatus, Lesion, Patient
from tests.conftest import verified_login
from tests.factories import CaseFactory, PatientFactory
from tests.intake_helpers import STEP_DATA, imaging_data
from tests.workflow import ADVICE_POST, planned_meeting, register_quorum, scheduled_case, submitted_case
from triage.models import Advice

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "een-lang-wachtwoord-voor-de-test"
TOTP_KEY = "3132333435363738393031323334353637383930"  # hex, as TOTPDevice stores it
ERROR_PAGE = "Er ging iets mis"
LEAKS = ("Traceback", "OperationalError", "psycopg", "File \"", "line ")


# --- A real server ------------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mdo.settings_test", "DATABASE_URL": database_url,
           "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def django_script(env, code):
    """Run `code` in a fresh Django process on the server's database; its stdout as JSON."""
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class Server:
    """gunicorn, as in production, in a process group of its own so SIGKILL takes every worker."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process = None

    def start(self):
        log = open(self.log_path, "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mdo.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--timeout", "60", "--no-control-socket"],
            cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server stopped at start:\n{Path(self.log_path).read_text()}")
            try:
                status, _, _ = Browser(self).request("GET", "/health/")
            except OSError:
                time.sleep(0.2)
                continue
            if status in (200, 500):
                return self
        pytest.fail(f"the server did not answer:\n{Path(self.log_path).read_text()}")

    def kill(self):
        """SIGKILL the master and its workers: no shutdown code runs, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(env):
        server = Server(env, tmp_path / "server.log").start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, no redirects followed."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}

    def request(self, method, path, data=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        body, headers = self._encode(data)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            content = response.read().decode()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def _encode(self, data):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if data is None:
            return None, headers
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(data).encode(), headers

    def get(self, path):
        return self.request("GET", path)

    def submit(self, path, data, page=None):
        """Post a form the way the browser does: with the token of the page it came from."""
        if page is None:
            status, _, page = self.get(path)
            assert status == 200, (path, status)
        return self.request("POST", path, {"csrfmiddlewaretoken": csrf_token(page), **data})

    def login(self, username, password, key):
        status, headers, _ = self.submit("/accounts/login/", {"username": username, "password": password})
        assert status == 302, "the password was not accepted"
        status, headers, _ = self.get(headers["Location"])
        assert status == 302 and "/accounts/2fa/" in headers["Location"]
        code = f"{totp(bytes.fromhex(key)):06d}"
        status, headers, _ = self.submit(headers["Location"], {"token": code})
        assert status == 302 and "/accounts/2fa/" not in headers["Location"], "the TOTP code was refused"

    def send_half(self, path, data, page):
        """Start a POST and stop half-way through its body, as a browser cut off mid-send."""
        body, headers = self._encode({"csrfmiddlewaretoken": csrf_token(page), **data})
        head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{self.server.port}",
                f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[: len(body) // 2])
        return sock


def csrf_token(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def form_version(page):
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def progress(page):
    """The class of each step in the intake's progress bar: completed, current or ''."""
    nav = page[page.index("intake-progress"):]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'<li class="([a-z]*)"', nav)


@pytest.fixture
def live_database(tmp_path):
    """A database a server process can use: PostgreSQL's test database (the test must be marked
    transactional, so that the test database is emptied after it), or on SQLite a migrated file
    of this test's own."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR,
                            env=server_env(url), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return url


SET_UP_REFERRER = f"""
import json
from accounts.models import Hospital, Role, User
from django_otp.plugins.otp_totp.models import TOTPDevice
centre = Hospital.objects.create(name="Centrum", code="centrum", is_mdo_centre=True)
hospital = Hospital.objects.create(name="Noord", code="noord", mdo_centre=centre)
user = User(username="verwijzer", role=Role.REFERRER, hospital=hospital, first_name="Anna")
user.set_password({PASSWORD!r})
user.save()
TOTPDevice.objects.create(user=user, name="app", confirmed=True, key={TOTP_KEY!r})
print(json.dumps(user.pk))
"""

READ_CASE = """
import json
from audit.models import Event
from referrals.models import Case
case = Case.objects.select_related("patient").get()
fields = {f.name: getattr(case, f.name) for f in Case._meta.concrete_fields if not f.is_relation}
fields = {k: (v if isinstance(v, (int, bool, list, type(None))) else str(v)) for k, v in fields.items()}
fields["patient"] = {"patient_number": case.patient.patient_number, "family_name": case.patient.family_name}
fields["events"] = sorted(Event.objects.filter(case=case).values_list("action", flat=True))
fields["history"] = case.history.count()
print(json.dumps(fields))
"""


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moment", ["between requests", "during the fourth step's request"])
def test_a_killed_server_keeps_every_completed_intake_step(live_database, servers, moment):
    env = server_env(live_database)
    django_script(env, SET_UP_REFERRER)
    server = servers(env)
    browser = Browser(server)
    browser.login("verwijzer", PASSWORD, TOTP_KEY)

    # Steps 1 to 3, each with "next".
    status, headers, _ = browser.submit("/cases/new/", {**STEP_DATA["patient"], "next": "1"},
                                        page=browser.get("/cases/new/")[2])
    assert status == 302, "step 1 was not saved"
    step_two = headers["Location"]
    case_id = step_two.split("/")[2]
    for key, following in (("oncology", "history"), ("history", "extracranial")):
        path = f"/cases/{case_id}/intake/{key}/"
        _, _, page = browser.get(path)
        status, headers, _ = browser.submit(path, {**STEP_DATA[key], "version": form_version(page), "next": "1"},
                                            page=page)
        assert (status, headers["Location"]) == (302, f"/cases/{case_id}/intake/{following}/")

    # The fourth step is open and being filled in when the server dies.
    fourth = f"/cases/{case_id}/intake/extracranial/"
    _, _, page = browser.get(fourth)
    opened_version = form_version(page)
    typed = {**STEP_DATA["extracranial"], "version": opened_version, "next": "1"}
    half_sent = browser.send_half(fourth, typed, page) if moment.startswith("during") else None
    time.sleep(0.3)
    server.kill()
    if half_sent is not None:
        half_sent.close()

    server = servers(env)
    browser.server = server

    # Over HTTP, with the same session: the draft is listed, steps 1-3 done, the fourth is next.
    status, _, page = browser.get("/cases/")
    assert status == 200 and "Bakker" in page
    assert f"/cases/{case_id}/intake/review/" in page
    status, _, page = browser.get(f"/cases/{case_id}/intake/review/")
    assert status == 200
    assert progress(page) == ["completed"] * 3 + [""] * 4 + ["current"]
    open_steps = re.findall(r'href="/cases/[^/]+/intake/([a-z]+)/">', page[page.index("open-questions"):])
    assert open_steps[0] == "extracranial"
    status, _, page = browser.get(fourth)
    assert status == 200 and 'name="prognosis_months"' in page and 'value="12"' not in page

    # In the database: the answers of steps 1-3, nothing of the fourth, one version per save.
    stored = django_script(env, READ_CASE)
    assert stored["status"] == CaseStatus.DRAFT
    assert stored["completed_steps"] == ["patient", "oncology", "history"]
    assert stored["version"] == 3 and str(stored["version"]) == opened_version
    assert stored["patient"] == {"patient_number": "Z123456", "family_name": "Bakker"}
    for key in ("patient", "oncology", "history"):
        for name, value in STEP_DATA[key].items():
            if name in stored:
                assert str(stored[name] if stored[name] is not None else "") == value, name
    assert stored["extracranial_status"] == "" and stored["prognosis_months"] is None
    assert stored["events"] == ["case.created", "case.step_saved", "case.step_saved", "patient.created"]

    # The physician types the fourth step again and carries on from the page opened before.
    status, headers, _ = browser.submit(fourth, typed, page=page)
    assert (status, headers["Location"]) == (302, f"/cases/{case_id}/intake/clinical/")


def assert_error_page(status, content):
    assert status == 500
    assert ERROR_PAGE in content and "Er is niets half opgeslagen" in content
    for leak in LEAKS:
        assert leak not in content, leak


@pytest.mark.server
def test_a_database_that_refuses_connections_gives_the_dutch_error_page(servers, tmp_path):
    closed = free_port()  # nothing listens here
    server = servers(server_env(f"postgres://postgres@127.0.0.1:{closed}/mdo"))
    browser = Browser(server)

    assert_error_page(*browser.get("/health/")[::2])
    # The login page itself needs no database; logging in does.
    status, _, page = browser.get("/accounts/login/")
    assert status == 200
    status, _, content = browser.submit("/accounts/login/", {"username": "verwijzer", "password": PASSWORD},
                                        page=page)
    assert_error_page(status, content)
    browser.cookies["sessionid"] = "k" * 32
    assert_error_page(*browser.get("/cases/")[::2])


# --- Failing queries, in process ----------------------------------------------------------------

class FailAt:
    """A query wrapper that makes the n-th query fail as a lost connection would."""

    def __init__(self, n=None, when=None):
        self.n = n
        self.when = when
        self.seen = 0
        self.fired = False

    def __call__(self, execute, sql, params, many, context):
        self.seen += 1
        if not self.fired and (self.seen == self.n or (self.when is not None and self.when(sql))):
            self.fired = True
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


HISTORY = [Case.history.model, Patient.history.model, Lesion.history.model, AgendaItem.history.model,
           MeetingAdvice.history.model, Meeting.history.model, Attendance.history.model]


def clinical_state(known=None):
    """Everything a write request may change, except the record that somebody looked.

    Rows that did not exist in `known` are shown as "new" (their keys are random)."""
    known = known or {}
    state = {model._meta.label: model.objects.count()
             for model in (Patient, Case, Lesion, Advice, Event, Preconsultation, Meeting, AgendaItem,
                           Attendance, MeetingAdvice, *HISTORY)}
    state["changes logged"] = AccessLog.objects.filter(action__in=["create", "change"]).count()
    state["cases"] = sorted((str(pk) if str(pk) in known.get("cases", ()) else "new", status, version)
                            for pk, status, version in Case.objects.values_list("pk", "status", "version"))
    state["meetings"] = sorted((str(pk) if str(pk) in known.get("meetings", ()) else "new", version)
                               for pk, version in Meeting.objects.values_list("pk", "version"))
    state["removed"] = AgendaItem.objects.filter(removed_at__isnull=False).count()
    return state


def keys():
    return {"cases": {str(pk) for pk in Case.objects.values_list("pk", flat=True)},
            "meetings": {str(pk) for pk in Meeting.objects.values_list("pk", flat=True)}}


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def sweep(client, method, url, data):
    """Fail each query of the request in turn: the error page, and nothing half-written.

    A statement outside the service functions' transactions runs in autocommit in production;
    here the test's transaction stands around it, so after a request the test clears the
    "needs rollback" mark such a failed statement leaves, as autocommit would have.
    """
    known = keys()
    before = clinical_state(known)
    with rolled_back():
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302), (url, response.status_code)
        after = clinical_state(known)
    sqls = [query["sql"] for query in queries.captured_queries]
    assert after != before, f"{url} changed nothing: not a useful sweep"
    client.raise_request_exception = False
    for n in range(1, len(sqls) + 1):
        fault = FailAt(n)
        with rolled_back():
            with connection.execute_wrapper(fault):
                response = getattr(client, method)(url, data)
            transaction.set_rollback(False)
            assert fault.fired
            state = clinical_state(known)
            assert state in (before, after), (
                f"{url}: query {n} of {len(sqls)} failed and left this half-written:\n"
                f"{sqls[n - 1]}\n{state}\nbefore: {before}\nafter: {after}")
            if response.status_code == 500:
                assert_error_page(response.status_code, response.content.decode())
            else:
                # Django itself absorbs two kinds of failure: a constraint check in full_clean()
                # is skipped (the database enforces the constraint on write anyway), and a
                # session that cannot be saved after the work is done gives its 400 page.
                near = " ".join(sqls[max(n - 2, 0):n + 1])
                assert '"_check"' in near or "accounts_session" in near, (n, response.status_code, sqls[n - 1])
                assert state == (after if "accounts_session" in near else state)
    return len(sqls)


@pytest.mark.django_db
class TestFailingQueries:
    def draft(self, referrer, **answers):
        case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                           **answers)
        case.refresh_from_db()
        return case

    def test_the_audit_insert_failing_inside_case_submit_leaves_a_draft_without_advice(self, referrer):
        case = self.draft(referrer)
        client = verified_login(Client(raise_request_exception=False), referrer)
        fault = FailAt(when=lambda sql: sql.startswith('INSERT INTO "audit_event"'))
        with connection.execute_wrapper(fault):
            response = client.post(reverse("referrals:intake_submit", args=[case.pk]), {"version": case.version})
        assert fault.fired
        assert_error_page(response.status_code, response.content.decode())
        version = case.version
        case.refresh_from_db()
        assert case.status == CaseStatus.DRAFT and case.version == version
        assert case.current_advice is None and not Advice.objects.filter(case=case).exists()
        assert not case.history.filter(status=CaseStatus.SUBMITTED).exists()
        assert not Event.objects.filter(case=case).exclude(action="case.created").exists()

    def test_the_first_step_of_a_new_referral(self, referrer):
        client = verified_login(Client(), referrer)
        data = {**STEP_DATA["patient"], "intake_token": "7b0e8a52-4b0e-4a5c-9a51-7c8d3f3b1a10", "next": "1"}
        sweep(client, "post", reverse("referrals:intake_new"), data)

    def test_the_imaging_step_with_two_lesions(self, referrer):
        case = self.draft(referrer, with_lesion=False)
        rows = [{"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False, "critical_site": ""},
                {"region": "brainstem", "side": "midline", "diameter_mm": 6, "critical": True,
                 "critical_site": "brainstem"}]
        client = verified_login(Client(), referrer)
        sweep(client, "post", reverse("referrals:intake_step", args=[case.pk, "imaging"]),
              {**imaging_data(rows), "version": case.version, "next": "1"})

    def test_the_patient_step_of_a_draft(self, referrer):
        case = self.draft(referrer)
        client = verified_login(Client(), referrer)
        sweep(client, "post", reverse("referrals:intake_step", args=[case.pk, "patient"]),
              {**STEP_DATA["patient"], "family_name": "Bakker-de Wit", "version": case.version, "save": "1"})

    def test_the_final_submit(self, referrer, neuro_oncologist):
        case = self.draft(referrer)
        client = verified_login(Client(), referrer)
        sweep(client, "post", reverse("referrals:intake_submit", args=[case.pk]), {"version": case.version})

    @pytest.mark.parametrize("action,data", [
        ("accept", {"reason": "Akkoord"}),
        ("override", {"outcome": "NEURO_ONC_MDO", "reason": "Toch bespreken"}),
        ("request_info", {"message": "Graag de MRI."}),
        ("close", {"closed_forum": "organ_specific", "reason": "Longtumorbespreking"}),
    ])
    def test_each_pre_consultation_action(self, referrer, neuro_oncologist, action, data):
        case = submitted_case(referrer)
        client = verified_login(Client(), neuro_oncologist)
        sweep(client, "post", reverse("casefile:preconsult", args=[case.pk, action]), data)

    def test_placing_a_case_on_the_agenda(self, referrer, chair):
        case = submitted_case(referrer)
        meeting = planned_meeting(chair)
        client = verified_login(Client(), chair)
        sweep(client, "post", reverse("casefile:schedule", args=[case.pk]), {"meeting": meeting.pk})

    def test_a_weekly_series_of_meetings(self, chair):
        client = verified_login(Client(), chair)
        item = {"date": (planned_meeting(chair).date).isoformat(), "start_time": "16:00", "location": "Zaal 1",
                "video_link": "", "capacity_cases": "8", "capacity_minutes": "", "minutes_per_case": "10",
                "chair": chair.pk, "weeks": "3"}
        sweep(client, "post", reverse("meetings:meeting_create"), item)

    def test_recording_the_meetings_advice(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        client = verified_login(Client(), chair)
        sweep(client, "post", reverse("meetings:item_advice", args=[item.pk]), ADVICE_POST)

    def test_taking_a_case_off_the_agenda(self, referrer, chair):
        item = scheduled_case(referrer, chair)
        client = verified_login(Client(), chair)
        sweep(client, "post", reverse("meetings:item_remove", args=[item.pk]), {"reason": "Patiënt opgenomen"})
