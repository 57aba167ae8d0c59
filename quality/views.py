"""The quality dashboard: every figure with its chart (an SVG of its own) and its table, and a CSV
of each table. Each page writes the access log; only roles with patient access see any case.

The dashboard's row in the access log covers the charts it shows: their addresses carry a signed
token naming that row and the user (`shown`), and a chart requested with it writes no row of its
own. Nine charts loading at once would otherwise be nine concurrent writes to the log's hash
chain, which SQLite refuses rather than queues. A chart opened without the token is logged itself.
"""

import csv

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record, access_record_many
from quality import charts
from quality.figures import FIGURES, may_see_dashboard, scope_for
from quality.forms import period_from

SHOWN = "quality.chart-shown"
SHOWN_MAX_AGE = 3600


def _shown_on_the_dashboard(request):
    """Whether the chart was asked for by a dashboard page of this user, logged in the last hour."""
    try:
        shown = signing.loads(request.GET.get("shown", ""), salt=SHOWN, max_age=SHOWN_MAX_AGE)
    except signing.BadSignature:
        return False
    return isinstance(shown, dict) and shown.get("user") == request.user.pk


def _scope(request):
    if not may_see_dashboard(request.user):
        raise PermissionDenied
    form, start, end = period_from(request.GET)
    return form, scope_for(request.user, start, end)


def _figure(request, key):
    if key not in FIGURES:
        raise Http404("No such figure.")
    _form, scope = _scope(request)
    return scope, FIGURES[key](scope)


@login_required
def dashboard(request):
    form, scope = _scope(request)
    tables = [compute(scope) for compute in FIGURES.values()]
    suppress = not scope.patient_access
    query = urlencode({"start": scope.start.isoformat(), "end": scope.end.isoformat()})
    actor = Actor.from_request(request)
    row = access_record(actor=actor, action=AccessAction.READ, object_type="quality_dashboard",
                        object_id=f"{scope.start}/{scope.end}")
    shown_token = signing.dumps({"user": request.user.pk, "log": row.pk}, salt=SHOWN)
    shown = {}
    for table in tables:
        for entry in table.listed + table.exceptions:
            if entry.get("case") is not None:
                shown[entry["case"].pk] = entry["case"]
    access_record_many(actor=actor, action=AccessAction.LIST, object_type="quality_dashboard",
                       cases=list(shown.values()))
    return render(request, "quality/dashboard.html", {
        "form": form, "scope": scope, "query": query, "suppress": suppress,
        "chart_query": urlencode({"start": scope.start.isoformat(), "end": scope.end.isoformat(),
                                  "shown": shown_token}),
        "tables": [{"table": table, "rows": table.shown_rows(suppress)} for table in tables],
    })


# The SVG is a document of its own, shown through <img>: pygal puts its styles in it.
@login_required
@csp_update({"style-src": ["'unsafe-inline'"]})
def chart(request, key):
    scope, table = _figure(request, key)
    if not _shown_on_the_dashboard(request):
        access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="quality_chart",
                      object_id=key)
    response = HttpResponse(charts.render(table, suppress=not scope.patient_access), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def table_csv(request, key):
    scope, table = _figure(request, key)
    access_record(actor=Actor.from_request(request), action=AccessAction.EXPORT, object_type="quality_csv",
                  object_id=key)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}-{scope.start}-{scope.end}.csv"'
    response["Cache-Control"] = "private, no-store"
    response.write("\ufeff")  # so that a spreadsheet reads the accents
    writer = csv.writer(response, delimiter=";")
    writer.writerow([_("Period"), f"{scope.start:%d-%m-%Y}", f"{scope.end:%d-%m-%Y}"])
    writer.writerow([str(column) for column in table.columns])
    for row in table.shown_rows(not scope.patient_access):
        writer.writerow([_safe(cell) for cell in row])
    return response


def _safe(cell):
    # A cell starting with = + - @ is a formula to a spreadsheet (CSV injection).
    text = str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
