"""Downloads: a case as a FHIR Bundle (from the case page), a meeting as a calendar file (from the
meeting page); the FHIR import into the intake (interop.importing)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from audit.models import AccessAction
from interop.export import export_bundle, may_receive_bsn
from interop.fhir import bundle_json
from interop.ics import ics_file_name, meeting_ics
from meetings.access import get_meeting_for_user
from referrals.access import get_case_for_user


@login_required
@never_cache
def case_fhir(request, case_id):
    """The case with its advice as a FHIR R4 Bundle: whoever may see the case; the BSN only for
    whoever may see it in full (interop.export.may_receive_bsn). Logged as an export."""
    case = get_case_for_user(request, case_id, action=AccessAction.EXPORT, part="case_fhir",
                             select=("patient__hospital", "current_advice"))
    bundle = export_bundle(case, with_bsn=may_receive_bsn(request.user, case))
    response = HttpResponse(bundle_json(bundle), content_type="application/fhir+json; charset=utf-8")
    # The neutral reference only: a file name ends up in download folders, patient data must not.
    response["Content-Disposition"] = f'attachment; filename="{case.reference.lower()}-fhir.json"'
    return response


@login_required
@never_cache
def meeting_calendar(request, meeting_id):
    """The meeting as an .ics event: whoever may open the meeting's page. No patient in it, so
    nothing is logged."""
    meeting = get_meeting_for_user(request, meeting_id, agenda=False)
    response = HttpResponse(meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics_file_name(meeting)}"'
    return response
