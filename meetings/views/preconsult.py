"""The neuro-oncologist's pre-consultation queue (its actions are on the case page: casefile)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import render

from accounts.models import Hospital
from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from mdo.paging import list_page
from meetings import forms
from referrals.access import cases_visible_to
from referrals.lifecycle import PRECONSULT_QUEUE
from referrals.models import CASE_LIST_FIELDS
from referrals.presenters import case_rows

PAGE_SIZE = 25
# The filter form's fields and their width in the Bootstrap grid (12 columns).
FILTER_WIDTHS = (("q", 3), ("outcome", 2), ("hospital", 2), ("status", 2), ("complete", 1), ("sort", 2))
# Urgent cases first in every order: the neuro-oncologist decides on them first.
SORTS = {
    "waiting": ("-urgent", "submitted_at", "pk"),
    "recent": ("-urgent", "-submitted_at", "pk"),
    "patient": ("-urgent", "patient__family_name", "patient__given_names", "pk"),
    "hospital": ("-urgent", "referring_hospital__name", "submitted_at", "pk"),
    "outcome": ("-urgent", "outcome_in_force", "submitted_at", "pk"),
}


@login_required
@permission_required("referrals.preconsult_case", raise_exception=True)
def queue(request):
    """Every submitted case of the user's MDO centre that is not yet scheduled or closed."""
    hospitals = Hospital.objects.filter(Q(pk=request.user.hospital_id) | Q(mdo_centre=request.user.hospital_id))
    form = forms.QueueFilterForm(request.GET or None, hospitals=hospitals, statuses=PRECONSULT_QUEUE)
    cases = (
        cases_visible_to(request.user)
        .filter(status__in=PRECONSULT_QUEUE)
        .select_related("patient", "referring_hospital", "referring_physician", "current_advice")
        .only(*CASE_LIST_FIELDS)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    query = (filters.get("q") or "").strip()
    if query:
        cases = cases.filter(Q(patient__family_name__icontains=query)
                             | Q(patient__patient_number__iexact=query))
    if filters.get("outcome"):
        cases = cases.filter(outcome_in_force=filters["outcome"])
    if filters.get("hospital"):
        cases = cases.filter(referring_hospital_id=filters["hospital"])
    if filters.get("status"):
        cases = cases.filter(status=filters["status"])
    if filters.get("complete"):
        cases = cases.filter(meeting_ready=filters["complete"] == "yes")
    cases = cases.order_by(*SORTS.get(filters.get("sort") or "waiting", SORTS["waiting"]))
    page = list_page(cases, request.GET.get("page"), PAGE_SIZE)
    access_record_many(actor=Actor.from_request(request),
                       action=AccessAction.SEARCH if query else AccessAction.LIST,
                       object_type="preconsult_queue", cases=page.object_list)
    rows = case_rows(page.object_list, request.user)
    return render(request, "meetings/queue.html",
                  {"form": form, "filter_fields": _filter_fields(form), "page": page, "rows": rows})


def _filter_fields(form):
    """The filter form as plain values for the template: Django's widget templates cost more
    than the rest of the queue page together (one template per option)."""
    fields = []
    for name, width in FILTER_WIDTHS:
        bound = form[name]
        value = bound.value()
        value = "" if value is None else str(value)
        options = None
        if hasattr(bound.field, "choices"):
            options = [(str(key), label, str(key) == value) for key, label in bound.field.choices]
        fields.append({"name": name, "id": bound.id_for_label, "label": bound.label, "width": width,
                       "value": value, "options": options, "errors": bound.errors,
                       "max_length": getattr(bound.field, "max_length", None)})
    return fields
