"""The printed agenda (before the meeting) and minutes (after it): a print page and a PDF of each.

Only the neuro-oncologists and chairs of the meeting's MDO centre get them (404 for anyone else).
Every printout lists patients, so each one is logged per case (NEN 7513): the print pages as
"printed", the PDFs as "exported".
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from meetings import printing
from meetings.access import get_meeting_for_user

AGENDA_TEMPLATE = "meetings/print/agenda.html"
MINUTES_TEMPLATE = "meetings/print/minutes.html"


def _log(request, context, action, object_type):
    access_record_many(actor=Actor.from_request(request), action=action, object_type=object_type,
                       cases=[row["case"] for row in context["cases"]])


def _file_name(word, meeting):
    """E.g. "mdo-agenda-2026-12-03.pdf": the word in the user's language, the date only."""
    return f"{word}-{meeting.date:%Y-%m-%d}.pdf"


def _pdf_response(request, template_name, context, *, filename, print_url, object_type):
    """The PDF, logged as an export per case once it is made; on a server that cannot make PDFs
    (no Pango; manage.py check warns) a page that says so and offers the print page: it shows no
    patient, so nothing is logged as exported."""
    try:
        pdf = printing.render_pdf(template_name, context, request=request)
    except printing.PdfUnavailable:
        return render(request, "meetings/pdf_unavailable.html",
                      {"meeting": context["meeting"], "print_url": print_url}, status=503)
    _log(request, context, AccessAction.EXPORT, object_type)
    response = HttpResponse(pdf, content_type="application/pdf")
    # The date only: a file name ends up in download folders and mail, patient data must not.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def agenda_print(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    context = printing.agenda_context(meeting, user=request.user)
    _log(request, context, AccessAction.PRINT, "meeting_agenda_print")
    return render(request, AGENDA_TEMPLATE, context)


@login_required
@never_cache
def agenda_pdf(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    context = printing.agenda_context(meeting, user=request.user)
    return _pdf_response(request, AGENDA_TEMPLATE, context, filename=_file_name(_("mdt-agenda"), meeting),
                         print_url=reverse("meetings:agenda_print", args=[meeting.pk]),
                         object_type="meeting_agenda_pdf")


@login_required
@never_cache
def minutes_print(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    context = printing.minutes_context(meeting, user=request.user)
    _log(request, context, AccessAction.PRINT, "meeting_minutes_print")
    return render(request, MINUTES_TEMPLATE, context)


@login_required
@never_cache
def minutes_pdf(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    context = printing.minutes_context(meeting, user=request.user)
    return _pdf_response(request, MINUTES_TEMPLATE, context, filename=_file_name(_("mdt-minutes"), meeting),
                         print_url=reverse("meetings:minutes_print", args=[meeting.pk]),
                         object_type="meeting_minutes_pdf")
