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
