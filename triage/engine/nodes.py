"""The boxes of the flowcharts (Bijlage 1 and 2) and the arrows between them, as data.

Decision boxes ask a yes/no question; terminal boxes are where an arrow ends and name an
outcome. The answers to the questions are computed in ``rules.py`` (one function per box, named
after the box's id). The order is spec §3: the gates P_TREATMENT_WISH, P_RADIONECROSIS and
P_SYMPTOMATIC, then chart A or S, then L1_RADIOTHERAPY_LEGAL after the three endpoints that would
keep the patient out of the neuro-oncology MDT.
"""

from dataclasses import dataclass
from functools import lru_cache

from .thresholds import DEFAULT_THRESHOLDS, Thresholds, format_number

L1 = "L1_RADIOTHERAPY_LEGAL"


@dataclass(frozen=True, slots=True)
class DecisionNode:
    id: str
    chart: str | None  # "A", "S", or None for the gates and the legal rule
    text_nl: str  # the question; {kps_min}, {prognosis}, {diameter} are the thresholds
    text_en: str
    facts: tuple[str, ...]  # the facts the question reads
    footnote: str | None
    yes: str | None  # the box the "ja" arrow points to
    no: str | None  # None only for L1: "no" keeps the chart's endpoint
    kind: str = "decision"

    def question(self, lang: str = "nl", thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
        return _question(self.id, lang, thresholds)

    @property
    def question_nl(self) -> str:
        return self.question("nl")

    @property
    def question_en(self) -> str:
        return self.question("en")


@dataclass(frozen=True, slots=True)
class TerminalBox:
    id: str
    chart: str | None
    outcome: str  # a key of OUTCOMES
    footnote: str | None
    then: str | None = None  # L1 for the endpoints the legal rule looks at
    kind: str = "terminal"
    # Why the walk ends here, in a few words, for a trace that names each branch's reason.
    reason_nl: str = ""
    reason_en: str = ""

    def reason(self, lang: str = "nl") -> str:
        return self.reason_nl if lang == "nl" else self.reason_en


def _decision(id, chart, text_nl, text_en, facts, footnote, yes, no):
    return DecisionNode(id, chart, text_nl, text_en, tuple(facts), footnote, yes, no)


_PROGNOSIS_FACTS = ("expected_prognosis_months", "prognosis_over_3_months")

_DECISIONS = (
    # Pre-chart gates (spec §3, steps 1-3).
    _decision(
        "P_TREATMENT_WISH", None,
        "Heeft de patiënt een behandelwens?",
        "Does the patient wish to be treated?",
        ["treatment_wish"], "S2_WISH", "P_RADIONECROSIS", "P_TREATMENT_WISH_NO",
    ),
    _decision(
        "P_RADIONECROSIS", None,
        "Verdenking radiatienecrose na stereotactische radiotherapie?",
        "Suspected radiation necrosis after stereotactic radiotherapy?",
        ["suspected_radionecrosis"], "S2_RADIONECROSIS", "P_RADIONECROSIS_YES", "P_SYMPTOMATIC",
    ),
    _decision(
        "P_SYMPTOMATIC", None,
        "Symptomatische hersenmetastasen (neurologische uitval, epilepsie)?",
        "Symptomatic brain metastases (neurological deficit, epilepsy)?",
        ["symptomatic"], None, "S1", "A1",
    ),
    # Bijlage 1: asymptomatic brain metastases.
    _decision(
        "A1", "A",
        "KPS ≥ {kps_min} en prognose > {prognosis} maanden?",
        "KPS ≥ {kps_min} and prognosis > {prognosis} months?",
        ["kps", *_PROGNOSIS_FACTS], None, "A2", "A1_NO",
    ),
    _decision(
        "A2", "A",
        "Kritieke locatie?",
        "Critical location?",
        ["critical_location"], "A2", "A2_YES", "A3",
    ),
    _decision(
        "A3", "A",
        "Grootste hersenmetastase > {diameter} mm?",
        "Largest brain metastasis > {diameter} mm?",
        ["max_lesion_diameter_mm"], "A3", "A3_YES", "A4",
    ),
    _decision(
        "A4", "A",
        "Optie start of switch systeemtherapie met hoge cerebrale responskans?",
        "Option to start or switch systemic therapy with a high chance of cerebral response?",
        ["systemic_option_high_cerebral_response"], None, "A4_YES", "A4_NO",
    ),
    # Bijlage 2: symptomatic brain metastases.
    _decision(
        "S1", "S",
        "KPS ≥ {kps_min} (met dexamethason)?",
        "KPS ≥ {kps_min} (on dexamethasone, if used)?",
        ["kps"], None, "S2", "S3",
    ),
    _decision(
        "S2", "S",
        "Prognose > {prognosis} maanden?",
        "Prognosis > {prognosis} months?",
        _PROGNOSIS_FACTS, None, "S2_YES", "S4",
    ),
    _decision(
        "S3", "S",
        "Kans op snelle verbetering KPS door behandeling? (bijvoorbeeld resectie, doelgerichte "
        "therapie met snelle responskans)",
        "Chance of rapid KPS improvement by treatment? (for example resection, targeted therapy "
        "with a rapid response)",
        ["rapid_kps_improvement_expected"], "S3", "S2", "S4",
    ),
    _decision(
        "S4", "S",
        "Kan eventuele lokale behandeling duidelijke verbetering van de kwaliteit van leven "
        "opleveren?",
        "Could local treatment clearly improve quality of life?",
        ["local_treatment_could_improve_qol"], "S4", "S4_YES", "S4_NO",
    ),
    # Paragraph 1 of the guideline: the Regeling bijzondere neurochirurgie (spec §3, step 5).
    _decision(
        L1, None,
        "Wordt (stereotactische) radiotherapie overwogen?",
        "Is (stereotactic) radiotherapy being considered?",
        ["radiotherapy_considered"], "LEGAL", "L1_YES", None,
    ),
)

_TERMINALS = (
    TerminalBox("P_TREATMENT_WISH_NO", None, "NO_MDO_NO_TREATMENT_WISH", "S2_WISH",
                reason_nl="geen behandelwens", reason_en="no wish for treatment"),
    TerminalBox("P_RADIONECROSIS_YES", None, "NEURO_ONC_MDO_RADIONECROSIS", "S2_RADIONECROSIS",
                reason_nl="verdenking radiatienecrose", reason_en="suspected radiation necrosis"),
    TerminalBox("A1_NO", "A", "RESTRAINED_POLICY_NO_MDO", "A_NB", then=L1,
                reason_nl="KPS of prognose te laag: terughoudend beleid",
                reason_en="KPS or prognosis too low: restrained policy"),
    TerminalBox("A2_YES", "A", "NEURO_ONC_MDO", None,
                reason_nl="kritieke locatie", reason_en="critical location"),
    TerminalBox("A3_YES", "A", "NEURO_ONC_MDO", None,
                reason_nl="grootste hersenmetastase boven de diametergrens",
                reason_en="largest brain metastasis above the diameter limit"),
    TerminalBox("A4_YES", "A", "ORGAN_SPECIFIC_MDO", "A4", then=L1,
                reason_nl="systeemtherapie met hoge cerebrale responskans: orgaanspecifiek MDO",
                reason_en="systemic therapy with a high chance of cerebral response: tumour-type MDO"),
    TerminalBox("A4_NO", "A", "NEURO_ONC_MDO", "A5",
                reason_nl="geen systeemtherapie met hoge cerebrale responskans",
                reason_en="no systemic therapy with a high chance of cerebral response"),
    TerminalBox("S2_YES", "S", "NEURO_ONC_MDO", None,
                reason_nl="KPS en prognose volstaan", reason_en="KPS and prognosis suffice"),
    TerminalBox("S4_YES", "S", "NEURO_ONC_MDO_QOL", "S4",
                reason_nl="lokale behandeling kan de kwaliteit van leven verbeteren",
                reason_en="local treatment could improve quality of life"),
    TerminalBox("S4_NO", "S", "NO_MDO_NO_MEANINGFUL_OPTIONS", "S4", then=L1,
                reason_nl="geen zinvolle behandelopties", reason_en="no meaningful treatment options"),
    TerminalBox("L1_YES", None, "NEURO_ONC_MDO_LEGAL", "LEGAL",
                reason_nl="radiotherapie wordt overwogen, wettelijk verplicht",
                reason_en="radiotherapy considered, required by law"),
)

NODES: dict[str, DecisionNode | TerminalBox] = {
    node.id: node for node in (*_DECISIONS, *_TERMINALS)
}

# The boxes of each chart, decision boxes first, each group in reading order.
CHARTS = {
    chart: tuple(
        [n.id for n in _DECISIONS if n.chart == chart] + [n.id for n in _TERMINALS if n.chart == chart]
    )
    for chart in ("A", "S")
}
# Boxes drawn before (gates) and after (legal rule) either chart.
GATES = ("P_TREATMENT_WISH", "P_TREATMENT_WISH_NO", "P_RADIONECROSIS", "P_RADIONECROSIS_YES",
         "P_SYMPTOMATIC")
LEGAL_RULE = (L1, "L1_YES")

FIRST_NODE = "P_TREATMENT_WISH"


def _question(node_id: str, lang: str, thresholds: Thresholds) -> str:
    nl, en = questions(thresholds)[node_id]
    return nl if lang == "nl" else en


@lru_cache(maxsize=64)
def questions(thresholds: Thresholds) -> dict[str, tuple[str, str]]:
    """Every decision box's question (nl, en) with these thresholds filled in."""
    return {
        node.id: tuple(
            (node.text_nl if lang == "nl" else node.text_en).format(
                kps_min=format_number(thresholds.kps_min, lang),
                prognosis=format_number(thresholds.prognosis_months, lang),
                diameter=format_number(thresholds.diameter_mm, lang),
            )
            for lang in ("nl", "en")
        )
        for node in _DECISIONS
    }
