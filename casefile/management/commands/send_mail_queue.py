"""The mail worker: `manage.py send_mail_queue` sends the queue until stopped; `--once` runs once."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from casefile import mailqueue

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send the queued notification mail (with retries); run beside the web server."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due once, then stop.")
        parser.add_argument("--interval", type=float, default=10.0,
                            help="Seconds between two runs when looping (default 10).")

    def handle(self, *args, once=False, interval=10.0, **options):
        while True:
            if once:
                sent, left = mailqueue.send_due()
                self.stdout.write(f"mail queue: {sent} sent, {left} waiting")
                return
            try:
                sent, left = mailqueue.send_due()
                if sent:
                    self.stdout.write(f"mail queue: {sent} sent, {left} waiting")
            except Exception as exc:
                # A database that is away for a moment must not stop the worker; the mail waits.
                logger.error("mail queue run failed: %s", type(exc).__name__)
                close_old_connections()
            time.sleep(interval)
