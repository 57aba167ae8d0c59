"""Where a page's time goes: its SQL queries (count, time, EXPLAIN ANALYZE of the slowest) and
a profile of the whole request. Run by run_benchmark.py after the wrk runs, in its own process
with Django's test client (the same middleware and views as gunicorn), against mdo_bench:

    DJANGO_SETTINGS_MODULE=benchmarks.settings DATABASE_URL=... \\
        .venv/bin/python benchmarks/explain.py --targets benchmarks/out/targets.json --out benchmarks/out/queries.md
"""

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PROFILE_REQUESTS = {"agenda_pdf": 3}


def client_for(page):
    client = Client()
    if page["session"]:
        client.cookies["sessionid"] = page["session"]
    return client


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--top", type=int, default=3, help="EXPLAIN this many of the slowest SELECTs per page")
    args = parser.parse_args()
    targets = json.loads(Path(args.targets).read_text())
    out_dir = Path(args.out).parent
    report = ["# Queries per page", ""]
    for name, page in targets["pages"].items():
        if name.startswith("floor"):
            continue
        client = client_for(page)
        client.get(page["url"])  # warm caches
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(page["url"])
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (name, response.status_code)
        queries = captured.captured_queries
        db_ms = sum(float(q["time"]) for q in queries) * 1000
        report += [f"## {name}: {page['url']}", "",
                   f"{len(queries)} queries, {db_ms:.1f} ms in the database, {elapsed * 1000:.1f} ms for the "
                   f"whole request (test client, one request).", "", "```"]
        report += [f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:300]}" for q in queries]
        report += ["```", ""]
        slowest = sorted((q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")),
                         key=lambda q: float(q["time"]), reverse=True)[:args.top]
        for query in slowest:
            report += ["```sql", query["sql"], "```", "", "```", explain(query["sql"]), "```", ""]

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(PROFILE_REQUESTS.get(name, 30)):
            client.get(page["url"])
        profile.disable()
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        (out_dir / f"profile-{name}.txt").write_text(text.getvalue())
    Path(args.out).write_text("\n".join(report))


if __name__ == "__main__":
    main()
