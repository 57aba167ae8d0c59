"""The answer to each box's question: one function per decision box, named after its id.

Hold the guideline's flowcharts next to this file: each function's docstring starts with the
box's Dutch question. A function reads the facts through ``Context.read`` and returns an
``Answer``: yes (True), no (False), or None when a missing fact leaves the question open. The
walk in ``evaluate.py`` then tries both answers (spec §3, missing data).

The facts are first turned into *readings*: one yes/no per question-sized piece of the charts
("KPS passes", "prognosis over the threshold", "largest lesion over the threshold"). The walk
branches on readings, not on boxes, so that one missing fact is assumed once per path.
"""

import math
from typing import NamedTuple

from .facts import CRITICAL_LOCATION_SITES, Facts
from .thresholds import Thresholds, format_number
from .vocabulary import answer_word


class Reading(NamedTuple):
    value: bool | None  # None: the facts behind it are missing
    missing: tuple[str, ...]  # the missing facts that leave it open (or that it would read)
    note_nl: str
    note_en: str
    assumed: bool = False  # True when the walk supplied the value for a missing fact


class Answer(NamedTuple):
    value: bool | None
    unknown: tuple[str, ...]  # readings still open when value is None (the walk branches on [0])
    assumed: bool  # the answer rests on a value the walk assumed
    missing: tuple[str, ...]
    note_nl: str
    note_en: str
    footnote: str | None


# reading -> how to name it when it is missing: (nl, en)
READING_LABELS = {
    "treatment_wish": ("behandelwens", "wish for treatment"),
    "suspected_radionecrosis": ("verdenking radiatienecrose", "suspected radiation necrosis"),
    "symptomatic": ("symptomatisch of niet", "whether symptomatic"),
    "kps": ("KPS", "KPS"),
    "prognosis": ("prognose", "prognosis"),
    "critical_location": ("kritieke locatie", "critical location"),
    "diameter": ("diameter grootste hersenmetastase", "diameter of the largest metastasis"),
    "systemic_option": ("optie systeemtherapie", "systemic therapy option"),
    "rapid_kps_improvement": ("kans op snelle verbetering KPS", "chance of rapid KPS improvement"),
    "qol": ("verbetering kwaliteit van leven", "quality-of-life improvement"),
    "radiotherapy": ("of bestraling wordt overwogen", "whether radiotherapy is considered"),
}

_NO_NOTE = ("", "")


def _is_missing(value) -> bool:
    # NaN cannot be compared meaningfully; it can only come from code (the JSON parser refuses
    # it), and is treated like a missing value rather than silently answering "no".
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value, lang):
    return format_number(value, lang)


def _bool_reading(value, fact: str) -> Reading:
    if value is None:
        return Reading(None, (fact,), "", "")
    return Reading(bool(value), (), "", "")


# --- Readings: facts -> yes / no / missing -------------------------------------------------


def _read_treatment_wish(f: Facts, t: Thresholds) -> Reading:
    return _bool_reading(f.treatment_wish, "treatment_wish")


def _read_suspected_radionecrosis(f: Facts, t: Thresholds) -> Reading:
    return _bool_reading(f.suspected_radionecrosis, "suspected_radionecrosis")


def _read_symptomatic(f: Facts, t: Thresholds) -> Reading:
    reading = _bool_reading(f.symptomatic, "symptomatic")
    if f.recurrence:
        # Toelichting 1 of both charts: recurrence follows the same chart.
        return reading._replace(
            note_nl="recidief/nieuwe hersenmetastasen: zelfde stroomschema",
            note_en="recurrence/new brain metastases: same flowchart",
        )
    return reading


def _read_kps(f: Facts, t: Thresholds) -> Reading:
    kps = f.kps
    if _is_missing(kps):
        return Reading(None, ("kps",), "", "")
    passes = kps >= t.kps_min
    sign = "≥" if passes else "<"
    note = f"KPS {_num(kps, 'en')} {sign} {_num(t.kps_min, 'en')}"
    return Reading(passes, (), note, note)


def _read_prognosis(f: Facts, t: Thresholds) -> Reading:
    """Prognosis > t.prognosis_months, from ``prognosis_over_3_months`` or the number.

    The yes/no fact wins when both are given (spec §4) - but it says "> 3 months", so with a
    different threshold it answers only in the direction it implies: yes (> 3) settles
    "> T" when T <= 3, no (<= 3) settles it when T >= 3. Otherwise the number decides, and
    without a number the prognosis is missing. At the default T = 3 the yes/no always settles.
    """
    limit = t.prognosis_months
    months = f.expected_prognosis_months
    if _is_missing(months):
        months = None
    over_3 = f.prognosis_over_3_months
    by_number = None if months is None else months > limit

    by_bool = None
    if over_3 is not None:
        if over_3 and limit <= 3:
            by_bool = True
        elif not over_3 and limit >= 3:
            by_bool = False

    if by_bool is not None:
        answer = "yes" if over_3 else "no"
        yes_no_nl, yes_no_en = answer_word(answer, "nl"), answer_word(answer, "en")
        nl = f"prognose > 3 maanden: {yes_no_nl} (opgegeven)"
        en = f"prognosis > 3 months: {yes_no_en} (as given)"
        if limit != 3:
            nl += f", dus {'wel' if by_bool else 'niet'} > {_num(limit, 'nl')} maanden"
            en += f", so {'' if by_bool else 'not '}> {_num(limit, 'en')} months"
        if by_number is not None and by_number != by_bool:
            nl += (f"; het opgegeven aantal maanden ({_num(months, 'nl')}) wijkt af, de ja/nee-vraag "
                   "gaat voor")
            en += (f"; the number of months given ({_num(months, 'en')}) disagrees, the yes/no "
                   "answer takes precedence")
        return Reading(by_bool, (), nl, en)

    inconclusive_nl = inconclusive_en = ""
    if over_3 is not None:
        answer = "yes" if over_3 else "no"
        inconclusive_nl = (f"‘prognose > 3 maanden: {answer_word(answer, 'nl')}’ beantwoordt de "
                           f"vraag bij een drempel van {_num(limit, 'nl')} maanden niet")
        inconclusive_en = (f"‘prognosis > 3 months: {answer_word(answer, 'en')}’ does not answer "
                           f"the question at a threshold of {_num(limit, 'en')} months")

    if by_number is not None:
        sign = ">" if by_number else "≤"
        nl = _join(f"verwachte prognose {_num(months, 'nl')} maanden {sign} {_num(limit, 'nl')}",
                   inconclusive_nl)
        en = _join(f"expected prognosis {_num(months, 'en')} months {sign} {_num(limit, 'en')}",
                   inconclusive_en)
        return Reading(by_number, (), nl, en)

    missing = ("expected_prognosis_months",)
    if over_3 is None:
        missing += ("prognosis_over_3_months",)
    return Reading(None, missing, inconclusive_nl, inconclusive_en)


def _read_critical_location(f: Facts, t: Thresholds) -> Reading:
    reading = _bool_reading(f.critical_location, "critical_location")
    site = f.critical_location_site
    if site is not None:
        nl, en = CRITICAL_LOCATION_SITES.get(site, (str(site), str(site)))
        return reading._replace(note_nl=f"locatie: {nl}", note_en=f"location: {en}")
    return reading


def _read_diameter(f: Facts, t: Thresholds) -> Reading:
    """Largest lesion > t.diameter_mm, with the notes of Bijlage 1, toelichting 3."""
    size = f.max_lesion_diameter_mm
    if _is_missing(size):
        return Reading(None, ("max_lesion_diameter_mm",), "", "")
    low, high = t.diameter_mm, t.diameter_band_upper_mm
    nl_size, en_size = _num(size, "nl"), _num(size, "en")
    if size <= low:
        nl = (f"grootste hersenmetastase {nl_size} mm ≤ {_num(low, 'nl')} mm; ook bij een kleinere "
              "hersenmetastase kan tot lokale behandeling worden besloten (oedeem, aantal, eerdere "
              "behandeling, wens tot lokale controle)")
        en = (f"largest brain metastasis {en_size} mm ≤ {_num(low, 'en')} mm; local treatment may "
              "still be decided on for a smaller metastasis (oedema, number, earlier treatment, "
              "wish for local control)")
    elif size <= high:
        nl = (f"grootste hersenmetastase {nl_size} mm, binnen de band {_num(low, 'nl')}-"
              f"{_num(high, 'nl')} mm: de diameter is geen absolute waarde")
        en = (f"largest brain metastasis {en_size} mm, within the {_num(low, 'en')}-"
              f"{_num(high, 'en')} mm band: the diameter is not an absolute value")
    else:
        nl = (f"grootste hersenmetastase {nl_size} mm > {_num(high, 'nl')} mm: boven "
              f"{_num(high, 'nl')} mm afname lokale controle door SRS en toename kans op "
              "radiatienecrose")
        en = (f"largest brain metastasis {en_size} mm > {_num(high, 'en')} mm: above "
              f"{_num(high, 'en')} mm local control by SRS decreases and the risk of radiation "
              "necrosis increases")
    return Reading(size > low, (), nl, en)


def _read_systemic_option(f: Facts, t: Thresholds) -> Reading:
    value = f.systemic_option_high_cerebral_response
    if value is None:
        return Reading(None, ("systemic_option_high_cerebral_response",), "", "")
    if value == "yes":
        return Reading(True, (), "", "")
    if value == "unknown":
        # Spec §3: only a HIGH chance counts; an option whose chance is unknown answers no.
        return Reading(False, (), "cerebrale responskans onbekend: telt als nee (geen hoge "
                       "responskans)", "chance of cerebral response unknown: counts as no (not a "
                       "high chance)")
    if value == "no":
        return Reading(False, (), "", "")
    return Reading(False, (), f"onbekende waarde {value!r}: telt als nee",
                   f"unrecognised value {value!r}: counts as no")


def _read_rapid_kps_improvement(f: Facts, t: Thresholds) -> Reading:
    return _bool_reading(f.rapid_kps_improvement_expected, "rapid_kps_improvement_expected")


def _read_qol(f: Facts, t: Thresholds) -> Reading:
    return _bool_reading(f.local_treatment_could_improve_qol, "local_treatment_could_improve_qol")


def _read_radiotherapy(f: Facts, t: Thresholds) -> Reading:
    return _bool_reading(f.radiotherapy_considered, "radiotherapy_considered")


READERS = {
    "treatment_wish": _read_treatment_wish,
    "suspected_radionecrosis": _read_suspected_radionecrosis,
    "symptomatic": _read_symptomatic,
    "kps": _read_kps,
    "prognosis": _read_prognosis,
    "critical_location": _read_critical_location,
    "diameter": _read_diameter,
    "systemic_option": _read_systemic_option,
    "rapid_kps_improvement": _read_rapid_kps_improvement,
    "qol": _read_qol,
    "radiotherapy": _read_radiotherapy,
}


class Context:
    """The facts of one evaluation, their readings (computed once), and the values the walk
    currently assumes for missing readings."""

    __slots__ = ("_readings", "assumed", "facts", "thresholds")

    def __init__(self, facts: Facts, thresholds: Thresholds):
        self.facts = facts
        self.thresholds = thresholds
        self.assumed: dict[str, bool] = {}
        self._readings: dict[str, Reading] = {}

    def raw(self, name: str) -> Reading:
        reading = self._readings.get(name)
        if reading is None:
            reading = self._readings[name] = READERS[name](self.facts, self.thresholds)
        return reading

    def read(self, name: str) -> Reading:
        reading = self._readings.get(name) or self.raw(name)
        if reading.value is None and name in self.assumed:
            # The notes of an assumed value stay empty: the trace explains the missing fact.
            return Reading(self.assumed[name], reading.missing, reading.note_nl, reading.note_en,
                           True)
        return reading


def _join(*parts: str) -> str:
    return "; ".join([part for part in parts if part])


def _answer(reading: Reading, name: str, footnote: str | None, extra=_NO_NOTE) -> Answer:
    """The answer of a box that asks exactly one reading."""
    if extra is _NO_NOTE:
        return Answer(reading.value, (name,) if reading.value is None else (), reading.assumed,
                      reading.missing, reading.note_nl, reading.note_en, footnote)
    return Answer(
        reading.value,
        (name,) if reading.value is None else (),
        reading.assumed,
        reading.missing,
        _join(reading.note_nl, extra[0]),
        _join(reading.note_en, extra[1]),
        footnote,
    )


# --- Pre-chart gates (spec §3, steps 1-3) --------------------------------------------------


def P_TREATMENT_WISH(ctx: Context) -> Answer:
    """Heeft de patiënt een behandelwens?

    Bijlage 2, toelichting 2: "Altijd geldt dat de patiënt een behandelwens moet hebben." Asked
    first for both charts, and before the legal rule: the law does not require discussing a
    patient who declines treatment.
    """
    return _answer(ctx.read("treatment_wish"), "treatment_wish", "S2_WISH")


def P_RADIONECROSIS(ctx: Context) -> Answer:
    """Verdenking radiatienecrose na stereotactische radiotherapie?

    Bijlage 2, toelichting 2: these patients are discussed but do not follow the flowchart.
    """
    return _answer(ctx.read("suspected_radionecrosis"), "suspected_radionecrosis", "S2_RADIONECROSIS")


def P_SYMPTOMATIC(ctx: Context) -> Answer:
    """Symptomatische hersenmetastasen (neurologische uitval, epilepsie)? ja: Bijlage 2, nee:
    Bijlage 1."""
    reading = ctx.read("symptomatic")
    answer = _answer(reading, "symptomatic", None)
    if ctx.facts.recurrence and reading.value is not None and not reading.assumed:
        return answer._replace(footnote="S1" if reading.value else "A1")
    return answer


# --- Bijlage 1: asymptomatic brain metastases ----------------------------------------------


def A1(ctx: Context) -> Answer:
    """KPS ≥ 70 en prognose > 3 maanden?

    An AND: a known "no" on either side answers no even when the other side is missing. The
    "no" arrow ends in restrained policy, with the box's Nb: reconsider when the KPS recovers.
    """
    kps, prognosis = ctx.read("kps"), ctx.read("prognosis")
    notes_nl = [kps.note_nl, prognosis.note_nl]
    notes_en = [kps.note_en, prognosis.note_en]
    if kps.value is False or prognosis.value is False:
        value = False
        # Known when a side that really is "no" (not an assumed "no") settles it.
        assumed = not any(r.value is False and not r.assumed for r in (kps, prognosis))
        if not assumed:
            for name, reading in (("kps", kps), ("prognosis", prognosis)):
                if reading.value is None:
                    nl, en = READING_LABELS[name]
                    notes_nl.append(f"{nl} ontbreekt, maar verandert het antwoord niet")
                    notes_en.append(f"{en} is missing, but does not change the answer")
            t = ctx.thresholds
            notes_nl.append(f"Nb: opnieuw overwegen in te brengen als de KPS door tussentijdse "
                            f"behandeling weer ≥ {_num(t.kps_min, 'nl')} wordt")
            notes_en.append(f"NB: consider bringing the patient again if interim treatment brings "
                            f"the KPS back to ≥ {_num(t.kps_min, 'en')}")
        unknown = ()
    elif kps.value and prognosis.value:
        value, unknown, assumed = True, (), kps.assumed or prognosis.assumed
    else:
        value, assumed = None, False
        unknown = tuple(name for name, r in (("kps", kps), ("prognosis", prognosis))
                        if r.value is None)
    return Answer(value, unknown, assumed, kps.missing + prognosis.missing,
                  _join(*notes_nl), _join(*notes_en), "A_NB" if value is False else None)


def A2(ctx: Context) -> Answer:
    """Kritieke locatie? (2)"""
    return _answer(ctx.read("critical_location"), "critical_location", "A2")


def A3(ctx: Context) -> Answer:
    """Hersenmetastasen > 10-20 mm? (3) - we ask "> 10 mm" (spec §1): in triage a missed
    candidate for local therapy costs more than one extra discussion. The reading adds the
    10-20 mm band notes of toelichting 3."""
    return _answer(ctx.read("diameter"), "diameter", "A3")


def A4(ctx: Context) -> Answer:
    """Optie switch systeemtherapie met hoge cerebrale responskans?

    ja: MDO neuro-oncologie niet noodzakelijk, wel orgaanspecifiek MDO (4); nee: MDO
    neuro-oncologie (5). A chance graded "unknown" is not a high chance: no.
    """
    reading = ctx.read("systemic_option")
    footnote = None if reading.value is None else ("A4" if reading.value else "A5")
    return _answer(reading, "systemic_option", footnote)


# --- Bijlage 2: symptomatic brain metastases -----------------------------------------------


def S1(ctx: Context) -> Answer:
    """KPS ≥ 70 (met dexamethason)?"""
    f = ctx.facts
    dose = f.dexamethasone_mg_per_day
    dose_nl = dose_en = ""
    if not _is_missing(dose):
        dose_nl, dose_en = f" {_num(dose, 'nl')} mg/dag", f" {_num(dose, 'en')} mg/day"
    if f.on_dexamethasone:
        extra = (f"met dexamethason{dose_nl}", f"on dexamethasone{dose_en}")
    elif f.on_dexamethasone is False:
        extra = ("zonder dexamethason", "without dexamethasone")
    elif dose_nl:
        extra = (f"dexamethason{dose_nl}", f"dexamethasone{dose_en}")
    else:
        extra = _NO_NOTE
    return _answer(ctx.read("kps"), "kps", None, extra)


def S2(ctx: Context) -> Answer:
    """Prognose > 3 maanden?"""
    return _answer(ctx.read("prognosis"), "prognosis", None)


def S3(ctx: Context) -> Answer:
    """Kans op snelle verbetering KPS door behandeling? (3) Bijvoorbeeld: resectie, doelgerichte
    therapie met snelle responskans.

    ja leads to the prognosis question: toelichting 3 says local treatment is then still only
    worthwhile with a prognosis > 3 months.
    """
    reading = ctx.read("rapid_kps_improvement")
    extra = _NO_NOTE
    if reading.value and not reading.assumed:
        limit = ctx.thresholds.prognosis_months
        extra = ((f"ook dan is lokale behandeling pas zinvol bij een prognose > {_num(limit, 'nl')} "
                  "maanden: verder naar de prognosevraag"),
                 (f"even then local treatment is only worthwhile with a prognosis > "
                  f"{_num(limit, 'en')} months: on to the prognosis question"))
    return _answer(reading, "rapid_kps_improvement", "S3", extra)


def S4(ctx: Context) -> Answer:
    """Enkel op MDO neuro-oncologie indien eventuele lokale behandeling duidelijke verbetering
    QoL zou kunnen opleveren (4). ja: MDO neuro-oncologie; nee: niet op MDO neuro-oncologie in
    verband met ontbreken zinvolle behandelopties."""
    return _answer(ctx.read("qol"), "qol", "S4")


# --- Paragraph 1: Regeling bijzondere neurochirurgie (spec §3, step 5) ---------------------


def L1_RADIOTHERAPY_LEGAL(ctx: Context) -> Answer:
    """Wordt (stereotactische) radiotherapie overwogen?

    Asked only after an endpoint outside the neuro-oncology MDT. Since 1-7-2025 every patient
    referred for stereotactic radiotherapy must have been discussed in an MDT with neurosurgeon,
    radiation oncologist, neurologist and neuroradiologist: yes overrides the chart.
    """
    reading = ctx.read("radiotherapy")
    if reading.value is None or reading.assumed:
        extra = _NO_NOTE
    elif reading.value:
        extra = (("bestraling wordt overwogen: wettelijk verplicht bespreken in het "
                  "neuro-oncologisch MDO"),
                 ("radiotherapy is being considered: discussion in the neuro-oncology MDT is "
                  "required by law"))
    else:
        extra = ("geen bestraling overwogen: het advies van het stroomschema blijft staan",
                 "no radiotherapy considered: the flowchart's advice stands")
    return _answer(reading, "radiotherapy", "LEGAL", extra)


RULES = {
    "P_TREATMENT_WISH": P_TREATMENT_WISH,
    "P_RADIONECROSIS": P_RADIONECROSIS,
    "P_SYMPTOMATIC": P_SYMPTOMATIC,
    "A1": A1,
    "A2": A2,
    "A3": A3,
    "A4": A4,
    "S1": S1,
    "S2": S2,
    "S3": S3,
    "S4": S4,
    "L1_RADIOTHERAPY_LEGAL": L1_RADIOTHERAPY_LEGAL,
}
