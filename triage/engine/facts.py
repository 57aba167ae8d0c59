"""The facts the engine sees (spec §4): one frozen record, every field optional.

A fact is *missing* when it is ``None``. Nothing else is read by the engine: the web intake and
the command line both reduce a case to these seventeen values.
"""

from dataclasses import dataclass

# Spec §4, in the order of the table. FACT_NAMES is checked against the dataclass below.
FACT_NAMES = (
    "treatment_wish",
    "suspected_radionecrosis",
    "symptomatic",
    "kps",
    "on_dexamethasone",
    "dexamethasone_mg_per_day",
    "expected_prognosis_months",
    "prognosis_over_3_months",
    "critical_location",
    "critical_location_site",
    "max_lesion_diameter_mm",
    "lesion_count",
    "systemic_option_high_cerebral_response",
    "rapid_kps_improvement_expected",
    "local_treatment_could_improve_qol",
    "radiotherapy_considered",
    "recurrence",
)


@dataclass(frozen=True, slots=True)
class Facts:
    treatment_wish: bool | None = None
    suspected_radionecrosis: bool | None = None
    symptomatic: bool | None = None
    kps: int | None = None
    on_dexamethasone: bool | None = None
    dexamethasone_mg_per_day: float | None = None
    expected_prognosis_months: float | None = None
    prognosis_over_3_months: bool | None = None
    critical_location: bool | None = None
    critical_location_site: str | None = None
    max_lesion_diameter_mm: float | None = None
    lesion_count: int | None = None
    systemic_option_high_cerebral_response: str | None = None
    rapid_kps_improvement_expected: bool | None = None
    local_treatment_could_improve_qol: bool | None = None
    radiotherapy_considered: bool | None = None
    recurrence: bool | None = None


# Critical locations of Bijlage 1, toelichting 2 (an open list, hence "other").
CRITICAL_LOCATION_SITES = {
    "brainstem": ("hersenstam", "brainstem"),
    "cerebellopontine_angle": ("brughoek", "cerebellopontine angle"),
    "optic_chiasm_nerve": ("dicht bij chiasma of n. opticus", "near the optic chiasm or optic nerve"),
    "language_motor_cortex": (
        "nabij taalcentrum of motore cortex",
        "near the language area or motor cortex",
    ),
    "ventricular_system": (
        ("nabij ventrikelsysteem (m.n. derde of vierde ventrikel) met risico op "
         "afvloedbelemmering van liquor"),
        "near the ventricular system (3rd or 4th ventricle) with risk of CSF obstruction",
    ),
    "other": ("andere kritieke locatie", "other critical location"),
}

# Chance of cerebral response of the systemic option (paragraph 3: "hoog-laag-onbekend").
# "yes" = an option with a HIGH chance; "no" = no option or a low chance; "unknown" = an option
# whose chance is graded unknown, which answers A4 with no (spec §3).
SYSTEMIC_OPTION_VALUES = {
    "yes": ("ja, met hoge cerebrale responskans", "yes, with a high chance of cerebral response"),
    "no": ("nee (geen optie of lage responskans)", "no (no option or a low chance)"),
    "unknown": ("optie met onbekende responskans", "option with an unknown chance of response"),
}

# name -> (label_nl, label_en, why_nl, why_en): the UI explains a missing fact with these.
FACT_LABELS = {
    "treatment_wish": (
        "Behandelwens van de patiënt",
        "Patient's wish for treatment",
        "Zonder behandelwens wordt de patiënt niet in het MDO besproken (Bijlage 2, toelichting 2).",
        "Without a wish for treatment the patient is not discussed (Appendix 2, note 2).",
    ),
    "suspected_radionecrosis": (
        "Verdenking radiatienecrose na stereotactische radiotherapie",
        "Suspected radiation necrosis after stereotactic radiotherapy",
        ("Bij verdenking radiatienecrose wordt de patiënt buiten het stroomschema om besproken "
         "(Bijlage 2, toelichting 2)."),
        "Suspected radiation necrosis is discussed outside the flowchart (Appendix 2, note 2).",
    ),
    "symptomatic": (
        "Symptomatisch (neurologische uitval, epilepsie)",
        "Symptomatic (neurological deficit, epilepsy)",
        "Bepaalt welk stroomschema geldt: asymptomatisch (Bijlage 1) of symptomatisch (Bijlage 2).",
        "Decides which flowchart applies: asymptomatic (Appendix 1) or symptomatic (Appendix 2).",
    ),
    "kps": (
        "KPS (Karnofsky Performance Status)",
        "KPS (Karnofsky Performance Status)",
        "De KPS is de eerste vraag van beide stroomschema's.",
        "The KPS is the first question of both flowcharts.",
    ),
    "on_dexamethasone": (
        "Dexamethason",
        "Dexamethasone",
        "De KPS telt met dexamethason, als de patiënt dat gebruikt; informatie voor het MDO.",
        "The KPS counts on dexamethasone, if used; information for the meeting.",
    ),
    "dexamethasone_mg_per_day": (
        "Dexamethason, huidige dosis (mg/dag)",
        "Dexamethasone, current dose (mg/day)",
        "Informatie voor het MDO (paragraaf 3).",
        "Information for the meeting (section 3).",
    ),
    "expected_prognosis_months": (
        "Verwachte prognose (maanden)",
        "Expected prognosis (months)",
        ("De prognose o.b.v. de extracraniële ziekte bepaalt of lokale behandeling zinvol is "
         "(beide stroomschema's)."),
        ("The prognosis from the extracranial disease decides whether local treatment is "
         "worthwhile (both flowcharts)."),
    ),
    "prognosis_over_3_months": (
        "Prognose > 3 maanden",
        "Prognosis > 3 months",
        "Kan in plaats van het aantal maanden worden ingevuld en gaat daar dan voor.",
        "Can be given instead of the number of months and then takes precedence.",
    ),
    "critical_location": (
        "Kritieke locatie",
        "Critical location",
        ("Een kritieke locatie is reden voor bespreking in het neuro-oncologisch MDO "
         "(Bijlage 1, toelichting 2)."),
        "A critical location is a reason for the neuro-oncology MDT (Appendix 1, note 2).",
    ),
    "critical_location_site": (
        "Welke kritieke locatie",
        "Which critical location",
        "Informatie voor het MDO.",
        "Information for the meeting.",
    ),
    "max_lesion_diameter_mm": (
        "Diameter grootste hersenmetastase (mm)",
        "Diameter of the largest brain metastasis (mm)",
        "Een grotere hersenmetastase is reden voor bespreking (Bijlage 1, toelichting 3).",
        "A larger brain metastasis is a reason for discussion (Appendix 1, note 3).",
    ),
    "lesion_count": (
        "Aantal hersenmetastasen",
        "Number of brain metastases",
        "Informatie voor het MDO; bij veel hersenmetastasen is tellen niet zinvol.",
        "Information for the meeting; with many metastases counting is pointless.",
    ),
    "systemic_option_high_cerebral_response": (
        "Optie systeemtherapie met hoge cerebrale responskans",
        "Option of systemic therapy with a high chance of cerebral response",
        ("Met zo'n optie volstaat bij asymptomatische hersenmetastasen het orgaanspecifiek MDO "
         "(Bijlage 1, toelichting 4 en 5)."),
        ("With such an option the tumour-type MDT suffices for asymptomatic metastases "
         "(Appendix 1, notes 4 and 5)."),
    ),
    "rapid_kps_improvement_expected": (
        "Kans op snelle verbetering KPS door behandeling",
        "Chance of rapid KPS improvement by treatment",
        ("Bij een lage KPS kan snelle verbetering bespreking toch zinvol maken "
         "(Bijlage 2, toelichting 3)."),
        ("With a low KPS, expected rapid improvement can still make discussion worthwhile "
         "(Appendix 2, note 3)."),
    ),
    "local_treatment_could_improve_qol": (
        "Lokale behandeling kan kwaliteit van leven duidelijk verbeteren",
        "Local treatment could clearly improve quality of life",
        ("Bij een slechte prognose alleen bespreken als lokale behandeling de kwaliteit van leven "
         "duidelijk kan verbeteren (Bijlage 2, toelichting 4)."),
        ("With a poor prognosis, discuss only if local treatment could clearly improve quality "
         "of life (Appendix 2, note 4)."),
    ),
    "radiotherapy_considered": (
        "(Stereotactische) radiotherapie wordt overwogen",
        "(Stereotactic) radiotherapy is being considered",
        ("Dan is bespreking in het neuro-oncologisch MDO wettelijk verplicht (Regeling bijzondere "
         "neurochirurgie, per 1-7-2025)."),
        ("Then discussion in the neuro-oncology MDT is required by law (Regeling bijzondere "
         "neurochirurgie, from 1 July 2025)."),
    ),
    "recurrence": (
        "Recidief / nieuwe hersenmetastasen",
        "Recurrence / new brain metastases",
        "Informatie; nieuwe patiënten en recidieven volgen hetzelfde stroomschema (toelichting 1).",
        "Information; new patients and recurrences follow the same flowchart (note 1).",
    ),
}
