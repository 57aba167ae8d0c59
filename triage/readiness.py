"""Is the information the meeting needs complete? (spec §5)

A case can be submitted with facts answered "unknown"; the advice then says what is missing. It
cannot be placed on a meeting agenda until the information the meeting needs is complete: every
fact the flowchart consulted is known, and so are the items the guideline lists as necessary for
the discussion (section 3). This is the application's reading of "complete"; pure Python.
"""

from triage.engine import FACT_LABELS
from triage.facts import open_meeting_items

# Items of guideline section 3 that the meeting needs known, beyond the facts of the flowchart:
# code -> (label_nl, label_en)
MEETING_ITEMS = {
    "kps": ("KPS", "KPS"),
    "prognosis": ("Verwachte prognose", "Expected prognosis"),
    "extracranial_status": ("Extracraniële ziektestatus (stabiel of progressief)",
                            "Extracranial disease (stable or progressive)"),
    "systemic_option": ("Mogelijkheid van systeemtherapie", "Option of systemic therapy"),
    "cerebral_response": ("Inschatting cerebrale responskans", "Expected chance of cerebral response"),
    "symptoms": ("Neurologische uitval en epilepsie", "Neurological deficit and epilepsy"),
    "critical_location": ("Kritieke locatie", "Critical location"),
    "lesion_sizes": ("Locatie en omvang van de hersenmetastasen", "Location and size of the brain metastases"),
    "treatment_wish": ("Wens van de patiënt", "The patient's wish"),
    "radiotherapy_considered": ("Of bestraling wordt overwogen", "Whether radiotherapy is considered"),
}

# Facts of the engine that correspond to one of the items above (reported once, as the item).
_FACT_TO_ITEM = {
    "kps": "kps",
    "expected_prognosis_months": "prognosis",
    "prognosis_over_3_months": "prognosis",
    "symptomatic": "symptoms",
    "critical_location": "critical_location",
    "max_lesion_diameter_mm": "lesion_sizes",
    "systemic_option_high_cerebral_response": "systemic_option",
    "treatment_wish": "treatment_wish",
    "radiotherapy_considered": "radiotherapy_considered",
}


def meeting_gaps(case, lesions, missing_facts=()):
    """Codes of what the meeting still needs, in a stable order.

    `case` and `lesions` are read through triage.facts (the one mapping of a case),
    `missing_facts` is the `missing` of the triage result.
    Codes are keys of MEETING_ITEMS, or fact names of the engine.
    """
    gaps = []

    def add(code):
        if code not in gaps:
            gaps.append(code)

    for fact in missing_facts:
        add(_FACT_TO_ITEM.get(fact, fact))
    for code in open_meeting_items(case, lesions):
        add(code)
    return gaps


def gap_label(code, lang="nl"):
    if code in MEETING_ITEMS:
        label_nl, label_en = MEETING_ITEMS[code]
    elif code in FACT_LABELS:
        label_nl, label_en = FACT_LABELS[code][:2]
    else:
        label_nl = label_en = code
    return label_en if lang == "en" else label_nl
