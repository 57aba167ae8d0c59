"""The engine's tables: facts, outcomes, boxes, footnotes (quoted verbatim from the guideline)."""

import dataclasses
import os
import re
from pathlib import Path

import pytest

from triage.engine import (
    CHARTS,
    FACT_LABELS,
    FACT_NAMES,
    FOOTNOTES,
    FORUMS,
    NODES,
    OUTCOMES,
    Facts,
    footnote_ref,
)
from triage.engine.rules import RULES

DECISIONS = ["P_TREATMENT_WISH", "P_RADIONECROSIS", "P_SYMPTOMATIC", "A1", "A2", "A3", "A4",
             "S1", "S2", "S3", "S4", "L1_RADIOTHERAPY_LEGAL"]


def test_facts_have_the_seventeen_fields_of_spec_4():
    assert tuple(field.name for field in dataclasses.fields(Facts)) == FACT_NAMES
    assert all(value is None for value in dataclasses.astuple(Facts()))
    assert set(FACT_LABELS) == set(FACT_NAMES)
    assert all(len(labels) == 4 and all(labels) for labels in FACT_LABELS.values())


def test_nine_outcomes_and_their_forums():
    assert set(OUTCOMES) == {
        "NEURO_ONC_MDO", "NEURO_ONC_MDO_QOL", "NEURO_ONC_MDO_RADIONECROSIS", "NEURO_ONC_MDO_LEGAL",
        "ORGAN_SPECIFIC_MDO", "RESTRAINED_POLICY_NO_MDO", "NO_MDO_NO_MEANINGFUL_OPTIONS",
        "NO_MDO_NO_TREATMENT_WISH", "INCOMPLETE_PRECONSULT",
    }
    forums = {code: outcome.forum for code, outcome in OUTCOMES.items()}
    assert forums["ORGAN_SPECIFIC_MDO"] == "ORGAN_SPECIFIC_MDO"
    assert forums["INCOMPLETE_PRECONSULT"] == "PRECONSULT_FIRST"
    assert {forums[c] for c in ("RESTRAINED_POLICY_NO_MDO", "NO_MDO_NO_MEANINGFUL_OPTIONS",
                                "NO_MDO_NO_TREATMENT_WISH")} == {"NONE"}
    assert set(FORUMS) == {"NEURO_ONC_MDO", "ORGAN_SPECIFIC_MDO", "NONE", "PRECONSULT_FIRST"}
    for code, outcome in OUTCOMES.items():
        assert outcome.code == code
        assert outcome.label_nl and outcome.label_en
        assert outcome.explanation_nl and outcome.explanation_en
        assert outcome.footnote is None or outcome.footnote in FOOTNOTES


def test_every_decision_box_has_a_rule_named_after_it_with_its_question():
    assert [n for n, node in NODES.items() if node.kind == "decision"] == DECISIONS
    for node_id in DECISIONS:
        node = NODES[node_id]
        rule = RULES[node_id]
        assert rule.__name__ == node_id
        assert rule.__doc__
        assert node.question_nl and node.question_en
        assert all(fact in FACT_NAMES for fact in node.facts)
        assert node.footnote is None or node.footnote in FOOTNOTES
        for target in (node.yes, node.no):
            assert target is None or target in NODES
    assert NODES["L1_RADIOTHERAPY_LEGAL"].no is None


def test_every_terminal_box_names_an_outcome():
    terminals = [node for node in NODES.values() if node.kind == "terminal"]
    assert {t.id for t in terminals} >= {"A1_NO", "A2_YES", "A3_YES", "A4_YES", "A4_NO", "S2_YES",
                                         "S4_YES", "S4_NO", "P_TREATMENT_WISH_NO",
                                         "P_RADIONECROSIS_YES", "L1_YES"}
    for terminal in terminals:
        assert terminal.outcome in OUTCOMES
        assert terminal.footnote is None or terminal.footnote in FOOTNOTES
    # The legal rule follows exactly the three endpoints outside the neuro-oncology MDT.
    assert {t.outcome for t in terminals if t.then} == {
        "ORGAN_SPECIFIC_MDO", "RESTRAINED_POLICY_NO_MDO", "NO_MDO_NO_MEANINGFUL_OPTIONS",
    }


def test_charts_list_their_boxes():
    assert CHARTS["A"] == ("A1", "A2", "A3", "A4", "A1_NO", "A2_YES", "A3_YES", "A4_YES", "A4_NO")
    assert CHARTS["S"] == ("S1", "S2", "S3", "S4", "S2_YES", "S4_YES", "S4_NO")
    for chart, ids in CHARTS.items():
        assert all(NODES[node_id].chart == chart for node_id in ids)


def test_footnotes_are_complete():
    for key in ("A1", "A2", "A3", "A4", "A5", "A_NB", "S1", "S2", "S3", "S4", "LEGAL"):
        source, text_nl, text_en = FOOTNOTES[key]
        assert source and text_nl and text_en
        assert footnote_ref(key, "nl") and footnote_ref(key, "en")
    assert footnote_ref("A3") == "Bijlage 1, toelichting 3"
    assert footnote_ref("A3", "en") == "Appendix 1, note 3"


def _normalised(text):
    text = re.sub(r"\[[^\]]*\]", "", text)  # our bracketed readings of lost symbols
    text = " ".join(text.split())
    return re.sub(r"(\w)- (\w)", r"\1-\2", text)  # words hyphenated across a line break


def _guideline_text():
    candidates = [
        os.environ.get("LWNO_GUIDELINE_TEXT", ""),
        Path(__file__).resolve().parents[2] / "docs" / "lwno-leidraad-hersenmetastasen-mdo.nl.txt",
        Path("/work/shared/guideline/lwno-leidraad-hersenmetastasen-mdo.nl.txt"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8")
    return None


@pytest.mark.parametrize("key", sorted(FOOTNOTES))
def test_footnotes_are_quoted_verbatim(key):
    text = _guideline_text()
    if text is None:
        pytest.skip("the guideline text is not available here")
    assert _normalised(FOOTNOTES[key][1]) in _normalised(text)


def test_the_public_api():
    import triage.engine as engine

    for name in ("Facts", "Thresholds", "DEFAULT_THRESHOLDS", "Result", "TraceStep", "evaluate",
                 "OUTCOMES", "Outcome", "FORUMS", "ENGINE_VERSION", "rule_set_version",
                 "FactsError", "facts_from_dict", "facts_to_dict", "result_to_dict", "FACT_NAMES",
                 "NODES", "CHARTS", "FOOTNOTES", "FACT_LABELS"):
        assert name in engine.__all__
        assert hasattr(engine, name)


def test_no_django_in_the_engine():
    root = Path(__file__).resolve().parents[2]
    files = [*root.joinpath("triage", "engine").glob("*.py"), root / "triage" / "diagram.py",
             root / "triage" / "cli.py", *Path(__file__).parent.glob("*.py")]
    for path in files:
        assert not re.search(r"^\s*(from|import) django", path.read_text(), re.MULTILINE), path
