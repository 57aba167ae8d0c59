"""The follow-up flow in Chromium (issue 14, "Done when"): from the meeting's advice to a plan with
its first point of contact, an overdue MRI on the list and in a reminder mail, an MRI showing
progression, and "opnieuw verwijzen" opening a pre-filled new referral."""

import pytest
from django.core import mail
from django.utils import timezone

from casefile.reminders import send_reminders
from followup.models import FollowUpMri, FollowUpPlan
from referrals.models import Case
from tests.browser.conftest import log_in
from tests.mailqueue import discard, drain
from tests.workflow import advised_case, time_passes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_the_advice_to_a_prefilled_new_referral(page, referrer, chair, neuro_oncologist):
    advice = advised_case(referrer, chair)
    time_passes(advice.item.meeting, days_ago=100)
    case = advice.item.case
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/")
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
    page.click("nav >> text=Follow-up-MRI's")
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
