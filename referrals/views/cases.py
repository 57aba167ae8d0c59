"""The case list (the case page is casefile's)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from referrals.access import cases_visible_to
from referrals.models import CASE_LIST_FIELDS, CaseStatus
from referrals.presenters import case_rows

PAGE_SIZE = 25


@login_required
def case_list(request):
    cases = (
        cases_visible_to(request.user)
        .select_related("patient", "referring_hospital", "referring_physician", "current_advice")
        .only(*CASE_LIST_FIELDS)
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    access_record_many(actor=Actor.from_request(request), action=AccessAction.LIST,
                       object_type="case_list", cases=page.object_list)
    return render(request, "referrals/case_list.html", {
        "page": page,
        "rows": case_rows(page.object_list, request.user),
        "status": status,
        "statuses": CaseStatus.choices,
    })
