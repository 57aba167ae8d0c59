"""The privacy officer's view of the NEN 7513 access log: every access to one patient's data
over a period. Looking at it is itself an access to that patient, and is logged."""

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Hospital
from audit.actor import Actor
from audit.models import AccessAction, AccessLog
from audit.services import access_record
from privacy.forms import AccessLogQueryForm
from referrals.models import Patient

PAGE_SIZE = 100
EARLIEST = datetime.date(2000, 1, 1)


def _period(start, end):
    # Nothing is logged before the application existed or after today: clamping to that keeps
    # the period's meaning and keeps dates such as 0001-01-01 and 9999-12-31 out of timezone
    # arithmetic that would overflow.
    start = max(start, EARLIEST)
    end = min(end, timezone.localdate())
    tz = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    finish = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return begin, finish


@login_required
@permission_required("audit.view_accesslog", raise_exception=True)
def access_log(request):
    centre = request.user.hospital
    hospitals = Hospital.objects.filter(Q(pk=centre.pk) | Q(mdo_centre=centre)) if centre else Hospital.objects.none()
    form = AccessLogQueryForm(request.GET or None, hospitals=hospitals)
    patient = None
    page = None
    if form.is_valid():
        patient = Patient.objects.filter(hospital=form.cleaned_data["hospital"],
                                         patient_number__iexact=form.cleaned_data["patient_number"]).first()
        if patient is None:
            form.add_error("patient_number", _("No patient with this number in this hospital."))
        else:
            # Looking at who accessed this patient is itself an access to this patient; recorded
            # first, so that the list below (counted and sliced in two queries) is consistent.
            access_record(actor=Actor.from_request(request), action=AccessAction.READ,
                          object_type="access_log", patient=patient, object_id=str(patient.pk))
            begin, finish = _period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
            entries = (AccessLog.objects.filter(patient=patient, at__gte=begin, at__lt=finish)
                       .select_related("user").order_by("-at", "-id"))
            page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/access_log.html", {"form": form, "patient": patient, "page": page})
