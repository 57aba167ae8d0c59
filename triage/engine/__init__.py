"""The triage engine: which patients with brain metastases go to the neuro-oncology MDO.

Pure Python, no Django: a function from facts (spec §4) to an outcome with the reasoning that led
to it (spec §2-§3), following the LWNO leidraad's flowcharts (Bijlage 1 and 2).

    >>> from triage.engine import Facts, evaluate
    >>> evaluate(Facts(treatment_wish=False)).outcome
    'NO_MDO_NO_TREATMENT_WISH'

Module map, in the order of the guideline: ``facts`` (what we know), ``thresholds`` (spec §1),
``outcomes`` (spec §2), ``nodes`` (the boxes and arrows), ``rules`` (one function per box),
``evaluate`` (the walk, missing data, the trace), ``jsonio`` (spec §4 JSON), ``footnotes`` (the
guideline quoted), ``vocabulary`` (the answers in Dutch and English).
"""

from .evaluate import Result, TraceStep, evaluate
from .facts import (
    CRITICAL_LOCATION_SITES,
    FACT_LABELS,
    FACT_NAMES,
    SYSTEMIC_OPTION_VALUES,
    Facts,
)
from .footnotes import FOOTNOTES, footnote_ref, footnote_source, footnote_text
from .jsonio import (
    FactsError,
    facts_from_dict,
    facts_to_dict,
    note_with_footnote,
    result_to_dict,
)
from .nodes import CHARTS, GATES, LEGAL_RULE, NODES, DecisionNode, TerminalBox
from .outcomes import FORUMS, OUTCOMES, Outcome
from .thresholds import (
    DEFAULT_THRESHOLDS,
    ENGINE_VERSION,
    Thresholds,
    format_number,
    rule_set_version,
)
from .vocabulary import ANSWER_WORDS, answer_word

__all__ = [
    "ANSWER_WORDS",
    "CHARTS",
    "CRITICAL_LOCATION_SITES",
    "DEFAULT_THRESHOLDS",
    "ENGINE_VERSION",
    "FACT_LABELS",
    "FACT_NAMES",
    "FOOTNOTES",
    "FORUMS",
    "GATES",
    "LEGAL_RULE",
    "NODES",
    "OUTCOMES",
    "SYSTEMIC_OPTION_VALUES",
    "DecisionNode",
    "Facts",
    "FactsError",
    "Outcome",
    "Result",
    "TerminalBox",
    "Thresholds",
    "TraceStep",
    "answer_word",
    "evaluate",
    "facts_from_dict",
    "facts_to_dict",
    "footnote_ref",
    "footnote_source",
    "footnote_text",
    "format_number",
    "note_with_footnote",
    "result_to_dict",
    "rule_set_version",
]
