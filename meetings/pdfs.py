"""The agenda and minutes PDFs: made in the background when what they show changes, stored per
version, served as a file.

Why. WeasyPrint takes seconds for a 30-case agenda (docs/performance.md); a chair who downloads the
agenda the evening before the meeting should not wait for it, nor hold a web worker that long.

How. Each document (meeting x agenda or minutes x language) has a PdfRender row: its `version`
goes up in the transaction of every change it shows, and its `rendered_version` says which
version the newest stored file (MeetingPdf) shows. What changes a document is found from the
action log: every write of clinical data records an Event (audit.services.event_record), which
publishes "event.recorded" in its transaction; `event_recorded` below bumps the documents of the
meetings the event concerns (the meeting itself, the meetings the case is on, the meeting an agenda
item was moved from or taken off). A rolled-back change bumps nothing; a committed one always has
its render waiting, like the mail queue (casefile/mailqueue.py).

The worker (`manage.py render_pdfs`, docs/mdo-pdfs.service) takes the documents behind their
version, oldest change first, each under a lease (`claimed_until`: several workers on several
machines share the table; a worker that dies frees its render when the lease ends). It reads the
version before the content, so a file is never labelled newer than what it shows. A change that
alters nothing on paper (a mail sent, a presence re-recorded as it was) gives the same HTML: the
stored file is taken on to the new version without WeasyPrint.

The download serves only the file of the current version (and of the current templates and
stylesheet, `layout()`); otherwise it answers that the PDF is being prepared. Without a worker
(the development server, the tests: PDF_RENDER_ON_DEMAND) the download renders it there and then.

The MDO report of a case and its letter for the patient need no queue: a version's content is
frozen (meetings.report), so its PDF is made at its first download (a page or two) and served from
ReportPdf after that.
"""

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Subquery, When
from django.db.models.functions import Greatest
from django.utils import timezone, translation

from meetings import printing
from meetings.models import AgendaItem, Meeting, MeetingPdf, MeetingStatus, PdfKind, PdfRender, ReportPdf

logger = logging.getLogger(__name__)

TEMPLATES = {PdfKind.AGENDA: "meetings/print/agenda.html", PdfKind.MINUTES: "meetings/print/minutes.html"}
CONTEXTS = {PdfKind.AGENDA: printing.agenda_context, PdfKind.MINUTES: printing.minutes_context}
# Actions that change nothing a printed agenda or minutes shows.
UNPRINTED_ACTIONS = frozenset({"mail.sent", "case.patient_letter_requested", "case.report_made_afterwards"})
LEASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=1)
KEEP_VERSIONS = 3  # files kept per document: the current one and two before it
# The time of making in the header: left out of the content hash.
MADE_AT = re.compile(r'<p class="printed">.*?</p>', re.DOTALL)


# --- What changed --------------------------------------------------------------------------------

def event_recorded(event, **_payload):
    """dispatch "event.recorded", in the transaction of the event: bump the documents it changes."""
    if event.action in UNPRINTED_ACTIONS:
        return
    meeting_ids = set()
    if event.object_type == "meetings.meeting":
        meeting_ids.add(event.object_id)
    if event.object_type == "meetings.agendaitem" or event.case_id:
        # The meetings the case is on, discussed or waiting; and the item's own meeting, also when
        # the item was just taken off it.
        on = Q(case_id=event.case_id, removed_at__isnull=True) if event.case_id else Q(pk__in=[])
        if event.object_type == "meetings.agendaitem":
            on |= Q(pk=event.object_id)
        meeting_ids.update(str(pk) for pk in AgendaItem.objects.filter(on).values_list("meeting_id", flat=True))
    if event.action == "case.moved":  # and the meeting it left
        meeting_ids.add(event.data["from"])
    documents_changed(meeting_ids)


def documents_changed(meeting_ids):
    """In the caller's transaction: what the agenda and minutes of these meetings show changed.
    Every stored document of theirs goes to a new version; the agenda in the default language is
    queued even when nobody asked for it yet (and the minutes, once the meeting was held)."""
    meeting_ids = {str(pk) for pk in meeting_ids if pk}
    if not meeting_ids:
        return
    now = timezone.now()
    wanted = [PdfRender(meeting_id=pk, kind=kind, language=settings.LANGUAGE_CODE, changed_at=now)
              for pk, status in Meeting.objects.filter(pk__in=meeting_ids).values_list("pk", "status")
              for kind in ([PdfKind.AGENDA] if status == MeetingStatus.PLANNED else PdfKind.values)]
    # Insert first, then bump: a row another transaction is inserting now is bumped once it commits.
    PdfRender.objects.bulk_create(wanted, ignore_conflicts=True)
    # A render in progress keeps its lease (the worker takes the new version when it is done: one
    # render at a time per document); one waiting after a failure is tried again now.
    PdfRender.objects.filter(meeting_id__in=meeting_ids).update(
        version=F("version") + 1, changed_at=now, attempts=0, last_error="",
        claimed_until=Case(When(attempts__gt=0, then=None), default=F("claimed_until")))


# --- The download ------------------------------------------------------------------------------------

class _FileBytes:
    """The bytes of stored files this process served lately, by row and content (a row's bytes never
    change: a render makes a new row, an unchanged one only moves its version on). Which row is
    current is asked of the database at every download; only its bytes come from here, so a download
    is never of an old version, and a 30-case agenda (~130 KB) is not read from the database again."""

    def __init__(self, limit):
        self.limit, self.size, self.files = limit, 0, OrderedDict()
        self.lock = threading.Lock()  # a threaded server (runserver, gthread) shares it between requests

    def get(self, stored):
        key = (stored.pk, stored.content_hash)
        with self.lock:
            pdf = self.files.get(key)
            if pdf is not None:
                self.files.move_to_end(key)
                return pdf
        pdf = bytes(MeetingPdf.objects.filter(pk=stored.pk).values_list("pdf", flat=True).get())
        with self.lock:
            if key not in self.files:
                self.files[key] = pdf
                self.size += len(pdf)
                while self.size > self.limit and len(self.files) > 1:
                    self.size -= len(self.files.popitem(last=False)[1])
        return pdf

    def clear(self):
        with self.lock:
            self.size, self.files = 0, OrderedDict()


FILE_BYTES = _FileBytes(limit=16 * 1024 * 1024)  # per worker process


def current_file(meeting, kind, language):
    """The stored file of the document's current version (its bytes in `.pdf`), or None: then its
    render is queued (the document is new, or changed since its last render)."""
    version = PdfRender.objects.filter(meeting=meeting, kind=kind, language=language).values("version")
    stored = (MeetingPdf.objects.filter(meeting=meeting, kind=kind, language=language,
                                        version=Subquery(version[:1])).defer("pdf").first())
    if stored is not None and stored.layout == layout():
        stored.pdf = FILE_BYTES.get(stored)
        return stored
    with transaction.atomic():
        PdfRender.objects.bulk_create([PdfRender(meeting=meeting, kind=kind, language=language)],
                                      ignore_conflicts=True)
        if stored is not None:  # made with templates of before a deployment: make it again
            PdfRender.objects.filter(meeting=meeting, kind=kind, language=language,
                                     version=stored.version).update(version=F("version") + 1,
                                                                    changed_at=timezone.now())
    return None


def print_page_key(meeting, kind, language):
    """The key of the print page of the document in its current version, or None when the document
    has no version yet (then the page is rendered at every request). The print page shows what the
    PDF shows (one template, one context), so what bumps the PDF's version is what makes the page
    new; the key also holds the meeting's own version and chair (an administrator renaming the chair
    records no event), the templates (layout) and the day. The time and user of printing, the one
    line that differs per request, are put in per request (meetings.views.printing)."""
    version = (PdfRender.objects.filter(meeting=meeting, kind=kind, language=language)
               .values_list("version", flat=True).first())
    if version is None:
        return None
    chair = hashlib.sha256(str(meeting.chair or "").encode()).hexdigest()[:12]
    return (f"print:{meeting.pk}:{kind}:{language}:{version}:{layout()}:{meeting.version}:{chair}:"
            f"{timezone.localdate().isoformat()}")


def render_now(meeting, kind, language):
    """Render the document here (no worker: the development server, the tests) and store it."""
    render = PdfRender.objects.get(meeting=meeting, kind=kind, language=language)
    return _make(render)


def last_error(meeting, kind, language):
    """Why the worker's last attempt at the document failed ("" when it did not)."""
    return (PdfRender.objects.filter(meeting=meeting, kind=kind, language=language)
            .values_list("last_error", flat=True).first() or "")


# --- The MDO report and the letter: frozen per version, made once ------------------------------------

def stored_report(report, kind, language):
    """The stored PDF of this version of the report ("report") or its letter ("letter"), or None."""
    return ReportPdf.objects.filter(report=report, kind=kind, language=language, layout=layout()).first()


def store_report(report, kind, language, html):
    """Make the PDF of `html` (the version's frozen content) and keep it for the next download."""
    started = time.perf_counter()
    pdf = printing.html_to_pdf(html)
    render_ms = round((time.perf_counter() - started) * 1000)
    try:
        with transaction.atomic():
            return ReportPdf.objects.create(report=report, kind=kind, language=language, layout=layout(), pdf=pdf,
                                            render_ms=render_ms)
    except IntegrityError:  # two downloads at once: the first one's file
        return ReportPdf.objects.get(report=report, kind=kind, language=language, layout=layout())


# --- The worker -------------------------------------------------------------------------------------

def render_due(now=None):
    """One run of the worker: render every document behind its version. Returns (made, failed)."""
    made = failed = 0
    while (render := _claim(now or timezone.now())) is not None:
        try:
            _make(render)
            made += 1
        except Exception as exc:
            failed += 1
            _failed(render, exc)
    return made, failed


def waiting():
    return PdfRender.objects.filter(rendered_version__lt=F("version")).count()


def _due(now):
    return PdfRender.objects.filter(rendered_version__lt=F("version")).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _claim(now):
    for candidate in _due(now).order_by("changed_at", "pk").only("pk")[:20]:
        # The UPDATE is the lock: of two workers on one row, one sees a row count of 0.
        if _due(now).filter(pk=candidate.pk).update(claimed_until=now + LEASE):
            return PdfRender.objects.get(pk=candidate.pk)
    return None


def _failed(render, exc):
    """Try again later, waiting longer after each failure (1, 2, 4 ... minutes, at most an hour)."""
    attempts = render.attempts + 1
    wait = min(timedelta(minutes=2 ** (attempts - 1)), BACKOFF_MAX)
    # No patient data in the log: the exception is named only.
    logger.error("PDF %s of meeting %s (%s) not made, attempt %s: %s", render.kind, render.meeting_id,
                 render.language, attempts, type(exc).__name__)
    PdfRender.objects.filter(pk=render.pk).update(
        attempts=attempts, last_error=type(exc).__name__[:200], claimed_until=timezone.now() + wait)


def _make(render):
    """Make the file of `render`'s version (read before the content) and store it."""
    version = render.version
    meeting = Meeting.objects.select_related("chair", "centre").get(pk=render.meeting_id)
    with translation.override(render.language):
        context = CONTEXTS[render.kind](meeting, user=None)
        html = printing.render_html(TEMPLATES[render.kind], context)
        content_hash = hashlib.sha256(f"{layout()}\n{MADE_AT.sub('', html)}".encode()).hexdigest()
        same = (MeetingPdf.objects.filter(meeting=meeting, kind=render.kind, language=render.language,
                                          content_hash=content_hash).order_by("-version").first())
        if same is None:
            started = time.perf_counter()
            pdf = printing.html_to_pdf(html)
            render_ms = round((time.perf_counter() - started) * 1000)
    logged = [[str(row["case"].pk), str(row["case"].patient_id)] for row in context["cases"]]
    try:
        with transaction.atomic():
            if same is not None and same.version < version:
                same.version, same.case_ids = version, logged
                same.save(update_fields=["version", "case_ids"])
                stored = same
            elif same is not None:
                stored = same
            else:
                stored = MeetingPdf.objects.create(
                    meeting=meeting, kind=render.kind, language=render.language, version=version,
                    content_hash=content_hash, layout=layout(), pdf=pdf, case_ids=logged, render_ms=render_ms)
                logger.info("PDF %s of meeting %s (%s) v%s made in %s ms", render.kind, meeting.pk,
                            render.language, version, render_ms)
            PdfRender.objects.filter(pk=render.pk).update(
                rendered_version=Greatest(F("rendered_version"), version), claimed_until=None,
                attempts=0, last_error="")
            _prune(render)
    except IntegrityError:
        # Made at the same moment by a download without a worker, or by another worker: take that one.
        stored = MeetingPdf.objects.get(meeting=meeting, kind=render.kind, language=render.language, version=version)
    return stored


def _prune(render):
    files = MeetingPdf.objects.filter(meeting_id=render.meeting_id, kind=render.kind, language=render.language)
    keep = list(files.order_by("-version").values_list("pk", flat=True)[:KEEP_VERSIONS])
    files.exclude(pk__in=keep).delete()


@cache
def layout():
    """A fingerprint of what makes a PDF besides its content: the print templates, the print
    stylesheet and the translations. A deployment that changes one of them makes every document
    again (on its next download, or change)."""
    base = Path(settings.BASE_DIR)
    paths = sorted([*base.glob("templates/meetings/print/*.html"), *base.glob("templates/meetings/_*.html"),
                    *base.glob("templates/casefile/report/*.html"),
                    base / "static/css/print.css", *base.glob("locale/*/LC_MESSAGES/django.mo")])
    digest = hashlib.sha256()
    for path in paths:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]

