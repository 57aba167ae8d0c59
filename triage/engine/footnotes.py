"""The guideline's own words, quoted by every advice.

FOOTNOTES: key -> (source_nl, text_nl, text_en). ``text_nl`` is quoted verbatim from the LWNO
leidraad (text extracted from the PDF; only the hard line breaks of the extraction were undone,
list items keep one line each). ``text_en`` is our translation. Keys: ``A<n>`` / ``S<n>`` are the
numbered notes of Bijlage 1 (asymptomatic) and Bijlage 2 (symptomatic); ``A_NB`` and ``A_NB_RT``
are the two NB boxes of the asymptomatic chart; ``LEGAL`` is paragraph 1 on the Regeling
bijzondere neurochirurgie; ``PRECONSULT`` is paragraph 1 on pre-consultation.
"""

FOOTNOTES = {
    "A1": (
        "Bijlage 1, toelichting 1",
        ("Het voorliggend flowchart betreft het neuro-oncologische MDO. Het gaat om zowel nieuwe "
         "patiënten als patiënten met progressie/recidief."),
        ("This flowchart concerns the neuro-oncology MDT. It covers both new patients and "
         "patients with progression/recurrence."),
    ),
    "A2": (
        "Bijlage 1, toelichting 2",
        ("De vraag rond ‘kritieke locatie’ kan specifiek aan de neuroloog worden voorgelegd, "
         "voorafgaand aan inbreng in het neuro-oncologisch MDO.\n"
         "Kritieke locaties:\n"
         "o.a.\n"
         "Hersenstam\n"
         "Brughoek\n"
         "Dicht bij chiasma of n. opticus\n"
         "Nabij taalcentrum of motore cortex\n"
         "Nabij ventrikelsysteem (m.n. derde of vierde ventrikel) met risico op afvloedbelemmering "
         "van liquor"),
        ("The question of a ‘critical location’ can be put to the neurologist specifically, "
         "before the patient is brought to the neuro-oncology MDT.\n"
         "Critical locations:\n"
         "among others\n"
         "Brainstem\n"
         "Cerebellopontine angle\n"
         "Close to the optic chiasm or optic nerve\n"
         "Near the language area or motor cortex\n"
         "Near the ventricular system (especially the third or fourth ventricle) with a risk of "
         "obstructing the outflow of cerebrospinal fluid"),
    ),
    "A3": (
        "Bijlage 1, toelichting 3",
        ("Diameter van de HM: > 10-20 mm. De diameter van de hersenmetastase is niet een absolute "
         "waarde. Afhankelijk van hoeveelheid oedeem, aantal hersenmetastasen, eerdere behandeling "
         "en wens tot lokale controle voor start systeemtherapie, kan bij een kleinere "
         "hersenmetastase tot lokale behandeling worden besloten. Boven een diameter van 20 mm is "
         "er afname van lokale controle door SRS en toename van de kans op radiatienecrose. "
         "Rechtstreekse verwijzing voor stereotactische radiotherapie is per 1-7-2025 wettelijk "
         "niet meer toegestaan (zie pagina 1)"),
        ("Diameter of the brain metastasis: > 10-20 mm. The diameter of the brain metastasis is "
         "not an absolute value. Depending on the amount of oedema, the number of brain "
         "metastases, earlier treatment and the wish for local control before starting systemic "
         "therapy, local treatment may be decided on for a smaller brain metastasis. Above a "
         "diameter of 20 mm local control by SRS decreases and the risk of radiation necrosis "
         "increases. Since 1 July 2025, direct referral for stereotactic radiotherapy is no longer "
         "permitted by law (see page 1)"),
    ),
    "A4": (
        "Bijlage 1, toelichting 4",
        ("In het orgaan specifiek MDO (longkanker, borstkanker, melanoom, etc.) worden "
         "asymptomatische patiënten met hersenmetastasen besproken wanneer duidelijk is dat geen "
         "lokale behandeling voor hersenmetastasen nodig is."),
        ("In the tumour-type MDT (lung cancer, breast cancer, melanoma, etc.) asymptomatic "
         "patients with brain metastases are discussed when it is clear that no local treatment "
         "of the brain metastases is needed."),
    ),
    "A5": (
        "Bijlage 1, toelichting 5",
        ("In geval van (multipele) kleine hersenmetastasen, zonder systemische behandelopties, "
         "maar met vraag over lokale behandeling, is bespreking in het neuro-oncologisch MDO "
         "nodig. Zie ook opmerking bij punt 3."),
        ("In case of (multiple) small brain metastases, without systemic treatment options but "
         "with a question about local treatment, discussion in the neuro-oncology MDT is needed. "
         "See also the remark at point 3."),
    ),
    # The threshold symbol was lost in the PDF extraction ("weer      wordt"); the bracketed
    # "[≥ 70]" is our reading of it (spec §1), not the guideline's text.
    "A_NB": (
        "Bijlage 1, stroomschema, Nb bij ‘Terughoudend beleid’",
        ("Nb: Indien de KPS door tussentijdse behandeling weer [≥ 70] wordt, dan opnieuw "
         "overwegen in te brengen in MDO volgens verdere stroomschema"),
        ("NB: If interim treatment brings the KPS back to [≥ 70], consider again bringing the "
         "patient to the MDT according to the rest of the flowchart"),
    ),
    "A_NB_RT": (
        "Bijlage 1, stroomschema, NB",
        ("NB. Alle patienten die voor bestraling in aanmerking komen moeten besproken zijn in het "
         "neuro-oncologisch MDO in aanwezigheid van een neurochirurg, een radiotherapeut-oncoloog, "
         "een neuroloog, een neuroradioloog, en eventueel een (neuro) internist oncoloog."),
        ("NB. All patients who are candidates for radiotherapy must have been discussed in the "
         "neuro-oncology MDT in the presence of a neurosurgeon, a radiation oncologist, a "
         "neurologist, a neuroradiologist, and possibly a (neuro) medical oncologist."),
    ),
    "S1": (
        "Bijlage 2, toelichting 1",
        ("Het voorliggend flowchart betreft het neuro-oncologische MDO. Het betreft zowel nieuwe "
         "patiënten als patiënten met een recidief/ nieuwe hersenmetastasen."),
        ("This flowchart concerns the neuro-oncology MDT. It covers both new patients and "
         "patients with a recurrence/new brain metastases."),
    ),
    "S2": (
        "Bijlage 2, toelichting 2",
        ("Symptomatische patiënten worden in principe door de neuroloog beoordeeld, maar het MDO "
         "mag hierdoor geen vertraging oplopen. Symptomatische patiënten worden in het "
         "neuro-oncologisch MDO besproken, tenzij de prognose zeer somber is. Altijd geldt dat de "
         "patiënt een behandelwens moet hebben. In de overweging patiënt te bespreken moet worden "
         "meegenomen dat de kwaliteit van leven door lokale behandeling zou kunnen verbeteren. De "
         "hoofdbehandelaar bepaalt, bij voorkeur in vooroverleg met de neuroloog, of de patiënt in "
         "het neuro-oncologisch MDO moet worden besproken. Voor patiënten met een recidief "
         "hersenmetastase of nieuwe hersenmetastasen geldt hetzelfde. Cave symptomen tgv mogelijk "
         "radiatienecrose na stereotactische radiotherapie. Deze patiënten worden ook op het MDO "
         "besproken, maar volgen niet dit stroomschema."),
        ("Symptomatic patients are in principle assessed by the neurologist, but this must not "
         "delay the MDT. Symptomatic patients are discussed in the neuro-oncology MDT unless the "
         "prognosis is very poor. The patient must always have a wish for treatment. Whether to "
         "discuss a patient must take into account that local treatment might improve the quality "
         "of life. The primary treating physician decides, preferably after pre-consultation with "
         "the neurologist, whether the patient is to be discussed in the neuro-oncology MDT. The "
         "same applies to patients with a recurrent brain metastasis or new brain metastases. "
         "Beware of symptoms due to possible radiation necrosis after stereotactic radiotherapy. "
         "These patients are also discussed in the MDT, but do not follow this flowchart."),
    ),
    # The two sentences of toelichting 2 that the gates before the charts rest on, quoted alone so
    # the trace does not repeat the whole note at each gate.
    "S2_WISH": (
        "Bijlage 2, toelichting 2",
        "Altijd geldt dat de patiënt een behandelwens moet hebben.",
        "The patient must always have a wish for treatment.",
    ),
    "S2_RADIONECROSIS": (
        "Bijlage 2, toelichting 2",
        ("Cave symptomen tgv mogelijk radiatienecrose na stereotactische radiotherapie. Deze "
         "patiënten worden ook op het MDO besproken, maar volgen niet dit stroomschema."),
        ("Beware of symptoms due to possible radiation necrosis after stereotactic radiotherapy. "
         "These patients are also discussed in the MDT, but do not follow this flowchart."),
    ),
    "S3": (
        "Bijlage 2, toelichting 3",
        ("Een lage KPS is soms toe te schrijven aan neurologische klachten die veroorzaakt worden "
         "door lokale druk of massawerking, waarvan verbetering is te verwachten door een resectie "
         "(bijvoorbeeld een HM in het cerebellum/fossa posterior) of door snelle respons op "
         "doelgerichte behandeling. Ook in deze situaties is lokale behandeling over het algemeen "
         "pas zinvol als de prognose o.b.v. de extracerebrale ziekte > 3 maanden is."),
        ("A low KPS can sometimes be attributed to neurological complaints caused by local "
         "pressure or mass effect, which can be expected to improve with a resection (for example "
         "a brain metastasis in the cerebellum/posterior fossa) or with a rapid response to "
         "targeted treatment. In these situations too, local treatment is generally only "
         "worthwhile when the prognosis based on the extracerebral disease is > 3 months."),
    ),
    "S4": (
        "Bijlage 2, toelichting 4",
        ("Patiënten met een slechte prognose hebben over het algemeen geen baat bij lokale "
         "behandeling van de hersenmetastasen. Symptomatische behandeling (dexamethason, "
         "anti-epileptica) in kader van best supportive care is dan aangewezen. In sommige "
         "situaties kan een lokale behandeling de kwaliteit van leven gunstig beïnvloeden. Voor "
         "het inschatten hiervan kan een patiënt op het neuro-oncologisch MDO worden besproken."),
        ("Patients with a poor prognosis generally do not benefit from local treatment of the "
         "brain metastases. Symptomatic treatment (dexamethasone, anti-epileptic drugs) as best "
         "supportive care is then indicated. In some situations local treatment can improve the "
         "quality of life. To assess this, a patient can be discussed in the neuro-oncology MDT."),
    ),
    "LEGAL": (
        "Leidraad, paragraaf 1 (Regeling bijzondere neurochirurgie, BWBR0051029)",
        ("Per 1-7-2025 is een nieuwe wettekst van de Regeling bijzondere neurochirurgie (wetten.nl "
         "- Regeling - Regeling bijzondere neurochirurgie - BWBR0051029) van kracht, waarin wordt "
         "gesteld dat “alle patiënten met hersenmetastasen die voor stereotactische radiotherapie "
         "worden verwezen, besproken moeten zijn in een MDO waarin alle relevante specialismen "
         "zijn vertegenwoordigd, namelijk een neurochirurg, een radiotherapeut-oncoloog, een "
         "neuroloog, een neuroradioloog en eventueel een (neuro) internist-oncoloog”. "
         "Rechtstreekse verwijzing van een hoofdbehandelaar naar de radiotherapie is daarmee niet "
         "meer toegestaan."),
        ("From 1 July 2025 a new text of the Regeling bijzondere neurochirurgie (Special "
         "Neurosurgery Regulation, BWBR0051029) is in force, which states that “all patients with "
         "brain metastases who are referred for stereotactic radiotherapy must have been discussed "
         "in an MDT in which all relevant specialties are represented, namely a neurosurgeon, a "
         "radiation oncologist, a neurologist, a neuroradiologist and possibly a (neuro) medical "
         "oncologist”. Direct referral by the primary treating physician to radiotherapy is "
         "therefore no longer permitted."),
    ),
    "PRECONSULT": (
        "Leidraad, paragraaf 1",
        ("Behandelplannen worden echter op individuele basis gemaakt, en veel patiënten zijn niet "
         "in stroomdiagrammen te plaatsen. Daarom zal in veel gevallen vooroverleg met de "
         "neuro-oncoloog nodig zijn."),
        ("Treatment plans are, however, made on an individual basis, and many patients do not fit "
         "into flowcharts. Pre-consultation with the neuro-oncologist will therefore be needed in "
         "many cases."),
    ),
}

_SOURCES_EN = {
    "A1": "Appendix 1, note 1",
    "A2": "Appendix 1, note 2",
    "A3": "Appendix 1, note 3",
    "A4": "Appendix 1, note 4",
    "A5": "Appendix 1, note 5",
    "A_NB": "Appendix 1, flowchart, NB at ‘Restrained policy’",
    "A_NB_RT": "Appendix 1, flowchart, NB",
    "S1": "Appendix 2, note 1",
    "S2": "Appendix 2, note 2",
    "S2_WISH": "Appendix 2, note 2",
    "S2_RADIONECROSIS": "Appendix 2, note 2",
    "S3": "Appendix 2, note 3",
    "S4": "Appendix 2, note 4",
    "LEGAL": "Guideline, section 1 (Regeling bijzondere neurochirurgie, BWBR0051029)",
    "PRECONSULT": "Guideline, section 1",
}

# Short references for a trace note: "(Bijlage 1, toelichting 3) ..."
_REFS = {
    key: (source.split(" (")[0], _SOURCES_EN[key].split(" (")[0])
    for key, (source, _nl, _en) in FOOTNOTES.items()
}


def footnote_source(key: str, lang: str = "nl") -> str:
    """The full source of a footnote in the language: "Bijlage 1, toelichting 3"."""
    return FOOTNOTES[key][0] if lang == "nl" else _SOURCES_EN[key]


def footnote_ref(key: str, lang: str = "nl") -> str:
    """A short reference for running text, e.g. "Bijlage 1, toelichting 3"."""
    nl, en = _REFS.get(key, (key, key))  # a stored advice may cite a key we no longer have
    return nl if lang == "nl" else en


def footnote_text(key: str, lang: str = "nl") -> str:
    return FOOTNOTES[key][1] if lang == "nl" else FOOTNOTES[key][2]
