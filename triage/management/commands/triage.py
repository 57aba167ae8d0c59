"""python manage.py triage FILE|- [--json] [--lang nl|en] — the advice for facts in JSON (spec §4).

The thresholds in force (set by an administrator) are used unless --default-thresholds is given.
Exit status 2 for input that is not valid: unknown keys, wrong types, out-of-range values.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from triage import cli, services
from triage.engine import DEFAULT_THRESHOLDS


class Command(BaseCommand):
    help = "Give the triage advice for facts in JSON (one object or an array), per spec §4."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file with facts, or - for standard input.")
        parser.add_argument("--json", action="store_true", help="Print the advice as JSON.")
        parser.add_argument("--lang", choices=["nl", "en"], default="nl",
                            help="Language of the questions and notes (default: nl).")
        parser.add_argument("--default-thresholds", action="store_true",
                            help="Use the thresholds of spec §1 instead of the stored ones.")

    def handle(self, *args, **options):
        text = self._read(options["file"])
        if options["default_thresholds"]:
            thresholds = DEFAULT_THRESHOLDS
        else:
            try:
                thresholds = services.current_thresholds()
            except DatabaseError as exc:
                raise CommandError(
                    "The stored thresholds cannot be read from the database (is it migrated? "
                    "manage.py migrate). Use --default-thresholds for the thresholds of spec §1.",
                    returncode=2,
                ) from exc
        status, out, err = cli.run(
            text, thresholds=thresholds, as_json=options["json"], lang=options["lang"]
        )
        if out:
            self.stdout.write(out, ending="" if out.endswith("\n") else "\n")
        if err:
            self.stderr.write(err, ending="" if err.endswith("\n") else "\n")
        if status:
            sys.exit(status)

    def _read(self, name):
        if name == "-":
            return sys.stdin.read()
        try:
            with open(name, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}", returncode=2) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{name} is not UTF-8 text: {exc.reason}", returncode=2) from exc
