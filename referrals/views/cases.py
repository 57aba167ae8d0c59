"""The referrer's case list and the case page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record, access_record_many
from meetings.panels import case_panels
from referrals.access import can_edit_intake, cases_visible_to, get_case_for_user
from referrals.models import CASE_LIST_FIELDS, CaseStatus, Lesion
from referrals.presenters import case_rows, case_sections
from triage.models import Advice
from triage.presenters import advice_context

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


CASE_PAGE_SELECT = ("patient", "referring_hospital", "referring_physician", "current_advice")


@login_required
def case_detail(request, case_id):
    case = get_case_for_user(request, case_id, select=CASE_PAGE_SELECT)
    return case_detail_page(request, case)


def case_detail_page(request, case, forms=None, status=200, *, log_read=False):
    """The case page; `forms` are bound forms of an action that failed validation.

    `log_read`: the caller fetched the case without logging a read (an action whose service
    logs the change), but the page shows the case after all.
    """
    if log_read:
        access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="case",
                      case=case)
    lesions = list(Lesion.objects.filter(case=case).order_by("position", "id"))
    context = {
        "case": case,
        "lesions": lesions,
        "sections": case_sections(case, lesions),
        "advice": advice_context(case.current_advice) if case.current_advice else None,
        "can_edit": can_edit_intake(request.user, case),
        **case_panels(request, case, forms),
    }
    return render(request, "referrals/case_detail.html", context, status=status)


@login_required
def case_advice(request, case_id, advice_id):
    """One stored advice of the case, earlier or current, exactly as it was given (not recomputed)."""
    case = get_case_for_user(request, case_id, part="advice", select=CASE_PAGE_SELECT)
    advice = get_object_or_404(Advice.objects.select_related("created_by"), case=case, pk=advice_id)
    return render(request, "triage/advice_page.html", {
        "case": case,
        "advice": advice_context(advice),
        "is_current": advice.pk == case.current_advice_id,
    })
