"""Load test (issue 6, item 7; issue 17, target 4): simulated referrers submit cases through the real pages.

Each simulated referrer logs in (password, then the TOTP code computed from its device key),
then, until the time is up, walks the intake as a browser does: GET a step, POST it with the CSRF
token from the form and the case version, step by step, then the review page and the submit. A
walk begun before the deadline is finished. Afterwards the number of successful submits is
compared with the cases in the database: they must be equal, with no errors.

First one referrer walks `--solo-walks` cases alone (no one else on the server): each request's
time with one user, the yardstick of issue 17's target "intake step p99 under load <= 5 x the
same step's time with one user", measured in the same run. Then the 50 log in at once and, when
all have, walk together until the time is up (the duration counts from the start of the logins).

Between two requests a referrer pauses `--think` seconds (uniformly drawn; default 1-3 s, a very
fast typist: a real referrer reads and types for minutes per step). Without a pause the test is a
closed loop of 50 clients on 2 workers, where each request waits for about 25 others whatever a
request costs (Little's law: response time = clients / throughput), so the ratio would say
nothing about the application. `--think 0` gives that throughput test.

A separate process from the server (plain Python threads and http.client; no extra packages).
It needs a running server and the server's database (for the users it creates and the count):

    DJANGO_SETTINGS_MODULE=benchmarks.settings DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdo_bench \\
        .venv/bin/python benchmarks/load_test.py --base-url http://127.0.0.1:8765 --users 50 --duration 60

run_benchmark.py runs it this way at the end, against gunicorn on PostgreSQL. The referrers
(`load-verwijzer-NN`) are made in the synthetic hospitals; their patients are marked synthetic
afterwards (the intake form has no such field).
"""

import argparse
import contextlib
import datetime
import http.client
import json
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django_otp.oath import totp  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import Hospital, Role, User  # noqa: E402
from referrals.models import Case, CaseStatus, Patient  # noqa: E402

PASSWORD = "load-test-wachtwoord-2026"  # noqa: S105 - synthetic accounts of the load test
CASE_URL = re.compile(r"^/cases/([0-9a-f-]{36})/$")

STEPS = {
    "oncology": {
        "primary_tumour": "nsclc", "primary_tumour_other": "", "primary_diagnosis_date": "2024-02-01",
        "molecular_markers": "Adenocarcinoom", "driver_mutation": "yes", "driver_mutation_detail": "EGFR exon 19",
        "prior_treatment_lines": "osimertinib", "prior_brain_metastases": "no", "prior_bm_treatment": "",
        "prior_bm_effect": "", "prior_radiation_fields": "",
    },
    "history": {"comorbidity_relevant": "no", "comorbidity": "", "anticoagulation": "no",
                "anticoagulation_detail": ""},
    "extracranial": {"extracranial_status": "stable", "systemic_option": "no", "systemic_line": "",
                     "cerebral_response": "", "prognosis_months": "12"},
    "clinical": {"kps": "80", "dexamethasone": "no", "dexamethasone_mg": "", "neuro_deficit": "no",
                 "neuro_deficit_detail": "", "epilepsy": "no", "rapid_kps_improvement": "", "qol_improvement": ""},
    "imaging": {"mri_date": "", "lesion_mode": "list", "largest_diameter_mm": "", "critical_location": "",
                "critical_location_site": "", "lesions-TOTAL_FORMS": "2", "lesions-INITIAL_FORMS": "0",
                "lesions-MIN_NUM_FORMS": "0", "lesions-MAX_NUM_FORMS": "50",
                "lesions-0-region": "frontal", "lesions-0-side": "left", "lesions-0-diameter_mm": "14",
                "lesions-0-critical_site": "",
                "lesions-1-region": "cerebellum", "lesions-1-side": "right", "lesions-1-diameter_mm": "7",
                "lesions-1-critical_site": ""},
    "questions": {"radiotherapy_considered": "yes", "suspected_radionecrosis": "no", "recurrence": "no",
                  "treatment_wish": "yes", "patient_wish": "Wil behandeling", "question_to_mdo": "Indicatie SRT?"},
}
STEP_ORDER = ["oncology", "history", "extracranial", "clinical", "imaging", "questions", "review"]


class Failure(Exception):
    pass


class Browser:
    """Just enough of a browser: cookies, one request at a time, no redirects followed."""

    def __init__(self, base_url, stats, think=(0.0, 0.0)):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies = {}
        self.stats = stats
        self.think = think
        self.random = random.Random()  # noqa: S311 - pauses of a load test, not a secret

    def request(self, kind, method, path, data=None):
        if self.think[1] > 0:  # the referrer reads and types before the next request (not timed)
            time.sleep(self.random.uniform(*self.think))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode("utf-8", "replace")
            conn.close()
        except OSError as exc:
            self.stats.record(kind, time.perf_counter() - started)
            raise Failure(f"{kind}: {type(exc).__name__}") from exc
        self.stats.record(kind, time.perf_counter() - started)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), content

    def expect(self, kind, method, path, data=None, status=200, location=None):
        got, where, content = self.request(kind, method, path, data)
        if got != status or (location is not None and not re.match(location, where)):
            raise Failure(f"{kind}: {got} {re.sub(r'[0-9a-f-]{36}', '<id>', where)[:60]}")
        return where, content


def field(content, name):
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', content)
    if match is None:
        raise Failure(f"no {name} in the page")
    return unescape(match.group(1))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = Counter()
        self.submits = 0
        self.abandoned = 0

    def record(self, kind, seconds):
        with self.lock:
            self.latency[kind].append(seconds)

    def failed(self, failure):
        """A walk (the login, or one case) that went wrong: counted once, and abandoned."""
        with self.lock:
            self.errors[str(failure)] += 1
            self.abandoned += 1


def referrer_walk(number, user, key, args, deadline, stats, think=None, walks=None, logged_in=None):
    """Log in, then submit cases until `deadline` (or `walks` cases). With `logged_in` (a Barrier)
    the walks begin when every referrer has logged in (or failed to)."""
    browser = Browser(args.base_url, stats, args.think if think is None else think)
    try:
        login(browser, user, key)
    except Failure as failure:
        stats.failed(failure)
        return
    finally:
        if logged_in is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                logged_in.wait(timeout=600)
    serial = 0
    while time.monotonic() < deadline and (walks is None or serial < walks):
        serial += 1
        try:
            submit_one(browser, number, serial, stats)
        except Failure as failure:
            stats.failed(failure)


def login(browser, user, key):
    """Password, then the TOTP code from the device key."""
    _where, page = browser.expect("login GET", "GET", "/accounts/login/")
    browser.expect("login POST", "POST", "/accounts/login/", {
        "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), "username": user, "password": PASSWORD,
        "next": ""}, status=302)
    _where, page = browser.expect("2fa GET", "GET", "/accounts/2fa/")
    code = f"{totp(key):06d}"
    browser.expect("2fa POST", "POST", "/accounts/2fa/", {
        "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), "token": code, "next": "/cases/"},
        status=302, location=r"^/cases/$")


def submit_one(browser, number, serial, stats):
    _where, page = browser.expect("step GET", "GET", "/cases/new/")
    csrf = field(page, "csrfmiddlewaretoken")
    patient = {"patient_number": f"LOAD{number:02d}-{serial:05d}-{uuid.uuid4().hex[:4]}",
               "family_name": f"Synth-Load{number:02d}", "given_names": "L.", "date_of_birth": "1960-03-14",
               "sex": "female", "bsn": ""}
    where, _page = browser.expect("step POST", "POST", "/cases/new/", {
        "csrfmiddlewaretoken": csrf, "intake_token": field(page, "intake_token"), "next": "1", **patient,
        "presenter_role": "treating", "presenter_name": "", "systemic_activity_discussed": "yes"},
        status=302, location=r"^/cases/[0-9a-f-]{36}/intake/oncology/$")
    case_id = where.split("/")[2]
    for step, following in zip(STEP_ORDER, STEP_ORDER[1:], strict=False):
        path = f"/cases/{case_id}/intake/{step}/"
        _where, page = browser.expect("step GET", "GET", path)
        data = dict(STEPS[step])
        if step == "imaging":
            data["mri_date"] = (datetime.date.today() - datetime.timedelta(days=5)).isoformat()
        browser.expect("step POST", "POST", path, {
            "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), "version": field(page, "version"),
            "next": "1", **data}, status=302, location=rf"^/cases/{case_id}/intake/{following}/$")
    _where, page = browser.expect("review GET", "GET", f"/cases/{case_id}/intake/review/")
    browser.expect("submit POST", "POST", f"/cases/{case_id}/submit/", {
        "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), "version": field(page, "version")},
        status=302, location=rf"^/cases/{case_id}/$")
    with stats.lock:
        stats.submits += 1


def load_users(n):
    """`n` referrers spread over the synthetic referring hospitals, each with a confirmed TOTP device."""
    hospitals = list(Hospital.objects.filter(code__startswith="syn-zh-").order_by("code"))
    if not hospitals:
        sys.exit("No synthetic hospitals: run manage.py synthetic_data first.")
    users = []
    for i in range(1, n + 1):
        username = f"load-verwijzer-{i:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name="Load", last_name=f"Verwijzer {i:02d}", role=Role.REFERRER,
                        hospital=hospitals[(i - 1) % len(hospitals)], email=f"{username}@synthetisch.invalid")
            user.set_password(PASSWORD)
            user.save()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="load test", confirmed=True)
        users.append((user, device.bin_key))
    return users


STEP_KINDS = ("step GET", "step POST")  # "an intake step" of issue 17's target 4
RATIO_LIMIT = 5


def step_ratios(one_user, loaded):
    """p99 under load / p50 of one user alone, per request kind; and whether both intake step kinds
    (GET and POST) are within RATIO_LIMIT (a kind not measured in both counts as missed)."""
    ratios = {kind: loaded[kind]["p99"] / one_user[kind]["p50"]
              for kind in ("step GET", "step POST", "review GET", "submit POST")
              if kind in one_user and kind in loaded and one_user[kind]["p50"] > 0}
    return ratios, all(kind in ratios and ratios[kind] <= RATIO_LIMIT for kind in STEP_KINDS)


def think_range(text):
    low, _, high = text.partition("-")
    low, high = float(low), float(high or low)
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError("MIN-MAX seconds, e.g. 1-3, or 0")
    return low, high


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8765")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--json", help="write the result here too")
    parser.add_argument("--think", type=think_range, default=(1.0, 3.0),
                        help="pause between a referrer's requests, MIN-MAX seconds (default 1-3; 0: none)")
    parser.add_argument("--solo-walks", type=int, default=3,
                        help="cases one referrer submits alone first: each request's time with one user")
    parser.add_argument("--mail-outage", action="store_true",
                        help="run the mail queue against a stopped mail server during the test, then start one "
                             "and check every mail arrives once (benchmarks/mail_outage.py)")
    args = parser.parse_args()
    outage = None
    if args.mail_outage:
        from benchmarks.mail_outage import MailOutage

        outage = MailOutage()

    # One referrer more for the walks alone: a TOTP code is accepted once (replay protection), so
    # the one who walked alone would be refused its code when logging in again in the same 30 s.
    *users, (solo_user, solo_key) = load_users(args.users + 1)
    ids = [user.pk for user, _key in users] + [solo_user.pk]
    before = Case.objects.filter(referring_physician_id__in=ids).count()
    submitted_before = Case.objects.filter(referring_physician_id__in=ids, status=CaseStatus.SUBMITTED).count()
    # One referrer alone first, without pauses (they do not change a lone request's time).
    solo = Stats()
    referrer_walk(0, solo_user.username, solo_key, args, time.monotonic() + 600, solo, think=(0.0, 0.0),
                  walks=args.solo_walks)
    stats = Stats()
    started = time.monotonic()
    deadline = started + args.duration
    # All 50 log in at once (50 Argon2 hashes queue on the workers: the login rows of the table),
    # then walk together: the intake steps are measured with 50 referrers logged in and working,
    # not behind the storm of logins of the first seconds.
    logged_in = threading.Barrier(len(users))
    threads = [threading.Thread(target=referrer_walk, args=(n, user.username, key, args, deadline, stats),
                                kwargs={"logged_in": logged_in})
               for n, (user, key) in enumerate(users, start=1)]
    if outage is not None:
        outage.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    cases = Case.objects.filter(referring_physician_id__in=ids)
    submitted = cases.filter(status=CaseStatus.SUBMITTED).count() - submitted_before
    new_cases = cases.count() - before
    drafts_left = cases.filter(status=CaseStatus.DRAFT).count()
    Patient.objects.filter(cases__referring_physician_id__in=ids, is_synthetic=False).update(is_synthetic=True)

    all_latency = [s for values in stats.latency.values() for s in values]
    requests = len(all_latency)
    errors = sum(stats.errors.values()) + sum(solo.errors.values())
    submits = stats.submits + solo.submits
    result = {
        "users": args.users, "duration": args.duration, "elapsed": round(elapsed, 1), "requests": requests,
        "rps": round(requests / elapsed, 1), "errors": errors, "error_kinds": dict(stats.errors),
        "think_seconds": list(args.think), "solo_walks": args.solo_walks, "solo_submits": solo.submits,
        "abandoned_walks": stats.abandoned + solo.abandoned, "successful_submits": submits,
        "new_cases_in_db": new_cases, "submitted_in_db": submitted, "drafts_left": drafts_left,
        "latency_ms": {kind: {"n": len(v), "p50": percentile(v, 50) * 1000, "p95": percentile(v, 95) * 1000,
                              "p99": percentile(v, 99) * 1000, "max": max(v) * 1000}
                       for kind, v in sorted(stats.latency.items())},
        "all_ms": {"p50": percentile(all_latency, 50) * 1000, "p99": percentile(all_latency, 99) * 1000,
                   "mean": statistics.fmean(all_latency) * 1000 if all_latency else 0},
        "one_user_ms": {kind: {"n": len(v), "p50": percentile(v, 50) * 1000}
                        for kind, v in sorted(solo.latency.items())},
    }
    ratios, result["step_ratio_ok"] = step_ratios(result["one_user_ms"], result["latency_ms"])
    result["p99_over_one_user"] = ratios
    equal = submitted == submits == new_cases and errors == 0
    if outage is not None:
        result["mail"] = outage.finish(ids)
        equal = equal and result["mail"]["ok"]
    result["ok"] = equal
    think = (f"{args.think[0]:g}-{args.think[1]:g} s between a referrer's requests" if args.think[1]
             else "no pause between requests (a throughput test)")
    lines = [
        f"Load test: {args.users} referrers for {args.duration} s ({elapsed:.0f} s until the last walk ended), "
        f"{think}: {requests:,} requests ({result['rps']} req/s), {errors} errors, "
        f"{result['abandoned_walks']} walks abandoned. Before them one referrer alone submitted "
        f"{solo.submits} cases (the one-user times below).",
        "",
        f"Successful submits {submits:,}; new cases in the database {new_cases:,}, of which submitted "
        f"{submitted:,} and drafts {drafts_left:,}: " + ("**equal, no errors**" if equal else "**NOT equal**") + ".",
        "",
        "| request | n | p50 ms | p95 ms | p99 ms | max ms | one user alone, p50 ms | p99 under load / one user |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, lat in result["latency_ms"].items():
        alone = result["one_user_ms"].get(kind)
        ratio = f"{ratios[kind]:.1f} ×" if kind in ratios else "—"
        one = f"{alone['p50']:.0f}" if alone else "—"
        lines.append(f"| {kind} | {lat['n']:,} | {lat['p50']:.0f} | {lat['p95']:.0f} | {lat['p99']:.0f} | "
                     f"{lat['max']:.0f} | {one} | {ratio} |")
    lines.append(f"| all | {requests:,} | {result['all_ms']['p50']:.0f} | | {result['all_ms']['p99']:.0f} | | | |")
    lines += ["", "Intake step (GET and POST) at p99 under load ≤ 5 × the same step alone: "
              + ("met" if result["step_ratio_ok"] else "**missed**") + "."]
    if stats.errors:
        lines += ["", "Errors: " + "; ".join(f"{k} × {v}" for k, v in stats.errors.most_common())]
    if outage is not None:
        lines += ["", outage.markdown(result["mail"])]
    result["markdown"] = "\n".join(lines)
    print(result["markdown"])
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    sys.exit(0 if equal else 1)


if __name__ == "__main__":
    main()
