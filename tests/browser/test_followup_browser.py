"""The flows after the meeting in Chromium (issue 14, "Done when"): from the meeting's advice to its
implementation, a plan with its first point of contact, an overdue MRI on the list and in a
reminder mail, an MRI showing progression, and "opnieuw verwijzen" opening a pre-filled new
referral; a restrained-policy case that comes back with a recovered KPS and reaches the queue. The
timeline and the patient's path show all of it."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from casefile.reminders import send_reminders
from followup.models import FollowUpMri, FollowUpPlan
from referrals.models import Case
from tests.browser.conftest import log_in
from tests.mailqueue import discard, drain
from tests.test_reentry import closed_restrained_case
from tests.workflow import advised_case, reevaluation_date_comes, time_passes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_the_advice_to_a_prefilled_new_referral(page, referrer, chair, neuro_oncologist):
    advice = advised_case(referrer, chair)
    time_passes(advice.item.meeting, days_ago=100)
    case = advice.item.case
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/")
    # The implementation: a date before the meeting is refused at the field, nothing typed lost.
    page.click("a.implementation-link")
    form = "form.implementation-form"
    page.check(f"{form} input[name=srt-status][value=done]")
    page.fill(f"{form} input[name=srt-done_on]", (advice.item.meeting.date - datetime.timedelta(days=1)).isoformat())
    page.fill(f"{form} textarea[name=agreed]", "Patiënt kiest voor SRT")
    page.fill(f"{form} input[name=agreed_on]", advice.item.meeting.date.isoformat())
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(f"{form} .invalid-feedback")
    assert page.input_value(f"{form} textarea[name=agreed]") == "Patiënt kiest voor SRT"
    page.fill(f"{form} input[name=srt-done_on]", (advice.item.meeting.date + datetime.timedelta(days=14)).isoformat())
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".implementation-panel .badge:has-text('Uitgevoerd')")
    case.refresh_from_db()
    assert case.status == "implemented"

    page.click("a.followup-link")
    page.wait_for_selector("form.plan-create-form")
    # The first point of contact is required: refused at the field, what was typed kept.
    page.fill("form.plan-create-form input[name=first_contact]", "")
    page.fill("form.plan-create-form input[name=physician_name]", "Dr. A. de Vries, longarts")
    page.click("form.plan-create-form button[type=submit]")
    page.wait_for_selector("form.plan-create-form .invalid-feedback")
    assert page.input_value("form.plan-create-form input[name=physician_name]") == "Dr. A. de Vries, longarts"
    assert not FollowUpPlan.objects.exists()
    page.fill("form.plan-create-form input[name=first_contact]", "Verpleegkundig specialist, 050-1234567")
    page.click("form.plan-create-form button[type=submit]")
    page.wait_for_selector(".followup-plan .first-contact:has-text('Verpleegkundig specialist')")
    assert page.locator(".followup-plan .next-due .badge").count() == 1  # overdue

    # Overdue: on the list and in the day's reminder.
    page.click("nav >> text=Na het MDO")
    page.wait_for_selector("table.overdue-table")
    assert page.locator("table.overdue-table td.days-overdue").inner_text().strip().isdigit()
    discard()
    mail.outbox.clear()
    assert send_reminders() == 2
    drain()
    assert case.reference in mail.outbox[0].subject
    assert case.patient.family_name not in mail.outbox[0].body

    page.click(f"table.overdue-table a:has-text('{case.patient.family_name}')")
    page.fill("form.mri-record-form input[name=done_on]", timezone.localdate().isoformat())
    page.select_option("form.mri-record-form select[name=result]", "progression")
    page.click("form.mri-record-form button[type=submit]")
    page.wait_for_selector("table.mri-table td.mri-result:has-text('Progressie')")
    assert FollowUpMri.objects.get(done_on__isnull=False).result == "progression"

    page.click("form.rereferral-form button[type=submit]")
    page.wait_for_url("**/intake/patient/")
    new = Case.objects.exclude(pk=case.pk).get()
    assert new.patient_id == case.patient_id and new.recurrence == "yes"
    assert "Progressie" in new.prior_bm_treatment
    assert page.locator(".alert-success").count() == 1

    # The timeline and the patient's path hold every step.
    page.goto(f"/cases/{case.pk}/timeline/")
    timeline = page.locator("main").inner_text()
    for label in ("Advies van het MDO vastgelegd", "Uitvoering van het advies vastgelegd"):
        assert label in timeline, label
    page.goto(f"/patients/{case.patient_id}/")
    path = page.locator("main").inner_text()
    for words in ("Uitvoering: Stereotactische radiotherapie", "Progressie", new.reference):
        assert words in path, words
    assert not page.server_errors


def test_a_restrained_policy_case_comes_back_with_a_recovered_kps_and_reaches_the_queue(
        page, referrer, neuro_oncologist):

    case = closed_restrained_case(referrer, neuro_oncologist)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/")
    page.click("a.reevaluation-link")
    page.fill("form.reevaluation-date-form input[name=due_on]", timezone.localdate().isoformat())
    page.click("form.reevaluation-date-form button[type=submit]")
    # Today is refused: a date to come.
    page.wait_for_selector("form.reevaluation-date-form .invalid-feedback")
    proposed = (timezone.localdate() + datetime.timedelta(weeks=5)).isoformat()
    page.fill("form.reevaluation-date-form input[name=due_on]", proposed)
    page.click("form.reevaluation-date-form button[type=submit]")
    page.wait_for_selector(".open-reevaluation")
    # The date comes: the case is on the referrer's list and counted on the start page.
    reevaluation_date_comes(case)
    page.goto("/cases/")
    page.click(".after-meeting-notices a:has-text('herbeoordeling')")
    page.click(f"table.reevaluations-table a:has-text('{case.patient.family_name}')")
    form = "form.reevaluation-form"
    page.fill(f"{form} input[name=clinical-kps]", "85")
    page.fill(f"{form} textarea[name=changes]", "KPS 80 na revalidatie; dexamethason gestopt.")
    page.click(f"{form} button[type=submit]")
    # A KPS not in steps of 10 is refused at the field; what was typed stays.
    page.wait_for_selector(f"{form} .invalid-feedback")
    assert page.input_value(f"{form} textarea[name=changes]") == "KPS 80 na revalidatie; dexamethason gestopt."
    page.fill(f"{form} input[name=clinical-kps]", "80")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".alert-success:has-text('herintrede')")
    case.refresh_from_db()
    assert case.status == "submitted" and case.reentered_at is not None

    page.context.clear_cookies()
    log_in(page, neuro_oncologist)
    page.goto("/mdo/queue/")
    row = page.locator(f"tr:has-text('{case.patient.family_name}')")
    assert row.locator(".reentry-badge").count() == 1
    page.goto(f"/cases/{case.pk}/timeline/")
    assert "als herintrede terug in de wachtrij" in page.locator("main").inner_text()
    assert not page.server_errors
