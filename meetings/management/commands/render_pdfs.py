"""The PDF worker: `manage.py render_pdfs` makes the agenda and minutes PDFs that are behind their
version (meetings/pdfs.py) until stopped; `--once` runs once."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from meetings import pdfs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Make the agenda and minutes PDFs in the background; run beside the web server."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Make what is waiting once, then stop.")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="Seconds between two runs when looping (default 2).")

    def handle(self, *args, once=False, interval=2.0, **options):
        while True:
            if once:
                made, failed = pdfs.render_due()
                self.stdout.write(f"pdfs: {made} made, {failed} failed, {pdfs.waiting()} waiting")
                return
            try:
                made, failed = pdfs.render_due()
                if made or failed:
                    self.stdout.write(f"pdfs: {made} made, {failed} failed, {pdfs.waiting()} waiting")
            except Exception as exc:
                # A database that is away for a moment must not stop the worker; the renders wait.
                logger.error("pdf run failed: %s", type(exc).__name__)
                close_old_connections()
            time.sleep(interval)
