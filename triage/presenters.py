"""An engine result in the words of the user's language, for the templates."""

import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
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


# --- A stored advice, rendered once (issue 17) --------------------------------------------------

ADVICE_PANEL = "triage/advice_panel.html"
RENDERED_CACHE = "rendered"  # settings.CACHES


@cache
def render_revision():
    """A digest of what the panel's HTML is made from besides the advice: the template, this module,
    the diagram and the engine's texts, the translations. Part of the cache key, so a shared cache
    (if CACHES is ever pointed at one) never serves the HTML of an earlier release. Read once per
    process."""
    root = Path(__file__).resolve().parent
    files = [root / "presenters.py", root / "diagram.py", *sorted((root / "engine").glob("*.py")),
             Path(settings.BASE_DIR) / "templates" / ADVICE_PANEL,
             *(Path(path) / "nl" / "LC_MESSAGES" / "django.mo" for path in settings.LOCALE_PATHS)]
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stored_advice_panel(advice, lang=None):
    """The advice panel (triage/advice_panel.html) of a stored advice, as HTML.

    A stored advice, its trace and its diagram never change (triage.models.Advice is written once),
    so the panel is rendered once per advice and language and kept in the "rendered" cache, keyed by
    advice id and time, language, rule-set version and render_revision(). Not a column of the advice: the
    HTML depends on the template and the translations of the release that shows it, and an
    immutable record would keep the first release's words; a cache is thrown away at a deploy
    (the default, a bounded LocMemCache per process) or keyed past it (the revision). The cost it
    saves: building the steps and the SVG diagram and rendering the panel on every case page.
    """
    lang = lang or current_lang()
    # With the moment it was computed: an id alone could come back after a restore of the database.
    key = (f"advice-panel:{render_revision()}:{advice.pk}:{advice.created_at.isoformat()}:{lang}:"
           f"{advice.rule_set_version}")
    store = caches[RENDERED_CACHE]
    html = store.get(key)
    if html is None:
        with translation.override(lang):
            html = render_to_string(ADVICE_PANEL, {"advice": advice_context(advice, lang)})
        store.set(key, html, timeout=None)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there
