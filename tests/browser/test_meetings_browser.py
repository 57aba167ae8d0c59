"""Pre-consultation and the meeting in Chromium: override, request for information, scheduling,
attendance and quorum, the meeting's advice, and the agenda PDF."""

import subprocess

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, MeetingAdvice, Preconsultation
from referrals.models import CaseStatus
from tests.browser.conftest import log_in
from tests.workflow import planned_meeting, submitted_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_action(page, key):
    page.click(f"details.preconsult-{key} > summary")


def test_override_and_schedule(page, referrer, neuro_oncologist, chair):
    case = submitted_case(referrer)
    meeting = planned_meeting(chair)
    log_in(page, neuro_oncologist)
    page.wait_for_selector("h1:has-text('Vooroverleg')")
    page.click(f"text={case.patient.family_name}")

    open_action(page, "override")
    page.select_option("details.preconsult-override select[name=outcome]", "NEURO_ONC_MDO_QOL")
    page.click("details.preconsult-override button[type=submit]")
    page.wait_for_selector("details.preconsult-override[open] .invalid-feedback, "
                           "details.preconsult-override[open] .is-invalid")
    assert not Preconsultation.objects.exists()
    page.fill("details.preconsult-override textarea[name=reason]", "Vooral vraag naar kwaliteit van leven")
    page.click("details.preconsult-override button[type=submit]")
    page.wait_for_selector(".preconsult-history >> text=Vooral vraag naar kwaliteit van leven")

    page.select_option("form.schedule-form select[name=meeting]", str(meeting.pk))
    page.click("form.schedule-form button[type=submit]")
    page.wait_for_selector("#agenda-title")
    case.refresh_from_db()
    assert case.status == CaseStatus.SCHEDULED
    assert Preconsultation.objects.get().reason == "Vooral vraag naar kwaliteit van leven"


def test_request_for_information_returns_with_a_new_advice(page, browser, live_server, referrer,
                                                            neuro_oncologist):
    case = submitted_case(referrer, kps=None, kps_unknown=True)
    assert case.current_advice.outcome == "INCOMPLETE_PRECONSULT" or case.meeting_gaps
    log_in(page, neuro_oncologist)
    page.goto(f"/cases/{case.pk}/")
    open_action(page, "request_info")
    page.fill("details.preconsult-request_info textarea[name=message]", "Graag de actuele KPS.")
    page.check("details.preconsult-request_info input[name=steps][value=clinical]")
    page.click("details.preconsult-request_info button[type=submit]")
    page.wait_for_selector(".alert-success")

    context = browser.new_context(locale="nl-NL", base_url=live_server.url)
    referrer_page = context.new_page()
    referrer_page.set_default_timeout(10_000)
    log_in(referrer_page, referrer)
    referrer_page.goto(f"/cases/{case.pk}/")
    assert referrer_page.is_visible("text=Graag de actuele KPS.")
    referrer_page.click("text=Aanvullende informatie toevoegen")
    # The question is at the top of the intake, and the step it concerns is marked, not ticked
    # (issue 12 item 5).
    assert "Graag de actuele KPS." in referrer_page.inner_text(".open-request")
    assert "Klinische toestand" in referrer_page.inner_text(".open-request")
    clinical = referrer_page.locator(".intake-progress li", has_text="Klinische toestand")
    assert "requested" in clinical.get_attribute("class") and "completed" not in clinical.get_attribute("class")
    referrer_page.click(".step-link:has-text('Klinische toestand')")
    referrer_page.uncheck("input[name=kps_unknown]")
    referrer_page.fill("input[name=kps]", "80")
    referrer_page.click("button[name=next]:not(.visually-hidden)")
    referrer_page.goto(f"/cases/{case.pk}/intake/review/")
    clinical = referrer_page.locator(".intake-progress li", has_text="Klinische toestand")
    assert "completed" in clinical.get_attribute("class"), "saved since the request: ticked again"
    referrer_page.fill("textarea[name=answer]", "KPS 80 zonder dexamethason, gemeten op 1 december.")
    referrer_page.click("button:has-text('Verwijzing indienen')")
    referrer_page.wait_for_selector("text=De casus is ingediend.")
    assert "KPS 80 zonder dexamethason" in referrer_page.inner_text(".request-answer")
    context.close()

    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.advices.count() == 2 and case.current_advice.trigger == "resubmitted"
    assert case.meeting_ready


def test_attendance_quorum_advice_and_pdf(page, referrer, chair, tmp_path):
    from audit.actor import Actor
    from meetings import services

    meeting = planned_meeting(chair, capacity_cases=2)
    cases = [submitted_case(referrer) for _ in range(3)]
    for case in cases[:2]:
        services.case_schedule(actor=Actor(user=chair), case_id=case.pk, meeting_id=meeting.pk)
    with pytest.raises(services.MeetingFull):
        services.case_schedule(actor=Actor(user=chair), case_id=cases[2].pk, meeting_id=meeting.pk)
    assert AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True).count() == 2

    log_in(page, chair)
    page.goto(f"/mdo/meetings/{meeting.pk}/")
    for name, discipline in [("Dr. Neurochirurg", "neurosurgery"), ("Dr. Neuroloog", "neurology"),
                             ("Dr. Radioloog", "neuroradiology")]:
        page.fill("form.attendance-form input[name=name]", name)
        page.select_option("form.attendance-form select[name=discipline]", discipline)
        page.click("form.attendance-form button[type=submit]")
        page.wait_for_selector(f".attendance-list >> text={name}")
    panel = page.locator(".quorum-panel")
    assert panel.get_attribute("data-quorum-met") == "false"
    assert "Radiotherapie" in panel.locator(".missing").inner_text()

    item = page.locator(".agenda-item").first
    item.locator("summary").click()
    item.locator("form.presence-form select[name=present]").select_option("yes")
    item.locator("form.presence-form button[type=submit]").click()
    page.wait_for_selector(".agenda-item >> text=Ja, de hoofdbehandelaar")
    page.locator(".agenda-item").first.locator("summary").click()
    page.locator(".agenda-item").first.locator("a:has-text('Advies vastleggen')").click()

    def fill_advice():
        page.check("input[name=decisions][value=srt]")
        page.check("input[name=follow_up][value=treating_mri]")
        page.fill("input[name=carried_out_by]", "Radiotherapie Centrum")
        page.fill("input[name=first_contact]", "Longarts Noord")
        page.click("form.advice-form button[type=submit]")

    fill_advice()
    page.wait_for_selector("text=Het wettelijk quorum is niet gehaald")
    assert "Radiotherapie" in page.locator(".invalid-feedback, .alert-danger").first.inner_text()
    assert not MeetingAdvice.objects.exists()

    page.goto(f"/mdo/meetings/{meeting.pk}/")
    page.fill("form.attendance-form input[name=name]", "Dr. Radiotherapeut")
    page.select_option("form.attendance-form select[name=discipline]", "radiation_oncology")
    page.check("form.attendance-form input[name=mode][value=video]")
    page.click("form.attendance-form button[type=submit]")
    page.wait_for_selector(".quorum-panel[data-quorum-met=true]")
    page.locator(".agenda-item").first.locator("summary").click()
    page.locator(".agenda-item").first.locator("a:has-text('Advies vastleggen')").click()
    fill_advice()
    page.wait_for_selector("text=Het advies van het MDO is vastgelegd.")
    assert MeetingAdvice.objects.get().decisions == ["srt"]

    with page.expect_download() as download_info:
        page.click("a:has-text('Agenda (pdf)')")
    pdf = tmp_path / "agenda.pdf"
    download_info.value.save_as(pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for case in cases[:2]:
        assert case.patient.family_name in text
    assert cases[2].patient.family_name not in text


def test_the_referrer_sees_the_advice_records_the_plan_and_the_timeline_has_it_all(page, referrer, chair):
    import datetime

    from django.utils import timezone

    from audit.actor import Actor
    from meetings import services
    from tests.workflow import ADVICE, register_quorum, scheduled_case

    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values=ADVICE)
    case = item.case

    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/")
    panel = page.locator(".meeting-advice-panel")
    assert "Stereotactische radiotherapie" in panel.inner_text()
    assert ADVICE["text"] in panel.inner_text()
    page.click("a.implementation-link")
    form = "form.implementation-form"
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    page.check(f"{form} input[name=srt-status][value=done]")
    page.fill(f"{form} input[name=srt-done_on]", tomorrow)
    page.fill(f"{form} input[name=agreed_on]", timezone.localdate().isoformat())
    page.fill(f"{form} textarea[name=agreed]", "Patiënt kiest voor SRT")
    page.click(f"{form} button[type=submit]")
    # A date in the future is refused at the field, and what was typed is kept.
    page.wait_for_selector(f"{form} .invalid-feedback:has-text('toekomst')")
    assert page.input_value(f"{form} textarea[name=agreed]") == "Patiënt kiest voor SRT"
    page.fill(f"{form} input[name=srt-done_on]", timezone.localdate().isoformat())
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("text=De uitvoering van het advies is vastgelegd.")
    case.refresh_from_db()
    assert case.status == CaseStatus.IMPLEMENTED
    assert "Patiënt kiest voor SRT" in page.locator(".meeting-advice-panel").inner_text()
    assert "Uitgevoerd" in page.locator(".implementation-panel").inner_text()

    page.goto(f"/cases/{case.pk}/timeline/")
    timeline = page.locator("main").inner_text()
    order = [timeline.index(label) for label in (
        "Casus ingediend", "Op de agenda geplaatst", "Advies van het MDO vastgelegd",
        "Uitvoering van het advies vastgelegd")]
    assert order == sorted(order)
    assert "Patiënt kiest voor SRT" in timeline
    assert not page.server_errors


def test_the_advice_form_asks_the_presence_and_keeps_the_typed_advice(page, referrer, chair):
    """Issue 12 item 3: a typed advice survives every refusal, and presence is on the same form."""
    from tests.workflow import register_quorum, scheduled_case

    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    log_in(page, chair)
    page.goto(reverse("meetings:item_advice", args=[item.pk]))
    text = "SRT 1x20 Gy; controle-MRI na 3 maanden."
    page.check("input[name=decisions][value=srt]")
    page.fill("textarea[name=text]", text)
    page.fill("input[name=carried_out_by]", "Radiotherapie, Centrum")
    page.fill("input[name=first_contact]", "Longarts, Ziekenhuis Noord")
    page.check("input[name=present][value=no]")
    page.click("form.advice-form button[type=submit]")
    page.wait_for_selector("text=De hoofdbehandelaar was niet aanwezig")
    assert page.input_value("textarea[name=text]") == text
    assert not MeetingAdvice.objects.exists()
    page.check("input[name=present][value=yes]")
    page.click("form.advice-form button[type=submit]")
    page.wait_for_selector("text=Het advies van het MDO is vastgelegd.")
    assert MeetingAdvice.objects.get().text == text
