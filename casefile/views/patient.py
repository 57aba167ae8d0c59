"""The patient's path over the years (casefile/patient_path.py), with the access rules of the case page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from audit.actor import Actor
from audit.models import AccessAction, AccessResult
from audit.services import access_record, access_record_many
from casefile.patient_path import patient_path
from referrals.access import cases_visible_to
from referrals.models import Patient


@login_required
def patient_detail(request, patient_id):
    """Every case of the patient the user may see (a referrer: their hospital's; a neuro-oncologist:
    those referred to their centre); a patient without such a case is a 404, the refusal logged."""
    actor = Actor.from_request(request)
    cases = list(cases_visible_to(request.user).filter(patient_id=patient_id)
                 .select_related("patient", "referring_hospital").order_by("created_at"))
    if not cases:
        patient = Patient.objects.filter(pk=patient_id).only("pk").first()
        if patient is not None:
            access_record(actor=actor, action=AccessAction.READ, object_type="patient_path", patient=patient,
                          object_id=patient.pk, result=AccessResult.DENIED)
        raise Http404("No such patient.")
    access_record_many(actor=actor, action=AccessAction.READ, object_type="patient_path", cases=cases)
    return render(request, "casefile/patient_path.html", {
        "patient": cases[0].patient,
        "cases": cases,
        "steps": patient_path(cases),
    })
