"""The case page and the stored advices of a case."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record
from casefile.panels import case_panels
from referrals.access import can_edit_intake, get_case_for_user
from referrals.models import Lesion
from referrals.presenters import case_sections, open_request
from triage.models import Advice
from triage.presenters import stored_advice_panel

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
        "advice_html": stored_advice_panel(case.current_advice) if case.current_advice else None,
        "can_edit": can_edit_intake(request.user, case),
        "open_request": open_request(case),
        **case_panels(request, case, forms),
    }
    return render(request, "casefile/case_detail.html", context, status=status)


@login_required
def case_advice(request, case_id, advice_id):
    """One stored advice of the case, earlier or current, exactly as it was given (not recomputed)."""
    case = get_case_for_user(request, case_id, part="advice", select=CASE_PAGE_SELECT)
    advice = get_object_or_404(Advice.objects.select_related("created_by"), case=case, pk=advice_id)
    return render(request, "triage/advice_page.html", {
        "case": case,
        "stored_advice": advice,
        "advice_html": stored_advice_panel(advice),
        "is_current": advice.pk == case.current_advice_id,
    })
