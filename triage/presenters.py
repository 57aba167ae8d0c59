"""An engine result in the words of the user's language, for the templates."""

from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mdo.i18n import current_lang
from triage.diagram import render_svg_for_result
from triage.engine import FACT_LABELS, FOOTNOTES, FORUMS, OUTCOMES, answer_word
from triage.services import result_from_advice


def _pick(pair_nl_en, lang):
    return pair_nl_en[1] if lang == "en" else pair_nl_en[0]


def outcome_context(code, lang=None):
    lang = lang or current_lang()
    outcome = OUTCOMES[code]
    return {
        "code": code,
        "label": outcome.label_en if lang == "en" else outcome.label_nl,
        "explanation": outcome.explanation_en if lang == "en" else outcome.explanation_nl,
        "forum": code and _pick(FORUMS[outcome.forum], lang),
        "forum_code": outcome.forum,
        "is_mdo": outcome.forum == "NEURO_ONC_MDO",
    }


def footnote_context(key, lang):
    if not key or key not in FOOTNOTES:
        return None
    source, text_nl, text_en = FOOTNOTES[key]
    return {"key": key, "source": source, "quote": text_nl, "translation": text_en if lang == "en" else "",
            # A bracketed part is our reading of a symbol lost from the PDF's text, not a quote.
            "has_reading": "[" in text_nl}


def result_context(result, lang=None):
    """Everything the advice panel shows, from an engine Result (fresh or re-read)."""
    lang = lang or current_lang()
    steps = [
        {
            "node": step.node,
            "question": step.question(lang),
            "answer": answer_word(step.answer, lang),
            "answer_code": step.answer,
            "note": step.note(lang),
            "footnote": footnote_context(step.footnote, lang),
        }
        for step in result.trace
    ]
    missing = [
        {
            "fact": fact,
            "label": _pick(FACT_LABELS[fact][:2], lang) if fact in FACT_LABELS else fact,
            "why": _pick(FACT_LABELS[fact][2:], lang) if fact in FACT_LABELS else "",
            "deciding": fact in result.deciding,
        }
        for fact in result.missing
    ]
    chart_names = {"A": _("Chart A — asymptomatic brain metastases (Appendix 1)"),
                   "S": _("Chart S — symptomatic brain metastases (Appendix 2)")}
    return {
        "outcome": outcome_context(result.outcome, lang),
        "chart": result.chart,
        "chart_name": chart_names.get(result.chart, _("Before the flowcharts")),
        "steps": steps,
        "missing": missing,
        "deciding": [m for m in missing if m["deciding"]],
        "rule_set_version": result.rule_set_version,
        "rule_set_words": rule_set_words(result.rule_set_version, lang),
        "thresholds": result.thresholds,
        "svg": mark_safe(render_svg_for_result(result, lang=lang)),  # noqa: S308 - built and escaped by triage.diagram
        "one_line": one_line_reason(result, lang),
    }


def rule_set_words(version, lang=None):
    """A stored rule-set version (``lwno-2025.2;kps>=70;prog>3;diam>10;band<=20``) in words:
    "LWNO-leidraad, regels 2025.2: KPS ≥ 70, prognose > 3 maanden, ...". The code itself stays in
    the advice's JSON and in the page's technical detail. An unreadable string is shown as is."""
    lang = lang or current_lang()
    logic, *parts = (version or "").split(";")
    name, _sep, number = logic.partition("-")
    values = {}
    for part in parts:
        for key, op in (("kps", ">="), ("prog", ">"), ("diam", ">"), ("band", "<=")):
            if part.startswith(key + op):
                values[key] = part[len(key + op):].replace(".", ",") if lang == "nl" else part[len(key + op):]
    if name.lower() != "lwno" or set(values) != {"kps", "prog", "diam", "band"}:
        return version
    with translation.override(lang):
        return _("LWNO guideline, rules %(number)s: KPS ≥ %(kps)s, prognosis > %(prog)s months, largest "
                 "metastasis > %(diam)s mm (note up to %(band)s mm)") % {"number": number, **values}


def one_line_reason(result, lang):
    """The advice in one line, for lists and the printed agenda."""
    outcome = outcome_context(result.outcome, lang)
    last = next((s for s in reversed(result.trace) if s.node), None)
    if last is None:
        return outcome["label"]
    answer = answer_word(last.answer, lang)
    return f"{outcome['label']} — {last.question(lang)} {answer}"


def advice_context(advice, lang=None):
    context = result_context(result_from_advice(advice), lang)
    context["advice"] = advice
    return context
