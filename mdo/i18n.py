"""Language helpers for texts the application holds in both Dutch and English."""

from django.utils.translation import get_language


def current_lang():
    """"en" or "nl": the language of the request, for texts the engine holds in both."""
    return "en" if (get_language() or "nl").startswith("en") else "nl"
