"""Nothing typed is lost without a word (issue 12 items 1 and 2): a lesion row with an error
keeps its valid neighbours, leaving a changed form asks first, and the language switch keeps
the form."""

from decimal import Decimal

import pytest

from referrals.models import Case
from tests.browser.conftest import log_in
from tests.factories import CaseFactory, PatientFactory
from tests.workflow import submitted_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def draft(referrer, **answers):
    return CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **answers)


def fill_row(page, index, region, side, diameter):
    page.select_option(f"select[name=lesions-{index}-region]", region)
    page.select_option(f"select[name=lesions-{index}-side]", side)
    page.fill(f"input[name=lesions-{index}-diameter_mm]", diameter)


def test_an_invalid_lesion_row_keeps_its_valid_neighbours(page, referrer):
    case = draft(referrer, with_lesion=False)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/intake/imaging/")
    page.check("input[name=lesion_mode][value=list]")
    fill_row(page, 0, "frontal", "left", "14")
    page.click("button[name=add_lesion]")
    page.wait_for_selector("select[name=lesions-1-region]")
    fill_row(page, 1, "temporal", "right", "0")
    page.click("button[name=add_lesion]")
    page.wait_for_selector("select[name=lesions-2-region]")
    assert page.input_value("input[name=lesions-1-diameter_mm]") == "0"
    fill_row(page, 2, "cerebellum", "left", "7,5")
    page.click("button[name=next]:not(.visually-hidden)")

    banner = page.wait_for_selector(".alert-warning").inner_text()
    assert "Niet opgeslagen: laesie 3 (nieuw, nog niet opgeslagen)" in banner
    assert [(le.region, le.diameter_mm) for le in case.lesions.order_by("position")] == [
        ("frontal", Decimal("14")), ("cerebellum", Decimal("7.5"))]
    # The stored rows first, then the row to correct, as typed, with its error.
    assert [page.input_value(f"input[name=lesions-{i}-diameter_mm]") for i in range(3)] == ["14", "7,5", "0"]
    assert page.is_visible("tr.table-danger .invalid-feedback")

    page.fill("input[name=lesions-2-diameter_mm]", "9")
    page.click("button[name=next]:not(.visually-hidden)")
    page.wait_for_selector("h2:has-text('Vragen aan het MDO')")
    assert list(case.lesions.order_by("position").values_list("diameter_mm", flat=True)) == [
        Decimal("14"), Decimal("7.5"), Decimal("9")]


def stay_on_every_question(page):
    """Answer every "leave this page?" question with "stay"; the list of their types, as they come
    (`.stay`: the listener, to take off with page.remove_listener)."""
    dialogs = Dialogs()

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    dialogs.stay = stay
    page.on("dialog", stay)
    return dialogs


class Dialogs(list):
    stay = None


def test_leaving_a_changed_intake_step_asks_first(page, referrer):
    case = draft(referrer)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/intake/extracranial/")
    url = page.url
    # Unchanged: a menu link leaves without a question.
    dialogs = stay_on_every_question(page)
    page.click("nav a.nav-link >> nth=0")
    page.wait_for_load_state()
    assert dialogs == [] and page.url != url

    page.goto(url)
    page.fill("input[name=prognosis_months]", "7")
    assert page.evaluate("window.mdoUnsavedChanges()")
    page.click("nav a.nav-link >> nth=0")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url == url  # stayed: nothing typed is lost
    assert page.input_value("input[name=prognosis_months]") == "7"

    # Leaving on purpose is possible.
    page.remove_listener("dialog", dialogs.stay)
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.click("nav a.nav-link >> nth=0")
    page.wait_for_url(lambda u: u != url)
    assert dialogs[-1] == "beforeunload"
    case.refresh_from_db()
    assert case.prognosis_months == 12  # left without storing, as chosen


def test_the_language_switch_stores_the_step_and_keeps_what_was_typed(page, referrer):
    case = draft(referrer)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/intake/extracranial/")
    dialogs = stay_on_every_question(page)
    page.fill("input[name=prognosis_months]", "4,5")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("h2:has-text('Extracranial disease and prognosis')")
    assert dialogs == []
    assert page.input_value("input[name=prognosis_months]") == "4.5"
    case.refresh_from_db()
    assert case.prognosis_months == Decimal("4.5")
    # The choice holds for the next pages too.
    page.goto(f"/cases/{case.pk}/intake/clinical/")
    page.wait_for_selector("h2:has-text('Clinical status')")


def test_a_new_referral_that_cannot_be_stored_yet_keeps_its_values_in_the_other_language(page, referrer):
    log_in(page, referrer)
    page.goto("/cases/new/")
    page.fill("input[name=family_name]", "Visser")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("h2:has-text('Patient and referral')")
    assert page.input_value("input[name=family_name]") == "Visser"
    assert not Case.objects.exists()


def test_a_changed_pre_consultation_form_asks_before_leaving(page, referrer, neuro_oncologist):
    case = submitted_case(referrer)
    log_in(page, neuro_oncologist)
    page.goto(f"/cases/{case.pk}/")
    dialogs = stay_on_every_question(page)
    page.click("details.preconsult-request_info > summary")
    page.fill("details.preconsult-request_info textarea[name=message]", "Graag de actuele KPS.")
    page.click("button[name=language][value=en]")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.input_value("details.preconsult-request_info textarea[name=message]") == "Graag de actuele KPS."


def test_without_a_number_of_months_the_guidelines_question_is_asked(page, referrer):
    case = draft(referrer)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/intake/extracranial/")
    assert page.is_hidden("input[name=prognosis_over_3_months][value=yes]")
    page.fill("input[name=prognosis_months]", "")
    assert page.is_visible("input[name=prognosis_over_3_months][value=yes]")
    page.check("input[name=prognosis_over_3_months][value=yes]")
    page.click("button[name=next]:not(.visually-hidden)")
    page.wait_for_selector("h2:has-text('Klinische toestand')")
    case.refresh_from_db()
    assert case.prognosis_months is None and case.prognosis_over_3_months == "yes"


def test_the_back_button_asks_first_and_the_previous_button_stores_the_step(page, referrer):
    """The third way out named in issue 12 item 2: back. The browser's back button asks before
    losing a changed step; the form's own "Previous" stores the step and goes without a question."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    case = draft(referrer)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/intake/extracranial/")
    page.goto(f"/cases/{case.pk}/intake/clinical/")
    url = page.url
    dialogs = stay_on_every_question(page)
    page.fill("input[name=kps]", "60")
    try:
        page.go_back(timeout=3_000)
    except PlaywrightTimeout:
        pass  # the navigation was cancelled: there is none to wait for
    assert dialogs == ["beforeunload"]
    assert page.url == url and page.input_value("input[name=kps]") == "60"

    page.click("button[name=goto][value=extracranial]:not(.step-link)")  # ← Previous
    page.wait_for_selector("input[name=prognosis_months]")
    assert dialogs == ["beforeunload"], "storing the step leaves without a question"
    case.refresh_from_db()
    assert case.kps == 60


@pytest.mark.parametrize("where", ["meeting_form", "withdraw", "attendance"])
def test_the_other_forms_that_take_typed_input_ask_before_leaving(page, referrer, chair, where):
    """Issue 12 item 2 over every form with typed input: a new meeting, the reason of a withdrawal,
    the attendance of today's meeting."""
    from tests.workflow import planned_meeting

    if where == "meeting_form":
        user, url = chair, "/mdo/meetings/new/"
        fill = ("form.main-form input[name=location]", "Zaal C3")
    elif where == "withdraw":
        case = submitted_case(referrer)
        user, url = referrer, f"/cases/{case.pk}/"
        fill = ("form.withdraw-form textarea[name=reason]", "Patiënt wil geen behandeling meer.")
    else:
        user, url = chair, f"/mdo/meetings/{planned_meeting(chair).pk}/"
        fill = ("form.attendance-form input[name=name]", "Dr. K. de Wit")
    log_in(page, user)
    page.goto(url)
    dialogs = stay_on_every_question(page)
    for summary in page.locator("details:not([open]) > summary").all():
        if summary.is_visible():
            summary.click()
    page.fill(*fill)
    page.click("nav a.nav-link >> nth=0")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"], where
    assert page.input_value(fill[0]) == fill[1]
