"""POST data for each intake step, as the browser sends it."""

import datetime

from django.utils import timezone

PATIENT = {
    "patient_number": "Z123456",
    "family_name": "Bakker",
    "given_names": "J.M.",
    "date_of_birth": "1958-04-12",
    "sex": "female",
    "bsn": "",
}

STEP_DATA = {
    "patient": {**PATIENT, "presenter_role": "treating", "presenter_name": "",
                "systemic_activity_discussed": "yes"},
    "oncology": {
        "primary_tumour": "nsclc", "primary_tumour_other": "", "primary_diagnosis_date": "2024-02-01",
        "molecular_markers": "Adenocarcinoom", "driver_mutation": "yes",
        "driver_mutation_detail": "EGFR exon 19", "prior_treatment_lines": "osimertinib",
        "prior_brain_metastases": "no", "prior_bm_treatment": "", "prior_bm_effect": "",
        "prior_radiation_fields": "",
    },
    "history": {"comorbidity_relevant": "no", "comorbidity": "", "anticoagulation": "yes",
                "anticoagulation_detail": "apixaban 5 mg 2dd"},
    "extracranial": {"extracranial_status": "stable", "systemic_option": "no", "systemic_line": "",
                     "cerebral_response": "", "prognosis_months": "12"},
    "clinical": {"kps": "80", "dexamethasone": "yes", "dexamethasone_mg": "4",
                 "neuro_deficit": "no", "neuro_deficit_detail": "", "epilepsy": "no",
                 "rapid_kps_improvement": "", "qol_improvement": ""},
    "questions": {"radiotherapy_considered": "yes", "suspected_radionecrosis": "no",
                  "recurrence": "no", "treatment_wish": "yes", "patient_wish": "Wil behandeling",
                  "question_to_mdo": "Indicatie SRT?"},
}


def mri_date():
    return (timezone.localdate() - datetime.timedelta(days=7)).isoformat()


def lesion_rows(rows, initial=0):
    """Formset data for lesion rows: dicts with region, side, diameter_mm, critical, critical_site
    and optionally id."""
    data = {
        "lesions-TOTAL_FORMS": str(len(rows)),
        "lesions-INITIAL_FORMS": str(initial),
        "lesions-MIN_NUM_FORMS": "0",
        "lesions-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if key == "critical":
                if value:
                    data[f"lesions-{index}-critical"] = "on"
                continue
            data[f"lesions-{index}-{key}"] = "" if value is None else str(value)
    return data


def imaging_data(rows=None, initial=0, **fields):
    if rows is None:
        rows = [{"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False,
                 "critical_site": ""}]
    data = {"mri_date": mri_date(), "lesion_mode": "list", "largest_diameter_mm": "",
            "critical_location": "", "critical_location_site": "", **lesion_rows(rows, initial)}
    data.update(fields)
    return data
