"""The printed agenda (before the meeting) and minutes (after it): a print page and a PDF of each.

Only the neuro-oncologists and chairs of the meeting's MDO centre get them (404 for anyone else).
Every printout lists patients, so each one is logged per case (NEN 7513): the print pages as
"printed", the PDFs as "exported". The PDFs are made in the background and served as stored files
(meetings/pdfs.py).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record_many
from meetings import pdfs, printing
from meetings.access import get_meeting_for_user
from meetings.models import PdfKind

PRINTED_TEMPLATE = "meetings/print/_printed.html"
PRINT_PAGE_SECONDS = 24 * 3600  # a print page is kept at most a day (its key holds the day as well)
PREPARING_REFRESH = 5  # seconds: the "being prepared" page reloads itself (a meta refresh, no script)


def _print_page(request, meeting, kind, object_type):
    """The print page of the agenda or the minutes, logged as printed per case in it.

    Rendered once per version of the document (meetings.pdfs.print_page_key) and kept with the
    cases it lists; each request puts in its own line of who printed it when, and writes its own
    access-log rows before the page goes out."""
    key = pdfs.print_page_key(meeting, kind, translation.get_language())
    page = caches["print_pages"].get(key) if key else None
    if page is None:
        context = pdfs.CONTEXTS[kind](meeting, user=request.user)
        page = {"html": render_to_string(pdfs.TEMPLATES[kind], context, request),
                "cases": [(row["case"].pk, row["case"].patient_id) for row in context["cases"]]}
        if key:
            caches["print_pages"].set(key, page, timeout=PRINT_PAGE_SECONDS)
    access_record_many(actor=Actor.from_request(request), action=AccessAction.PRINT, object_type=object_type,
                       cases=[_Logged(pk, patient_id) for pk, patient_id in page["cases"]])
    printed = render_to_string(PRINTED_TEMPLATE, {"printed_at": timezone.localtime(), "printed_by": request.user})
    return HttpResponse(pdfs.MADE_AT.sub(lambda _match: printed.strip(), page["html"], count=1))


def _file_name(word, meeting):
    """E.g. "mdo-agenda-2026-12-03.pdf": the word in the user's language, the date only."""
    return f"{word}-{meeting.date:%Y-%m-%d}.pdf"


class _Logged:
    """A case of a stored PDF as the access log needs it (its id and its patient's), without a query."""

    def __init__(self, pk, patient_id):
        self.pk, self.patient_id = pk, patient_id


def _pdf_response(request, meeting, kind, *, filename, print_url, object_type):
    """The stored PDF of the document's current version (meetings.pdfs), logged as an export per
    case in it. When there is none yet: made now where no worker runs (PDF_RENDER_ON_DEMAND), else a
    page that it is being prepared (202; it reloads itself). On a server that cannot make PDFs (no
    Pango; manage.py check warns) a page that says so and offers the print page. Neither page shows
    a patient, so neither is logged as an export."""
    language = translation.get_language()
    stored = pdfs.current_file(meeting, kind, language)

    def unavailable():
        return render(request, "meetings/pdf_unavailable.html", {"meeting": meeting, "print_url": print_url},
                      status=503)

    if stored is None and settings.PDF_RENDER_ON_DEMAND:
        try:
            stored = pdfs.render_now(meeting, kind, language)
        except printing.PdfUnavailable:
            return unavailable()
    if stored is None:
        if pdfs.last_error(meeting, kind, language) == printing.PdfUnavailable.__name__:
            return unavailable()
        response = render(request, "meetings/pdf_preparing.html",
                          {"meeting": meeting, "print_url": print_url, "refresh_seconds": PREPARING_REFRESH},
                          status=202)
        response["Retry-After"] = str(PREPARING_REFRESH)
        return response
    access_record_many(actor=Actor.from_request(request), action=AccessAction.EXPORT, object_type=object_type,
                       cases=[_Logged(case_id, patient_id) for case_id, patient_id in stored.case_ids])
    response = HttpResponse(bytes(stored.pdf), content_type="application/pdf")
    # The date only: a file name ends up in download folders and mail, patient data must not.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def agenda_print(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    return _print_page(request, meeting, PdfKind.AGENDA, "meeting_agenda_print")


@login_required
@never_cache
def agenda_pdf(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    return _pdf_response(request, meeting, PdfKind.AGENDA, filename=_file_name(_("mdt-agenda"), meeting),
                         print_url=reverse("meetings:agenda_print", args=[meeting.pk]),
                         object_type="meeting_agenda_pdf")


@login_required
@never_cache
def minutes_print(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    return _print_page(request, meeting, PdfKind.MINUTES, "meeting_minutes_print")


@login_required
@never_cache
def minutes_pdf(request, meeting_id):
    meeting = get_meeting_for_user(request, meeting_id)
    return _pdf_response(request, meeting, PdfKind.MINUTES, filename=_file_name(_("mdt-minutes"), meeting),
                         print_url=reverse("meetings:minutes_print", args=[meeting.pk]),
                         object_type="meeting_minutes_pdf")
