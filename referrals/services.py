"""Every write to a patient, a case or its lesions goes through a function here.

Each runs in one transaction. A change of the case goes through
referrals.transition.case_transition: it locks the case row, checks that the action may start
from the case's state (referrals.lifecycle) and the version the user started from (optimistic
locking: a stale edit is refused, never silently overwritten), and writes the history and the
audit records (Event + AccessLog) in the same transaction.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AccessAction
from audit.services import event_record
from referrals.intake import FORM_STEPS, STEPS_BY_KEY, open_questions
from referrals.lifecycle import CaseStatus
from referrals.models import AdviceSource, Answer, Case, Lesion, LesionMode, Patient
from referrals.transition import Applied, StaleEdit, TransitionRefused, case_start, case_transition
from triage.readiness import meeting_gaps
from triage.services import advice_store

# The case is no longer a draft (or an open request for information): the lifecycle refuses the
# intake's actions. The name the intake's views catch.
CaseNotEditable = TransitionRefused

__all__ = ["CaseIncomplete", "CaseNotEditable", "StaleEdit", "case_create", "case_delete_draft",
           "case_save_step", "case_submit", "patient_earlier_cases", "patient_for_referral"]


class CaseIncomplete(Exception):
    def __init__(self, open_steps):
        super().__init__("case has unanswered questions")
        self.open_steps = open_steps


LESION_FIELDS = ("region", "side", "diameter_mm", "critical", "critical_site")

# A new referral started from the patient's previous case ("start from the previous case"). Every
# field of Case is in exactly one of these three (tests/test_rereferral.py checks it), so a new
# field forces a decision.
# What stays true of the patient: the oncological and the other history.
COPIED_FROM_PREVIOUS_CASE = (
    "primary_tumour", "primary_tumour_other", "primary_diagnosis_date", "molecular_markers",
    "driver_mutation", "driver_mutation_detail", "prior_treatment_lines", "prior_bm_treatment",
    "prior_bm_effect", "prior_radiation_fields",
    "comorbidity_relevant", "comorbidity", "anticoagulation", "anticoagulation_detail",
)
# The previous case was about brain metastases: this one is a recurrence of them.
SET_ON_FOLLOW_UP = {"prior_brain_metastases": Answer.YES, "recurrence": Answer.YES}
NOT_COPIED = frozenset({
    # The record itself, its workflow and its advice: the new case's own.
    "id", "patient", "referring_hospital", "mdo_centre", "referring_physician", "status",
    "intake_token", "version", "completed_steps", "created_at", "updated_at", "submitted_at",
    "meeting_gaps", "meeting_ready", "current_advice", "outcome_in_force", "advice_source",
    "meeting_decisions", "withdrawn_at", "withdrawn_reason", "reentered_at", "info_request", "imported_fields",
    # Asked on the first step of the new referral.
    "presenter_role", "presenter_name", "systemic_activity_discussed",
    # The situation now, asked afresh: extracranial disease and prognosis, clinical status,
    # imaging (the lesions are not copied either), the questions and the patient's wish.
    "extracranial_status", "systemic_option", "systemic_line", "cerebral_response",
    "prognosis_months", "prognosis_unknown", "prognosis_over_3_months",
    "kps", "kps_unknown", "dexamethasone", "dexamethasone_mg", "neuro_deficit",
    "neuro_deficit_detail", "epilepsy", "rapid_kps_improvement", "qol_improvement",
    "mri_date", "lesion_mode", "largest_diameter_mm", "critical_location", "critical_location_site",
    "mass_effect", "oedema", "csf_obstruction_risk", "imaging_url", "accession_number",
    "radiotherapy_considered", "suspected_radionecrosis", "treatment_wish", "patient_wish",
    "question_to_mdo", "urgent", "urgent_reason",
})


def _mark_completed_steps(case, lesions=None):
    # A step pre-consultation asked about stays unticked until the referrer saved it since.
    asked = set()
    if case.status == CaseStatus.INFO_REQUESTED and case.info_request:
        asked = set(case.info_request.get("steps", ())) - set(case.info_request.get("revisited", ()))
    case.completed_steps = [step.key for step in FORM_STEPS
                            if step.key not in asked and step.is_completed(case, lesions)]


def _apply_patient(patient, values, actor):
    for name, value in values.items():
        setattr(patient, name, value)
    patient._history_user = actor.user
    patient.full_clean()
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"patient_number": _("This hospital already has a patient with this number.")}
        ) from exc
    return patient


def patient_for_referral(*, actor, hospital, values):
    """The patient a new case belongs to: the hospital's patient with this number, or a new one.

    A patient number that belongs to somebody with another family name or date of birth is
    refused: that is almost always a typing error, and linking the wrong patient is dangerous.
    """
    existing = Patient.objects.filter(
        hospital=hospital, patient_number__iexact=values["patient_number"]
    ).first()
    if existing is not None:
        if not _same_person(existing, values):
            raise ValidationError({"patient_number": _(
                "This patient number already belongs to another patient of your hospital "
                "(family name or date of birth differ). Check the number."
            )})
        values = {**values, "patient_number": existing.patient_number}
        return _apply_patient(existing, values, actor), False
    return _apply_patient(Patient(hospital=hospital), values, actor), True


def _same_person(patient, values):
    return (patient.family_name.strip().lower() == values["family_name"].strip().lower()
            and patient.date_of_birth == values["date_of_birth"])


def patient_earlier_cases(*, hospital, patient_values, intake_token=None):
    """The cases of the hospital's patient these values identify (by patient number, or by BSN
    if given, and the same family name and date of birth: patient_for_referral refuses the
    others), newest first; empty for a patient not known yet. Deleted drafts are left out, and
    so is the draft this intake's token made already (a double click is not a second referral)."""
    number = Q(patient_number__iexact=patient_values.get("patient_number") or "")
    bsn = (patient_values.get("bsn") or "").strip()
    patients = [patient for patient in Patient.objects.filter(number | Q(bsn=bsn) if bsn else number,
                                                              hospital=hospital)
                if _same_person(patient, patient_values)]
    if not patients:
        return []
    cases = (Case.objects.filter(patient__in=patients, referring_hospital=hospital)
             .exclude(status=CaseStatus.DELETED).select_related("patient").order_by("-created_at"))
    if intake_token is not None:
        cases = cases.exclude(intake_token=intake_token)
    return list(cases)


@transaction.atomic
def case_create(*, actor, patient_values, case_values, intake_token=None, copy_from=None, history_note=""):
    """Start a draft referral: the first "next" or "save draft" of the intake.

    Returns (case, created). The same `intake_token` sent twice (a double click, a reload)
    returns the draft made the first time instead of a second one. `copy_from`: the id of the
    patient's previous case, whose history the new draft starts from (COPIED_FROM_PREVIOUS_CASE);
    `history_note` (with copy_from): what that case's MDT advised and what followed (a follow-up
    MRI, followup.services), put before the copied treatment of the earlier brain metastases.
    """
    hospital = actor.user.hospital
    if intake_token is not None:
        earlier = _draft_with_token(intake_token, hospital)
        if earlier is not None:
            return earlier, False
        if Case.objects.filter(intake_token=intake_token).exists():
            # Another hospital's token: forged, or a freak collision. It protects nothing here.
            intake_token = None
    try:
        with transaction.atomic():
            return _draft_create(actor, hospital, patient_values, case_values, intake_token,
                                 copy_from, history_note), True
    except (IntegrityError, ValidationError):
        # The same token sent in parallel by the other click: its new patient or its draft
        # collided with ours, and all of ours is rolled back. That one made the draft.
        earlier = _draft_with_token(intake_token, hospital) if intake_token is not None else None
        if earlier is None:
            raise
        return earlier, False


@transaction.atomic
def case_import(*, actor, patient_values, case_values, lesions, imported_fields, source):
    """Start a draft from another system's record (interop.importing: a FHIR Bundle): the patient
    (found or made as by the intake's first step), the answers and the lesion rows pre-filled, and
    `imported_fields` ({step key: [field names]}) marked as not yet checked: those steps count as
    answered only once the referrer has saved them. Recorded as a `case.imported` event."""
    case, _created = case_create(actor=actor, patient_values=patient_values,
                                 case_values={**case_values, "imported_fields": imported_fields})
    if lesions:
        _apply_lesions(case, lesions, actor)
    event_record(actor=actor, action="case.imported", case=case,
                 data={"source": source, "fields": {key: sorted(names) for key, names in imported_fields.items()}})
    return case


def _draft_with_token(intake_token, hospital):
    return Case.objects.filter(intake_token=intake_token, referring_hospital=hospital).first()


def _previous_values(source_id, patient, history_note=""):
    source = (Case.objects.filter(pk=source_id, patient=patient, referring_hospital=patient.hospital)
              .exclude(status=CaseStatus.DELETED).first())
    if source is None:
        raise ValidationError(_("The previous case to start from is not a case of this patient."))
    values = {name: getattr(source, name) for name in COPIED_FROM_PREVIOUS_CASE}
    if history_note:
        limit = Case._meta.get_field("prior_bm_treatment").max_length
        values["prior_bm_treatment"] = "\n\n".join(
            part for part in (history_note, values["prior_bm_treatment"]) if part)[:limit]
    return {**values, **SET_ON_FOLLOW_UP}, {"copied_from": source.reference}


def _draft_create(actor, hospital, patient_values, case_values, intake_token, copy_from=None, history_note=""):
    user = actor.user
    patient, created = patient_for_referral(actor=actor, hospital=hospital, values=patient_values)
    copied, data = ({}, {}) if copy_from is None else _previous_values(copy_from, patient, history_note)
    case = Case(
        patient=patient,
        referring_hospital=hospital,
        mdo_centre=hospital.centre,
        referring_physician=user,
        intake_token=intake_token,
        **{**copied, **case_values},
    )
    _mark_completed_steps(case, [])

    def patient_event(case):
        if created:
            event_record(actor=actor, action="patient.created", case=case, obj=patient,
                         access_action=AccessAction.CREATE)

    return case_start(actor=actor, case=case, before_event=patient_event, data={"step": "patient", **data})


def _apply_lesions(case, rows, actor):
    """Make the case's lesions equal to `rows` (dicts; `id` set for rows that exist)."""
    existing = {lesion.pk: lesion for lesion in case.lesions.all()}
    keep = set()
    changed = False
    for position, row in enumerate(rows):
        lesion = existing.get(row.get("id")) or Lesion(case=case)
        before = {name: getattr(lesion, name) for name in LESION_FIELDS}
        for name in LESION_FIELDS:
            setattr(lesion, name, row[name])
        if lesion.pk and before == {n: getattr(lesion, n) for n in LESION_FIELDS} \
                and lesion.position == position:
            keep.add(lesion.pk)
            continue
        lesion.position = position
        lesion._history_user = actor.user
        lesion.full_clean(exclude=["case"], validate_unique=False, validate_constraints=False)
        lesion.save()
        keep.add(lesion.pk)
        changed = True
    for pk, lesion in existing.items():
        if pk not in keep:
            lesion._history_user = actor.user
            lesion.delete()
            changed = True
    return changed


def case_save_step(*, actor, case_id, step_key, values, expected_version,
                   patient_values=None, lesions=None):
    """Store the answers of one intake step (a "next" or a "save draft")."""
    step = STEPS_BY_KEY.get(step_key)
    if step is None or not step.stores_answers:
        raise ValueError(f"{step_key!r} is not an intake step with answers to store; "
                         f"the steps are {[step.key for step in FORM_STEPS]}")
    unknown = set(values) - set(step.fields)
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} do not belong to step {step_key}")

    def apply(case, transition):
        changed = sorted(name for name, value in values.items() if getattr(case, name) != value)
        for name in changed:
            setattr(case, name, values[name])
        if patient_values is not None:
            patient = case.patient
            patient_changed = [n for n, v in patient_values.items() if getattr(patient, n) != v]
            if patient_changed:
                _apply_patient(patient, patient_values, actor)
                event_record(actor=actor, action="patient.changed", case=case, obj=patient,
                             data={"fields": sorted(patient_changed)})
        # With many lesions the rows are not part of the answer (nothing reads them in that mode);
        # they are kept, not deleted, so a switch back to a list loses nothing typed.
        if lesions is not None and case.lesion_mode != LesionMode.MANY:
            if _apply_lesions(case, lesions, actor):
                changed.append("lesions")
        if step_key in (case.imported_fields or {}):
            # The referrer saw and saved what the import pre-filled here: it counts now.
            case.imported_fields = {key: names for key, names in case.imported_fields.items() if key != step_key}
            changed.append("imported_checked")
        if case.status == CaseStatus.INFO_REQUESTED and step_key in case.info_request.get("steps", ()):
            revisited = case.info_request.get("revisited", [])
            case.info_request = {**case.info_request, "revisited": sorted({*revisited, step_key})}
        _mark_completed_steps(case)
        return Applied(data={"step": step_key, "fields": changed})

    return case_transition(actor=actor, case_id=case_id, action="save_step", apply=apply,
                           expected_version=expected_version)[0]


def case_submit(*, actor, case_id, expected_version, answer=""):
    """Submit the referral: validate, store the triage advice, set the status, write history.

    A replayed or double-clicked submit finds the case no longer editable and changes nothing.
    `answer`: on a resubmission, the referrer's words to the question of pre-consultation, kept
    with that request (case.info_request) and in the event.
    """
    answer = (answer or "").strip()

    def apply(case, transition):
        answered = {}
        if transition.action == "resubmit" and case.info_request:
            case.info_request = {**case.info_request, "answer": answer,
                                 "answered_at": timezone.now().isoformat()}
            if answer:
                answered = {"answer": answer}
        lesions = list(case.lesions.all())
        open_steps = open_questions(case, lesions)
        if open_steps:
            raise CaseIncomplete(open_steps)
        advice = advice_store(actor=actor, case=case, lesions=lesions,
                              resubmission=transition.action == "resubmit")
        case.current_advice = advice
        # A new triage advice is the advice in force until pre-consultation reviews it.
        case.outcome_in_force, case.advice_source, case.meeting_decisions = advice.outcome, AdviceSource.TRIAGE, []
        case.meeting_gaps = meeting_gaps(case, lesions, advice.missing)
        case.meeting_ready = not case.meeting_gaps
        if case.submitted_at is None:
            case.submitted_at = timezone.now()
        _mark_completed_steps(case, lesions)
        return Applied(data={"advice": advice.outcome, "rule_set_version": advice.rule_set_version, **answered})

    return case_transition(actor=actor, case_id=case_id, action=("submit", "resubmit"), apply=apply,
                           expected_version=expected_version)[0]


def case_delete_draft(*, actor, case_id, expected_version):
    """Delete a draft: it becomes DELETED and leaves every page and list.

    A soft delete: the audit log refers to the case (and to its patient) and keeps that it
    existed; the event names only its reference. The patient stays whatever other cases it has.
    A submitted case cannot be deleted (the lifecycle refuses); it can be withdrawn.
    """

    def apply(case, transition):
        return Applied(data={"reference": case.reference})

    return case_transition(actor=actor, case_id=case_id, action="delete_draft", apply=apply,
                           expected_version=expected_version)[0]
