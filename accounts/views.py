"""The user's own account: log out everywhere (the login pages are Django's, 2FA is two_factor)."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import user_end_sessions
from audit.actor import Actor


@login_required
@require_POST
def logout_everywhere(request):
    user_end_sessions(actor=Actor.from_request(request))
    logout(request)
    messages.success(request, _("Every session of your account has ended. Log in again to continue."))
    return redirect("accounts:login")
