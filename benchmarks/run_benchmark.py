"""The web benchmark (issue 6, items 2 and 7), in one run:

1. drops and recreates the PostgreSQL database `mdo_bench`, migrates it, collects static files;
2. loads the synthetic cases (`manage.py synthetic_data`, 100,000 by default);
3. prepares sessions, the pages to request and the drafts the submit consumes (prepare.py);
4. starts gunicorn (2 sync workers, --no-control-socket, DEBUG off, production settings);
5. checks every page once (status, content, access-log rows), waits for a quiet CPU (the machine
   may be shared), warms up, then measures each page with wrk (2 threads, 16 connections, 10 s):
   the floor with a session, the referrer's case list, the queue (first page and a filtered
   search), a case page, the agenda print view and PDF of a 30-case meeting, and the submit
   (POST, one new draft per request); the floor (a bare view with a small template) is measured
   before and after every page, and each page is compared with the floor around it;
6. times the PDF render alone (in the PDF worker's way, pdf_render.py) and the download of the
   stored file alone (sequential requests), five password logins (the Argon2 peak), runs the GET
   pages mixed for a minute, and reads the workers' memory (RSS from /proc) after every phase;
7. records the queries of each page with EXPLAIN ANALYZE and a profile (explain.py);
8. runs the load test (load_test.py, a separate process: one referrer alone, then 50 for 60 s);
9. prints the Markdown tables for docs/performance.md; raw output goes to benchmarks/out/.

Run from the project root, on a machine with PostgreSQL on 127.0.0.1:5432 (user postgres, trust):

    .venv/bin/python benchmarks/run_benchmark.py            # about 12 minutes
    BENCH_DATABASE=mdo_bench10k BENCH_OUT=benchmarks/out-10k \
        .venv/bin/python benchmarks/run_benchmark.py --cases 10000 --drafts 5000   # the same at 10,000
    .venv/bin/python benchmarks/run_benchmark.py --compare-with benchmarks/out-10k/results.json   # + flat in N
    .venv/bin/python benchmarks/run_benchmark.py --reuse-db --duration 5 --mixed 10 --skip-load   # quicker

Not part of the test suite (it takes minutes).
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
# BENCH_DATABASE, BENCH_PORT, BENCH_OUT: for a second run beside another one on the same machine;
# BENCH_WORKERS: gunicorn workers (default 2, the method of the targets; production runs 4 per 2 vCPU).
OUT = Path(os.environ.get("BENCH_OUT", BENCH / "out"))
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DATABASE = os.environ.get("BENCH_DATABASE", "mdo_bench")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8765"))
THREADS, CONNECTIONS = 2, 16
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))  # gunicorn sync workers (docs/deployment.md: 4 per 2 vCPU)
MEMORY_REQUESTS = 20_000  # the memory target: RSS growth over at least this many requests

PAGES = [
    # key, label, issue 17's target: a share of the floor with a logged-in session (None: no target)
    ("case_list", "Referrer's case list", 0.50),
    ("queue", "Pre-consultation queue, first page", 0.50),
    ("queue_search", "Queue, filtered search", 0.50),
    ("case_page", "Case page with advice and diagram", 0.50),
    ("agenda_print", "Agenda print view, 30 cases", 0.20),
    ("agenda_pdf", "Agenda PDF, 30 cases (the stored file)", 0.50),
    ("quality_dashboard", "Quality dashboard, six months of a centre", None),
]
SUBMIT = ("submit", "Final intake submit (POST)", 0.40)
SESSION_FLOOR_TARGET = 0.50  # the logged-in floor, as a share of the bare floor
FLAT_PAGES = ("case_list", "queue", "case_page", "quality_dashboard")  # target 5: the four pages
# Shown beside them, not part of the target: the search's result rows themselves grow with the data
# (the synthetic backlog of open cases and the patients named alike grow with N).
FLAT_SHOWN = ("queue_search",)
FLAT_WITHIN = 0.20


def environment():
    """Production settings, with only what plain HTTP on 127.0.0.1 needs switched off."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REQUIRE_2FA": "1",
        "SECURE_SSL_REDIRECT": "0",  # wrk speaks plain HTTP
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        # Notification mails are rendered and "sent" to nowhere (no SMTP server here).
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


ENV = environment()


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args, *, output=None, timeout=1800, check=True):
    started = time.monotonic()
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                            timeout=timeout)
    if output:
        Path(output).write_text(result.stdout + result.stderr)
    if check and result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout, time.monotonic() - started


# --- Machine and database -------------------------------------------------------------------------

def _quality_period(r):
    period = r.get("quality_period")
    if not period:
        return []
    return [f"Quality dashboard: the period {period['start']} to {period['end']}, {period['cases']:,} referrals of "
            "the centre (six whole months the synthetic data fills evenly at every size, benchmarks/prepare.py).", ""]


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    with psycopg.connect(ADMIN_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": pg, "os": platform.platform(),
            "wrk": wrk, "weasyprint": _weasyprint(), "date": datetime.date.today().isoformat()}


def _weasyprint():
    from ctypes.util import find_library

    version = subprocess.run([PYTHON, "-c", "import weasyprint; print(weasyprint.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    subsetter = "HarfBuzz" if find_library("harfbuzz-subset") else "fontTools (libharfbuzz-subset missing)"
    return f"WeasyPrint {version or '?'} (font subsetting: {subsetter})"


def recreate_database():
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def db_value(sql, params=()):
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(sql, params).fetchone()[0]


def commit_latency(times=200):
    """The time of one durable commit (a one-row INSERT, then COMMIT: the WAL flushed to disk), as
    every page that writes an access-log row pays it once before its response; median and p90 ms."""
    seconds = []
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (at timestamptz DEFAULT now())")
        conn.commit()
        for _index in range(times):
            started = time.perf_counter()
            conn.execute("INSERT INTO bench_commit_probe DEFAULT VALUES")
            conn.commit()
            seconds.append(time.perf_counter() - started)
        conn.execute("DROP TABLE bench_commit_probe")
        conn.commit()
        setting = conn.execute("SHOW synchronous_commit").fetchone()[0]
    seconds.sort()
    return {"median_ms": statistics.median(seconds) * 1000, "p90_ms": seconds[int(len(seconds) * 0.9)] * 1000,
            "synchronous_commit": setting}


def access_log_max():
    return db_value("SELECT coalesce(max(id), 0) FROM audit_accesslog")


# --- CPU used by other processes (the machine is shared: other work skews a run) -------------------

HZ = os.sysconf("SC_CLK_TCK")


def _jiffies(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def cpu_snapshot(server):
    """(busy jiffies of the machine, jiffies of the benchmark's own processes)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        backends = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE]).fetchall()]
    pids = [os.getpid(), server.process.pid, *server.workers(), *backends]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = sum(_jiffies(pid) for pid in pids) + (children.ru_utime + children.ru_stime) * HZ
    return busy, ours


# --- gunicorn ---------------------------------------------------------------------------------------

class Server:
    def __init__(self, log_path):
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [GUNICORN, "mdo.wsgi", "--workers", str(WORKERS), "--no-control-socket", "--bind", f"{HOST}:{PORT}",
             "--log-level", "warning"], cwd=ROOT, env=ENV, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            time.sleep(0.2)
            try:
                if get("/health/")[0] == 200 and len(self.workers()) == 2:
                    return
            except OSError:
                pass
        sys.exit("gunicorn did not start; see " + str(log_path))

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def rss_mb(self, field="VmRSS"):
        """Each worker's resident memory now (VmRSS), or the most it has had since it started
        (VmHWM, the high-water mark: it includes the moments inside a PDF, between two readings)."""
        sizes = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024)
        return [round(size, 1) for size in sorted(sizes)]

    def peak_mb(self):
        """The most either worker has had resident since the last call (VmHWM), after which the
        high-water mark is reset (5 written to /proc/<pid>/clear_refs): the peak of one phase,
        PDFs and logins included, which a reading between phases does not see."""
        peak = max(self.rss_mb("VmHWM"))
        for pid in self.workers():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        return peak

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def get(path, cookie=None, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    all_headers = {"Cookie": cookie} if cookie else {}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), data


def logins(login):
    """Five password logins, one after the other (the password step: Argon2 verifies the password;
    two-factor login follows, not taken here). Returns the median time."""
    seconds = []
    for _ in range(5):
        status, headers, body = get("/accounts/login/")
        csrf = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **login})
        started = time.monotonic()
        status, headers, _body = get("/accounts/login/", cookie_for(None, csrf), method="POST", body=form,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        seconds.append(time.monotonic() - started)
        if status != 302:
            sys.exit(f"login failed: status {status}")
    return {"median_seconds": statistics.median(seconds), "max_seconds": max(seconds)}


def wait_idle():
    """Wait until the workers have finished what wrk left queued (requests of closed connections
    are still served: a run of slow pages leaves seconds of work behind)."""
    for _ in range(600):
        started = time.monotonic()
        get("/health/")
        if time.monotonic() - started < 0.05:
            return
    sys.exit("the server does not become idle")


def cookie_for(session, csrf=None):
    parts = [f"sessionid={session}"] if session else []
    if csrf:
        parts.append(f"csrftoken={csrf}")
    return "; ".join(parts)


# --- wrk ----------------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(name, path, cookie=None, duration=10, script=None, script_args=(), connections=CONNECTIONS,
        allow_empty=False, server=None):
    args = ["wrk", "-t", min(THREADS, connections), "-c", connections, "-d", f"{duration}s", "--latency",
            "--timeout", "60s"]
    if cookie and not script:
        args += ["-H", f"Cookie: {cookie}"]
    if script:
        args += ["-s", script]
    args.append(f"http://{HOST}:{PORT}{path}")
    if script_args:
        args += ["--", *script_args]
    before = cpu_snapshot(server) if server else None
    started = time.monotonic()
    output = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout
    elapsed = time.monotonic() - started
    after = cpu_snapshot(server) if server else None
    (OUT / f"wrk-{name}.txt").write_text(output)
    wait_idle()
    if " 0 requests in" in output and not allow_empty:
        sys.exit(f"wrk {name}: no request completed\n{output}")
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(latency["50"]), "p90": _ms(latency["90"]), "p99": _ms(latency["99"]),
        "non_2xx_3xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
        "lua": dict(re.findall(r"(\w+)=(\d+)", "".join(re.findall(r"^LUA (.*)$", output, re.M)))),
        # Cores kept busy by other processes on the machine during the run (0 = nothing else ran).
        "foreign_cores": (((after[0] - before[0]) - (after[1] - before[1])) / HZ / elapsed) if server else None,
    }


# --- The run --------------------------------------------------------------------------------------------

def check_page(name, page):
    """One request: 200, the expected content, and how many access-log rows it writes."""
    before = access_log_max()
    status, _headers, body = get(page["url"], cookie_for(page["session"]))
    if status != 200 or page["marker"].encode() not in body:
        sys.exit(f"{name}: status {status}, marker {page['marker']!r} missing: the benchmark would measure "
                 f"the wrong page.\n{body[:500]!r}")
    return access_log_max() - before


def other_cpu(server, seconds=3):
    before = cpu_snapshot(server)
    time.sleep(seconds)
    after = cpu_snapshot(server)
    return ((after[0] - before[0]) - (after[1] - before[1])) / HZ / seconds


def wait_until_quiet(server, limit):
    """The machine is shared: wait (up to `limit` s) until other processes use less than a quarter core."""
    deadline = time.monotonic() + limit
    while (busy := other_cpu(server)) > 0.25 and time.monotonic() < deadline:
        log(f"other processes keep {busy:.2f} cores busy; waiting for a quieter moment")
        time.sleep(7)
    return busy


def measure(args, targets, server, results):
    pages = targets["pages"]
    csrf = targets["csrf"]
    results["other_cpu_at_start"] = wait_until_quiet(server, args.quiet_wait)
    log("agenda PDF: queued by its first download, made by the PDF worker (render_pdfs --once)")
    pdf = pages["agenda_pdf"]
    status, _headers, _body = get(pdf["url"], cookie_for(pdf["session"]))
    assert status in (200, 202), f"agenda PDF: status {status}"
    run([PYTHON, "manage.py", "render_pdfs", "--once"], output=OUT / "render_pdfs.txt")
    log("checking every page once")
    results["log_rows_per_request"] = {name: check_page(name, page) for name, page in pages.items()}
    results["rss"] = {"after start (one request per page)": server.rss_mb()}
    results["rss_peak"] = {"after start (one request per page)": server.peak_mb()}

    log("warming up (2 s per page, not recorded)")
    for name, page in pages.items():
        wrk(f"warmup-{name}", page["url"], cookie_for(page["session"]), duration=2)
    results["rss"]["after warm-up"] = server.rss_mb()
    results["rss_peak"]["after warm-up"] = server.peak_mb()

    log("logins: 5 sequential password logins (the Argon2 peak)")
    log("durable commits: 200 one-row INSERTs, each committed (the WAL flush every logged page waits for)")
    results["commit"] = commit_latency()
    results["login"] = logins(targets["login"])
    results["rss"]["after 5 logins"] = server.rss_mb()
    results["rss_peak"]["after 5 logins"] = results["login"]["peak_mb"] = server.peak_mb()

    measured = results["wrk"] = {}
    floors = results["floors"] = []

    def floor_run():
        """The floor again (5 s): each page is compared with the floor measured just before and after it."""
        result = wrk(f"floor-{len(floors)}", pages["floor"]["url"], duration=5, server=server)
        floors.append(result)
        return len(floors) - 1

    previous = floor_run()
    for name in ["floor_session", *[key for key, *_ in PAGES]]:
        page = pages[name]
        if name == "agenda_pdf":
            results["rss"]["after the HTML pages"] = server.rss_mb()
            results["rss_peak"]["after the HTML pages"] = server.peak_mb()
        duration = args.duration
        log(f"wrk {name} ({duration} s), then the floor (5 s)")
        before = access_log_max()
        measured[name] = wrk(name, page["url"], cookie_for(page["session"]), duration=duration, server=server)
        measured[name]["log_rows"] = access_log_max() - before
        following = floor_run()
        measured[name]["floors"] = [previous, following]
        previous = following

    log("PDF download alone: 10 sequential requests (the stored file)")
    seconds = []
    for _ in range(10):
        started = time.monotonic()
        status, _headers, body = get(pdf["url"], cookie_for(pdf["session"]))
        seconds.append(time.monotonic() - started)
        assert status == 200 and body.startswith(b"%PDF")
    results["pdf_download_seconds"] = {"median": statistics.median(seconds), "max": max(seconds)}
    log("PDF render alone: 10 renders as the PDF worker makes them (pdf_render.py)")
    output, _seconds = run([PYTHON, BENCH / "pdf_render.py", "--meeting", targets["meeting_id"], "--times", 10],
                           output=OUT / "pdf_render.json")
    results["pdf_seconds"] = json.loads(output)
    results["rss"]["after the PDFs (wrk, then 10 alone)"] = server.rss_mb()
    results["rss_peak"]["after the PDFs (wrk, then 10 alone)"] = server.peak_mb()

    log(f"mixed application pages for {args.mixed} s (memory)")
    rotation = [f"{pages[n]['url']}|{cookie_for(pages[n]['session'])}"
                for n in ("case_list", "queue", "queue_search", "case_page", "agenda_print")]
    mixed = wrk("mixed", "/", duration=args.mixed, script=BENCH / "mixed.lua", script_args=[10**9, *rotation],
                server=server)
    results["mixed"] = {"requests": mixed["requests"], "non200": int(mixed["lua"].get("non200", -1)),
                        "rps": mixed["rps"]}
    results["rss"]["after the mixed run"] = server.rss_mb()
    results["rss_peak"]["after the mixed run"] = server.peak_mb()

    log(f"submit: one new complete draft per request ({args.duration} s)")
    submit = targets["submit"]
    cookie = cookie_for(submit["session"], csrf)
    status, headers, _body = get(f"/cases/{submit['check'][0]}/submit/", cookie, method="POST",
                                 body=f"version={submit['check'][1]}",
                                 headers={"X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded"})
    if status != 302 or headers.get("Location") != f"/cases/{submit['check'][0]}/":
        sys.exit(f"submit check failed: {status} {headers.get('Location')}")
    count_drafts = ("SELECT count(*) FROM referrals_case WHERE referring_hospital_id = %s AND status = 'draft'",
                    [submit["hospital"]])
    drafts_before = db_value(*count_drafts)
    first = floor_run()
    result = wrk("submit", "/", duration=args.duration, script=BENCH / "submit.lua",
                 script_args=[OUT / "drafts.txt", THREADS, cookie, csrf], server=server)
    result["submitted_in_db"] = drafts_before - db_value(*count_drafts)
    result["floors"] = [first, floor_run()]
    measured["submit"] = result
    results["rss"]["after the submit run"] = server.rss_mb()
    results["rss_peak"]["after the submit run"] = server.peak_mb()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=25_000, help="complete drafts for the submit benchmark")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--mixed", type=int, default=60, help="seconds of mixed application pages (memory)")
    parser.add_argument("--quiet-wait", type=int, default=120,
                        help="wait up to this many seconds for other processes to leave the CPU before measuring")
    parser.add_argument("--skip-load", action="store_true", help="leave out the load test (load_test.py)")
    parser.add_argument("--load-seconds", type=int, default=60, help="duration of the load test")
    parser.add_argument("--compare-with", type=Path,
                        help="results.json of a run at another size (e.g. 10,000 cases): the flat-in-N table")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep mdo_bench as it is (no recreate, migrate or synthetic_data): for trying changes")
    args = parser.parse_args()
    # The project's Debian packages (wrk, and WeasyPrint's Pango and HarfBuzz subsetter: without
    # libharfbuzz-subset0 the PDF is measured with fontTools' slower font subsetting).
    subprocess.run([ROOT / "scripts" / "install-system-packages"], check=True)
    OUT.mkdir(exist_ok=True)
    started = time.monotonic()
    results = {"machine": machine(), "cases": args.cases, "duration": args.duration,
               "settings": {k: ENV[k] for k in ("DEBUG", "REQUIRE_2FA", "SECURE_SSL_REDIRECT",
                                                 "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "EMAIL_BACKEND")}}

    if args.reuse_db:
        results["migrate_seconds"] = results["synthetic_seconds"] = 0
        results["cases"] = db_value("SELECT count(*) FROM referrals_case")
    else:
        log(f"recreating database {DATABASE}")
        recreate_database()
        _out, results["migrate_seconds"] = run([PYTHON, "manage.py", "migrate", "--noinput"],
                                               output=OUT / "migrate.txt")
        log(f"loading {args.cases:,} synthetic cases")
        output, results["synthetic_seconds"] = run(
            [PYTHON, "manage.py", "synthetic_data", "--cases", args.cases, "--seed", "1"],
            output=OUT / "synthetic.txt")
        results["synthetic_summary"] = output.split("Users (")[0]
    run([PYTHON, "manage.py", "collectstatic", "--noinput"], output=OUT / "collectstatic.txt")
    log(f"preparing sessions, pages and {args.drafts:,} drafts; VACUUM ANALYZE")
    _out, results["prepare_seconds"] = run([PYTHON, BENCH / "prepare.py", "--out", OUT / "targets.json",
                                            "--drafts", args.drafts, "--drafts-file", OUT / "drafts.txt"])
    targets = json.loads((OUT / "targets.json").read_text())
    results["quality_period"] = targets.get("quality_period")
    results["database_size"] = db_value("SELECT pg_size_pretty(pg_database_size(%s))", [DATABASE])

    log("starting gunicorn")
    server = Server(OUT / "gunicorn.log")
    try:
        measure(args, targets, server, results)
        log("queries and profile per page (explain.py)")
        run([PYTHON, BENCH / "explain.py", "--targets", OUT / "targets.json", "--out", OUT / "queries.md"])
        if not args.skip_load:
            log(f"load test: 50 referrers for {args.load_seconds} s (load_test.py, a separate process)")
            output, _seconds = run([PYTHON, BENCH / "load_test.py", "--base-url", f"http://{HOST}:{PORT}",
                                    "--users", "50", "--duration", args.load_seconds, "--json", OUT / "load.json",
                                    "--mail-outage"],
                                   output=OUT / "load.txt", check=False)
            results["load"] = json.loads((OUT / "load.json").read_text())
            results["rss"]["after the load test"] = server.rss_mb()
            results["rss_peak"]["after the load test"] = server.peak_mb()
    finally:
        server.stop()
    results["total_seconds"] = time.monotonic() - started
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    other = json.loads(args.compare_with.read_text()) if args.compare_with else None
    report = markdown(results) + "\n" + targets_markdown(results, other)
    (OUT / "results.md").write_text(report)
    print(report)


# --- Report -----------------------------------------------------------------------------------------------

def mark(ok):
    return "met" if ok else "**missed**"


def markdown(r):
    m = r["machine"]
    w = r["wrk"]
    floors = [f["rps"] for f in r["floors"]]
    session_floor = w["floor_session"]["rps"]

    def floor_of(res):
        return statistics.fmean(floors[i] for i in res["floors"])

    lines = [
        f"Run of {m['date']}: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}, {m['wrk']}, {m.get('weasyprint', 'WeasyPrint ?')}. "
        f"{r['cases']:,} synthetic cases; database "
        f"{r['database_size']}. wrk: {THREADS} threads, {CONNECTIONS} connections, {r['duration']} s per page.",
        "",
        f"Set-up: migrate {r['migrate_seconds']:.0f} s, synthetic_data {r['synthetic_seconds']:.0f} s, "
        f"prepare (sessions, drafts, VACUUM ANALYZE) {r['prepare_seconds']:.0f} s; whole run "
        f"{r['total_seconds'] / 60:.1f} min.",
        "",
        *_quality_period(r),
        f"Floor: measured {len(floors)} times (5 s each), before and after every page: {min(floors):,.0f} to "
        f"{max(floors):,.0f} req/s, mean {statistics.fmean(floors):,.0f}. Each page is compared with the mean of "
        f"the floor just before and just after it. The same view with a logged-in session: {session_floor:,.0f} "
        f"req/s. \"Other CPU\": cores kept busy by processes outside the benchmark during the page's run.",
        "",
        "| page | req/s | floor around it | of floor | of floor with session | p50 ms | p99 ms | errors "
        "| access-log rows per response (per request) | other CPU | target (issue 17) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = [("floor_session", "Floor with a logged-in session", None), *PAGES, SUBMIT]
    for key, label, share in rows:
        res = w[key]
        floor = floor_of(res)
        ratio = res["rps"] / floor
        errors = res["non_2xx_3xx"] + res["socket_errors"]
        if key == "submit":
            errors += int(res["lua"].get("other", 0))
        log_rows = res.get("log_rows")
        expected = r["log_rows_per_request"].get(key)
        per_request = "—"
        if log_rows is not None and res["requests"] and expected:
            per_request = f"{log_rows / res['requests']:.1f} ({expected})"
        target = "—"
        if key == "floor_session":
            target = f"≥ {SESSION_FLOOR_TARGET:.0%} of the floor: {mark(ratio >= SESSION_FLOOR_TARGET)}"
        elif share is not None:
            target = f"≥ {share:.0%} of the logged-in floor: {mark(res['rps'] / session_floor >= share)}"
        lines.append(f"| {label} | {res['rps']:,.1f} | {floor:,.0f} | {ratio:.1%} | {res['rps'] / session_floor:.0%} | "
                     f"{res['p50']:.1f} | {res['p99']:.1f} | {errors} | {per_request} | "
                     f"{res['foreign_cores']:.2f} | {target} |")
    s = w["submit"]
    pdf = r["pdf_seconds"]
    commit = r.get("commit")
    if commit:
        ceiling = WORKERS / (commit["median_ms"] / 1000)
        lines += [
            "",
            f"A durable commit (one-row INSERT and COMMIT, synchronous_commit {commit['synchronous_commit']}), "
            f"200 alone: median {commit['median_ms']:.2f} ms, p90 {commit['p90_ms']:.2f} ms. Every page that "
            f"writes its NEN 7513 rows waits for one before it answers, so with {WORKERS} sync workers such a "
            f"page cannot exceed {WORKERS} / {commit['median_ms']:.2f} ms = {ceiling:,.0f} req/s "
            f"({ceiling / session_floor:.0%} of the logged-in floor) even if it cost nothing else.",
        ]
    lines += [
        "",
        f"Submit: wrk counted {s['requests']:,} responses, {s['lua'].get('submit_redirects', '?')} of them a "
        f"redirect to the submitted case; {s['submitted_in_db']:,} drafts became submitted in the database "
        f"(a request still in flight when wrk stops is completed by the server).",
        "",
        f"Agenda PDF (30 cases): rendered in the background by the PDF worker (meetings/pdfs.py), 10 renders "
        f"alone in the worker's way (pdf_render.py): median {pdf['median']:.2f} s, max {pdf['max']:.2f} s "
        f"({pdf['bytes'] / 1024:.0f} KB). The download serves the stored file: "
        f"{w['agenda_pdf']['rps'] / session_floor:.0%} of the logged-in floor under wrk (target ≥ 50%: "
        f"{mark(w['agenda_pdf']['rps'] / session_floor >= 0.5)}), alone median "
        f"{r['pdf_download_seconds']['median'] * 1000:.0f} ms.",
        "",
        f"Login, the password step alone (Argon2id m=46 MiB, t=2, p=1; accounts/hashers.py), 5 in a row: median "
        f"{r['login']['median_seconds'] * 1000:.0f} ms; the peak of either worker during them (VmHWM) "
        f"{r['login']['peak_mb']:.0f} MB.",
        "",
        f"Mixed application pages (case list, queue, search, case page, agenda print in turn) for the memory "
        f"check: {r['mixed']['requests']:,} requests, {r['mixed']['rps']:.1f} req/s, {r['mixed']['non200']} not 200.",
        "",
        "| worker RSS (MB) | worker 1 | worker 2 | peak of either worker during the phase (VmHWM) |",
        "|---|---:|---:|---:|",
    ]
    for label, sizes in r["rss"].items():
        lines.append(f"| {label} | {sizes[0]} | {sizes[1]} | {r['rss_peak'][label]} |")
    first, last = r["rss"]["after warm-up"], list(r["rss"].values())[-1]
    growth = max(after / before - 1 for before, after in zip(first, last, strict=True))
    steady = max(size for sizes in r["rss"].values() for size in sizes)
    peak_label, peak = max(r["rss_peak"].items(), key=lambda item: item[1])
    floor_requests = sum(f["requests"] for f in r["floors"])
    app = sum(res["requests"] for key, res in w.items() if key != "floor_session") + r["mixed"]["requests"] + 10
    if "load" in r:
        app += r["load"]["requests"]
    served = app + floor_requests + w["floor_session"]["requests"]
    lines += [
        "",
        f"Between the warm-up and the last measurement the workers served {served:,} requests ({app:,} of them "
        f"application pages, the rest the floor). Worker RSS between the phases at most {steady:.0f} MB; "
        f"peak {peak:.0f} MB, the high-water mark (VmHWM) of either worker, in the phase ending "
        f"\"{peak_label}\" (target < 150 MB: {mark(peak < 150)}); growth {growth:+.1%} "
        f"(target ≤ 10% over {MEMORY_REQUESTS:,} requests: {mark(growth <= 0.10 and served >= MEMORY_REQUESTS)}).",
    ]
    if "load" in r:
        lines += ["", r["load"]["markdown"]]
    return "\n".join(lines) + "\n"


def session_shares(r):
    """Each page's req/s as a share of the logged-in floor of its own run (the cost's inverse)."""
    w = r["wrk"]
    return {key: res["rps"] / w["floor_session"]["rps"] for key, res in w.items() if key != "floor_session"}


def flat_markdown(r, other):
    """Issue 17, target 5: a page costs the same at both sizes (within 20 %). Costs are compared as
    shares of each run's own logged-in floor, so two runs on a machine in a different mood compare."""
    small, large = sorted((other, r), key=lambda run: run["cases"])
    a, b = session_shares(small), session_shares(large)
    lines = [f"Flat in N: each page's share of its run's logged-in floor at {small['cases']:,} and "
             f"{large['cases']:,} cases; the cost at {large['cases']:,} as a multiple of the cost at "
             f"{small['cases']:,} (share at {small['cases']:,} / share at {large['cases']:,}; target ≤ "
             f"{1 + FLAT_WITHIN:.2f}).", "",
             f"| page | at {small['cases']:,} | at {large['cases']:,} | cost ratio | within {FLAT_WITHIN:.0%} |",
             "|---|---:|---:|---:|---|"]
    ok_all = True
    for key in (*FLAT_PAGES, *FLAT_SHOWN):
        if key not in a or key not in b:
            continue
        ratio = a[key] / b[key]
        ok = ratio <= 1 + FLAT_WITHIN
        if key in FLAT_PAGES:
            ok_all = ok_all and ok
            verdict = mark(ok)
        else:
            verdict = "— (not in the target: its result rows grow with the data)"
        lines.append(f"| {key} | {a[key]:.1%} | {b[key]:.1%} | {ratio:.2f} | {verdict} |")
    return lines, ok_all


def targets_markdown(r, other=None):
    """Issue 17's targets, each with the value measured in this run and met / missed."""
    w = r["wrk"]
    shares = session_shares(r)
    floors = [f["rps"] for f in r["floors"]]
    session_share = w["floor_session"]["rps"] / statistics.fmean(floors[i] for i in w["floor_session"]["floors"])
    lines = ["Issue 17's targets in this run:", "", "| target | measured | result |", "|---|---|---|",
             f"| 1. logged-in floor ≥ {SESSION_FLOOR_TARGET:.0%} of the bare floor | {session_share:.1%} | "
             f"{mark(session_share >= SESSION_FLOOR_TARGET)} |"]
    for key, label, share in [*PAGES, SUBMIT]:
        if share is not None and key in shares:
            lines.append(f"| {'3' if key == 'agenda_pdf' else '2'}. {label} ≥ {share:.0%} of the logged-in floor | "
                         f"{shares[key]:.1%} | {mark(shares[key] >= share)} |")
    load = r.get("load")
    if load:
        ratios = load.get("p99_over_one_user", {})
        measured = ", ".join(f"{kind} {ratio:.1f} ×" for kind, ratio in ratios.items()) or "not measured"
        lines.append(f"| 4. intake step p99 under load ≤ 5 × one user's | {measured} | "
                     f"{mark(load.get('step_ratio_ok', False))} |")
        lines.append(f"| 4. 0 errors, submitted cases = successful submits | {load['errors']} errors; "
                     f"{load['successful_submits']:,} submits, {load['submitted_in_db']:,} submitted cases | "
                     f"{mark(load['ok'])} |")
    else:
        lines.append("| 4. load test | not run (--skip-load) | **not measured** |")
    if other is not None:
        flat, ok = flat_markdown(r, other)
        ratios = ", ".join(row.split(" | ")[0].strip("| ") + " " + row.split(" | ")[3] for row in flat[4:])
        lines.append(f"| 5. flat in N ({other['cases']:,} and {r['cases']:,} cases, within {FLAT_WITHIN:.0%}) | "
                     f"cost ratios {ratios} | {mark(ok)} |")
    else:
        flat = []
        lines.append("| 5. flat in N | one size only (--compare-with) | **not measured** |")
    between = max(size for label, sizes in r["rss"].items() for size in sizes)
    lines.append(f"| 6. a worker < 150 MB between requests; the Argon2 peak reported | at most {between:.0f} MB "
                 f"between phases; login peak {r['login']['peak_mb']:.0f} MB | {mark(between < 150)} |")
    if flat:
        lines += ["", *flat]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
