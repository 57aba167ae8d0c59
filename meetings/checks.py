"""System check: the libraries the agenda and minutes PDFs need (WeasyPrint, meetings/printing.py).

WeasyPrint loads Pango and HarfBuzz only when the first PDF is made, so a server without them
starts fine and finds out at the chair's first download. Warnings, not errors: the rest of the
application, the print views included, works without them (the demo needs no PDF), and the test
gate's `check --fail-level WARNING` still stops on them.

Without HarfBuzz's subsetter (libharfbuzz-subset0) PDFs are still made, but WeasyPrint subsets
the fonts with fontTools in Python: a 30-case agenda takes some 15 % longer (measured: 3.9 s
against 4.4 s on a slow host, docs/performance.md).
"""

from ctypes.util import find_library

from django.core.checks import Warning, register

PACKAGES_HINT = ("Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
                 "fonts-dejavu-core")


@register()
def pdf_libraries(app_configs, **kwargs):
    problems = []
    if find_library("harfbuzz-subset") is None:
        problems.append(Warning(
            "libharfbuzz-subset is missing: WeasyPrint subsets fonts with fontTools instead, "
            "and agenda PDFs take some 15 % longer.", hint=PACKAGES_HINT, id="meetings.W001"))
    missing = [name for name in ("pango-1.0", "pangoft2-1.0") if find_library(name) is None]
    if missing:
        problems.append(Warning(
            f"The PDF renderer (WeasyPrint) needs {', '.join('lib' + name for name in missing)}: "
            "without it the agenda and minutes PDFs cannot be made (the print pages still work).",
            hint=PACKAGES_HINT, id="meetings.W002"))
    return problems
