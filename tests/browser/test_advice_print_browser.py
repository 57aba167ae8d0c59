"""The advice on the case page printed to A4 by Chromium: the path, the quotes and the diagram."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from audit.actor import Actor
from referrals.services import case_submit
from tests.browser.conftest import log_in
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_WIDTH_MM, MARGIN_MM = 210, 15
PX_PER_MM = 96 / 25.4


def submitted(user, **answers):
    case = CaseFactory(patient=PatientFactory(hospital=user.hospital), referring_physician=user, **answers)
    case.refresh_from_db()
    case_submit(actor=Actor(user=user), case_id=case.pk, expected_version=case.version)
    case.refresh_from_db()
    return case


def print_case_page(page, case, path):
    page.goto(reverse("casefile:case_detail", args=[case.pk]))
    page.emulate_media(media="print")
    page.pdf(path=str(path), format="A4", print_background=True)
    return page


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
@pytest.mark.parametrize("answers, outcome, nodes", [
    # Asymptomatic, KPS 60: restrained policy, but radiotherapy is considered: the legal rule.
    ({"kps": 60}, "NEURO_ONC_MDO_LEGAL", ["A1", "L1_RADIOTHERAPY_LEGAL"]),
    # Symptomatic with the KPS unknown: the missing fact decides (radiotherapy not considered, so
    # one branch ends outside the neuro-oncology MDO; spec §3 as revised 2026-12).
    ({"neuro_deficit": "yes", "neuro_deficit_detail": "Hemiparese rechts", "kps": None, "kps_unknown": True,
      "rapid_kps_improvement": "no", "radiotherapy_considered": "no",
      "qol_improvement": "no"}, "INCOMPLETE_PRECONSULT", ["S1"]),
])
def test_the_advice_prints_legibly_on_a4(page, referrer, tmp_path, answers, outcome, nodes):
    case = submitted(referrer, **answers)
    assert case.current_advice.outcome == outcome
    log_in(page, referrer)
    pdf = tmp_path / "case.pdf"
    print_case_page(page, case, pdf)

    # The diagram fits the printable width of A4 and is not shrunk below it by much either:
    # its 13-unit text then prints at about 9 pt.
    box = page.locator(".advice-diagram svg").bounding_box()
    printable = (A4_WIDTH_MM - 2 * MARGIN_MM) * PX_PER_MM
    assert 0.8 * printable <= box["width"] <= printable + 1, box
    for node in nodes:
        assert page.locator(f'.advice-diagram [data-node="{node}"].on-path').count() == 1
    assert page.locator(".advice-diagram .endpoint, .advice-diagram .unknown").count() >= 1
    assert page.locator(".advice-diagram script").count() == 0

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Hoe de leidraad tot dit advies leidt" in text
    # The advice starts on the first page (kept whole, the long panel once left page 1 blank).
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                                text=True, check=True).stdout
    assert "Triage-advies" in first_page
    assert "Stroomschema" in text  # the diagram's heading is real text in the PDF, not an image
    if outcome == "NEURO_ONC_MDO_LEGAL":
        assert "Regeling bijzondere neurochirurgie" in text
    else:
        assert "beleid van de applicatie" in text
    keep = os.environ.get("KEEP_PRINTS")  # a folder: keep the PDFs to look at them
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(pdf, Path(keep) / f"case-{outcome}.pdf")
