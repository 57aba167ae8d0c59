"""A FHIR Bundle from a hospital's record (EPD) into the intake: parsed with fhir.resources (R4B),
mapped to the intake's answers, every value marked as imported until the referrer checks it.

`parse_bundle(text)` is pure: it returns the facts found (`Imported`) or raises `ImportRefused`
with messages that name what was wrong; nothing is stored. `import_bundle` (the service) stores
a new draft through referrals.services.case_import, in one transaction with its event.

What is read: Patient (patient number: an identifier of our patient-number system, of the
user's hospital first; otherwise the first identifier that is no BSN; the BSN by its Dutch
system; name, birth date, gender), Condition (the primary tumour: our code system, or any
Condition that is not the brain metastases, as "other" with its text; onset and note),
Observation (KPS by LOINC 89243-0; our lesion observations; the intake's other answers as our
intake-item observations, interop.fhir.answer_observations), MedicationStatement
(dexamethasone, by our code or by name; status and daily dose in mg).
"""

import dataclasses
import datetime
import json
from decimal import Decimal, InvalidOperation

import pydantic
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle

from interop import codes
from interop.fhir import intake_answer_fields
from referrals.models import (
    Answer,
    Case,
    CriticalSite,
    LesionMode,
    LesionRegion,
    Patient,
    PrimaryTumour,
    Sex,
    Side,
)
from referrals.services import case_import

MAX_BYTES = 2 * 1024 * 1024


class ImportRefused(Exception):
    def __init__(self, messages):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


class PatientDiffers(Exception):
    """The hospital already has this patient, with another name or BSN: the import may overwrite
    them only when the referrer confirms (the differing fields in `fields`)."""

    def __init__(self, patient, fields):
        super().__init__(", ".join(fields))
        self.patient = patient
        self.fields = fields


@dataclasses.dataclass
class Imported:
    patient: dict
    case: dict
    lesions: list
    steps: dict  # intake step key -> [field names]


def _codings(concept):
    return list(concept.coding or []) if concept is not None else []


def _has_code(concept, system, code=None):
    return any(c.system == system and (code is None or c.code == code) for c in _codings(concept))


def _our_code(concept, name):
    for coding in _codings(concept):
        if coding.system == codes.code_system(name):
            return coding.code
    return None


def _date(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _load(text):
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ImportRefused([_("The file is larger than 2 MB: that is no referral's Bundle.")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRefused([_("The file is not UTF-8 text: export the Bundle as FHIR JSON.")])
    text = (text or "").strip()
    if not text:
        raise ImportRefused([_("Upload a file or paste the Bundle.")])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused([_("This is not JSON (line %(line)s, column %(column)s: %(error)s). Export the "
                               "Bundle as FHIR JSON; XML is not read.") % {
            "line": exc.lineno, "column": exc.colno, "error": exc.msg}])
    if not isinstance(data, dict) or "resourceType" not in data:
        raise ImportRefused([_("This JSON is no FHIR resource: it has no resourceType.")])
    if data["resourceType"] != "Bundle":
        raise ImportRefused([_("This is a FHIR %(type)s, not a Bundle.") % {"type": str(data["resourceType"])[:40]}])
    try:
        return Bundle.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(part) for part in error.get("loc", ()))
            problems.append(_("Not valid FHIR R4 at %(where)s: %(error)s") % {"where": where or "Bundle",
                                                                            "error": error.get("msg", "")})
        raise ImportRefused(problems or [_("Not a valid FHIR R4 Bundle.")])
    except (ValueError, TypeError) as exc:
        raise ImportRefused([_("Not a valid FHIR R4 Bundle: %(error)s") % {"error": str(exc)[:200]}])


def _patient_number(patient, hospital_code):
    ours = [i for i in patient.identifier or [] if i.system and codes.PATIENT_NUMBER_PREFIX in i.system
            and i.system.startswith(codes.base_url())]
    own = [i for i in ours if i.system == codes.patient_number_system(hospital_code)]
    others = [i for i in patient.identifier or [] if i.system != codes.BSN_SYSTEM]
    for identifier in own or ours or others:
        if identifier.value:
            return identifier.value.strip()
    return ""


def _patient_values(patient, hospital_code, problems):
    values = {"patient_number": _patient_number(patient, hospital_code)}
    bsn = next((i.value for i in patient.identifier or [] if i.system == codes.BSN_SYSTEM and i.value), "")
    values["bsn"] = bsn.strip()
    name = next(iter(patient.name or []), None)
    values["family_name"] = (name.family or "").strip() if name else ""
    values["given_names"] = " ".join(name.given or []).strip() if name else ""
    values["date_of_birth"] = _date(patient.birthDate)
    values["sex"] = {"female": Sex.FEMALE, "male": Sex.MALE}.get(patient.gender or "", Sex.OTHER)
    for field, label in (("patient_number", _("a patient number (identifier)")),
                         ("family_name", _("a family name")), ("date_of_birth", _("a birth date"))):
        if not values[field]:
            problems.append(_("The Patient has no %(what)s.") % {"what": label})
    if not values["given_names"]:
        values["given_names"] = "-"
    return values


def _kps(observation, problems):
    if observation.valueInteger is not None:
        value = observation.valueInteger
    elif observation.valueQuantity is not None and observation.valueQuantity.value is not None:
        value = observation.valueQuantity.value
    else:
        return {"kps": None, "kps_unknown": True} if observation.dataAbsentReason is not None else {}
    try:
        value = int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        value = -1
    if value not in range(0, 101, 10):
        problems.append(_("The KPS observation has the value %(value)s: a KPS is 0-100 in steps of 10.")
                        % {"value": observation.valueInteger if observation.valueInteger is not None
                           else observation.valueQuantity.value})
        return {}
    return {"kps": value, "kps_unknown": False}


def _is_dexamethasone(statement):
    concept = statement.medicationCodeableConcept
    if concept is None:
        return False
    if _our_code(concept, codes.MEDICATION) == "dexamethasone":
        return True
    words = " ".join([concept.text or "", *[c.display or "" for c in _codings(concept)]]).lower()
    return "dexameth" in words


def _dexamethasone(statement, problems):
    answer = {"active": Answer.YES, "completed": Answer.NO, "stopped": Answer.NO,
              "not-taken": Answer.NO}.get(statement.status, Answer.UNKNOWN)
    values = {"dexamethasone": answer}
    for dosage in statement.dosage or []:
        for rate in dosage.doseAndRate or []:
            dose = rate.doseQuantity
            if dose is None or dose.value is None:
                continue
            if (dose.code or dose.unit or "").lower() != "mg":
                problems.append(_("The dexamethasone dose is in %(unit)s: give it in mg per day.")
                                % {"unit": dose.code or dose.unit or "?"})
                continue
            values["dexamethasone_mg"] = Decimal(str(dose.value))
    return values


def _lesion(observation, problems):
    region = _our_code(observation.bodySite, codes.LESION_REGION)
    side = None
    critical_site = ""
    for component in observation.component or []:
        if _our_code(component.code, codes.OBSERVATION_TYPE) == "lesion-side":
            side = _our_code(component.valueCodeableConcept, codes.LESION_SIDE)
        if _our_code(component.code, codes.OBSERVATION_TYPE) == "critical-location":
            critical_site = _our_code(component.valueCodeableConcept, codes.CRITICAL_SITE) or "other"
    quantity = observation.valueQuantity
    number = len(problems)
    if region not in LesionRegion.values:
        problems.append(_("A lesion has no location of our code system."))
    if side not in Side.values:
        problems.append(_("A lesion has no side (left, right, midline)."))
    if quantity is None or quantity.value is None or (quantity.code or quantity.unit) != "mm":
        problems.append(_("A lesion has no largest diameter in mm (UCUM mm)."))
    if critical_site and critical_site not in CriticalSite.values:
        critical_site = "other"
    if len(problems) > number:
        return None
    return {"region": region, "side": side, "diameter_mm": Decimal(str(quantity.value)),
            "critical": bool(critical_site), "critical_site": critical_site,
            "date": _date(observation.effectiveDateTime)}


def _answer(observation, name, problems):
    """The stored value of the intake question `name` from its intake-item Observation, or None
    (with the problem named) when the value is not one the question takes."""
    field = Case._meta.get_field(name)
    label = str(field.verbose_name)
    value = None
    if field.choices:
        code = next((c.code for c in _codings(observation.valueCodeableConcept)
                     if c.system == codes.intake_answer_system(name)), None)
        if code in {str(choice) for choice, _label in field.choices}:
            value = code
    elif isinstance(field, models.BooleanField):
        value = observation.valueBoolean
    elif isinstance(field, models.IntegerField):
        value = observation.valueInteger
    elif isinstance(field, models.DecimalField):
        quantity = observation.valueQuantity
        if quantity is not None and quantity.value is not None and (
                not name.endswith("_mm") or (quantity.code or quantity.unit) == "mm"):
            value = Decimal(str(quantity.value))
    elif isinstance(field, models.DateField):
        value = _date(observation.valueDateTime)
    else:
        value = observation.valueString
    if value is None:
        problems.append(_("The answer to “%(question)s” is missing or not one of its answers.") % {"question": label})
    return value


def parse_bundle(text, *, hospital_code=""):
    """The facts of the Bundle `text` (str or bytes) for the intake, or ImportRefused."""
    bundle = _load(text)
    resources = [entry.resource for entry in bundle.entry or [] if entry.resource is not None]
    if not resources:
        raise ImportRefused([_("The Bundle is empty.")])
    patients = [r for r in resources if r.get_resource_type() == "Patient"]
    if not patients:
        raise ImportRefused([_("The Bundle has no Patient.")])
    if len(patients) > 1:
        raise ImportRefused([_("The Bundle has %(n)s Patients: a referral is about one patient.") % {
            "n": len(patients)}])
    problems = []
    patient = _patient_values(patients[0], hospital_code, problems)
    case, steps, lesions = {}, {}, []
    answer_steps = {name: step for step, name in intake_answer_fields()}

    def mark(step, *names):
        steps.setdefault(step, [])
        steps[step].extend(name for name in names if name not in steps[step])

    mark("patient", *(name for name in ("patient_number", "family_name", "given_names", "date_of_birth", "sex",
                                       "bsn") if patient.get(name) not in ("", None, "-")))
    for resource in resources:
        kind = resource.get_resource_type()
        if kind == "Condition":
            if _has_code(resource.code, codes.SNOMED, codes.SNOMED_BRAIN_METASTASES):
                continue
            if "primary_tumour" in case:
                continue
            code = _our_code(resource.code, codes.PRIMARY_TUMOUR)
            text = (resource.code.text if resource.code else "") or next(
                (c.display for c in _codings(resource.code) if c.display), "")
            if code in PrimaryTumour.values:
                case["primary_tumour"] = code
                if code == PrimaryTumour.OTHER and text:
                    case["primary_tumour_other"] = text[:200]
            elif text:
                case["primary_tumour"], case["primary_tumour_other"] = PrimaryTumour.OTHER, text[:200]
            else:
                continue
            mark("oncology", *(name for name in ("primary_tumour", "primary_tumour_other") if name in case))
            onset = _date(resource.onsetDateTime)
            if onset:
                case["primary_diagnosis_date"] = onset
                mark("oncology", "primary_diagnosis_date")
            notes = [note.text for note in resource.note or [] if note.text]
            if notes:
                case["molecular_markers"] = "\n".join(notes)[:2000]
                mark("oncology", "molecular_markers")
        elif kind == "Observation":
            if _has_code(resource.code, codes.LOINC, codes.LOINC_KPS):
                values = _kps(resource, problems)
                case.update(values)
                mark("clinical", *values)
            elif _our_code(resource.code, codes.OBSERVATION_TYPE) == "lesion":
                lesion = _lesion(resource, problems)
                if lesion:
                    lesions.append(lesion)
            elif _our_code(resource.code, codes.INTAKE_ITEM) in answer_steps:
                name = _our_code(resource.code, codes.INTAKE_ITEM)
                value = _answer(resource, name, problems)
                if value is not None and name not in case:
                    case[name] = value
                    mark(answer_steps[name], name)
        elif kind == "MedicationStatement" and _is_dexamethasone(resource):
            values = _dexamethasone(resource, problems)
            case.update(values)
            mark("clinical", *values)
    if lesions:
        case["lesion_mode"] = LesionMode.LIST
        dates = [lesion["date"] for lesion in lesions if lesion["date"]]
        if dates:
            case["mri_date"] = max(dates)
        mark("imaging", "lesion_mode", *(["mri_date"] if dates else []), "lesions")
    if problems:
        raise ImportRefused(problems)
    if len(steps) == 1:
        raise ImportRefused([_("The Bundle holds a patient but nothing for the intake (no primary tumour, KPS, "
                               "dexamethasone or lesions).")])
    lesions = [{k: v for k, v in lesion.items() if k != "date"} for lesion in lesions]
    return Imported(patient=patient, case=case, lesions=lesions, steps=steps)


def patient_differences(imported, hospital):
    """The hospital's existing patient this import names (by patient number, or BSN), and the fields
    the import would change of it: ("", []) for a patient not known yet."""
    number = imported.patient["patient_number"]
    existing = Patient.objects.filter(hospital=hospital, patient_number__iexact=number).first()
    if existing is None and imported.patient["bsn"]:
        existing = Patient.objects.filter(hospital=hospital, bsn=imported.patient["bsn"]).first()
    if existing is None:
        return None, []
    fields = [name for name in ("family_name", "given_names", "bsn", "date_of_birth", "patient_number")
              if imported.patient.get(name) not in ("", None, "-")
              and str(getattr(existing, name)).strip().lower() != str(imported.patient[name]).strip().lower()]
    return existing, fields


def import_bundle(*, actor, text, confirm_patient=False):
    """The service: a new draft of the actor's hospital from the Bundle `text`. Raises ImportRefused
    (nothing stored), or PatientDiffers when the hospital's patient has another name or BSN and the
    referrer did not confirm. An import never blanks what the existing patient has (an empty BSN
    keeps theirs)."""
    hospital = actor.user.hospital
    imported = parse_bundle(text, hospital_code=hospital.code)
    with transaction.atomic():
        existing, fields = patient_differences(imported, hospital)
        if fields and not confirm_patient:
            raise PatientDiffers(existing, fields)
        patient_values = dict(imported.patient)
        if existing is not None:
            for name in ("bsn", "given_names"):
                if patient_values[name] in ("", "-"):
                    patient_values[name] = getattr(existing, name)
            if "date_of_birth" in fields or "patient_number" in fields:
                # Another number (found by BSN) or birth date: not the same patient for the intake either.
                raise ImportRefused([_("Your hospital has a patient with this BSN but another patient number or "
                                       "birth date. Check the Bundle.")])
            patient_values["patient_number"] = existing.patient_number
        try:
            return case_import(actor=actor, patient_values=patient_values, case_values=imported.case,
                               lesions=imported.lesions, imported_fields=imported.steps, source="fhir")
        except ValidationError as exc:
            messages = []
            for field, errors in getattr(exc, "message_dict", {"": exc.messages}).items():
                for message in errors:
                    messages.append(f"{field}: {message}" if field and field != "__all__" else message)
            raise ImportRefused(messages)
