"""Downloads: a case as a FHIR Bundle (from the case page), a meeting as a calendar file (from the
meeting page); the FHIR import into the intake (interop.importing)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from audit.actor import Actor
from audit.models import AccessAction
from interop.export import export_bundle, may_receive_bsn
from interop.fhir import bundle_json
from interop.forms import BundleImportForm
from interop.ics import ics_file_name, meeting_ics
from interop.importing import ImportRefused, PatientDiffers, import_bundle
from meetings.access import get_meeting_for_user
from referrals.access import get_case_for_user
from referrals.models import Patient


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


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
def intake_import(request):
    """A new referral pre-filled from a FHIR Bundle of the hospital's record. A refused file stores
    nothing and says what was wrong; a patient of the hospital with another name or BSN is
    overwritten only after the referrer confirms."""
    differs = None
    if request.method == "POST":
        form = BundleImportForm(request.POST, request.FILES)
        if form.is_valid():
            text = form.cleaned_data["text"]
            try:
                case = import_bundle(actor=Actor.from_request(request), text=text,
                                     confirm_patient=form.cleaned_data["confirm_patient"])
            except ImportRefused as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            except PatientDiffers as exc:
                differs = [str(capfirst(Patient._meta.get_field(name).verbose_name)) for name in exc.fields]
            else:
                messages.success(request, _("The intake is pre-filled from the file. Check every step marked "
                                            "“imported, check” and save it."))
                return redirect("referrals:intake_step", case.pk, "patient")
            # Nothing typed is lost: an uploaded file's text comes back in the text field.
            if isinstance(text, bytes):
                text = text.decode("utf-8", errors="replace")
            form.data = form.data.copy()
            form.data["bundle"] = text
        status = 400
    else:
        form = BundleImportForm()
        status = 200
    return render(request, "interop/intake_import.html", {"form": form, "differs": differs}, status=status)
