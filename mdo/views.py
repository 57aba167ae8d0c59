import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts.models import Role
from accounts.services import user_set_language
from audit.actor import Actor
from audit.models import AccessAction, AccessResult
from audit.services import access_record
from meetings.models import AgendaItem, Meeting
from referrals.models import Case

logger = logging.getLogger(__name__)


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
    # A database that is down raises: the error page, and a log line that the log filter
    # (mdo.log_privacy) turns into its cause and address ("connection refused to host:port").
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    _log_refusal(request)
    return render(request, "errors/403.html", status=403)


def _log_refusal(request):
    """A role check refused a route that names a case, an agenda item or a meeting: a `denied` row
    in the access log, with the patient where the object has one, so the privacy officer's query
    per patient finds it (the object helpers log the refusals they make themselves; this is for
    the refusals that come before them, from permission_required). Never fails the 403 page."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if user is None or not user.is_authenticated or match is None:
        return
    kwargs = match.kwargs
    action = AccessAction.READ if request.method in ("GET", "HEAD") else AccessAction.CHANGE
    try:
        case = object_id = None
        if "case_id" in kwargs:
            case = Case.objects.filter(pk=kwargs["case_id"]).only("pk", "patient_id").first()
            object_id = kwargs["case_id"]
        elif "item_id" in kwargs:
            item = AgendaItem.objects.filter(pk=kwargs["item_id"]).select_related("case").only(
                "pk", "case__id", "case__patient_id").first()
            case, object_id = (item.case if item else None), kwargs["item_id"]
        elif "meeting_id" in kwargs:
            object_id = kwargs["meeting_id"] if Meeting.objects.filter(pk=kwargs["meeting_id"]).exists() else None
        if object_id is None or ("case_id" in kwargs and case is None):
            return
        access_record(actor=Actor.from_request(request), action=action, object_type=match.view_name,
                      case=case, object_id=object_id, result=AccessResult.DENIED)
    except (ValueError, ValidationError):
        return
    except Exception as exc:  # the 403 page itself must not fail
        logger.warning("refusal of %s not logged: %s", match.view_name, type(exc).__name__)


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
