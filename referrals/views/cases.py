"""The case list with its search, and deleting a draft (the case page is casefile's)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from mdo.paging import list_page
from referrals import services
from referrals.access import cases_visible_to, get_case_for_user
from referrals.lifecycle import available_actions
from referrals.models import CASE_LIST_FIELDS, CaseStatus, reference_id_range
from referrals.presenters import case_rows, list_notices

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
    query = request.GET.get("q", "").strip()[:100]
    if query:
        found = Q(patient__family_name__icontains=query) | Q(patient__patient_number__iexact=query)
        ids = reference_id_range(query)
        if ids:
            found |= Q(pk__range=ids)
        cases = cases.filter(found)
    page = list_page(cases, request.GET.get("page"), PAGE_SIZE)
    access_record_many(actor=Actor.from_request(request),
                       action=AccessAction.SEARCH if query else AccessAction.LIST,
                       object_type="case_list", cases=page.object_list)
    return render(request, "referrals/case_list.html", {
        "page": page,
        "notices": list_notices(request.user) if not query and page.number == 1 else [],
        "rows": case_rows(page.object_list, request.user),
        "status": status,
        "query": query,
        # A deleted draft is in no list (cases_visible_to): no filter for it either.
        "statuses": [choice for choice in CaseStatus.choices if choice[0] != CaseStatus.DELETED],
    })


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
def case_delete(request, case_id):
    """A confirmation page (GET), then the deletion of the draft (POST)."""
    case = get_case_for_user(request, case_id, action=None if request.method == "POST" else AccessAction.READ,
                             part="intake")
    if "delete_draft" not in available_actions(request.user, case):
        messages.error(request, _("Only a draft can be deleted; a submitted referral can be withdrawn."))
        return redirect("casefile:case_detail", case.pk)
    if request.method != "POST":
        return render(request, "referrals/case_delete.html", {"case": case})
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.case_delete_draft(actor=Actor.from_request(request), case_id=case.pk, expected_version=version)
    except services.StaleEdit:
        messages.warning(request, _("The draft was changed after you opened this page; it was not deleted. "
                                    "Check it and delete it again if you still want to."))
        return redirect("casefile:case_detail", case.pk)
    except services.CaseNotEditable:
        messages.error(request, _("Only a draft can be deleted; a submitted referral can be withdrawn."))
        return redirect("casefile:case_detail", case.pk)
    messages.success(request, _("The draft %(reference)s has been deleted.") % {"reference": case.reference})
    return redirect("referrals:case_list")
