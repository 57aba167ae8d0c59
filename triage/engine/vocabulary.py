"""The answers of the flowchart's questions in the two languages: one list for every text the
application writes (the case page, the flowchart drawing, `manage.py triage`). Outcome words are
in outcomes.py, fact names in facts.py."""

ANSWER_WORDS = {"yes": ("ja", "yes"), "no": ("nee", "no"), "unknown": ("onbekend", "unknown")}


def answer_word(code, lang):
    """The word for an answer code ("yes", "no", "unknown") in `lang` ("nl" or "en"); an unknown
    code is shown as it is."""
    pair = ANSWER_WORDS.get(code)
    if pair is None:
        return code
    return pair[1] if lang == "en" else pair[0]
