"""The queue's indexes (referrals migration 0004) with and without, on the benchmark's database.

After run_benchmark.py (which leaves mdo_bench with 100,000 cases), from the project root:

    .venv/bin/python benchmarks/index_ab.py

Drops the three indexes, measures the queue's first page and its search (EXPLAIN ANALYZE of each
query, and wrk with the floor before and after), creates them again exactly as the migration
does, and measures again. Prints a Markdown table for docs/performance.md.
"""

import json
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import run_benchmark as bench  # noqa: E402

os.environ.update(bench.ENV)  # the same SECRET_KEY as gunicorn: the sessions must be readable here too

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

DROP = ["DROP INDEX IF EXISTS case_queue_waiting", "DROP INDEX IF EXISTS patient_number_upper",
        "DROP INDEX IF EXISTS patient_family_name_trgm"]
CREATE = [
    'CREATE INDEX case_queue_waiting ON referrals_case (mdo_centre_id, urgent DESC, submitted_at, id) '
    "WHERE status IN ('submitted', 'info_requested', 'accepted')",
    "CREATE INDEX patient_number_upper ON referrals_patient (UPPER(patient_number))",
    "CREATE INDEX patient_family_name_trgm ON referrals_patient USING gin (UPPER(family_name) gin_trgm_ops)",
]


def execute(statements):
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("ANALYZE referrals_case")
        cursor.execute("ANALYZE referrals_patient")


def explain_ms(page):
    """Execution time of the page's queries on referrals_case (EXPLAIN ANALYZE, best of 3)."""
    client = Client()
    client.cookies["sessionid"] = page["session"]
    with CaptureQueriesContext(connection) as captured:
        client.get(page["url"])
    result = {}
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or '"referrals_case"' not in sql:
            continue
        kind = "count" if sql.startswith("SELECT COUNT") else "page"
        times = []
        with connection.cursor() as cursor:
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                times.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
        result[kind] = min(times)
    return result


def main():
    bench.OUT.mkdir(exist_ok=True)
    targets_path = bench.OUT / "ab-targets.json"
    bench.run([bench.PYTHON, bench.BENCH / "prepare.py", "--out", targets_path, "--drafts", "0",
               "--drafts-file", bench.OUT / "ab-drafts.txt"])
    pages = json.loads(targets_path.read_text())["pages"]
    server = bench.Server(bench.OUT / "ab-gunicorn.log")
    rows = []
    try:
        for name in pages:
            if name != "agenda_pdf":
                bench.wrk(f"ab-warmup-{name}", pages[name]["url"], bench.cookie_for(pages[name]["session"]), duration=2)
        for variant, statements in (("without the indexes", DROP), ("with the indexes (migration 0004)", CREATE)):
            execute(statements)
            for name in ("queue", "queue_search"):
                page = pages[name]
                plans = explain_ms(page)
                floor_before = bench.wrk("ab-floor", pages["floor"]["url"], duration=5)["rps"]
                result = bench.wrk(f"ab-{name}", page["url"], bench.cookie_for(page["session"]), duration=10,
                                   server=server)
                floor_after = bench.wrk("ab-floor", pages["floor"]["url"], duration=5)["rps"]
                floor = statistics.fmean([floor_before, floor_after])
                rows.append(f"| {name} | {variant} | {plans.get('count', 0):.1f} | {plans.get('page', 0):.1f} | "
                            f"{result['rps']:.1f} | {result['rps'] / floor:.1%} | {result['p50']:.0f} | "
                            f"{result['p99']:.0f} | {result['foreign_cores']:.2f} |")
    finally:
        server.stop()
        execute([statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS") for statement in CREATE])
    print("| page | indexes | count query ms | page query ms | req/s | of floor | p50 ms | p99 ms | other CPU |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
