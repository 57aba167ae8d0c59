"""The printed agenda and minutes: print pages and PDFs, their content, access and access log.

The PDFs are opened with poppler (pdfinfo, pdftotext) as a reader would: the page count, the
patients' names, the page numbers and the confidentiality footer must be in them.
"""

import datetime
import re
import socket
import subprocess
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessAction, AccessLog
from meetings import printing
from meetings import services as meeting_services
from meetings.printing import attendance_sheet, case_summary, page_labels
from referrals.models import Case, Lesion
from tests.conftest import speak, verified_login
from tests.factories import COMPLETE_ANSWERS, CentreFactory, UserFactory
from tests.workflow import mark_held, planned_meeting, record_advice, register_quorum, scheduled_case, time_passes

pytestmark = pytest.mark.django_db

NAMES = ["Bakker", "de Boer", "Öztürk", "Visser", "Smit", "Mulder"]
QUORUM = ("neurosurgery", "radiation_oncology", "neurology", "neuroradiology")


# The date the printouts name (their file names say it).
PRINT_DATE = datetime.date(2026, 12, 3)


def make_meeting(chair, **values):
    """Today's meeting: the services place cases on it and record what happens in it."""
    return planned_meeting(chair, capacity_cases=30, **values)


def add_case(meeting, chair, hospital, position, family_name, bsn="", **answers):
    """A case of `hospital` submitted and placed on `meeting`, at `position` (the next one)."""
    referrer = UserFactory(hospital=hospital, role=Role.REFERRER)
    item = scheduled_case(referrer, chair, meeting,
                          patient={"family_name": family_name, "given_names": "A.", "bsn": bsn}, **answers)
    assert item.position == position
    return item


def agenda_today(chair, hospital, count, **answers):
    meeting = make_meeting(chair)
    for position, name in enumerate(NAMES[:count], start=1):
        add_case(meeting, chair, hospital, position, name, **answers)
    return meeting


def agenda_of(chair, hospital, count, **answers):
    """A meeting on PRINT_DATE with `count` cases (NAMES, in order)."""
    return time_passes(agenda_today(chair, hospital, count, **answers), to=PRINT_DATE)


def url(name, meeting):
    return reverse(f"meetings:{name}", args=[meeting.pk])


def in_english(client):
    speak(client, "en")
    return client


def read_pdf(response, tmp_path):
    """(page count, text) of a PDF response, as poppler reads it."""
    path = tmp_path / "download.pdf"
    path.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return pages, text


@pytest.fixture
def chair_client(client, chair):
    return verified_login(client, chair)


class TestAgendaPrint:
    def test_it_shows_meeting_attendance_sheet_and_every_case(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 2)
        response = chair_client.get(url("agenda_print", meeting))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Vergaderzaal 2" in content
        assert "https://video.example.org/mdo" in content
        assert str(chair.hospital) in content
        assert content.count('class="case"') == 2
        assert content.index("Bakker, A.") < content.index("de Boer, A.")
        assert "Indicatie stereotactische radiotherapie?" in content
        assert content.count("<tr><td>") >= len(attendance_sheet())

    def test_it_is_a_standalone_page_with_the_print_stylesheet_and_no_inline_style(self, chair_client, chair,
                                                                                    hospital):
        meeting = agenda_of(chair, hospital, 1)
        content = chair_client.get(url("agenda_print", meeting)).content.decode()
        assert 'href="/static/css/print.css"' in content
        assert "<style" not in content and "style=" not in content and "<script" not in content
        assert "navbar" not in content

    def test_it_masks_the_bsn(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 1, bsn="111222333")
        content = chair_client.get(url("agenda_print", meeting)).content.decode()
        assert "******333" in content
        assert "111222333" not in content

    def test_it_prints_the_section_3_facts_lesions_and_triage_reason(self, chair_client, chair, hospital):
        meeting = make_meeting(chair)
        add_case(meeting, chair, hospital, 1, "Bakker", molecular_markers="EGFR exon 19 deletie",
                 kps=70, dexamethasone="yes", dexamethasone_mg=4, anticoagulation="yes",
                 anticoagulation_detail="apixaban 5 mg 2dd",
                 lesions=[{}, {"region": "cerebellum", "side": "right", "diameter_mm": 23}])
        content = in_english(chair_client).get(url("agenda_print", meeting)).content.decode()
        assert "EGFR exon 19 deletie" in content
        assert "KPS 70" in content
        assert "Yes, 4 mg/day" in content
        assert "Yes (apixaban 5 mg 2dd)" in content
        assert "Cerebellum" in content and "<td>23</td>" in content
        assert "Triage advice" in content
        assert "Advice of the meeting" in content

    def test_it_escapes_what_users_typed(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 1, question_to_mdo="<script>alert(1)</script>")
        content = chair_client.get(url("agenda_print", meeting)).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
        assert "<script>alert(1)" not in content

    def test_it_logs_a_print_per_case(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 2)
        chair_client.get(url("agenda_print", meeting))
        logged = AccessLog.objects.filter(action=AccessAction.PRINT, object_type="meeting_agenda_print")
        cases = {item.case_id for item in meeting.items.all()}
        assert {row.case_id for row in logged} == cases
        assert all(row.user == chair for row in logged)

    def test_it_is_rendered_once_per_version_and_each_print_is_its_own(self, client, chair, hospital, centre):
        """The page of a version is kept (the PDF's versions say when it changed): a second print
        builds no agenda, yet writes its own rows and names its own user; a change is printed at once."""
        meeting = agenda_today(chair, hospital, 2)
        verified_login(client, chair)
        client.get(url("agenda_print", meeting))
        colleague = UserFactory(hospital=centre, role=Role.CHAIR, first_name="Collega", last_name="Tweede")
        other = verified_login(type(client)(), colleague)
        logged = AccessLog.objects.filter(action=AccessAction.PRINT, object_type="meeting_agenda_print")
        before = logged.count()
        with CaptureQueriesContext(connection) as queries:
            content = other.get(url("agenda_print", meeting)).content.decode()
        assert not any('FROM "meetings_agendaitem"' in query["sql"] for query in queries.captured_queries)
        assert "Bakker, A." in content and "de Boer, A." in content
        assert "Collega Tweede" in content.split('class="printed"')[1].split("</p>")[0]
        assert content.count('class="printed"') == 1
        new_rows = logged.order_by("id")[before:]
        assert {row.case_id for row in new_rows} == {item.case_id for item in meeting.items.all()}
        assert {row.user for row in new_rows} == {colleague}
        add_case(meeting, chair, hospital, 3, "Visser")  # a change: the next print shows it
        content = client.get(url("agenda_print", meeting)).content.decode()
        assert "Visser, A." in content and content.count('class="case"') == 3

    def test_without_a_version_in_that_language_it_is_rendered_every_time(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 1)
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                content = in_english(chair_client).get(url("agenda_print", meeting)).content.decode()
            assert "Bakker, A." in content and "Printed" in content
            assert any('FROM "meetings_agendaitem"' in query["sql"] for query in queries.captured_queries)

    @pytest.mark.parametrize("name", ["agenda_print", "minutes_print"])
    def test_its_queries_do_not_grow_with_the_agenda(self, chair_client, chair, hospital, name):
        def queries_for(count):
            meeting = agenda_today(chair, hospital, count, lesions=[{}, {"diameter_mm": 8}])
            first = meeting.items.order_by("position").first()
            register_quorum(meeting, chair)  # an advice of radiotherapy needs it
            record_advice(first, chair)
            with CaptureQueriesContext(connection) as queries:
                assert chair_client.get(url(name, meeting)).status_code == 200
            return len(queries)

        assert queries_for(2) == queries_for(6)


class TestAgendaPdf:
    def test_it_downloads_a_pdf_with_every_patient_page_numbers_and_footer(self, chair_client, chair,
                                                                          hospital, tmp_path):
        meeting = agenda_of(chair, hospital, 2)
        response = in_english(chair_client).get(url("agenda_pdf", meeting))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="mdt-agenda-2026-12-03.pdf"'
        assert "no-store" in response["Cache-Control"]
        pages, text = read_pdf(response, tmp_path)
        # The first page with the meeting and the attendance sheet; then a page per case.
        assert pages == 3
        assert "Bakker, A." in text and "de Boer, A." in text
        assert "Page 1 of 3" in text and "Page 3 of 3" in text
        assert text.count("Confidential — contains patient data") >= pages
        assert "Vergaderzaal 2" in text

    def test_it_lists_every_patient_with_page_numbers_in_the_default_language(self, chair_client, chair, hospital,
                                                                              tmp_path):
        meeting = agenda_of(chair, hospital, 3)
        pages, text = read_pdf(chair_client.get(url("agenda_pdf", meeting)), tmp_path)
        assert pages == 4
        for name in NAMES[:3]:
            assert f"{name}, A." in text
        labels = page_labels()
        assert f"{labels['before']} 4 {labels['middle']} 4".strip() in text

    @pytest.mark.parametrize("language, signature", [("nl", "Handtekening"), ("en", "Signature")])
    def test_the_sign_in_sheet_keeps_video_clear_of_the_signature_column(self, chair_client, chair, hospital,
                                                                        tmp_path, language, signature):
        meeting = agenda_of(chair, hospital, 1)
        speak(chair_client, language)
        path = tmp_path / "agenda.pdf"
        path.write_bytes(chair_client.get(url("agenda_pdf", meeting)).content)
        # Every word with its box, as poppler places it on the first page (the sheet).
        boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                               capture_output=True, text=True, check=True).stdout
        words = [(word, float(x_min), float(x_max)) for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', boxes)]
        column = min(x_min for word, x_min, _ in words if word == signature)
        videos = [x_max for word, _, x_max in words if word == "video"]
        assert len(videos) >= len(attendance_sheet())
        # The signature column starts a cell's padding (1.5 mm, 4 pt) before its head.
        assert max(videos) < column - 4, (max(videos), column)

    def test_it_keeps_typed_markup_as_literal_text(self, chair_client, chair, hospital, tmp_path):
        meeting = agenda_of(chair, hospital, 1, question_to_mdo="<script>alert(1)</script>")
        _pages, text = read_pdf(chair_client.get(url("agenda_pdf", meeting)), tmp_path)
        assert "<script>alert(1)</script>" in text

    def test_it_never_contains_the_full_bsn(self, chair_client, chair, hospital, tmp_path):
        meeting = agenda_of(chair, hospital, 1, bsn="111222333")
        _pages, text = read_pdf(chair_client.get(url("agenda_pdf", meeting)), tmp_path)
        assert "******333" in text
        assert "111222333" not in text

    def test_it_logs_an_export_per_case(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 2)
        chair_client.get(url("agenda_pdf", meeting))
        logged = AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="meeting_agenda_pdf")
        assert {row.case_id for row in logged} == {item.case_id for item in meeting.items.all()}

    @pytest.mark.parametrize("failure", [OSError("cannot load library 'libpango-1.0-0'"),
                                         ImportError("No module named 'weasyprint'")])
    @pytest.mark.parametrize(("pdf", "print_page"), [("agenda_pdf", "agenda_print"),
                                                     ("minutes_pdf", "minutes_print")])
    def test_a_server_without_pango_says_so_and_offers_the_print_page(self, chair_client, chair, hospital,
                                                                        monkeypatch, failure, pdf, print_page):
        # WeasyPrint's import fails as on a server without the Debian packages: a page that says
        # so (503) with the way to the print page, never a 500.
        import builtins

        real_import = builtins.__import__

        def failing_import(name, *args, **kwargs):
            if name == "weasyprint":
                raise failure
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", failing_import)
        meeting = agenda_of(chair, hospital, 1)
        response = chair_client.get(url(pdf, meeting))
        assert response.status_code == 503
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "PDF niet beschikbaar" in page
        assert f'href="{url(print_page, meeting)}"' in page
        # No patient was shown, so nothing is logged as exported.
        assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()
        monkeypatch.setattr(builtins, "__import__", real_import)
        assert chair_client.get(url(print_page, meeting)).status_code == 200

    def test_it_prints_an_empty_agenda(self, chair_client, chair, tmp_path):
        meeting = make_meeting(chair)
        pages, text = read_pdf(in_english(chair_client).get(url("agenda_pdf", meeting)), tmp_path)
        assert pages == 1
        assert "No cases on the agenda." in text


class TestPdfRenderer:
    def test_it_fetches_nothing(self, monkeypatch, tmp_path):
        connections = []
        monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connections.append(address))
        local_file = tmp_path / "local.css"
        local_file.write_text("p { color: red }")
        urls = ["http://127.0.0.1:9/x.css", local_file.as_uri(), "https://127.0.0.1:9/logo.png"]
        html = (f'<link rel="stylesheet" href="{urls[0]}"><link rel="stylesheet" href="{urls[1]}">'
                f'<img src="{urls[2]}"><p>Bakker</p>')
        monkeypatch.setattr(printing, "render_to_string", lambda *args, **kwargs: html)
        refused = []
        monkeypatch.setattr(printing, "_refusing_fetcher", _recording(printing._refusing_fetcher, refused))
        pdf = printing.render_pdf("unused.html", {}, request=None)
        assert pdf.startswith(b"%PDF")
        assert connections == []
        assert sorted(refused) == sorted(urls)


def _recording(make_fetcher, refused):
    """Wrap the renderer's fetcher so the test sees each URL it refused."""
    def make():
        fetcher = make_fetcher()
        fetch = fetcher.fetch

        def recording_fetch(url, headers=None):
            try:
                return fetch(url, headers)
            except ValueError:
                refused.append(url)
                raise

        fetcher.fetch = recording_fetch
        return fetcher
    return make


@pytest.fixture
def held_meeting(chair, hospital):
    """Two cases, the quorum minus neuroradiology, an advice for the first case only."""
    meeting = agenda_today(chair, hospital, 2)
    for discipline in QUORUM[:3]:
        meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk,
                                        name=f"Dr. {discipline.title()}", discipline=discipline,
                                        mode="video" if discipline == "neurology" else "on_site")
    first, _second = meeting.items.order_by("position")
    record_advice(first, chair, present="representative", representative_name="Dr. Vervanger",
                  decisions=["resection", "systemic"], text="Resectie <b>eerst</b>.",
                  carried_out_by="Neurochirurgie, Centrum", first_contact="Longarts, Ziekenhuis Noord")
    mark_held(meeting, chair)
    return time_passes(meeting, to=PRINT_DATE)


class TestMinutes:
    def test_it_shows_attendance_quorum_and_advice_per_case(self, chair_client, held_meeting):
        content = in_english(chair_client).get(url("minutes_print", held_meeting)).content.decode()
        assert "Dr. Neurology" in content and "By video" in content
        assert 'data-quorum-met="false"' in content
        assert "Not met. Missing: (Neuro)radiology." in content
        assert "Resection; Start or switch systemic therapy" in content
        assert "Resectie &lt;b&gt;eerst&lt;/b&gt;." in content
        assert "Longarts, Ziekenhuis Noord" in content
        assert "A representative who knows the history (Dr. Vervanger)" in content
        assert content.count("No advice recorded.") == 1

    def test_it_says_when_the_quorum_was_met(self, chair_client, held_meeting, chair):
        meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=held_meeting.pk, name="Dr. Radio",
                                        discipline="neuroradiology", mode="on_site")
        content = in_english(chair_client).get(url("minutes_print", held_meeting)).content.decode()
        assert 'data-quorum-met="true"' in content

    def test_it_marks_minutes_of_a_meeting_not_yet_held(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 1)
        content = in_english(chair_client).get(url("minutes_print", meeting)).content.decode()
        assert "has not been marked as held" in content

    def test_its_pdf_has_the_patients_and_advice(self, chair_client, held_meeting, tmp_path):
        response = in_english(chair_client).get(url("minutes_pdf", held_meeting))
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="mdt-minutes-2026-12-03.pdf"'
        assert "no-store" in response["Cache-Control"]
        pages, text = read_pdf(response, tmp_path)
        # The minutes run on (no page per case): the footer's count must match the file's.
        assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
        assert "Bakker, A." in text and "de Boer, A." in text
        assert "Resectie <b>eerst</b>." in text
        assert "No advice recorded." in text
        assert "Confidential — contains patient data" in text

    def test_it_logs_print_and_export_per_case(self, chair_client, held_meeting):
        chair_client.get(url("minutes_print", held_meeting))
        chair_client.get(url("minutes_pdf", held_meeting))
        cases = {item.case_id for item in held_meeting.items.all()}
        for action, object_type in ((AccessAction.PRINT, "meeting_minutes_print"),
                                    (AccessAction.EXPORT, "meeting_minutes_pdf")):
            logged = AccessLog.objects.filter(action=action, object_type=object_type)
            assert {row.case_id for row in logged} == cases


PRINT_URLS = ["agenda_print", "agenda_pdf", "minutes_print", "minutes_pdf"]


class TestAccess:
    @pytest.mark.parametrize("name", PRINT_URLS)
    def test_the_neuro_oncologist_gets_it(self, client, neuro_oncologist, chair, hospital, name):
        meeting = agenda_of(chair, hospital, 1)
        assert verified_login(client, neuro_oncologist).get(url(name, meeting)).status_code == 200

    @pytest.mark.parametrize("name", PRINT_URLS)
    def test_a_referrer_gets_404(self, client, referrer, chair, hospital, name):
        meeting = agenda_of(chair, hospital, 1)
        assert verified_login(client, referrer).get(url(name, meeting)).status_code == 404

    @pytest.mark.parametrize("name", PRINT_URLS)
    def test_an_mdo_member_of_another_centre_gets_404(self, client, chair, hospital, name):
        meeting = agenda_of(chair, hospital, 1)
        stranger = UserFactory(hospital=CentreFactory(), role=Role.CHAIR)
        assert verified_login(client, stranger).get(url(name, meeting)).status_code == 404

    @pytest.mark.parametrize("name", PRINT_URLS)
    def test_an_anonymous_user_is_sent_to_login(self, client, chair, hospital, name):
        meeting = agenda_of(chair, hospital, 1)
        response = client.get(url(name, meeting))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))

    def test_a_refused_print_logs_nothing_and_shows_no_patient(self, client, referrer, chair, hospital):
        meeting = agenda_of(chair, hospital, 1)
        response = verified_login(client, referrer).get(url("agenda_print", meeting))
        assert "Bakker" not in response.content.decode()
        assert not AccessLog.objects.filter(action=AccessAction.PRINT).exists()


class TestSummary:
    def test_it_says_what_was_not_answered_and_shows_many_lesions_without_a_table(self):
        case = Case(**{**COMPLETE_ANSWERS, "kps": None, "kps_unknown": True, "lesion_mode": "many",
                       "largest_diameter_mm": 30, "critical_location": "yes",
                       "critical_location_site": "brainstem"})
        with override("en"):
            summary = {row["label"]: row["value"] for row in case_summary(case, [])}
        assert summary["Earlier lines of treatment"] == "—"
        assert summary["KPS and dexamethasone"] == "KPS unknown; dexamethasone: No"
        assert "Many or very small lesions" in summary["Imaging"]
        assert "largest diameter: 30 mm" in summary["Imaging"]
        assert "critical location: Yes (Brainstem)" in summary["Imaging"]

    def test_it_shows_one_decimal_and_the_guidelines_prognosis_question(self):
        case = Case(**{**COMPLETE_ANSWERS, "prognosis_months": None, "prognosis_over_3_months": "yes"})
        lesions = [Lesion(region="frontal", side="left", diameter_mm=Decimal("7.5")),
                   Lesion(region="frontal", side="right", diameter_mm=Decimal("6.0"))]
        with override("nl"):
            summary = {str(row["label"]): row["value"] for row in case_summary(case, lesions)}
        assert summary["Verwachte prognose (maanden)"] == "meer dan 3 maanden: ja"
        assert "grootste diameter: 7,5 mm" in summary["Beeldvorming"]
        case.prognosis_months, case.prognosis_over_3_months = Decimal("4.5"), ""
        with override("en"):
            summary = {str(row["label"]): row["value"] for row in case_summary(case, lesions)}
        assert summary["Expected prognosis (months)"] == "4.5"

    def test_the_agenda_prints_no_lesion_table_for_many_lesions(self, chair_client, chair, hospital):
        meeting = agenda_of(chair, hospital, 1, lesion_mode="many", largest_diameter_mm=30,
                            critical_location="no")
        content = chair_client.get(url("agenda_print", meeting)).content.decode()
        assert 'class="lesion-table"' not in content

    def test_the_page_numbers_are_cut_from_one_sentence(self):
        with override("en"):
            assert page_labels() == {"before": "Page", "middle": "of", "after": ""}


# --- System check: the PDF libraries ---------------------------------------------------------------

def _check_ids(monkeypatch, present):
    from django.core import checks

    from meetings import checks as pdf_checks

    monkeypatch.setattr(pdf_checks, "find_library", lambda name: f"lib{name}.so.0" if name in present else None)
    return sorted(message.id for message in checks.run_checks() if message.id.startswith("meetings."))


def test_system_check_passes_with_the_pdf_libraries(monkeypatch):
    assert _check_ids(monkeypatch, {"pango-1.0", "pangoft2-1.0", "harfbuzz-subset"}) == []


def test_system_check_warns_without_harfbuzz_subset(monkeypatch):
    # WeasyPrint still makes the PDF, with fontTools: slower, so a warning, not an error.
    assert _check_ids(monkeypatch, {"pango-1.0", "pangoft2-1.0"}) == ["meetings.W001"]


def test_system_check_warns_without_pango(monkeypatch):
    # Without Pango no PDF can be made: found at start-up, not at the chair's first download. A
    # warning: the demo and the print pages work without it.
    assert _check_ids(monkeypatch, {"harfbuzz-subset"}) == ["meetings.W002"]


def test_the_test_machine_has_the_pdf_libraries():
    # scripts/install-system-packages installs them; a missing one would slow or break the PDFs.
    from meetings.checks import pdf_libraries

    assert pdf_libraries(None) == []
