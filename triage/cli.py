"""The command line of spec §4, without the command: text in, (exit status, stdout, stderr) out.

The Django management command only reads the file (or standard input) and passes the text here,
so everything the command does can be tested without Django, a terminal or a file.
"""

import json

from triage.engine import (
    FACT_LABELS,
    FORUMS,
    OUTCOMES,
    FactsError,
    Result,
    Thresholds,
    answer_word,
    evaluate,
    facts_from_dict,
    footnote_ref,
    result_to_dict,
)
from triage.engine.jsonio import json_type

EXIT_OK = 0
EXIT_INPUT_ERROR = 2
LANGUAGES = ("nl", "en")

_WORDS = {
    "nl": {
        "outcome": "Uitkomst", "forum": "Forum", "chart": "Stroomschema",
        "charts": {"A": "A (asymptomatisch, Bijlage 1)", "S": "S (symptomatisch, Bijlage 2)",
                   None: "geen (beslist vóór het stroomschema of nog onbepaald)"},
        "explanation": "Toelichting", "route": "Route", "missing": "Ontbrekende gegevens",
        "deciding": "Bepalend voor de uitkomst", "endpoints": "Eindpunt",
        "version": "Regelset", "none": "geen",
        "empty": "Lege lijst: geen adviezen.",
        "policy": "Ontbrekende gegevens: elk mogelijk antwoord is nagegaan (beleid van deze "
                  "toepassing, geen tekst van de leidraad).",
    },
    "en": {
        "outcome": "Outcome", "forum": "Forum", "chart": "Flowchart",
        "charts": {"A": "A (asymptomatic, Appendix 1)", "S": "S (symptomatic, Appendix 2)",
                   None: "none (decided before the flowchart, or still undetermined)"},
        "explanation": "Explanation", "route": "Route", "missing": "Missing facts",
        "deciding": "Deciding the outcome", "endpoints": "Endpoint",
        "version": "Rule set", "none": "none",
        "empty": "Empty list: no advice.",
        "policy": "Missing facts: every possible answer was tried (this application's policy, "
                  "not guideline text).",
    },
}


class _Object(dict):
    """A JSON object that remembers keys it saw more than once (json keeps the last silently)."""

    duplicates: tuple[str, ...] = ()


def _object_from_pairs(pairs):
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen, duplicates = set(), []
        for key, _value in pairs:
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        obj.duplicates = tuple(duplicates)
    return obj


def run(text: str, *, thresholds: Thresholds, as_json: bool, lang: str = "nl"
        ) -> tuple[int, str, str]:
    """Advise on one JSON object or a JSON array of objects of facts (spec §4).

    Exit 0 with the advice on stdout; exit 2 with one line per problem on stderr when the input
    is not JSON or any object in it is not valid facts (then nothing is advised at all).
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    if not text.strip():
        return EXIT_INPUT_ERROR, "", "invalid JSON: the input is empty\n"
    try:
        data = json.loads(text, object_pairs_hook=_object_from_pairs)
    except json.JSONDecodeError as error:
        return EXIT_INPUT_ERROR, "", (
            f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}\n"
        )
    except (ValueError, RecursionError) as error:  # e.g. an integer with 5000 digits
        return EXIT_INPUT_ERROR, "", f"invalid JSON: {error}\n"

    is_array = isinstance(data, list)
    items = data if is_array else [data]
    facts, errors = [], []
    for index, item in enumerate(items):
        prefix = f"[{index}]" if is_array else ""
        try:
            facts.append(_facts(item))
        except FactsError as error:
            if error.field is None:
                where = prefix or "(root)"
            else:
                where = f"{prefix}.{error.field}" if prefix else error.field
            errors.append(f"{where}: {error.message}")
    if not is_array and not isinstance(data, dict):
        errors = [(f"(root): expected a JSON object or an array of objects, got "
                  f"{json_type(data)}")]
    if errors:
        return EXIT_INPUT_ERROR, "", "".join(f"{line}\n" for line in errors)

    results = [evaluate(item, thresholds) for item in facts]
    if as_json:
        payload = [result_to_dict(r, lang) for r in results]
        body = payload if is_array else payload[0]
        return EXIT_OK, json.dumps(body, ensure_ascii=False, indent=2) + "\n", ""
    if is_array and not results:
        return EXIT_OK, _WORDS[lang]["empty"] + "\n", ""
    blocks = []
    for index, result in enumerate(results):
        header = f"[{index}]\n" if is_array else ""
        blocks.append(header + describe(result, lang))
    return EXIT_OK, "\n".join(blocks), ""


def _facts(item):
    duplicates = getattr(item, "duplicates", ())
    if duplicates:
        raise FactsError(duplicates[0], "given more than once")
    return facts_from_dict(item)


def describe(result: Result, lang: str = "nl") -> str:
    """A plain-text explanation of one result, ending with a newline."""
    words = _WORDS[lang]
    outcome = OUTCOMES[result.outcome]
    forum_nl, forum_en = FORUMS[result.forum]
    lines = [
        f"{words['outcome']}: {outcome.label(lang)} ({result.outcome})",
        f"{words['forum']}: {forum_nl if lang == 'nl' else forum_en}",
        f"{words['chart']}: {words['charts'].get(result.chart, result.chart)}",
        f"{words['explanation']}: {outcome.explanation(lang)}",
        f"{words['route']}:",
    ]
    for step in result.trace:
        line = f"  {step.node}: {step.question(lang)} → {answer_word(step.answer, lang)}"
        note = step.note(lang)
        ref = footnote_ref(step.footnote, lang) if step.footnote else ""
        if note or ref:
            line += f" ({note}{' — ' if note and ref else ''}{ref})"
        lines.append(line)
    lines.append(f"{words['missing']}: {_fact_list(result.missing, lang)}")
    if result.deciding:
        lines.append(f"{words['deciding']}: {_fact_list(result.deciding, lang)}")
    if result.missing:
        lines.append(words["policy"])
    if result.endpoints:
        lines.append(f"{words['endpoints']}: {', '.join(result.endpoints)}")
    lines.append(f"{words['version']}: {result.rule_set_version}")
    return "\n".join(lines) + "\n"


def _fact_list(names, lang) -> str:
    if not names:
        return _WORDS[lang]["none"]
    index = 0 if lang == "nl" else 1
    return "; ".join(
        f"{name} ({FACT_LABELS[name][index]})" if name in FACT_LABELS else name for name in names
    )
