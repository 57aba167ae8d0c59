"""The live session in the browser (issue 13 item 1): the keyboard steps through the agenda, the
timer runs against the planned minutes, moving on with an unsaved advice asks first, and the page
passes axe-core (WCAG 2.2 AA, serious and critical) under the strict CSP."""

import pytest

from tests.browser.axe import axe_violations, describe
from tests.browser.conftest import log_in
from tests.workflow import planned_meeting, register_quorum, scheduled_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_keyboard_moves_on_and_an_unsaved_advice_asks_first(page, referrer, chair):
    meeting = planned_meeting(chair, minutes_per_case=8)
    register_quorum(meeting, chair)
    first = scheduled_case(referrer, chair, meeting, question_to_mdo="Resectie of SRT?",
                           imaging_url="https://pacs.noord.example/viewer?study=1")
    second = scheduled_case(referrer, chair, meeting, question_to_mdo="Is WBRT nog zinvol?")
    log_in(page, chair)

    # From the meeting page into the live session: the first case without advice.
    page.goto(f"/mdo/meetings/{meeting.pk}/")
    page.click("a.live-session-link")
    page.wait_for_url(f"**/live/{first.pk}/")
    assert "Resectie of SRT?" in page.inner_text(".live-question-text")
    assert page.is_visible(".quorum-panel")
    page.wait_for_selector("[data-live-elapsed]:not([hidden])")
    assert page.inner_text("[data-live-elapsed]").startswith("00:0")
    assert "gepland 8 minuten" in page.inner_text(".live-timer")
    assert page.get_attribute("a.live-viewer", "rel") == "noopener noreferrer"

    violations = axe_violations(page)
    assert not violations, describe(violations)

    # The arrow key goes to the next case (nothing typed: no question).
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/live/{second.pk}/")
    assert "Is WBRT nog zinvol?" in page.inner_text(".live-question-text") and dialogs == []

    # Typing in the advice: the keys type, they do not navigate.
    page.fill("textarea[name=text]", "Eerst perfusie-MRI.")
    page.keyboard.press("ArrowLeft")
    assert page.url.endswith(f"/live/{second.pk}/")
    # Out of the field, "previous" asks first, and staying keeps the text.
    page.locator("h1.live-patient").click()
    assert page.evaluate("window.mdoUnsavedChanges()")
    page.keyboard.press("p")
    page.wait_for_timeout(400)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/live/{second.pk}/")
    assert page.input_value("textarea[name=text]") == "Eerst perfusie-MRI."

    # The agenda list jumps to a case ("g" focuses it).
    page.fill("textarea[name=text]", "")
    page.locator("h1.live-patient").click()
    page.keyboard.press("g")
    assert page.evaluate("document.activeElement.id") == "live-jump"
    page.select_option("#live-jump", str(first.pk))
    page.wait_for_url(f"**/live/{first.pk}/")


    # Recording the advice here goes on to the next case, without a question and with a message.
    page.check("input[name=present][value=yes]")
    page.check("input[name=decisions][value=srt]")
    page.check("input[name=follow_up][value=treating_mri]")
    page.fill("textarea[name=text]", "SRT 1x20 Gy.")
    page.fill("input[name=carried_out_by]", "Radiotherapie, Centrum")
    page.fill("input[name=first_contact]", "Longarts, Ziekenhuis Noord")
    page.click("button[name=then][value=next]")
    page.wait_for_url(f"**/live/{second.pk}/")
    assert "Het advies van het MDO is vastgelegd." in page.inner_text("main")
    assert dialogs == ["beforeunload"]
    first.refresh_from_db()
    assert first.advice.text == "SRT 1x20 Gy." and first.treating_physician_present == "yes"


def _register(page, name, discipline):
    form = page.locator("form.attendance-form")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=discipline]").select_option(discipline)
    form.locator("input[name=mode][value=on_site]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _advise(page, *, present, decisions, text, follow_up="treating_mri"):
    page.check(f"input[name=present][value={present}]")
    if present == "representative":
        page.fill("input[name=representative_name]", "Dr. Waarnemer")
    for decision in decisions:
        page.check(f"input[name=decisions][value={decision}]")
    page.check(f"input[name=follow_up][value={follow_up}]")
    page.fill("textarea[name=text]", text)
    page.fill("input[name=carried_out_by]", "Radiotherapie, Centrum")
    page.fill("input[name=first_contact]", "Longarts, Ziekenhuis Noord")


def test_a_chair_runs_a_whole_meeting_without_leaving_the_live_session(page, referrer, chair):
    """Done-when of issue 13: attendance and the quorum, then per case the presence of the treating
    physician and the advice, next/previous with the keyboard, a question before an unsaved advice
    is left behind; every page the browser shows after the entrance is the live session."""
    meeting = planned_meeting(chair, minutes_per_case=10)
    first = scheduled_case(referrer, chair, meeting, question_to_mdo="Resectie of SRT?")
    second = scheduled_case(referrer, chair, meeting, question_to_mdo="Is WBRT nog zinvol?")
    third = scheduled_case(referrer, chair, meeting, question_to_mdo="Systemisch of afwachten?")
    log_in(page, chair)
    page.goto(f"/mdo/meetings/{meeting.pk}/")
    page.click("a.live-session-link")
    page.wait_for_url(f"**/live/{first.pk}/")

    shown = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and shown.append(frame.url))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    # The attendance: the quorum panel says "not met" until the fourth discipline is there.
    assert page.get_attribute(".quorum-panel", "data-quorum-met") == "false"
    for name, discipline in [("Dr. Bakker", "neurosurgery"), ("Dr. de Vries", "radiation_oncology"),
                             ("Dr. Jansen", "neurology")]:
        _register(page, name, discipline)
        assert page.url.endswith(f"/live/{first.pk}/")
        assert page.get_attribute(".quorum-panel", "data-quorum-met") == "false"
    _register(page, "Dr. Visser", "neuroradiology")
    assert page.get_attribute(".quorum-panel", "data-quorum-met") == "true"
    assert "Dr. Visser" in page.inner_text(".attendance-list")
    assert "Resectie of SRT?" in page.inner_text(".live-question-text")

    # Case 1: presence and advice, then on to the next case.
    _advise(page, present="yes", decisions=["srt"], text="SRT 1x20 Gy.")
    page.click("button[name=then][value=next]")
    page.wait_for_url(f"**/live/{second.pk}/")
    assert "Is WBRT nog zinvol?" in page.inner_text(".live-question-text")
    # Attendance is fixed now that an advice is recorded.
    assert page.locator("form.attendance-form").count() == 0

    # Case 2: typed but not saved; "previous" by keyboard asks first, and staying keeps it all.
    _advise(page, present="representative", decisions=["wbrt"], text="WBRT 5x4 Gy.")
    page.locator("h1.live-patient").click()
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(400)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/live/{second.pk}/")
    assert page.input_value("textarea[name=text]") == "WBRT 5x4 Gy."
    page.click("button[name=then][value=stay]")
    page.wait_for_url(f"**/live/{second.pk}/")
    assert "Advies van het MDO (vastgelegd)" in page.inner_text(".live-advice-form")

    # Saved: the keyboard moves on without a question.
    page.locator("h1.live-patient").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/live/{third.pk}/")
    # Without the treating physician there is no advice (guideline section 2): refused on the live
    # page, nothing typed is lost; with a representative it is recorded.
    _advise(page, present="no", decisions=["watchful_waiting"], text="Afwachten met MRI over 3 maanden.")
    page.click("button[name=then][value=stay]")
    page.wait_for_selector(".live-advice-form .error-summary")
    assert page.input_value("textarea[name=text]") == "Afwachten met MRI over 3 maanden."
    assert page.is_checked("input[name=decisions][value=watchful_waiting]")
    page.check("input[name=present][value=yes]")
    page.click("button[name=then][value=stay]")
    page.wait_for_selector("text=Het advies van het MDO is vastgelegd.")
    # Back to case 1 by keyboard: its advice is there as recorded.
    page.locator("h1.live-patient").click()
    page.keyboard.press("p")
    page.wait_for_url(f"**/live/{second.pk}/")
    page.keyboard.press("p")
    page.wait_for_url(f"**/live/{first.pk}/")
    assert page.input_value("textarea[name=text]") == "SRT 1x20 Gy."
    assert dialogs == ["beforeunload"]
    agenda = page.inner_text("#live-jump")
    assert agenda.count("✓") == 3

    # Never left the live session.
    assert shown and all(f"/mdo/meetings/{meeting.pk}/live/" in url for url in shown), shown
    meeting.refresh_from_db()
    assert meeting.attendances.count() == 4
    for item, present, decisions in [(first, "yes", ["srt"]), (second, "representative", ["wbrt"]),
                                     (third, "yes", ["watchful_waiting"])]:
        item.refresh_from_db()
        assert item.treating_physician_present == present and item.advice.decisions == decisions
    second.refresh_from_db()
    assert second.representative_name == "Dr. Waarnemer" and second.advice.text == "WBRT 5x4 Gy."
    # Every case advised in the live session has its MDO report, as a page and as a PDF.
    from django.urls import reverse

    from meetings.models import AdviceReport
    for item in (first, second, third):
        report = AdviceReport.objects.get(advice__item=item)
        response = page.request.get(reverse("casefile:report_pdf", args=[item.case_id, report.pk]))
        assert response.status == 200 and response.body().startswith(b"%PDF")
