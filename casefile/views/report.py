"""The MDO report of a case ("MDO-verslag") and the letter for the patient: a page and a PDF of each.

Access as for the case (referrals.access.get_case_for_user: the referring hospital and the MDO
centre; anybody else 404, logged). The page of a version is logged as read, its PDF as exported
once it is made. Both are written in the referring physician's language (meetings.report), from
the version's frozen content; the toolbar around it speaks the reader's language.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessAction
from audit.services import access_record
from meetings import pdfs, printing, services
from meetings.models import AdviceReport
from meetings.report import letter_context, report_context, report_language
from referrals.access import get_case_for_user

REPORT_TEMPLATE = "casefile/report/report.html"
LETTER_TEMPLATE = "casefile/report/letter.html"
SELECT = ("patient", "referring_physician")


def _report(case, report_id=None, *, item_id=None):
    """The version `report_id` of one of the case's reports, or the newest of the case's newest
    advice (of agenda item `item_id`: a case discussed again has an advice per meeting); 404 when
    there is no report (no advice recorded yet)."""
    reports = AdviceReport.objects.filter(advice__item__case=case).select_related("advice__item__meeting")
    if report_id is None:
        if item_id is not None:
            reports = reports.filter(advice__item_id=item_id)
        report = reports.order_by("-advice__item__added_at", "-version").first()
        if report is None:
            raise Http404("No report: the meeting's advice has not been recorded.")
        return report
    return get_object_or_404(reports, pk=report_id)


def _versions(report):
    return list(AdviceReport.objects.filter(advice_id=report.advice_id).only("pk", "version", "created_at",
                                                                           "advice_id").order_by("version"))


def _context(request, case, report, *, letter=False):
    language = report_language(case)
    versions = _versions(report)
    context = letter_context(report, language) if letter else report_context(report, language)
    return {
        **context,
        "case": case,
        "report": report,
        "versions": versions,
        "is_latest": versions[-1].pk == report.pk,
        "document_language": language,
        "viewer_language": translation.get_language(),
        "may_request_letter": _may_request_letter(request.user, case),
        "page_labels": printing.page_labels(),
    }


def _may_request_letter(user, case):
    return user.role == Role.REFERRER and user.hospital_id == case.referring_hospital_id


def _render(request, template_name, context):
    with translation.override(context["document_language"]):
        context["page_labels"] = printing.page_labels()
        return render(request, template_name, context)


def _pdf(request, case, template_name, context, *, kind, object_type, filename, page_url):
    """The version's PDF: made at its first download and stored (meetings.pdfs; the content of a
    version never changes), served from the store after that."""
    report, language = context["report"], context["document_language"]
    stored = pdfs.stored_report(report, kind, language)
    if stored is None:
        with translation.override(language):
            context["page_labels"] = printing.page_labels()
            try:
                stored = pdfs.store_report(report, kind, language,
                                           printing.render_html(template_name, context, request=request))
            except printing.PdfUnavailable:
                return render(request, "casefile/report/pdf_unavailable.html", {"page_url": page_url}, status=503)
    access_record(actor=Actor.from_request(request), action=AccessAction.EXPORT, object_type=object_type,
                  case=case, object_id=report.pk)
    response = HttpResponse(bytes(stored.pdf), content_type="application/pdf")
    # A neutral name: the case's reference and the version, no patient data.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def report_latest(request, case_id):
    """The newest version of the case's report (the link of the case page and the meeting page)."""
    case = get_case_for_user(request, case_id, action=None, part="mdo_report", select=SELECT)
    try:
        item_id = uuid.UUID(request.GET["item"]) if request.GET.get("item") else None
    except ValueError:
        item_id = None
    try:
        report = _report(case, item_id=item_id)
    except Http404:
        # Shows no patient data: the page says only that there is no report yet.
        return render(request, "casefile/report/no_report.html", {"case": case}, status=404)
    return redirect("casefile:report", case.pk, report.pk)


@login_required
@never_cache
def report_detail(request, case_id, report_id):
    case = get_case_for_user(request, case_id, action=None, part="mdo_report", select=SELECT)
    report = _report(case, report_id)
    access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="mdo_report",
                  case=case, object_id=report.pk)
    return _render(request, REPORT_TEMPLATE, _context(request, case, report))


@login_required
@never_cache
def report_pdf(request, case_id, report_id):
    case = get_case_for_user(request, case_id, action=None, part="mdo_report_pdf", select=SELECT)
    report = _report(case, report_id)
    context = {**_context(request, case, report), "pdf": True}
    with translation.override(context["document_language"]):
        word = _("mdt-report")
    filename = f"{word}-{case.reference}-v{report.version}.pdf"
    return _pdf(request, case, REPORT_TEMPLATE, context, kind="report", object_type="mdo_report_pdf",
                filename=filename,
                page_url=reverse("casefile:report", args=[case.pk, report.pk]))


@login_required
@permission_required("referrals.refer_case", raise_exception=True)
@require_POST
def letter_request(request, case_id, report_id):
    """The referrer asks for the letter for the patient (an event in the log); then it is shown."""
    case = get_case_for_user(request, case_id, action=None, part="patient_letter", select=SELECT)
    report = _report(case, report_id)
    try:
        services.patient_letter_request(actor=Actor.from_request(request), report_id=report.pk)
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("casefile:report", case.pk, report.pk)
    return redirect("casefile:patient_letter", case.pk, report.pk)


def _requested(case, report_id):
    report = _report(case, report_id)
    if report.letter_requested_at is None:
        raise Http404("The letter for the patient has not been asked for.")
    return report


@login_required
@never_cache
def letter_detail(request, case_id, report_id):
    case = get_case_for_user(request, case_id, action=None, part="patient_letter", select=SELECT)
    report = _requested(case, report_id)
    access_record(actor=Actor.from_request(request), action=AccessAction.READ, object_type="patient_letter",
                  case=case, object_id=report.pk)
    return _render(request, LETTER_TEMPLATE, _context(request, case, report, letter=True))


@login_required
@never_cache
def letter_pdf(request, case_id, report_id):
    case = get_case_for_user(request, case_id, action=None, part="patient_letter_pdf", select=SELECT)
    report = _requested(case, report_id)
    context = {**_context(request, case, report, letter=True), "pdf": True}
    with translation.override(context["document_language"]):
        word = _("letter")
    filename = f"{word}-{case.reference}-v{report.version}.pdf"
    return _pdf(request, case, LETTER_TEMPLATE, context, kind="letter", object_type="patient_letter_pdf",
                filename=filename,
                page_url=reverse("casefile:patient_letter", args=[case.pk, report.pk]))
