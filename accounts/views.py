"""The user's own account (log out everywhere; the login pages are Django's, 2FA is two_factor),
and the access requests a second person decides on (four eyes)."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import AccessDecisionForm
from accounts.models import AccessChange, AccessChangeState, Hospital, Role
from accounts.services import (
    AccessChangeRefused,
    access_change_approve,
    access_change_reject,
    may_decide,
    user_end_sessions,
)
from audit.actor import Actor

RECENT_DECISIONS = 50


@login_required
@require_POST
def logout_everywhere(request):
    user_end_sessions(actor=Actor.from_request(request))
    logout(request)
    messages.success(request, _("Every session of your account has ended. Log in again to continue."))
    return redirect("accounts:login")


def _changes_for(user):
    """The access changes `user` may see: all for an administrator, their region's for a privacy officer."""
    changes = AccessChange.objects.select_related("account__hospital", "hospital", "requested_by", "decided_by")
    if user.role == Role.PRIVACY_OFFICER:
        centre = user.hospital.centre_id if user.hospital_id else None
        region = Hospital.objects.filter(Q(pk=centre) | Q(mdo_centre_id=centre))
        changes = changes.filter(Q(account__hospital__in=region) | Q(hospital__in=region))
    return changes


@login_required
@permission_required("accounts.approve_accesschange", raise_exception=True)
def access_requests(request):
    changes = _changes_for(request.user)
    pending = [(change, may_decide(request.user, change))
               for change in changes.filter(state=AccessChangeState.PENDING).order_by("requested_at", "id")]
    decided = changes.exclude(state=AccessChangeState.PENDING).order_by("-requested_at", "-id")[:RECENT_DECISIONS]
    return render(request, "accounts/access_requests.html",
                  {"pending": pending, "decided": decided, "form": AccessDecisionForm()})


@login_required
@permission_required("accounts.approve_accesschange", raise_exception=True)
@require_POST
def access_request_decide(request, change_id):
    change = get_object_or_404(_changes_for(request.user), pk=change_id)
    form = AccessDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("accounts:access_requests")
    decide = access_change_approve if form.cleaned_data["decision"] == "approve" else access_change_reject
    try:
        decide(actor=Actor.from_request(request), change_id=change.pk, note=form.cleaned_data["note"])
    except AccessChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if form.cleaned_data["decision"] == "approve":
            messages.success(request, _("Approved: the change for %(account)s has taken effect.") % {
                "account": change.account})
        else:
            messages.success(request, _("Rejected: nothing changes for %(account)s.") % {"account": change.account})
    return redirect("accounts:access_requests")
