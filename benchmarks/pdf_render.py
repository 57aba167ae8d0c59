"""Time the agenda PDF render alone, as the PDF worker makes it (meetings/pdfs.py): the context, the
HTML and WeasyPrint, in the default language, `--times` times in one process (the first after
WeasyPrint is loaded). Prints JSON: median, min, max seconds and the file's size. Nothing is stored.

    DJANGO_SETTINGS_MODULE=benchmarks.settings .venv/bin/python benchmarks/pdf_render.py --meeting <id>
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import translation  # noqa: E402

from meetings import pdfs, printing  # noqa: E402
from meetings.models import Meeting, PdfKind  # noqa: E402


def render(meeting):
    with translation.override(settings.LANGUAGE_CODE):
        context = pdfs.CONTEXTS[PdfKind.AGENDA](meeting, user=None)
        return printing.html_to_pdf(printing.render_html(pdfs.TEMPLATES[PdfKind.AGENDA], context))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--meeting", required=True)
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    meeting = Meeting.objects.select_related("chair", "centre").get(pk=args.meeting)
    render(meeting)  # loads WeasyPrint and its fonts once, as a running worker has
    seconds = []
    for _ in range(args.times):
        started = time.perf_counter()
        pdf = render(meeting)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds),
                      "bytes": len(pdf), "times": args.times}))


if __name__ == "__main__":
    main()
