"""evaluate(facts) -> Result: walk the boxes, branching where a fact is missing.

Missing data (spec §3, our policy). When a box's question cannot be answered because a fact is
missing, the walk continues with *each* answer. Every path ends in a *scenario*: the values it
assumed, the boxes it passed and the terminal box it reached. One outcome over all scenarios is
the advice. Several outcomes that are all neuro-oncology MDO codes give NEURO_ONC_MDO: the
patient goes to that meeting either way, and the trace names each branch with its reason (spec §3,
revised 2026-12). Otherwise several outcomes make it INCOMPLETE_PRECONSULT, and the missing facts
that made the difference are named in ``deciding``.

The trace is one readable list, built from the scenarios:
- boxes answered from the facts are steps with their answer, as in a plain walk;
- at the first box that had to branch, one step with answer "unknown" and a note saying what
  the facts do tell (e.g. "KPS 80 ≥ 70") and whether the missing fact decides the outcome
  (naming the outcomes for yes and for no) or every answer leads to the same outcome;
- after it, only the steps that *every* branch ends with (the longest common tail, e.g. the S4
  box that both answers of S1 reach), built the same way for nested missing facts.
So the trace is never empty (it always starts with P_TREATMENT_WISH), contains no step that
only some branches took, and is deterministic.
"""

from dataclasses import dataclass
from typing import NamedTuple

from .facts import Facts
from .nodes import FIRST_NODE, NODES, questions
from .outcomes import OUTCOMES
from .rules import READING_LABELS, RULES, Answer, Context
from .thresholds import DEFAULT_THRESHOLDS, Thresholds, rule_set_version

INCOMPLETE = "INCOMPLETE_PRECONSULT"
EITHER_WAY = "NEURO_ONC_MDO"
# The outcomes whose forum is the neuro-oncology MDO: differing among these, a missing fact does
# not change where the patient goes.
MDO_OUTCOMES = frozenset(code for code, outcome in OUTCOMES.items() if outcome.forum == "NEURO_ONC_MDO")
_ANSWER_WORDS = {True: "yes", False: "no"}


@dataclass(frozen=True, slots=True)
class TraceStep:
    node: str
    question_nl: str
    question_en: str
    answer: str  # "yes" | "no" | "unknown"
    footnote: str | None  # a key of FOOTNOTES
    note_nl: str = ""
    note_en: str = ""

    def question(self, lang: str = "nl") -> str:
        return self.question_nl if lang == "nl" else self.question_en

    def note(self, lang: str = "nl") -> str:
        return self.note_nl if lang == "nl" else self.note_en


@dataclass(frozen=True, slots=True)
class Result:
    outcome: str
    forum: str
    chart: str | None
    trace: tuple[TraceStep, ...]
    missing: tuple[str, ...]
    deciding: tuple[str, ...]
    endpoints: tuple[str, ...]
    rule_set_version: str
    thresholds: Thresholds

    @property
    def info(self):
        """The Outcome record (labels, explanation, footnote) of this result's outcome."""
        return OUTCOMES[self.outcome]


class _Scenario(NamedTuple):
    assumed: dict[str, bool]
    steps: list[tuple[str, Answer]]
    endpoint: str
    outcome: str
    chart: str | None


def evaluate(facts: Facts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Result:
    """The advice for these facts. Never raises for facts of the declared types."""
    ctx = Context(facts, thresholds)
    scenarios: list[_Scenario] = []
    _walk(ctx, FIRST_NODE, [], None, scenarios)

    outcomes = _unique(s.outcome for s in scenarios)
    missing = _unique(fact for s in scenarios for _node, answer in s.steps for fact in answer.missing)
    either_way = len(outcomes) > 1 and MDO_OUTCOMES.issuperset(outcomes)
    if len(outcomes) == 1 or either_way:
        outcome = outcomes[0] if len(outcomes) == 1 else EITHER_WAY
        endpoints = _unique(s.endpoint for s in scenarios)
    else:
        outcome, endpoints = INCOMPLETE, ()
    sensitive = _sensitive_readings(scenarios) if len(outcomes) > 1 else frozenset()
    # Either way to the MDO: no missing fact decides where the patient goes (they are still
    # listed as missing: the meeting needs them).
    deciding_facts = set() if either_way else {
        fact for name in sensitive for fact in ctx.raw(name).missing}
    charts = {s.chart for s in scenarios if s.chart is not None}
    texts = questions(thresholds)

    return Result(
        outcome=outcome,
        forum=OUTCOMES[outcome].forum,
        chart=charts.pop() if len(charts) == 1 else None,
        trace=tuple(_trace_step(step, ctx, sensitive, texts, either_way)
                    for step in _route(scenarios, 0)),
        missing=missing,
        deciding=tuple(fact for fact in missing if fact in deciding_facts),
        endpoints=endpoints,
        rule_set_version=rule_set_version(thresholds),
        thresholds=thresholds,
    )


def _walk(ctx: Context, node_id: str | None, steps, endpoint, out: list[_Scenario]) -> None:
    """Follow the arrows from node_id; at an open question, follow both (depth first, yes first)."""
    while node_id is not None:
        node = NODES[node_id]
        if node.kind == "terminal":
            endpoint, node_id = node_id, node.then
            continue
        answer = RULES[node_id](ctx)
        if answer.value is None:
            reading = answer.unknown[0]
            for value in (True, False):
                ctx.assumed[reading] = value
                _walk(ctx, node_id, list(steps), endpoint, out)
            del ctx.assumed[reading]
            return
        steps.append((node_id, answer))
        node_id = node.yes if answer.value else node.no
    chart = None
    for step_node, answer in steps:
        if step_node == "P_SYMPTOMATIC":
            chart = "S" if answer.value else "A"
            break
    out.append(_Scenario(dict(ctx.assumed), steps, endpoint, NODES[endpoint].outcome, chart))


def _sensitive_readings(scenarios: list[_Scenario]) -> set[str]:
    """The missing readings that change the outcome for some choice of the other missing ones.

    Scenarios are the leaves of a decision tree over the assumed readings, so a reading r makes
    a difference exactly when two scenarios with different outcomes assume opposite values for
    r and agree on every other reading both assumed.
    """
    found = set()
    for i, first in enumerate(scenarios):
        for second in scenarios[i + 1:]:
            if first.outcome == second.outcome:
                continue
            differing = [name for name, value in first.assumed.items()
                         if second.assumed.get(name, value) != value]
            if len(differing) == 1:
                found.add(differing[0])
    return found


def _route(group: list[_Scenario], index: int) -> list[tuple]:
    """The steps that all scenarios in ``group`` share from ``index`` on (see module doc), as
    plain tuples: ("known", node, answer) or ("unknown", node, outcomes if yes, outcomes if no,
    endpoints if yes, endpoints if no).
    Equal tuples make equal trace steps, so common tails are found before any text is built."""
    steps: list[tuple] = []
    first = group[0]
    while index < len(first.steps):
        node_id, answer = first.steps[index]
        if not answer.assumed:
            steps.append(("known", node_id, answer))
            index += 1
            continue
        yes = [s for s in group if s.steps[index][1].value]
        no = [s for s in group if not s.steps[index][1].value]
        steps.append(("unknown", node_id, _unique(s.outcome for s in yes),
                      _unique(s.outcome for s in no), _unique(s.endpoint for s in yes),
                      _unique(s.endpoint for s in no)))
        tails = [_route(branch, index + 1) for branch in (yes, no) if branch]
        steps.extend(_common_tail(tails))
        break
    return steps


def _common_tail(tails: list[list]) -> list:
    shortest = min(len(tail) for tail in tails)
    size = 0
    while size < shortest and all(tail[-1 - size] == tails[0][-1 - size] for tail in tails):
        size += 1
    return tails[0][len(tails[0]) - size:]


def _trace_step(step: tuple, ctx: Context, sensitive, texts, either_way: bool) -> TraceStep:
    if step[0] == "known":
        return _known_step(step[1], step[2], texts[step[1]])
    _kind, node_id, *branches = step
    return _unknown_step(node_id, ctx, sensitive, branches, texts[node_id], either_way)


def _known_step(node_id: str, answer: Answer, question: tuple[str, str]) -> TraceStep:
    return TraceStep(
        node=node_id,
        question_nl=question[0],
        question_en=question[1],
        answer=_ANSWER_WORDS[answer.value],
        footnote=answer.footnote,
        note_nl=_sentence(answer.note_nl),
        note_en=_sentence(answer.note_en),
    )


# The note of a step whose question a missing fact left open.
_UNKNOWN_NOTE = {
    "nl": {
        "and": " en ", "missing": (" ontbreekt", " ontbreken"), "decide": ("bepaalt", "bepalen"),
        "decides": "{subject} en {decide} de uitkomst: {yes} bij ja, {no} bij nee",
        "either_way": "{subject}; bij ja en bij nee gaat de patiënt naar het neuro-oncologisch MDO "
                      "— bij ja: {yes}; bij nee: {no} (beleid van deze toepassing bij ontbrekende "
                      "gegevens, geen tekst van de leidraad)",
        "or": " of ",
        "same": "{subject}; elk mogelijk antwoord leidt tot dezelfde uitkomst",
        "same_one": ": {outcome}",
        "same_open": " (die nog van andere ontbrekende gegevens afhangt)",
    },
    "en": {
        "and": " and ", "missing": (" is missing", " are missing"), "decide": ("decides", "decide"),
        "decides": "{subject} and {decide} the outcome: {yes} if yes, {no} if no",
        "either_way": "{subject}; if yes and if no the patient goes to the neuro-oncology MDT "
                      "— if yes: {yes}; if no: {no} (this application's policy for missing "
                      "facts, not guideline text)",
        "or": " or ",
        "same": "{subject}; every possible answer leads to the same outcome",
        "same_one": ": {outcome}",
        "same_open": " (which still depends on other missing facts)",
    },
}


def _unknown_step(node_id, ctx: Context, sensitive, branches, question, either_way: bool
                  ) -> TraceStep:
    yes_outcomes, no_outcomes, yes_endpoints, no_endpoints = branches
    saved, ctx.assumed = ctx.assumed, {}
    try:
        raw = RULES[node_id](ctx)  # what the facts alone say: partial notes, open readings
    finally:
        ctx.assumed = saved
    open_readings = raw.unknown or (node_id,)
    deciding = any(name in sensitive for name in open_readings)
    plural = len(open_readings) > 1
    notes = {}
    for lang, partial in (("nl", raw.note_nl), ("en", raw.note_en)):
        words = _UNKNOWN_NOTE[lang]
        labels = [READING_LABELS.get(name, (name, name))[lang == "en"] for name in open_readings]
        subject = words["and"].join(labels) + words["missing"][plural]
        if deciding and either_way:
            text = words["either_way"].format(
                subject=subject, yes=_reasons(yes_endpoints, lang), no=_reasons(no_endpoints, lang))
        elif deciding:
            text = words["decides"].format(
                subject=subject, decide=words["decide"][plural],
                yes=_outcome_list(yes_outcomes, lang), no=_outcome_list(no_outcomes, lang),
            )
        elif len(yes_outcomes) == 1:
            text = words["same"].format(subject=subject) + words["same_one"].format(
                outcome=_outcome_list(yes_outcomes, lang))
        else:
            text = words["same"].format(subject=subject) + words["same_open"]
        notes[lang] = _sentence("; ".join(part for part in (partial, text) if part))
    return TraceStep(
        node=node_id,
        question_nl=question[0],
        question_en=question[1],
        answer="unknown",
        footnote=NODES[node_id].footnote,
        note_nl=notes["nl"],
        note_en=notes["en"],
    )


def _reasons(endpoints, lang: str) -> str:
    """Why each endpoint leads to the MDO, e.g. "kritieke locatie" (the terminal boxes' reasons)."""
    if len(endpoints) > 3:
        return _outcome_list(_unique(NODES[e].outcome for e in endpoints), lang)
    return _UNKNOWN_NOTE[lang]["or"].join(NODES[e].reason(lang) for e in endpoints)


def _outcome_list(codes, lang: str) -> str:
    if len(codes) > 3:
        # Listing seven outcomes helps nobody: the other missing facts are named anyway.
        if lang == "nl":
            return f"een van {len(codes)} uitkomsten, afhankelijk van andere ontbrekende gegevens"
        return f"one of {len(codes)} outcomes, depending on other missing facts"
    word = " of " if lang == "nl" else " or "
    return word.join(OUTCOMES[code].short(lang) for code in codes)


def _sentence(text: str) -> str:
    """Capitalise the first letter and end with a full stop; '' stays ''."""
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _unique(items) -> tuple:
    return tuple(dict.fromkeys(items))
