"""The MDO report per patient ("MDO-verslag") and the letter for the patient.

The report exists from the moment the meeting's advice is recorded, one version per recorded or
corrected advice, frozen: editing the case later changes no version. It is written in the
referring physician's language, shown to whoever sees the case (404 to anyone else), and every
look at it is in the access log (read for the page, export for the PDF). The letter for the
patient is made on the referrer's request (an event), in plain words.
"""

import io
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Role, User
from audit.actor import Actor
from audit.models import AccessAction, AccessLog, Event
from followup import services as followup_services
from meetings import services as meeting_services
from meetings.models import AdviceReport
from meetings.report import PLAIN_DECISIONS, letter_context
from referrals.models import Case, Patient
from tests.conftest import speak, verified_login
from tests.factories import CentreFactory, HospitalFactory, UserFactory
from tests.workflow import record_advice, register_quorum, scheduled_case
from triage.codes import Decision

pytestmark = pytest.mark.django_db

QUESTION = "Is SRT van de frontale laesie mogelijk?"


@pytest.fixture
def advised(referrer, chair):
    """A case with the quorum present and the meeting's advice (SRT) recorded: (item, report)."""
    chair.first_name, chair.last_name = "Karel", "Voorzitter"
    chair.save()
    item = scheduled_case(referrer, chair, patient={"family_name": "Bakker", "given_names": "Anna",
                                                    "bsn": "123456782"},
                          question_to_mdo=QUESTION)
    register_quorum(item.meeting, chair)
    record_advice(item, chair)
    return item, AdviceReport.objects.get(advice__item=item)


def report_url(item, report, name="report"):
    return reverse(f"casefile:{name}", args=[item.case.pk, report.pk])


def read_pdf(response, tmp_path):
    path = tmp_path / "download.pdf"
    path.write_bytes(response.content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def log_rows(user, object_type):
    return list(AccessLog.objects.filter(user=user, object_type=object_type).values_list("action", "result"))


# --- It exists with the advice, not before ---------------------------------------------------------

def test_there_is_no_report_before_the_advice(client, referrer, chair):
    item = scheduled_case(referrer, chair)
    verified_login(client, referrer)
    response = client.get(reverse("casefile:report_latest", args=[item.case.pk]))
    assert response.status_code == 404
    assert "no-report" in response.content.decode()
    assert not AdviceReport.objects.exists()


def test_the_report_is_made_when_the_advice_is_recorded(advised):
    item, report = advised
    assert report.version == 1
    assert report.content["decisions"] == ["srt"]
    assert Event.objects.get(action="case.advice_recorded").data["report_version"] == 1


def test_the_newest_report_is_one_click_from_the_case(client, advised, referrer):
    item, report = advised
    verified_login(client, referrer)
    response = client.get(reverse("casefile:report_latest", args=[item.case.pk]))
    assert response.status_code == 302 and response["Location"] == report_url(item, report)


# --- What it says ------------------------------------------------------------------------------------

def test_the_report_says_who_what_and_by_whom(client, advised, referrer):
    item, report = advised
    verified_login(client, referrer)
    response = client.get(report_url(item, report))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="nl"' in page
    assert "Bakker, Anna" in page and item.case.patient.patient_number in page
    assert "******782" in page and "123456782" not in page  # the BSN as on the case page: masked
    assert QUESTION in page
    assert "Stereotactische radiotherapie" in page
    assert "SRT 3x8 Gy op de frontale laesie." in page
    assert "Radiotherapie, Neuro-oncologisch Centrum" in page  # carried out by
    assert "Longarts, Ziekenhuis Noord" in page  # first point of contact
    assert 'data-quorum-met="true"' in page and "Wettelijk quorum" in page
    assert "Dr. neuroradiology" in page and "(Neuro)radiologie" in page  # participants and disciplines
    assert "Karel Voorzitter" in page  # the chair
    assert "lesion-table" in page and "links" in page and ">14<" in page  # the lesion table (14 mm, left)
    assert "Samenvatting" in page  # the facts of guideline section 3
    assert "Versie 1" in page


def test_the_report_says_when_the_quorum_was_not_met(client, referrer, chair):
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair, disciplines=("neurology",))
    record_advice(item, chair, decisions=["systemic"], follow_up="treating_mri")
    report = AdviceReport.objects.get(advice__item=item)
    verified_login(client, referrer)
    page = client.get(report_url(item, report)).content.decode()
    assert 'data-quorum-met="false"' in page
    assert "Niet gehaald. Ontbreekt" in page and "Neurochirurgie" in page
    assert "Start of switch systeemtherapie" in page


def test_the_report_is_in_the_referrers_language_the_toolbar_in_the_readers(client, advised, referrer, chair):
    item, report = advised
    User.objects.filter(pk=referrer.pk).update(language="en")
    verified_login(client, chair)  # the chair reads Dutch
    page = client.get(report_url(item, report)).content.decode()
    assert 'lang="en"' in page
    assert "Report of the neuro-oncology MDT" in page and "Stereotactic radiotherapy" in page
    assert "Legal quorum" in page and "Version 1" in page
    assert "Terug naar de casus" in page  # the toolbar: the reader's language


def test_an_english_reader_of_a_dutch_report(client, advised, referrer):
    item, report = advised
    verified_login(client, referrer)
    speak(client, "en")
    User.objects.filter(pk=referrer.pk).update(language="nl")
    page = client.get(report_url(item, report)).content.decode()
    assert "Verslag van het neuro-oncologisch MDO" in page and "Stereotactische radiotherapie" in page


# --- Versions -----------------------------------------------------------------------------------------

def test_a_correction_makes_version_2_and_version_1_stays_as_it_was(client, advised, referrer, chair):
    item, first = advised
    verified_login(client, referrer)
    before = client.get(report_url(item, first)).content.decode()
    meeting_services.meeting_advice_record(
        actor=Actor(user=chair), item_id=item.pk,
        values={"decisions": ["wbrt"], "text": "Toch totale schedelbestraling.", "follow_up": "treating_mri",
                "follow_up_text": "", "carried_out_by": "Radiotherapie Zuid", "first_contact": "Huisarts"})
    second = AdviceReport.objects.get(advice__item=item, version=2)
    assert Event.objects.get(action="case.advice_corrected").data["report_version"] == 2

    page_2 = client.get(report_url(item, second)).content.decode()
    assert "Totale schedelbestraling" in page_2 and "Versie 2" in page_2 and "Radiotherapie Zuid" in page_2
    assert "Stereotactische radiotherapie" not in page_2.split("<main>")[1]
    # Both versions listed on each, each linked from the other.
    assert report_url(item, first) in page_2
    page_1 = client.get(report_url(item, first)).content.decode()
    assert report_url(item, second) in page_1 and "superseded" in page_1
    assert page_1.split("<main>")[1] == before.split("<main>")[1]
    # The newest version is what the case page's link opens.
    latest = client.get(reverse("casefile:report_latest", args=[item.case.pk]))
    assert latest["Location"] == report_url(item, second)


def test_editing_the_case_afterwards_changes_no_version(client, advised, referrer, chair):
    item, report = advised
    verified_login(client, referrer)
    before = client.get(report_url(item, report)).content.decode().split("<main>")[1]
    # Whatever happens to the case's data later (a correction of the patient's name at the
    # hospital, another question, another lesion size, other participants) ...
    Patient.objects.filter(pk=item.case.patient_id).update(family_name="Anders", patient_number="X999")
    Case.objects.filter(pk=item.case.pk).update(question_to_mdo="Een heel andere vraag")
    item.case.lesions.update(diameter_mm=33)
    item.meeting.attendances.update(name="Iemand Anders")
    User.objects.filter(pk=chair.pk).update(last_name="Nieuwenhuis")
    # ... and the plan agreed with the patient, which changes the advice's row but is no correction.
    followup_services.implementation_record(actor=Actor(user=referrer), case_id=item.case_id, rows={
        "srt": {"status": "done", "done_on": item.meeting.date}},
        agreed_on=item.meeting.date, agreed="Patiënt kiest voor SRT.")
    after = client.get(report_url(item, report)).content.decode().split("<main>")[1]
    assert after == before
    assert "Bakker, Anna" in after and "Anders" not in after and "<td>33</td>" not in after
    assert AdviceReport.objects.filter(advice_id=report.advice_id).count() == 1


# --- PDF ------------------------------------------------------------------------------------------------

def test_the_pdf_is_a_pdf_with_the_report_in_it(client, advised, referrer, tmp_path):
    item, report = advised
    verified_login(client, referrer)
    response = client.get(report_url(item, report, "report_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "Bakker" not in response["Content-Disposition"]  # the file name: the reference only
    assert item.case.reference in response["Content-Disposition"]
    text = read_pdf(response, tmp_path)
    for words in ("Verslag van het neuro-oncologisch MDO", "Bakker, Anna", "Stereotactische radiotherapie",
                  "Karel Voorzitter", "Wettelijk quorum", "Versie 1", "Longarts, Ziekenhuis Noord"):
        assert words in text, words
    assert log_rows(referrer, "mdo_report_pdf") == [(AccessAction.EXPORT, "ok")]


def test_the_pdf_of_an_english_referrer_is_english(client, advised, referrer, chair, tmp_path):
    item, report = advised
    User.objects.filter(pk=referrer.pk).update(language="en")
    verified_login(client, chair)
    text = read_pdf(client.get(report_url(item, report, "report_pdf")), tmp_path)
    assert "Report of the neuro-oncology MDT" in text and "Stereotactic radiotherapy" in text


# --- Access and the access log ----------------------------------------------------------------------

def test_the_page_is_logged_as_read(client, advised, referrer, neuro_oncologist):
    item, report = advised
    for user in (referrer, neuro_oncologist):
        verified_login(client, user)
        assert client.get(report_url(item, report)).status_code == 200
        assert log_rows(user, "mdo_report") == [(AccessAction.READ, "ok")]
    row = AccessLog.objects.filter(object_type="mdo_report").first()
    assert row.case_id == item.case.pk and row.patient_id == item.case.patient_id


@pytest.mark.parametrize("name", ["report", "report_pdf", "patient_letter", "patient_letter_pdf"])
def test_another_hospital_gets_404_and_the_refusal_is_logged(client, advised, outsider, name):
    item, report = advised
    meeting_services.patient_letter_request(actor=Actor(user=item.case.referring_physician), report_id=report.pk)
    far_chair = UserFactory(hospital=CentreFactory(), role=Role.CHAIR)
    for user in (outsider, far_chair):
        verified_login(client, user)
        response = client.get(report_url(item, report, name))
        assert response.status_code == 404
        assert "Bakker" not in response.content.decode()
        assert AccessLog.objects.filter(user=user, result="denied", case=item.case).count() == 1


def test_a_report_of_another_case_is_not_found_under_this_case(client, advised, referrer, chair):
    item, report = advised
    other = scheduled_case(referrer, chair)
    verified_login(client, referrer)
    response = client.get(reverse("casefile:report", args=[other.case.pk, report.pk]))
    assert response.status_code == 404


def test_the_page_costs_a_fixed_number_of_queries(client, advised, referrer, django_assert_max_num_queries):
    item, report = advised
    verified_login(client, referrer)
    client.get(report_url(item, report))
    with django_assert_max_num_queries(9):
        assert client.get(report_url(item, report)).status_code == 200


# --- Links from the case page and the meeting page --------------------------------------------------

def test_the_case_page_and_the_meeting_page_link_to_the_report(client, advised, referrer, chair):
    item, report = advised
    verified_login(client, referrer)
    page = client.get(reverse("casefile:case_detail", args=[item.case.pk])).content.decode()
    assert reverse("casefile:report_latest", args=[item.case.pk]) in page
    verified_login(client, chair)
    page = client.get(reverse("meetings:meeting_detail", args=[item.meeting.pk])).content.decode()
    assert reverse("casefile:report_latest", args=[item.case.pk]) in page


# --- The letter for the patient ------------------------------------------------------------------------

def test_the_letter_is_made_on_the_referrers_request(client, advised, referrer):
    item, report = advised
    verified_login(client, referrer)
    assert client.get(report_url(item, report, "patient_letter")).status_code == 404
    page = client.get(report_url(item, report)).content.decode()
    assert report_url(item, report, "patient_letter_request") in page  # the button
    response = client.post(report_url(item, report, "patient_letter_request"))
    assert response.status_code == 302 and response["Location"] == report_url(item, report, "patient_letter")
    event = Event.objects.get(action="case.patient_letter_requested")
    assert event.user == referrer and event.case_id == item.case.pk and event.data == {"version": 1}
    # Asked twice (a double click): one request.
    client.post(report_url(item, report, "patient_letter_request"))
    assert Event.objects.filter(action="case.patient_letter_requested").count() == 1

    letter = client.get(report_url(item, report, "patient_letter")).content.decode()
    assert "Wat is het MDO?" in letter
    assert "Anna Bakker" in letter
    with translation.override("en"):
        assert str(PLAIN_DECISIONS["srt"]) not in letter  # not the English text ...
    assert "Bestraling die precies gericht is op de plekken in de hersenen." in letter  # ... but the Dutch
    assert "samen met uw arts" in letter
    assert "Uw eerste aanspreekpunt is: Longarts, Ziekenhuis Noord." in letter
    assert "Stereotactische" not in letter  # no jargon
    assert log_rows(referrer, "patient_letter") == [(AccessAction.READ, "ok")]


def test_only_the_referrer_asks_for_the_letter(client, advised, neuro_oncologist, chair):
    item, report = advised
    for user in (neuro_oncologist, chair):
        verified_login(client, user)
        assert client.post(report_url(item, report, "patient_letter_request")).status_code == 403
    assert not Event.objects.filter(action="case.patient_letter_requested").exists()


def test_the_letter_of_a_corrected_version_cannot_be_asked_for(client, advised, referrer, chair):
    item, report = advised
    record_advice(item, chair, text="Gecorrigeerd.")
    verified_login(client, referrer)
    response = client.post(report_url(item, report, "patient_letter_request"), follow=True)
    assert "gecorrigeerd" in response.content.decode()
    assert not Event.objects.filter(action="case.patient_letter_requested").exists()


def test_the_letter_in_english_and_as_pdf(client, advised, referrer, tmp_path):
    item, report = advised
    User.objects.filter(pk=referrer.pk).update(language="en")
    verified_login(client, referrer)
    client.post(report_url(item, report, "patient_letter_request"))
    letter = client.get(report_url(item, report, "patient_letter")).content.decode()
    assert "What is the MDT?" in letter and "You decide together with your doctor" in letter
    with translation.override("en"):
        assert str(PLAIN_DECISIONS["srt"]) in letter
    response = client.get(report_url(item, report, "patient_letter_pdf"))
    assert response.content.startswith(b"%PDF")
    text = read_pdf(response, tmp_path)
    assert "first point of contact" in text and "Longarts, Ziekenhuis Noord" in text
    assert log_rows(referrer, "patient_letter_pdf") == [(AccessAction.EXPORT, "ok")]


def test_without_a_contact_the_referrer_is_the_first_point_of_contact(advised):
    _item, report = advised
    report.content["first_contact"] = ""
    context = letter_context(report, "nl")
    assert context["contact_is_referrer"] and context["contact"] == report.content["referring_physician"]


def test_every_decision_has_plain_words_in_both_languages():
    for code in Decision.values:
        with translation.override("en"):
            english = str(PLAIN_DECISIONS[code])
        with translation.override("nl"):
            dutch = str(PLAIN_DECISIONS[code])
        assert english and dutch and dutch != english, code
        # B1: short sentences.
        assert all(len(sentence.split()) <= 16 for sentence in dutch.split(". ")), dutch


def test_the_hospital_of_another_region_has_no_report(client, advised):
    """A referrer of a hospital of another region (another MDO centre) sees nothing either."""
    item, report = advised
    stranger = UserFactory(hospital=HospitalFactory(), role=Role.REFERRER)
    verified_login(client, stranger)
    assert client.get(report_url(item, report)).status_code == 404


# --- Advices recorded before reports existed --------------------------------------------------------

def test_an_advice_from_before_gets_its_report_made_afterwards(client, advised, referrer):
    from django.core.management import call_command

    item, report = advised
    # As before migration meetings 0005: an advice without a report.
    AdviceReport.objects.filter(pk=report.pk).delete()
    out = io.StringIO()
    call_command("make_advice_reports", stdout=out)
    call_command("make_advice_reports", stdout=out)  # again: nothing to do
    assert out.getvalue().splitlines() == ["1 report(s) made.", "0 report(s) made."]
    made = AdviceReport.objects.get(advice__item=item)
    assert made.version == 1 and made.created_by == item.advice.recorded_by
    event = Event.objects.get(action="case.report_made_afterwards")
    assert event.user is None and event.case_id == item.case.pk
    verified_login(client, referrer)
    page = client.get(report_url(item, made)).content.decode()
    assert "made-afterwards" in page and "Stereotactische radiotherapie" in page
