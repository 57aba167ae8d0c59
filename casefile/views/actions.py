"""The actions taken on the case page: pre-consultation, placing on an agenda, the agreed plan,
the referrer's withdrawal.

Each validates its form, calls one service and goes back to the case page; a form with errors
shows the case page again with what was typed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actor import Actor
from casefile.views.cases import CASE_PAGE_SELECT, case_detail_page
from meetings import forms, services
from meetings.access import meetings_visible_to
from referrals.access import get_case_for_user
from referrals.transition import StaleEdit

ACTIONS = {
    "accept": (forms.AcceptForm, services.case_accept_advice, _("The advice is accepted.")),
    "override": (forms.OverrideForm, services.case_override_advice, _("The advice is overridden.")),
    "request_info": (forms.RequestInfoForm, services.case_request_info,
                     _("The request for information has been sent to the referrer.")),
    "close": (forms.CloseForm, services.case_close, _("The case is closed.")),
}


@login_required
@permission_required("referrals.preconsult_case", raise_exception=True)
@require_POST
def preconsult_action(request, case_id, action):
    case = get_case_for_user(request, case_id, action=None, part="preconsultation")
    if action not in ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("casefile:case_detail", case.pk)
    form_class, service, done = ACTIONS[action]
    form = forms.preconsult_form(action, form_class, request.POST)
    if not form.is_valid():
        # The case page shows the forms again with their errors and what was typed.
        return case_detail_page(request, case, forms={action: form}, status=400, log_read=True)
    try:
        service(actor=Actor.from_request(request), case_id=case.pk, **form.cleaned_data)
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return redirect("casefile:case_detail", case.pk)


@login_required
@permission_required("meetings.schedule_case", raise_exception=True)
@require_POST
def schedule(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="agenda")
    form = forms.ScheduleForm(request.POST, meetings=meetings_visible_to(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a meeting."))
        return redirect("casefile:case_detail", case.pk)
    try:
        item = services.case_schedule(actor=Actor.from_request(request), case_id=case.pk,
                                      meeting_id=form.cleaned_data["meeting"].pk)
    except services.NotReadyForMeeting:
        messages.error(request, _("The case cannot be placed on the agenda: the information the meeting "
                                  "needs is not complete (see the list on the case page)."))
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The case is on the agenda of %(meeting)s.") % {"meeting": item.meeting})
    return redirect("casefile:case_detail", case.pk)


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def withdraw(request, case_id):
    case = get_case_for_user(request, case_id, action=None, part="withdrawal", select=CASE_PAGE_SELECT)
    form = forms.WithdrawForm(request.POST)
    if not form.is_valid():
        return case_detail_page(request, case, forms={"withdraw": form}, status=400, log_read=True)
    try:
        services.case_withdraw(actor=Actor.from_request(request), case_id=case.pk,
                               reason=form.cleaned_data["reason"],
                               expected_version=_posted_version(request.POST))
    except StaleEdit:
        messages.warning(request, _("The case was changed after you opened it; nothing was withdrawn. "
                                    "Check the case and withdraw again if you still want to."))
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The referral has been withdrawn. The e-mail to the neuro-oncologists is queued."))
    return redirect("casefile:case_detail", case.pk)


def _posted_version(post):
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1
