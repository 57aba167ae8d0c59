"""The printed agenda and minutes of a meeting: what they show, and the PDF (WeasyPrint).

The print view and the PDF render the same templates from the same context, so the paper on the
table in the meeting room and the file in the archive say the same thing. Building a context
costs the same handful of queries for 2 cases or 30: the agenda items come with their case,
patient, referrer and advice in one query, all lesions in a second, the earlier discussions of
the cases (meeting and advice) in a third.
"""

import logging

from django.contrib.staticfiles import finders
from django.db.models import prefetch_related_objects
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mdo.i18n import current_lang
from meetings.models import Attendance, MeetingStatus
from meetings.presenters import advice_path, agenda_items, quorum_context
from referrals.models import Answer, LesionMode, PrimaryTumour
from referrals.presenters import mask_bsn
from triage.codes import Discipline
from triage.presenters import one_line_reason, outcome_context
from triage.quorum import REQUIRED_DISCIPLINES
from triage.services import result_from_advice

logger = logging.getLogger(__name__)

# Empty rows at the bottom of the attendance sheet, for guests and a second person per discipline.
BLANK_ATTENDANCE_ROWS = 4


# --- Context --------------------------------------------------------------------------------------

def agenda_context(meeting, *, user):
    lang = current_lang()
    items = agenda_items(meeting, with_earlier=True)
    prefetch_related_objects(items, "case__lesions")
    return {
        **_common(meeting, user),
        "cases": [_agenda_case(number, item, lang) for number, item in enumerate(items, start=1)],
        "attendances": _attendances(meeting),
        "attendance_sheet": attendance_sheet(),
    }


def minutes_context(meeting, *, user):
    items = agenda_items(meeting)
    attendances = _attendances(meeting)
    return {
        **_common(meeting, user),
        "cases": [_case(number, item) for number, item in enumerate(items, start=1)],
        "attendances": attendances,
        "quorum": quorum_context({a.discipline for a in attendances}),
        "not_held_yet": meeting.status == MeetingStatus.PLANNED,
    }


def _common(meeting, user):
    return {
        "meeting": meeting,
        "printed_at": timezone.localtime(),
        "printed_by": user,
        "page_labels": page_labels(),
    }


def _attendances(meeting):
    return list(Attendance.objects.filter(meeting=meeting).select_related("user"))


def _case(number, item):
    """One agenda item as the minutes show it (the agenda adds to it)."""
    return {
        "number": number,
        "item": item,
        "case": item.case,
        "patient": item.case.patient,
        "bsn": mask_bsn(item.case.patient.bsn),  # never the full BSN on paper
        # select_related cached a missing advice as "none": no query here.
        "meeting_advice": getattr(item, "advice", None),
    }


def _agenda_case(number, item, lang):
    case = item.case
    lesions = list(case.lesions.all()) if case.lesion_mode == LesionMode.LIST else None
    return {
        **_case(number, item),
        "summary": case_summary(case, lesions or []),
        "lesions": lesions,
        "triage": _triage(case.current_advice, lang),
        "path": advice_path(case, getattr(item, "advice", None), lang, with_reason=True),
        # Discussed before (an advice "discuss again"): the date and advice of each earlier meeting.
        "earlier": item.earlier,
    }


def _triage(advice, lang):
    if advice is None:
        return None
    return {
        "outcome": outcome_context(advice.outcome, lang),
        "reason": one_line_reason(result_from_advice(advice), lang),
    }


def attendance_sheet():
    """The rows of the attendance list to fill in by hand: the four disciplines of the legal quorum
    first, then the other disciplines of the meeting (spec §6), then empty rows."""
    labels = dict(Discipline.choices)
    others = [code for code in Discipline.values
              if code not in REQUIRED_DISCIPLINES and code != Discipline.OTHER]
    rows = [{"label": labels[code], "required": True} for code in REQUIRED_DISCIPLINES]
    rows += [{"label": labels[code], "required": False} for code in others]
    rows += [{"label": "", "required": False}] * BLANK_ATTENDANCE_ROWS
    return rows


def page_labels():
    """The words around the page numbers ("Page 3 of 12"), cut from one translated sentence: the
    PDF's footer puts WeasyPrint's page counters between the pieces (see print.css)."""
    before, _sep, rest = _("Page %(page)s of %(pages)s").partition("%(page)s")
    middle, _sep, after = rest.partition("%(pages)s")
    return {"before": before.strip(), "middle": middle.strip(), "after": after.strip()}


# --- The facts of guideline section 3, in a dozen short lines ------------------------------------

def _choice(case, name):
    """The label of a choice field, or "" when the question has not been answered."""
    return getattr(case, f"get_{name}_display")() if getattr(case, name) else ""


def _answer(case, name, detail=""):
    """Yes / No / Unknown, with the detail after a yes: "Yes (EGFR exon 19 deletion)"."""
    text = _choice(case, name)
    if getattr(case, name) == Answer.YES and detail:
        return f"{text} ({detail})"
    return text


def _labelled(label, value):
    return f"{label}: {value}" if value else ""


def _parts(*parts):
    return "; ".join(part for part in parts if part)


def _date(value):
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def case_summary(case, lesions):
    """[{"label", "value"}] for the printed agenda; "—" where a question was not answered.
    `lesions` are the case's lesion rows (list mode), printed as a table under the summary."""
    tumour = case.primary_tumour_other if case.primary_tumour == PrimaryTumour.OTHER else ""
    rows = [
        (_("Presenter"), _parts(
            case.presenter_name, _choice(case, "presenter_role"),
            _labelled(_("systemic disease activity discussed beforehand"),
                      _choice(case, "systemic_activity_discussed")))),
        (_("Primary tumour"), _parts(
            tumour or _choice(case, "primary_tumour"),
            _labelled(_("diagnosed"), _date(case.primary_diagnosis_date)),
            case.molecular_markers,
            _labelled(_("driver mutation"), _answer(case, "driver_mutation", case.driver_mutation_detail)))),
        (_("Earlier lines of treatment"), case.prior_treatment_lines),
        (_("Earlier brain metastases"), _parts(
            _choice(case, "prior_brain_metastases"),
            _labelled(_("treatment"), case.prior_bm_treatment),
            _labelled(_("effect"), case.prior_bm_effect),
            _labelled(_("radiation fields"), case.prior_radiation_fields))),
        (_("Comorbidity"), _answer(case, "comorbidity_relevant", case.comorbidity)),
        (_("Anticoagulation"), _answer(case, "anticoagulation", case.anticoagulation_detail)),
        (_("Extracranial disease"), _parts(
            _choice(case, "extracranial_status"),
            _labelled(_("systemic therapy possible"),
                      _answer(case, "systemic_option", _choice(case, "systemic_line"))),
            _labelled(_("chance of cerebral response"), _choice(case, "cerebral_response")))),
        (_("Expected prognosis (months)"), _prognosis(case)),
        (_("KPS and dexamethasone"), _parts(_kps(case), _labelled(_("dexamethasone"), _dexamethasone(case)))),
        (_("Symptoms"), _parts(
            _labelled(_("neurological deficit"), _answer(case, "neuro_deficit", case.neuro_deficit_detail)),
            _labelled(_("epilepsy"), _answer(case, "epilepsy")))),
        (_("Imaging"), _imaging(case, lesions)),
        (_("Mass effect, oedema, CSF obstruction"), _parts(
            _labelled(_("mass effect"), _choice(case, "mass_effect")),
            _labelled(_("relevant oedema"), _choice(case, "oedema")),
            _labelled(_("risk of CSF obstruction"), _choice(case, "csf_obstruction_risk")))),
        (_("Radiotherapy considered"), _choice(case, "radiotherapy_considered")),
        (_("Radiation necrosis, recurrence"), _parts(
            _labelled(_("suspected radiation necrosis"), _choice(case, "suspected_radionecrosis")),
            _labelled(_("recurrence or new brain metastases"), _choice(case, "recurrence")))),
        (_("The patient's wish"), _parts(
            _labelled(_("wishes treatment"), _choice(case, "treatment_wish")), case.patient_wish)),
    ]
    return [{"label": label, "value": value or "—"} for label, value in rows]


def _prognosis(case):
    if case.prognosis_months is not None and not case.prognosis_unknown:
        return floatformat(case.prognosis_months, -1)
    over_3 = _choice(case, "prognosis_over_3_months")
    if over_3:
        return _("more than 3 months: %(answer)s") % {"answer": over_3.lower()}
    return _("unknown") if case.prognosis_unknown else ""


def _kps(case):
    if case.kps_unknown:
        return _("KPS unknown")
    return f"KPS {case.kps}" if case.kps is not None else ""


def _dexamethasone(case):
    text = _choice(case, "dexamethasone")
    if case.dexamethasone == Answer.YES and case.dexamethasone_mg is not None:
        return _("%(yes)s, %(dose)s mg/day") % {"yes": text, "dose": floatformat(case.dexamethasone_mg, -1)}
    return text


def _mm(value):
    """12 -> "12 mm", 7.5 -> "7,5 mm" (in Dutch); nothing when not measured."""
    return f"{floatformat(value, -1)} mm" if value else ""


def _imaging(case, lesions):
    if case.lesion_mode == LesionMode.MANY:
        extent = _parts(
            _choice(case, "lesion_mode"),
            _labelled(_("largest diameter"), _mm(case.largest_diameter_mm)),
            _labelled(_("critical location"),
                      _answer(case, "critical_location", _choice(case, "critical_location_site"))))
    elif lesions:
        extent = _parts(_labelled(_("lesions"), len(lesions)),
                        _labelled(_("largest diameter"), _mm(max(lesion.diameter_mm for lesion in lesions))))
    else:
        extent = ""
    return _parts(_labelled(_("MRI"), _date(case.mri_date)), extent)


# --- PDF ---------------------------------------------------------------------------------------------

class PdfUnavailable(Exception):
    """WeasyPrint cannot load its system libraries (Pango): this server makes no PDFs.
    `manage.py check` warns of it (meetings.W002); the print view still works."""


def render_pdf(template_name, context, *, request):
    """The PDF of a print template. Nothing is fetched: the stylesheet is read from the static
    folder and passed in, the template leaves out its <link> for the PDF, fonts are the system's,
    and any other URL is refused by the fetcher."""
    return html_to_pdf(render_html(template_name, context, request=request))


def render_html(template_name, context, *, request=None):
    """The HTML a PDF is made of (the print page without its toolbar and <link>)."""
    return render_to_string(template_name, {**context, "pdf": True}, request=request)


def html_to_pdf(html):
    # Imported here: WeasyPrint loads Pango and takes most of a second; only a PDF needs it.
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # cffi: "cannot load library 'libpango-1.0-0'"
        logger.error("No PDF: WeasyPrint cannot load its libraries (%s). See manage.py check.", error)
        raise PdfUnavailable from error

    fetcher = _refusing_fetcher()
    stylesheet = weasyprint.CSS(filename=finders.find("css/print.css"), url_fetcher=fetcher)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])


def _refusing_fetcher():
    from weasyprint.urls import URLFetcher

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            # WeasyPrint catches this, logs a warning and renders without the resource.
            raise ValueError("The PDF renderer of the MDO application fetches nothing.")

    return RefuseAll()
