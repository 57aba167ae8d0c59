"""A case and its advice as a FHIR R4 Bundle (type collection), built with fhir.resources (R4B models).

Pure mapping: `case_bundle` takes the objects (case with its patient, lesions, the meeting's advice
and attendance) and returns the Bundle; it reads nothing from the database itself. `bundle_json`
serialises it. What may leave: the BSN only with `with_bsn` (interop.access decides who is
entitled), everything else the case page shows.

Resources: Patient (nl-core-Patient), Condition (brain metastases, SNOMED CT; the primary tumour),
Observation (KPS, LOINC; each lesion with its largest diameter in UCUM mm; the triage advice and
the advice in force; every other answer of the intake, one Observation each with our code system
intake-item, so that another installation's intake is pre-filled with the same facts),
MedicationStatement (dexamethasone), CarePlan (the meeting's advice, its
decisions as activities) and CareTeam (who attended the meeting).
"""

import datetime
import uuid

from django.db import models
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from interop import codes
from referrals.intake import STEPS
from referrals.models import (
    AdviceSource,
    Answer,
    Case,
    CriticalSite,
    LesionMode,
    LesionRegion,
    PrimaryTumour,
    Sex,
    Side,
)
from triage.codes import Decision, Discipline, FollowUp

# A namespace for the ids of the resources of one export: the same case gives the same ids.
_NAMESPACE = uuid.UUID("6f1c3e52-8a0d-4a4e-9c7e-0b7e3f1d2a90")


def _urn(*parts):
    return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "/".join(str(part) for part in parts)))


def _coding(system_name, code, display=None):
    coding = {"system": codes.code_system(system_name), "code": str(code)}
    if display:
        coding["display"] = str(display)
    return coding


def _concept(system_name, code, display=None, text=None):
    concept = {"coding": [_coding(system_name, code, display)]}
    if text or display:
        concept["text"] = str(text or display)
    return concept


def _label(choices, value):
    return str(dict(choices).get(value, value))


def _number(value):
    """A Decimal as a JSON number: an int when whole (14 rather than 14.0)."""
    return int(value) if value == int(value) else float(value)


def _instant(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) \
            else value.isoformat(timespec="seconds")
    return value.isoformat()


# Answers with a resource of their own (Condition, the KPS Observation, MedicationStatement): not
# repeated as intake-item Observations.
OWN_RESOURCE = frozenset({"primary_tumour", "primary_tumour_other", "primary_diagnosis_date", "molecular_markers",
                          "kps", "kps_unknown", "dexamethasone", "dexamethasone_mg"})


def intake_answer_fields():
    """(step key, Case field) of every intake question carried as an intake-item Observation, in
    the intake's order."""
    return [(step.key, name) for step in STEPS if step.stores_answers
            for name in step.fields if name not in OWN_RESOURCE]


def _answer_value(field, value):
    """The Observation.value[x] of one stored answer, or None when there is no answer."""
    if value in (None, "") or (isinstance(field, models.BooleanField) and value is False):
        return None
    if field.choices:
        return {"valueCodeableConcept": {
            "coding": [{"system": codes.intake_answer_system(field.name), "code": str(value),
                        "display": _label(field.choices, value)}],
            "text": _label(field.choices, value)}}
    if isinstance(field, models.BooleanField):
        return {"valueBoolean": True}
    if isinstance(field, models.IntegerField):
        return {"valueInteger": int(value)}
    if isinstance(field, models.DecimalField):
        quantity = {"value": _number(value)}
        if field.name.endswith("_mm"):
            quantity.update(unit="mm", system=codes.UCUM, code="mm")
        return {"valueQuantity": quantity}
    if isinstance(field, models.DateField):
        return {"valueDateTime": value.isoformat()}
    return {"valueString": str(value)}


def answer_observations(case, patient_ref, focus_ref):
    """(fullUrl, Observation) for each answered intake question without a resource of its own."""
    out = []
    for _step, name in intake_answer_fields():
        field = Case._meta.get_field(name)
        value = _answer_value(field, getattr(case, name))
        if value is None:
            continue
        out.append((_urn("case", case.pk, "answer", name), {
            "resourceType": "Observation",
            "status": "final",
            "code": _concept(codes.INTAKE_ITEM, name, str(field.verbose_name)),
            "subject": patient_ref,
            "focus": [{"reference": focus_ref}],
            **value,
        }))
    return out


def patient_resource(patient, *, with_bsn):
    identifiers = [{"use": "usual", "system": codes.patient_number_system(patient.hospital.code),
                    "value": patient.patient_number}]
    if with_bsn and patient.bsn:
        identifiers.append({"use": "official", "system": codes.BSN_SYSTEM, "value": patient.bsn})
    gender = {Sex.FEMALE: "female", Sex.MALE: "male"}.get(patient.sex, "unknown")
    return {
        "resourceType": "Patient",
        "meta": {"profile": [codes.NL_CORE_PATIENT]},
        "identifier": identifiers,
        "name": [{"family": patient.family_name, "given": patient.given_names.split() or None,
                  "text": f"{patient.given_names} {patient.family_name}".strip()}],
        "gender": gender,
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {"display": patient.hospital.name},
    }


def case_bundle(case, *, lesions, meeting_advice=None, attendances=(), with_bsn=False):
    """The Bundle (a fhir.resources R4B model) of `case`. `lesions`: its Lesion rows;
    `meeting_advice`: the newest MeetingAdvice of the case (its item and meeting loaded), or None;
    `attendances`: that meeting's Attendance rows."""
    patient = case.patient
    patient_ref = {"reference": _urn("patient", patient.pk)}
    entries = [(patient_ref["reference"], patient_resource(patient, with_bsn=with_bsn))]
    brain_ref = _urn("case", case.pk, "brain-metastases")
    entries.append((brain_ref, {
        "resourceType": "Condition",
        "identifier": [{"system": codes.base_url() + "/NamingSystem/case", "value": case.reference}],
        "code": {"coding": [{"system": codes.SNOMED, "code": codes.SNOMED_BRAIN_METASTASES,
                             "display": "Secondary malignant neoplasm of brain"}],
                 "text": "Secondary malignant neoplasm of brain"},
        "subject": patient_ref,
        "recordedDate": _instant(case.submitted_at or case.created_at),
    }))
    if case.primary_tumour:
        text = case.primary_tumour_other if case.primary_tumour == PrimaryTumour.OTHER and \
            case.primary_tumour_other else _label(PrimaryTumour.choices, case.primary_tumour)
        primary = {
            "resourceType": "Condition",
            "code": _concept(codes.PRIMARY_TUMOUR, case.primary_tumour,
                             _label(PrimaryTumour.choices, case.primary_tumour), text),
            "subject": patient_ref,
        }
        if case.primary_diagnosis_date:
            primary["onsetDateTime"] = case.primary_diagnosis_date.isoformat()
        if case.molecular_markers:
            primary["note"] = [{"text": case.molecular_markers}]
        entries.append((_urn("case", case.pk, "primary-tumour"), primary))

    dexamethasone = None
    if case.dexamethasone == Answer.YES:
        dexamethasone = "dexamethasone: yes" + (
            f", {_number(case.dexamethasone_mg)} mg/day" if case.dexamethasone_mg is not None else "")
    elif case.dexamethasone:
        dexamethasone = f"dexamethasone: {case.dexamethasone}"
    if case.kps is not None or case.kps_unknown:
        kps = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": codes.LOINC, "code": codes.LOINC_KPS,
                                 "display": "Karnofsky Performance Status score"}]},
            "subject": patient_ref,
        }
        if case.kps is not None:
            kps["valueInteger"] = case.kps
        else:
            kps["dataAbsentReason"] = {"coding": [{"system": codes.DATA_ABSENT_REASON, "code": "unknown"}]}
        if dexamethasone:
            kps["note"] = [{"text": dexamethasone}]
        entries.append((_urn("case", case.pk, "kps"), kps))
    if case.dexamethasone:
        statement = {
            "resourceType": "MedicationStatement",
            "status": {Answer.YES: "active", Answer.NO: "not-taken"}.get(case.dexamethasone, "unknown"),
            "medicationCodeableConcept": _concept(codes.MEDICATION, "dexamethasone", "dexamethasone"),
            "subject": patient_ref,
        }
        if case.dexamethasone == Answer.YES and case.dexamethasone_mg is not None:
            statement["dosage"] = [{
                "text": f"{_number(case.dexamethasone_mg)} mg/day",
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": _number(case.dexamethasone_mg), "unit": "mg",
                                                  "system": codes.UCUM, "code": "mg"}}],
            }]
        entries.append((_urn("case", case.pk, "dexamethasone"), statement))

    if case.lesion_mode == LesionMode.LIST:
        for lesion in lesions:
            region = _label(LesionRegion.choices, lesion.region)
            side = _label(Side.choices, lesion.side)
            observation = {
                "resourceType": "Observation",
                "status": "final",
                "code": _concept(codes.OBSERVATION_TYPE, "lesion", "Brain metastasis (lesion)"),
                "subject": patient_ref,
                "focus": [{"reference": brain_ref}],
                "bodySite": _concept(codes.LESION_REGION, lesion.region, region, f"{region}, {side}"),
                "valueQuantity": {"value": _number(lesion.diameter_mm), "unit": "mm",
                                  "system": codes.UCUM, "code": "mm"},
                "component": [{"code": _concept(codes.OBSERVATION_TYPE, "lesion-side", "Side"),
                               "valueCodeableConcept": _concept(codes.LESION_SIDE, lesion.side, side)}],
            }
            if case.mri_date:
                observation["effectiveDateTime"] = case.mri_date.isoformat()
            if lesion.critical:
                observation["component"].append({
                    "code": _concept(codes.OBSERVATION_TYPE, "critical-location", "Critical location"),
                    "valueCodeableConcept": _concept(codes.CRITICAL_SITE, lesion.critical_site or "other",
                                                     _label(CriticalSite.choices, lesion.critical_site or "other")),
                })
            entries.append((_urn("lesion", lesion.pk), observation))

    triage = case.current_advice
    if triage is not None or case.outcome_in_force:
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": _concept(codes.OBSERVATION_TYPE, "triage-advice", "Advice of the triage"),
            "subject": patient_ref,
            "focus": [{"reference": brain_ref}],
            "component": [],
        }
        if triage is not None:
            observation["valueCodeableConcept"] = _concept(codes.TRIAGE_OUTCOME, triage.outcome, triage.outcome)
            observation["effectiveDateTime"] = _instant(triage.created_at)
        if case.outcome_in_force:
            component = {"code": _concept(codes.OBSERVATION_TYPE, "advice-in-force", "Advice in force"),
                         "valueCodeableConcept": _concept(codes.TRIAGE_OUTCOME, case.outcome_in_force,
                                                          case.outcome_in_force)}
            observation["component"].append(component)
        if case.advice_source:
            observation["component"].append({
                "code": _concept(codes.OBSERVATION_TYPE, "advice-source", "Advice from"),
                "valueCodeableConcept": _concept(codes.ADVICE_SOURCE, case.advice_source,
                                                 _label(AdviceSource.choices, case.advice_source)),
            })
        if not observation["component"]:
            del observation["component"]
        entries.append((_urn("case", case.pk, "triage"), observation))

    entries.extend(answer_observations(case, patient_ref, brain_ref))

    if meeting_advice is not None:
        meeting = meeting_advice.item.meeting
        team_ref = _urn("meeting", meeting.pk, "care-team")
        entries.append((team_ref, {
            "resourceType": "CareTeam",
            "status": "active",
            "name": str(meeting),
            "subject": patient_ref,
            "participant": [{
                "role": [_concept(codes.DISCIPLINE, attendance.discipline,
                                  _label(Discipline.choices, attendance.discipline))],
                "member": {"display": attendance.display_name},
            } for attendance in attendances] or None,
        }))
        notes = [f"Follow-up: {_label(FollowUp.choices, meeting_advice.follow_up)}"
                 + (f" ({meeting_advice.follow_up_text})" if meeting_advice.follow_up_text else ""),
                 f"Carried out by: {meeting_advice.carried_out_by}",
                 f"First point of contact for the patient: {meeting_advice.first_contact}"]
        if meeting_advice.plan_agreed:
            notes.append(f"Agreed with the patient: {meeting_advice.plan_agreed}")
        implemented = {row.decision: row for row in meeting_advice.implementations.all()}
        entries.append((_urn("meeting-advice", meeting_advice.pk), {
            "resourceType": "CarePlan",
            "status": "active",
            "intent": "proposal",
            "title": str(meeting),
            "description": meeting_advice.text or None,
            "subject": patient_ref,
            "created": _instant(meeting_advice.recorded_at),
            "careTeam": [{"reference": team_ref}],
            "addresses": [{"reference": brain_ref}],
            "activity": [_activity(decision, implemented.get(decision)) for decision in meeting_advice.decisions]
            or None,
            "note": [{"text": note} for note in notes],
        }))

    return Bundle.model_validate({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": [{"fullUrl": url, "resource": _clean(resource)} for url, resource in entries],
    })


# CarePlan.activity.detail.status (FHIR R4, value set care-plan-activity-status,
# http://hl7.org/fhir/R4/valueset-care-plan-activity-status.html): the implementation recorded
# after the meeting (followup.Implementation), "not-started" while none is.
ACTIVITY_STATUS = {"done": "completed", "not_done": "cancelled"}


def _activity(decision, implementation):
    detail = {"code": _concept(codes.MDT_DECISION, decision, _label(Decision.choices, decision)),
              "status": "not-started", "description": _label(Decision.choices, decision)}
    if implementation is not None:
        detail["status"] = ACTIVITY_STATUS[implementation.status]
        if implementation.reason:
            text = implementation.get_reason_display()
            detail["statusReason"] = {"text": f"{text}: {implementation.reason_text}" if implementation.reason_text
                                      else str(text)}
    return {"detail": detail}


def _clean(value):
    """Leave out empty values (None, [], ""): FHIR allows no empty elements."""
    if isinstance(value, dict):
        cleaned = {key: _clean(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, [], "", {})}
    if isinstance(value, list):
        return [item for item in (_clean(item) for item in value) if item not in (None, [], "", {})]
    return value


def bundle_json(bundle):
    """The Bundle as FHIR JSON text."""
    return bundle.model_dump_json(exclude_none=True, indent=2)
