"""From a case to the facts the engine sees (spec §4) and the items the meeting needs (spec §5).

This is where the intake's answers become the flowchart's questions; the mapping is clinical,
so it lives here in triage/, next to the engine, and nowhere else. The case is read by attribute
(answers "yes"/"no"/"unknown", "" when not answered): triage does not import the referrals app.
The intake's forms read SYMPTOM_FIELDS, SYMPTOMATIC_ONLY and `symptomatic` from here, so which
patient is symptomatic and which questions only they are asked is stated once.
"""

from triage.engine import Facts

# Symptomatic = neurological deficit or epilepsy (Bijlage 2).
SYMPTOM_FIELDS = ("neuro_deficit", "epilepsy")
# Questions asked of symptomatic patients only (Bijlage 2, toelichting 3 and 4): case field -> fact.
SYMPTOMATIC_ONLY = {
    "rapid_kps_improvement": "rapid_kps_improvement_expected",
    "qol_improvement": "local_treatment_could_improve_qol",
}


def _tri(value):
    """yes / no / unknown / not answered -> True / False / None / None."""
    return {"yes": True, "no": False}.get(value)


def symptomatic(answers):
    """True, False or None (not known) from the answers to SYMPTOM_FIELDS, in that order.

    A single "yes" suffices; "no" needs every one answered no.
    """
    answers = tuple(answers)
    if "yes" in answers:
        return True
    if all(answer == "no" for answer in answers):
        return False
    return None


def case_symptomatic(case):
    return symptomatic(getattr(case, name) for name in SYMPTOM_FIELDS)


def _systemic_option_high_response(case):
    """A4: an option to start or switch systemic therapy with a HIGH chance of cerebral response.

    No option, or an option with a low chance: no. An option whose chance is graded unknown:
    "unknown" (the engine answers no, per spec). Whether there is an option at all unknown or
    not answered: missing, so the engine weighs both answers.
    """
    if case.systemic_option == "no":
        return "no"
    if case.systemic_option == "yes":
        return {"high": "yes", "low": "no", "unknown": "unknown"}.get(case.cerebral_response)
    return None


def _lesions(case, lesions):
    """(max diameter, count, critical) from the lesion rows or, with many lesions, the case."""
    if case.lesion_mode == "list" and lesions:
        critical = any(lesion.critical for lesion in lesions)
        site = next((lesion.critical_site for lesion in lesions if lesion.critical), "") or None
        return max(lesion.diameter_mm for lesion in lesions), len(lesions), critical, site
    if case.lesion_mode == "many":
        critical = _tri(case.critical_location)
        site = (case.critical_location_site or None) if critical else None
        return case.largest_diameter_mm, None, critical, site
    return None, None, None, None


def _symptomatic_only(case, is_symptomatic):
    """The answers only symptomatic patients are asked. For a patient known not to be symptomatic
    they are not part of the case: an answer given before the symptoms were answered "no" stays
    stored (nothing typed is deleted) but the engine does not see it."""
    return {
        fact: None if is_symptomatic is False else _tri(getattr(case, name))
        for name, fact in SYMPTOMATIC_ONLY.items()
    }


def facts_from_case(case, lesions=None) -> Facts:
    if lesions is None:
        lesions = list(case.lesions.all())
    max_diameter, count, critical, site = _lesions(case, lesions)
    dexamethasone = _tri(case.dexamethasone)
    is_symptomatic = case_symptomatic(case)
    return Facts(
        treatment_wish=_tri(case.treatment_wish),
        suspected_radionecrosis=_tri(case.suspected_radionecrosis),
        symptomatic=is_symptomatic,
        kps=None if case.kps_unknown else case.kps,
        on_dexamethasone=dexamethasone,
        dexamethasone_mg_per_day=(
            float(case.dexamethasone_mg)
            if dexamethasone and case.dexamethasone_mg is not None else None
        ),
        expected_prognosis_months=(
            None if case.prognosis_unknown or case.prognosis_months is None
            else float(case.prognosis_months)
        ),
        prognosis_over_3_months=(
            None if case.prognosis_months is not None else _tri(case.prognosis_over_3_months)
        ),
        critical_location=critical,
        critical_location_site=site,
        max_lesion_diameter_mm=float(max_diameter) if max_diameter is not None else None,
        lesion_count=count,
        systemic_option_high_cerebral_response=_systemic_option_high_response(case),
        **_symptomatic_only(case, is_symptomatic),
        radiotherapy_considered=_tri(case.radiotherapy_considered),
        recurrence=_tri(case.recurrence),
    )


def _open(answer):
    """Not answered, or answered "unknown"."""
    return answer in ("", "unknown")


def open_meeting_items(case, lesions):
    """Codes of the items of guideline section 3 the meeting needs that the case leaves open.

    The codes are those of triage.readiness.MEETING_ITEMS, in a stable order.
    """
    items = []
    if case.kps is None:
        items.append("kps")
    if case.prognosis_months is None and _tri(case.prognosis_over_3_months) is None:
        items.append("prognosis")
    if _open(case.extracranial_status):
        items.append("extracranial_status")
    if _open(case.systemic_option):
        items.append("systemic_option")
    # "Unknown" is one of the guideline's own grades of the response chance (high-low-unknown).
    if case.systemic_option == "yes" and not case.cerebral_response:
        items.append("cerebral_response")
    # Each symptom must be answered yes or no, even when a "yes" already makes the patient
    # symptomatic: the meeting needs both.
    if any(_open(getattr(case, name)) for name in SYMPTOM_FIELDS):
        items.append("symptoms")
    if case.lesion_mode == "list" and not lesions:
        items.append("lesion_sizes")
    if case.lesion_mode == "many" and _open(case.critical_location):
        items.append("critical_location")
    if not case.lesion_mode:
        items.append("lesion_sizes")
    if _open(case.treatment_wish):
        items.append("treatment_wish")
    if _open(case.radiotherapy_considered):
        items.append("radiotherapy_considered")
    return items
