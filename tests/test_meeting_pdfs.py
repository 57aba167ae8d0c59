"""The agenda and minutes PDFs are made in the background and served as stored files (meetings/pdfs.py).

The download serves only the file of the current version of the document: a change to the agenda
queues a render in its own transaction, and until the worker has made it the download says that
the PDF is being prepared (or, without a worker, makes it there and then). Never the old file.
"""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.actor import Actor
from audit.models import AccessAction, AccessLog
from meetings import pdfs, printing
from meetings import services as meeting_services
from meetings.models import AdviceReport, MeetingPdf, PdfKind, PdfRender, ReportPdf
from tests.conftest import verified_login
from tests.test_mdo_report import report_url
from tests.test_meetings_print import PRINT_DATE, add_case, agenda_today, in_english, read_pdf, url
from tests.workflow import mark_held, planned_meeting, record_advice, register_quorum, scheduled_case, time_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair_client(client, chair):
    return in_english(verified_login(client, chair))


@pytest.fixture
def with_worker(settings):
    """Production: a worker makes the PDFs, the download never does."""
    settings.PDF_RENDER_ON_DEMAND = False


def no_weasyprint(monkeypatch):
    """From here on a PDF can only come from the store."""
    def refuse(html):
        raise AssertionError("WeasyPrint was called")
    monkeypatch.setattr(printing, "html_to_pdf", refuse)


def agenda_render(meeting, language="nl"):
    return PdfRender.objects.get(meeting=meeting, kind=PdfKind.AGENDA, language=language)


def make_all():
    made, failed = pdfs.render_due()
    assert failed == 0
    return made


def english_agenda_ready(chair_client, meeting):
    """The first English download queues the English agenda; the worker makes it."""
    assert chair_client.get(url("agenda_pdf", meeting)).status_code == 202
    make_all()


class TestTheQueue:
    def test_placing_a_case_queues_the_agenda_in_the_default_language(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 1)
        render = agenda_render(meeting)
        assert render.pending
        assert not PdfRender.objects.filter(meeting=meeting, kind=PdfKind.MINUTES).exists()  # not held yet

    def test_the_worker_makes_what_is_pending_and_stores_it_per_version(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 2)
        assert make_all() == 1
        render = agenda_render(meeting)
        assert not render.pending
        stored = MeetingPdf.objects.get(meeting=meeting, kind=PdfKind.AGENDA, language="nl")
        assert stored.version == render.version and bytes(stored.pdf).startswith(b"%PDF")
        assert len(stored.case_ids) == 2 and stored.render_ms > 0
        assert make_all() == 0  # nothing left

    def test_a_rolled_back_change_queues_nothing(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 1)
        make_all()
        version = agenda_render(meeting).version
        with pytest.raises(RuntimeError), transaction.atomic():
            meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk, name="Dr. A",
                                            discipline="neurology", mode="on_site")
            raise RuntimeError("the action fails after its event")
        assert agenda_render(meeting).version == version and not agenda_render(meeting).pending

    @pytest.mark.parametrize("change", ["attendance", "reorder", "new_case", "unschedule"])
    def test_every_change_of_the_agenda_makes_a_new_version(self, chair, hospital, change):
        meeting = agenda_today(chair, hospital, 2)
        make_all()
        version = agenda_render(meeting).version
        actor = Actor(user=chair)
        first, second = meeting.items.order_by("position")
        if change == "attendance":
            meeting_services.attendance_add(actor=actor, meeting_id=meeting.pk, name="Dr. A",
                                            discipline="neurology", mode="on_site")
        elif change == "reorder":
            meeting_services.agenda_reorder(actor=actor, item_id=second.pk, direction="up")
        elif change == "new_case":
            add_case(meeting, chair, hospital, 3, "Visser")
        else:
            meeting_services.agenda_remove(actor=actor, item_id=first.pk, reason="Patiënt wil niet")
        assert agenda_render(meeting).version > version and agenda_render(meeting).pending

    def test_a_case_moved_to_another_meeting_changes_both_agendas(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 1)
        later = planned_meeting(chair, days_ahead=7, capacity_cases=30)
        make_all()
        version = agenda_render(meeting).version
        meeting_services.agenda_move(actor=Actor(user=chair), item_id=meeting.items.get().pk, meeting_id=later.pk)
        assert agenda_render(meeting).version > version and agenda_render(later).pending

    def test_the_advice_makes_new_minutes_once_the_meeting_was_held(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 1)
        register_quorum(meeting, chair)
        mark_held(meeting, chair)
        minutes = PdfRender.objects.get(meeting=meeting, kind=PdfKind.MINUTES, language="nl")
        make_all()
        minutes.refresh_from_db()
        version = minutes.version
        record_advice(meeting.items.get(), chair, decisions=["resection"], text="Resectie.")
        minutes.refresh_from_db()
        assert minutes.version > version and minutes.pending

    def test_a_change_that_alters_nothing_on_paper_needs_no_new_render(self, chair, hospital, monkeypatch):
        meeting = agenda_today(chair, hospital, 1)
        make_all()
        before = MeetingPdf.objects.get(meeting=meeting)
        pdfs.documents_changed([meeting.pk])
        no_weasyprint(monkeypatch)
        assert make_all() == 1
        after = MeetingPdf.objects.get(meeting=meeting)
        assert after.pk == before.pk and after.version == agenda_render(meeting).version

    def test_it_keeps_the_last_versions_only(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 1)
        for number in range(pdfs.KEEP_VERSIONS + 2):
            meeting_services.attendance_add(actor=Actor(user=chair), meeting_id=meeting.pk, name=f"Dr. {number}",
                                            discipline="neurology", mode="on_site")
            make_all()
        versions = list(MeetingPdf.objects.filter(meeting=meeting).values_list("version", flat=True))
        assert len(versions) == pdfs.KEEP_VERSIONS and max(versions) == agenda_render(meeting).version

    def test_a_render_taken_by_one_worker_is_not_taken_by_another(self, chair, hospital):
        agenda_today(chair, hospital, 1)
        now = timezone.now()
        assert pdfs._claim(now) is not None
        assert pdfs._claim(now) is None
        assert pdfs._claim(now + pdfs.LEASE * 2) is not None  # a worker that died frees it

    def test_a_change_during_a_render_is_made_after_it_one_at_a_time(self, chair, hospital):
        meeting = agenda_today(chair, hospital, 1)
        now = timezone.now()
        render = pdfs._claim(now)
        add_case(meeting, chair, hospital, 2, "Visser")  # while the worker renders the first version
        assert pdfs._claim(now) is None  # not a second render of the same document beside it
        pdfs._make(render)
        assert agenda_render(meeting).pending  # the old version is stored, the new one waits
        assert pdfs.render_due() == (1, 0)
        assert not agenda_render(meeting).pending

    def test_a_failed_render_waits_and_is_tried_again(self, chair, hospital, monkeypatch):
        meeting = agenda_today(chair, hospital, 1)

        def fail(html):
            raise printing.PdfUnavailable

        monkeypatch.setattr(printing, "html_to_pdf", fail)
        assert pdfs.render_due() == (0, 1)
        render = agenda_render(meeting)
        assert render.attempts == 1 and render.last_error == "PdfUnavailable" and render.pending
        assert pdfs.render_due() == (0, 0)  # waits
        monkeypatch.undo()
        assert pdfs.render_due(now=timezone.now() + pdfs.BACKOFF_MAX) == (1, 0)

    def test_a_change_after_a_failure_is_tried_at_once(self, chair, hospital, monkeypatch):
        meeting = agenda_today(chair, hospital, 1)
        monkeypatch.setattr(printing, "html_to_pdf", lambda html: (_ for _ in ()).throw(OSError("disk")))
        assert pdfs.render_due() == (0, 1)
        monkeypatch.undo()
        add_case(meeting, chair, hospital, 2, "Visser")
        assert pdfs.render_due() == (1, 0)

    def test_the_command_runs_once(self, chair, hospital, capsys):
        agenda_today(chair, hospital, 1)
        call_command("render_pdfs", "--once")
        assert "pdfs: 1 made, 0 failed, 0 waiting" in capsys.readouterr().out


@pytest.mark.usefixtures("with_worker")
class TestTheDownloadWithAWorker:
    def test_it_serves_the_stored_file_without_rendering(self, chair_client, chair, hospital, monkeypatch,
                                                         tmp_path):
        meeting = agenda_today(chair, hospital, 2)
        english_agenda_ready(chair_client, meeting)
        no_weasyprint(monkeypatch)
        response = chair_client.get(url("agenda_pdf", meeting))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        _pages, text = read_pdf(response, tmp_path)
        assert "Bakker, A." in text and "de Boer, A." in text
        assert "Printed" not in text and "Made " in text  # by the worker, for nobody in particular

    def test_a_changed_agenda_is_being_prepared_never_the_old_file(self, chair_client, chair, hospital,
                                                                     tmp_path):
        meeting = agenda_today(chair, hospital, 1)
        english_agenda_ready(chair_client, meeting)
        add_case(meeting, chair, hospital, 2, "Visser")
        response = chair_client.get(url("agenda_pdf", meeting))
        assert response.status_code == 202 and response["Retry-After"] == "5"
        page = response.content.decode()
        assert "The PDF is being prepared" in page and '<meta http-equiv="refresh" content="5">' in page
        assert "Bakker" not in page and b"%PDF" not in response.content
        make_all()
        _pages, text = read_pdf(chair_client.get(url("agenda_pdf", meeting)), tmp_path)
        assert "Bakker, A." in text and "Visser, A." in text

    def test_each_download_is_logged_per_case_and_the_waiting_page_not(self, chair_client, chair, hospital):
        meeting = agenda_today(chair, hospital, 2)
        english_agenda_ready(chair_client, meeting)
        exports = AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="meeting_agenda_pdf")
        assert not exports.exists()  # the waiting page showed no patient
        chair_client.get(url("agenda_pdf", meeting))
        chair_client.get(url("agenda_pdf", meeting))
        cases = {item.case_id for item in meeting.items.all()}
        assert exports.count() == 4 and {row.case_id for row in exports} == cases
        assert {row.patient_id for row in exports} == {item.case.patient_id for item in meeting.items.all()}

    def test_the_stored_file_costs_a_few_queries(self, chair_client, chair, hospital,
                                                 django_assert_max_num_queries):
        meeting = agenda_today(chair, hospital, 6)
        english_agenda_ready(chair_client, meeting)
        chair_client.get(url("agenda_pdf", meeting))
        with django_assert_max_num_queries(12):
            assert chair_client.get(url("agenda_pdf", meeting)).status_code == 200

    def test_a_repeated_download_reads_the_bytes_once_and_never_serves_an_old_version(self, chair_client, chair,
                                                                                       hospital, tmp_path):
        meeting = agenda_today(chair, hospital, 1)
        english_agenda_ready(chair_client, meeting)
        first = chair_client.get(url("agenda_pdf", meeting)).content
        with CaptureQueriesContext(connection) as context:
            second = chair_client.get(url("agenda_pdf", meeting))
        assert second.content == first
        # Which file is current is asked again; its bytes are not read again.
        assert any('"meetings_meetingpdf"' in query["sql"] for query in context.captured_queries)
        assert not any('"meetings_meetingpdf"."pdf"' in query["sql"] for query in context.captured_queries)
        add_case(meeting, chair, hospital, 2, "Visser")
        assert chair_client.get(url("agenda_pdf", meeting)).status_code == 202
        make_all()
        _pages, text = read_pdf(chair_client.get(url("agenda_pdf", meeting)), tmp_path)
        assert "Bakker, A." in text and "Visser, A." in text

    def test_a_file_of_older_templates_is_made_again(self, chair_client, chair, hospital, monkeypatch):
        meeting = agenda_today(chair, hospital, 1)
        english_agenda_ready(chair_client, meeting)
        monkeypatch.setattr(pdfs, "layout", lambda: "after-a-deploy")
        assert chair_client.get(url("agenda_pdf", meeting)).status_code == 202
        make_all()
        assert chair_client.get(url("agenda_pdf", meeting)).status_code == 200

    def test_a_worker_without_pango_shows_the_print_page_instead(self, chair_client, chair, hospital, monkeypatch):
        meeting = agenda_today(chair, hospital, 1)

        def fail(html):
            raise printing.PdfUnavailable

        monkeypatch.setattr(printing, "html_to_pdf", fail)
        assert chair_client.get(url("agenda_pdf", meeting)).status_code == 202
        pdfs.render_due()
        response = chair_client.get(url("agenda_pdf", meeting))
        assert response.status_code == 503 and url("agenda_print", meeting) in response.content.decode()

    def test_minutes_are_prepared_and_served_the_same_way(self, chair_client, chair, hospital, tmp_path):
        meeting = agenda_today(chair, hospital, 1)
        register_quorum(meeting, chair)
        record_advice(meeting.items.get(), chair, decisions=["resection"], text="Resectie eerst.")
        mark_held(meeting, chair)
        meeting = time_passes(meeting, to=PRINT_DATE)
        assert chair_client.get(url("minutes_pdf", meeting)).status_code == 202
        make_all()
        _pages, text = read_pdf(chair_client.get(url("minutes_pdf", meeting)), tmp_path)
        assert "Resectie eerst." in text


class TestTheDownloadWithoutAWorker:
    """PDF_RENDER_ON_DEMAND (the development server, the tests): a missing or old file is made now."""

    def test_a_changed_agenda_is_made_at_once(self, chair_client, chair, hospital, tmp_path):
        meeting = agenda_today(chair, hospital, 1)
        assert chair_client.get(url("agenda_pdf", meeting)).status_code == 200
        add_case(meeting, chair, hospital, 2, "Visser")
        response = chair_client.get(url("agenda_pdf", meeting))
        assert response.status_code == 200
        _pages, text = read_pdf(response, tmp_path)
        assert "Visser, A." in text
        render = PdfRender.objects.get(meeting=meeting, kind=PdfKind.AGENDA, language="en")
        assert not render.pending
        assert MeetingPdf.objects.filter(meeting=meeting, language="en", version=render.version).exists()

    def test_a_second_download_is_the_stored_file(self, chair_client, chair, hospital, monkeypatch):
        meeting = agenda_today(chair, hospital, 1)
        first = chair_client.get(url("agenda_pdf", meeting)).content
        no_weasyprint(monkeypatch)
        assert chair_client.get(url("agenda_pdf", meeting)).content == first


class TestTheMdoReport:
    """A version of the MDO report never changes: its PDF is made once and served from the store."""

    def test_the_second_download_is_the_stored_file_and_both_are_logged(self, client, referrer, chair,
                                                                           monkeypatch):

        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        record_advice(item, chair)
        report = AdviceReport.objects.get(advice__item=item)
        verified_login(client, referrer)
        first = client.get(report_url(item, report, "report_pdf"))
        assert first.status_code == 200 and ReportPdf.objects.filter(report=report, kind="report").count() == 1
        no_weasyprint(monkeypatch)
        second = client.get(report_url(item, report, "report_pdf"))
        assert second.status_code == 200 and second.content == first.content
        exports = AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="mdo_report_pdf")
        assert exports.count() == 2 and {row.case_id for row in exports} == {item.case_id}

    def test_a_new_version_gets_its_own_file(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        register_quorum(item.meeting, chair)
        record_advice(item, chair)
        record_advice(item, chair, text="Gecorrigeerd advies.")
        first, second = AdviceReport.objects.filter(advice__item=item).order_by("version")
        verified_login(client, referrer)
        for report in (first, second):
            assert client.get(report_url(item, report, "report_pdf")).status_code == 200
        assert ReportPdf.objects.filter(report__in=[first, second]).count() == 2


def test_the_bytes_kept_per_worker_stay_within_their_limit(chair):
    """pdfs.FILE_BYTES keeps the most recently served files up to its limit in bytes; an evicted
    file is read from the database again, with the same bytes."""
    meeting = planned_meeting(chair)
    files = [MeetingPdf.objects.create(meeting=meeting, kind=PdfKind.AGENDA, language="nl", version=version,
                                       content_hash=f"hash-{version}", layout="test", pdf=bytes([version]) * 100)
             for version in (1, 2, 3)]
    kept = pdfs._FileBytes(limit=250)
    for stored in files:
        assert kept.get(MeetingPdf.objects.defer("pdf").get(pk=stored.pk)) == bytes([stored.version]) * 100
    assert kept.size == 200 and [key[0] for key in kept.files] == [files[1].pk, files[2].pk]
    assert kept.get(files[0]) == bytes([1]) * 100  # read again
    assert kept.size <= 250
