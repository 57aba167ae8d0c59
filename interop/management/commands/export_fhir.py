"""manage.py export_fhir <case id>: the case as a FHIR R4 Bundle (JSON) on standard output."""

import sys
import uuid

from django.core.management.base import BaseCommand

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record
from interop.export import export_bundle
from interop.fhir import bundle_json
from referrals.lifecycle import CaseStatus
from referrals.models import Case


class Command(BaseCommand):
    help = "Print a case with its advice as a FHIR R4 Bundle (JSON). Without --with-bsn the BSN is left out."

    def add_arguments(self, parser):
        parser.add_argument("case_id", help="the case's id (a UUID)")
        parser.add_argument("--with-bsn", action="store_true",
                            help="include the BSN (only for a recipient entitled to it)")

    def handle(self, *args, case_id, with_bsn, **options):
        try:
            pk = uuid.UUID(case_id)
        except ValueError:
            self.stderr.write(f"Not a case id: {case_id!r} (a UUID, e.g. as in the case page's address).")
            sys.exit(2)
        case = (Case.objects.exclude(status=CaseStatus.DELETED)
                .select_related("patient__hospital", "current_advice").filter(pk=pk).first())
        if case is None:
            self.stderr.write(f"No case with id {pk}.")
            sys.exit(2)
        bundle = export_bundle(case, with_bsn=with_bsn)
        # A look at patient data from the command line is logged too (no user: the system).
        access_record(actor=Actor(user=None, on_behalf_of="manage.py export_fhir"), action=AccessAction.EXPORT,
                      object_type="case_fhir_cli", case=case)
        self.stdout.write(bundle_json(bundle))
