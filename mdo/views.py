from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts.models import Role
from accounts.services import user_set_language
from audit.actor import Actor


@login_required
def home(request):
    """Each role starts where its work is."""
    role = request.user.role
    if role == Role.ADMIN:
        return redirect("admin:index")
    if role == Role.NEURO_ONCOLOGIST:
        return redirect("meetings:queue")
    if role == Role.CHAIR:
        return redirect("meetings:meeting_list")
    if role == Role.PRIVACY_OFFICER:
        return redirect("audit:access_log")
    return redirect("referrals:case_list")


@never_cache
def health(request):
    """For load balancers and monitoring: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without a request context: nothing can fail here that failed in the view.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def csrf_failure(request, reason=""):
    """A form sent without a valid security token: usually an expired session or an old tab."""
    return render(request, "errors/csrf.html", status=403)


@require_POST
def set_language(request):
    """The NL/EN switch: Django's set_language (cookie, redirect to `next`), and for a logged-in
    user their profile's language too, which wins over the browser from then on."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(actor=Actor.from_request(request), language=language)
    return django_set_language(request)
