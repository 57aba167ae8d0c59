"""Time the benchmark's pages in-process (Django's test client, no HTTP server, no wrk).

Quicker and steadier than run_benchmark.py for trying a change: the same middleware, views and
database, without gunicorn's and wrk's share of the two cores. It needs the database and
benchmarks/out/targets.json of an earlier run of run_benchmark.py, and makes a fresh verified
session per user (the ones in targets.json belong to that run's SECRET_KEY and may have expired).

    DJANGO_SETTINGS_MODULE=benchmarks.settings DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdo_bench \\
        SECRET_KEY=any-long-random-string DEBUG=0 ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=0 \\
        .venv/bin/python benchmarks/inprocess.py [--requests 60] [page ...]

Prints per page the median and the fastest wall time, the median CPU time of this process (the
database's own time is in wall, not in CPU), and the number of SQL queries of one request.
With --profile, each page's requests run once more under cProfile, and the functions with the
most time of their own and with the most time in all are printed (`--profile-lines` of each).
"""

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from benchmarks import prepare  # noqa: E402

USERS = {"floor_session": prepare.LIST_USER, "case_list": prepare.LIST_USER,
         "agenda_print": prepare.CHAIR_USER, "agenda_pdf": prepare.CHAIR_USER,
         "quality_dashboard": prepare.CHAIR_USER}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", help="page keys of targets.json (default: all but the PDF)")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--targets", default=str(ROOT / "benchmarks" / "out" / "targets.json"))
    parser.add_argument("--profile", action="store_true", help="and a cProfile of each page's requests")
    parser.add_argument("--profile-lines", type=int, default=25)
    args = parser.parse_args()
    pages = json.loads(Path(args.targets).read_text())["pages"]
    names = args.pages or [name for name in pages if name not in ("floor", "agenda_pdf")]
    sessions = {}
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    print(f"{'page':16} {'wall ms':>8} {'fastest':>8} {'CPU ms':>8} {'queries':>8}")
    for name in names:
        client = Client()
        username = USERS.get(name, prepare.QUEUE_USER)
        if pages[name]["session"]:
            if username not in sessions:
                sessions[username] = prepare.verified_session(User.objects.get(username=username))
            client.cookies["sessionid"] = sessions[username]
        url = pages[name]["url"]
        for _ in range(5):  # warm the per-process caches, as on a running server
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
        wall, cpu = [], []
        with connection.execute_wrapper(count):
            queries[0] = 0
            client.get(url)
            per_request = queries[0]
            for _ in range(args.requests):
                started, started_cpu = time.perf_counter(), time.process_time()
                client.get(url)
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
        print(f"{name:16} {statistics.median(wall) * 1000:8.2f} {min(wall) * 1000:8.2f} "
              f"{statistics.median(cpu) * 1000:8.2f} {per_request:8d}")
        if args.profile:
            profile(client, url, args.requests, args.profile_lines)


def profile(client, url, requests, lines):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        print(f"--- {url}: by {order} ({requests} requests)")
        print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
