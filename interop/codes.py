"""The code systems and identifier systems of the exchange (FHIR and calendar): one place for every
URL another system stores, so that they stay stable.

Our own codes live under settings.FHIR_BASE_URL (the same on every installation by default, so
that another installation of this application recognises them on import). Standard codes are used
only where checked in a published source, cited beside each one.
"""

from django.conf import settings

# SNOMED CT, the system URL FHIR R4 prescribes (https://hl7.org/fhir/R4/snomedct.html).
SNOMED = "http://snomed.info/sct"
# SNOMED CT 94225005 |Secondary malignant neoplasm of brain (disorder)|, as given in issue 13
# ("SNOMED CT 94225005, secondary malignant neoplasm of brain"); SNOMED International browser,
# https://browser.ihtsdotools.org/?perspective=full&conceptId1=94225005
SNOMED_BRAIN_METASTASES = "94225005"
# LOINC, the system URL FHIR R4 prescribes (https://hl7.org/fhir/R4/loinc.html).
LOINC = "http://loinc.org"
# LOINC 89243-0 "Karnofsky Performance Status score": HL7 mCODE STU3, profile
# https://hl7.org/fhir/us/mcode/STU3/StructureDefinition-mcode-karnofsky-performance-status.html
# ("Observation resources ... with Observation.code LOINC 89243-0").
LOINC_KPS = "89243-0"
# UCUM, the system URL FHIR R4 prescribes for units (https://hl7.org/fhir/R4/datatypes.html#Quantity);
# "mm" millimetre and "mg" milligram are UCUM codes (https://ucum.org/ucum, table of prefixes and units).
UCUM = "http://unitsofmeasure.org"
# The BSN naming system: the identifier:bsn slice of Nictiz's nl-base-Patient (zib2020, FHIR R4),
# https://github.com/Nictiz/Nictiz-R4-zib2020 fsh-input/zib/nl-base-Patient.fsh
# ("* identifier[bsn] ^patternIdentifier.system = "http://fhir.nl/fhir/NamingSystem/bsn""), which
# nl-core-Patient (below) derives from.
BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
# The Nictiz nl-core Patient profile (zib2020, FHIR R4): canonical URL as published in
# https://github.com/Nictiz/Nictiz-R4-zib2020 fsh-input/zib/nl-core-Patient.fsh (Id nl-core-Patient
# under http://nictiz.nl/fhir/StructureDefinition/). Only the Patient claims a profile: the other
# nl-core profiles ask for zib codes we do not hold.
NL_CORE_PATIENT = "http://nictiz.nl/fhir/StructureDefinition/nl-core-Patient"
# FHIR R4 data-absent-reason (https://hl7.org/fhir/R4/codesystem-data-absent-reason.html): "unknown".
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def base_url():
    return settings.FHIR_BASE_URL.rstrip("/")


def code_system(name):
    """Our code system `name`, e.g. https://…/fhir/CodeSystem/triage-outcome."""
    return f"{base_url()}/CodeSystem/{name}"


def patient_number_system(hospital_code):
    """The identifier system of one hospital's patient numbers."""
    return f"{base_url()}/NamingSystem/patient-number/{hospital_code}"


PATIENT_NUMBER_PREFIX = "/NamingSystem/patient-number/"

# Our code systems (names under base_url()/CodeSystem/).
OBSERVATION_TYPE = "observation-type"   # lesion, triage-advice, lesion-side, advice-in-force
PRIMARY_TUMOUR = "primary-tumour"       # referrals.models.PrimaryTumour values
LESION_REGION = "lesion-region"         # referrals.models.LesionRegion values
LESION_SIDE = "lesion-side"             # referrals.models.Side values
CRITICAL_SITE = "critical-site"         # referrals.models.CriticalSite values
TRIAGE_OUTCOME = "triage-outcome"       # triage outcome codes
ADVICE_SOURCE = "advice-source"         # referrals.models.AdviceSource values
MDT_DECISION = "mdt-decision"           # triage.codes.Decision values
DISCIPLINE = "discipline"               # triage.codes.Discipline values
FOLLOW_UP = "follow-up"                 # triage.codes.FollowUp values
MEDICATION = "medication"               # dexamethasone
INTAKE_ITEM = "intake-item"             # the intake's questions (referrals.models.Case field names)


def intake_answer_system(field_name):
    """The code system of the answers of one intake question with choices, e.g.
    https://…/fhir/CodeSystem/intake-extracranial-status (yes/no/unknown, stable/progressive, …)."""
    return code_system("intake-" + field_name.replace("_", "-"))
