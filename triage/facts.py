"""From a case in the database to the facts the engine sees (spec §4).

This is where the intake's answers become the flowchart's questions; the mapping is clinical,
so it lives here in triage/, next to the engine, and nowhere else.
"""

from triage.engine import Facts


def _tri(value):
    """yes / no / unknown / not answered -> True / False / None / None."""
    return {"yes": True, "no": False}.get(value)


def _symptomatic(case):
    # Symptomatic = neurological deficit or epilepsy (Bijlage 2). A single "yes" suffices;
    # "no" needs both answered no.
    answers = (case.neuro_deficit, case.epilepsy)
    if "yes" in answers:
        return True
    if all(answer == "no" for answer in answers):
        return False
    return None


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


def facts_from_case(case, lesions=None) -> Facts:
    if lesions is None:
        lesions = list(case.lesions.all())
    max_diameter, count, critical, site = _lesions(case, lesions)
    dexamethasone = _tri(case.dexamethasone)
    return Facts(
        treatment_wish=_tri(case.treatment_wish),
        suspected_radionecrosis=_tri(case.suspected_radionecrosis),
        symptomatic=_symptomatic(case),
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
        prognosis_over_3_months=None,
        critical_location=critical,
        critical_location_site=site,
        max_lesion_diameter_mm=float(max_diameter) if max_diameter is not None else None,
        lesion_count=count,
        systemic_option_high_cerebral_response=_systemic_option_high_response(case),
        rapid_kps_improvement_expected=_tri(case.rapid_kps_improvement),
        local_treatment_could_improve_qol=_tri(case.qol_improvement),
        radiotherapy_considered=_tri(case.radiotherapy_considered),
        recurrence=_tri(case.recurrence),
    )
