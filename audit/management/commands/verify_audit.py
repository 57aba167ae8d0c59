"""manage.py verify_audit: walk the hash chains of the access log and the event log.

Exit status 0 when both chains are intact, 1 when a row was changed or removed afterwards (the
first such row of each log is named). See docs/audit-chain.md.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from audit.verify import LOGS, walk


class Command(BaseCommand):
    help = "Verify the hash chains of the audit logs; exit status 1 names the first broken row."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=20_000, help="rows fetched per round trip")

    def handle(self, *args, **options):
        broken = []
        for model in LOGS:
            start = time.perf_counter()
            walked = walk(model, chunk_size=options["chunk_size"])
            seconds = time.perf_counter() - start
            rate = walked.rows / seconds if seconds else 0
            if walked.broken:
                broken.append(walked.broken)
                self.stderr.write(str(walked.broken))
            else:
                self.stdout.write(f"{walked.log}: {walked.rows} rows, chain intact, last hash {walked.last} "
                                  f"({seconds:.2f} s, {rate:,.0f} rows/s)")
        if broken:
            raise CommandError("; ".join(str(b) for b in broken), returncode=1)
