"""A case's answers grouped as in the guideline (section 3), for the review step and case page."""

import datetime

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.models import Role
from mdo.i18n import current_lang
from referrals.intake import FORM_STEPS
from referrals.lifecycle import CaseStatus
from referrals.models import AdviceSource, Case, LesionMode
from triage.codes import Decision
from triage.facts import SYMPTOMATIC_ONLY, case_symptomatic
from triage.presenters import outcome_context

NOT_ANSWERED = object()


def mask_bsn(bsn):
    """Only the last three digits are shown outside the patient form."""
    return f"******{bsn[-3:]}" if bsn else ""


def _display(case, name):
    field = Case._meta.get_field(name)
    value = getattr(case, name)
    if value in (None, "") or (field.get_internal_type() == "BooleanField" and not value):
        return NOT_ANSWERED
    if field.choices:
        return getattr(case, f"get_{name}_display")()
    if field.get_internal_type() == "BooleanField":
        return _("yes")
    if field.get_internal_type() == "DateField":
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if field.get_internal_type() == "DecimalField":
        return floatformat(value, -1)
    return value


def _rows(case, names):
    rows = []
    for name in names:
        value = _display(case, name)
        rows.append({
            "name": name,
            "label": Case._meta.get_field(name).verbose_name,
            "value": None if value is NOT_ANSWERED else value,
        })
    return rows


# Fields that are only shown when they carry an answer (detail and "unknown" ticks).
_QUIET = {
    "presenter_name", "primary_tumour_other", "driver_mutation_detail", "prior_bm_treatment",
    "prior_bm_effect", "prior_radiation_fields", "anticoagulation_detail", "systemic_line",
    "cerebral_response", "prognosis_unknown", "prognosis_over_3_months", "kps_unknown", "dexamethasone_mg",
    "neuro_deficit_detail", "largest_diameter_mm", "critical_location", "critical_location_site",
    "comorbidity", "patient_wish", "primary_diagnosis_date", "molecular_markers",
    "mass_effect", "oedema", "csf_obstruction_risk", "urgent_reason", "imaging_url", "accession_number",
    *SYMPTOMATIC_ONLY,
}


def case_sections(case, lesions=None):
    if lesions is None:
        lesions = list(case.lesions.all())
    sections = []
    for step in FORM_STEPS:
        rows = [
            row for row in _rows(case, step.summary_fields(case))
            if row["value"] is not None or row["name"] not in _QUIET
        ]
        _merge_unknown(rows, case)
        _mark_not_used(rows, case)
        section = {"step": step, "rows": rows}
        if step.binds_patient:
            section["patient"] = _patient_rows(case.patient)
        if step.has_lesions:
            section["lesions"] = lesions if case.lesion_mode == LesionMode.LIST else None
        sections.append(section)
    return sections


def _patient_rows(patient):
    return [
        {"label": _("Patient"), "value": patient.display_name},
        {"label": _("Hospital patient number"), "value": patient.patient_number},
        {"label": _("Date of birth"),
         "value": formats.date_format(patient.date_of_birth, "SHORT_DATE_FORMAT")},
        {"label": _("Sex"), "value": patient.get_sex_display()},
        {"label": _("BSN"), "value": mask_bsn(patient.bsn) or None},
    ]


def _mark_not_used(rows, case):
    """An answer to a symptomatic-only question stays stored when the patient is later answered
    not symptomatic (nothing typed is deleted), but the advice does not read it: say so."""
    if case_symptomatic(case) is not False:
        return
    for row in rows:
        if row["name"] in SYMPTOMATIC_ONLY and row["value"] is not None:
            row["value"] = _("%(answer)s (not used: the patient is not symptomatic)") % {
                "answer": row["value"]}


def _merge_unknown(rows, case):
    """Show "unknown" in the KPS and prognosis rows instead of a separate tick row."""
    for row in rows:
        if row["name"] == "kps" and case.kps_unknown:
            row["value"] = _("unknown")
        if row["name"] == "prognosis_months" and case.prognosis_unknown:
            row["value"] = _("unknown")
    rows[:] = [r for r in rows if r["name"] not in ("kps_unknown", "prognosis_unknown")]


def open_request(case):
    """The question of pre-consultation the referrer still has to answer ({} when none): while the
    case waits for the referrer, its latest request for information, with the steps it concerns
    (their labels too) and its date as a datetime."""
    if case is None or case.status != CaseStatus.INFO_REQUESTED or not case.info_request:
        return {}
    request = dict(case.info_request)
    labels = {step.key: step.label for step in FORM_STEPS}
    request["step_labels"] = [labels[key] for key in request.get("steps", ()) if key in labels]
    request["at"] = datetime.datetime.fromisoformat(request["at"]) if request.get("at") else None
    return request


def advice_in_force_short(case, lang=None):
    """The advice that counts now, in a few words, for lists and headings: the outcome in force
    (triage, or pre-consultation's when it accepted or overrode it), where it came from, and the
    meeting's decisions once recorded. Read from the case's own columns: no query."""
    lang = lang or current_lang()
    outcome = case.outcome_in_force or (case.current_advice.outcome if case.current_advice else "")
    decisions = dict(Decision.choices)
    return {
        "outcome": outcome,
        "label": outcome_context(outcome, lang)["label"] if outcome else "",
        "source": case.advice_source,
        "source_label": case.get_advice_source_display() if case.advice_source else "",
        "overridden": case.advice_source == AdviceSource.OVERRIDDEN,
        "decisions": [str(decisions.get(code, code)) for code in case.meeting_decisions or ()],
    }


def advice_in_force_cell(in_force):
    """The "Advice" cell of a list (built here, not per row in a template: see case_rows)."""
    if not in_force["outcome"]:
        return "—"
    html = format_html('<span data-outcome="{}">{}</span>', in_force["outcome"], in_force["label"])
    if in_force["source_label"]:
        html += format_html('<br><small class="text-muted{}" data-advice-source="{}">{}</small>',
                            " fw-semibold" if in_force["overridden"] else "", in_force["source"],
                            in_force["source_label"])
    if in_force["decisions"]:
        html += format_html('<br><small data-meeting-decisions>{}: {}</small>', _("MDT advice"),
                            ", ".join(in_force["decisions"]))
    return html


def case_rows(cases, user, today=None):
    """The rows of the case list and the pre-consultation queue, as plain values.

    Built here rather than in the template: a list shows 25 cases, and the same lookups, URL
    reversals and date filters cost several times more in the template language.
    """
    today = today or timezone.localdate()
    may_edit = user.role == Role.REFERRER
    lang = current_lang()
    rows = []
    for case in cases:
        submitted = timezone.localtime(case.submitted_at).date() if case.submitted_at else None
        if may_edit and case.is_editable:
            url = reverse("referrals:intake_step", args=[case.pk, "review"])
        else:
            url = reverse("casefile:case_detail", args=[case.pk])
        in_force = advice_in_force_short(case, lang)
        rows.append({
            "case": case,
            "url": url,
            "patient": case.patient.display_name,
            "patient_number": case.patient.patient_number,
            "hospital": case.referring_hospital.name,
            "physician": str(case.referring_physician),
            "status": case.status,
            "status_label": case.status_label,
            "started": formats.date_format(timezone.localtime(case.created_at).date(), "SHORT_DATE_FORMAT"),
            "submitted": formats.date_format(submitted, "SHORT_DATE_FORMAT") if submitted else "",
            "days_waiting": (today - submitted).days if submitted else 0,
            "outcome": in_force["outcome"],
            "outcome_label": in_force["label"],
            "in_force": in_force,
            "in_force_cell": advice_in_force_cell(in_force),
            "meeting_ready": case.meeting_ready,
            "urgent": case.urgent,
            # Back from a re-evaluation (followup): awaiting pre-consultation again.
            "reentry": case.reentered_at is not None and case.status == CaseStatus.SUBMITTED,
        })
    return rows


# What waits for the user elsewhere, shown at the top of the case list (the referrer's start page):
# the apps above referrals (followup) register a function user -> list of notices when Django
# starts. A registry, not an import: referrals does not know those apps (the layers).
_list_notices = []


def register_list_notice(function):
    """`function(user)` returns notices, each {"count", "text", "url"}; shown when count > 0."""
    if function not in _list_notices:
        _list_notices.append(function)


def list_notices(user):
    return [notice for function in _list_notices for notice in function(user) if notice["count"]]
