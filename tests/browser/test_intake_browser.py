"""A referrer who has never seen the app fills in the whole intake in Chromium and submits."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from referrals.models import Case, CaseStatus
from tests.browser.conftest import log_in
from tests.factories import CaseFactory, LesionFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose(page, name, value):
    page.check(f"input[name={name}][value={value}]")


def next_step(page, expected_heading):
    page.click("button[name=next]:not(.visually-hidden)")
    page.wait_for_selector(f"h2:has-text('{expected_heading}')")


def test_a_referrer_submits_a_case_with_two_lesions_and_sees_the_advice(page, referrer):
    log_in(page, referrer)
    page.click("text=Nieuwe verwijzing")
    page.wait_for_selector("h2:has-text('Patiënt en verwijzing')")

    page.fill("input[name=patient_number]", "Z998877")
    page.fill("input[name=family_name]", "Visser")
    page.fill("input[name=given_names]", "K.")
    page.fill("input[name=date_of_birth]", "1957-09-30")
    choose(page, "sex", "male")
    page.fill("input[name=bsn]", "111222333")
    choose(page, "presenter_role", "treating")
    choose(page, "systemic_activity_discussed", "yes")
    next_step(page, "Oncologische voorgeschiedenis")

    page.select_option("select[name=primary_tumour]", "nsclc")
    page.fill("textarea[name=molecular_markers]", "Adenocarcinoom, PD-L1 90%")
    choose(page, "driver_mutation", "no")
    page.fill("textarea[name=prior_treatment_lines]", "Pembrolizumab sinds maart")
    choose(page, "prior_brain_metastases", "no")
    next_step(page, "Overige voorgeschiedenis")

    # An open question: the message stands under its options, which stay side by side.
    choose(page, "comorbidity_relevant", "no")
    page.click("button[name=next]:not(.visually-hidden)")
    error = page.wait_for_selector("#id_anticoagulation_error")
    assert "Beantwoord deze vraag" in error.inner_text()
    options = [page.locator(f"label[for=id_anticoagulation_{i}]").bounding_box() for i in range(3)]
    assert len({round(box["y"]) for box in options}) == 1, options
    assert error.bounding_box()["y"] >= max(box["y"] + box["height"] for box in options)
    assert page.is_checked("input[name=comorbidity_relevant][value=no]")
    choose(page, "anticoagulation", "no")
    next_step(page, "Extracraniële ziekte en prognose")

    choose(page, "extracranial_status", "stable")
    choose(page, "systemic_option", "no")
    page.fill("input[name=prognosis_months]", "18")
    next_step(page, "Klinische toestand")

    # Follow-up questions appear only when they apply.
    assert page.is_hidden("input[name=dexamethasone_mg]")
    choose(page, "dexamethasone", "yes")
    assert page.is_visible("input[name=dexamethasone_mg]")
    assert page.is_hidden("input[name=qol_improvement]")
    # A Dutch dose is typed with a decimal comma, key by key as a physician does: it must arrive
    # as 4.5 mg (a browser number field turns "4,5" into 45).
    page.locator("input[name=dexamethasone_mg]").press_sequentially("4,5")
    # A wrong KPS first: the message appears at the field and the other answers stay.
    page.fill("input[name=kps]", "75")
    choose(page, "neuro_deficit", "no")
    choose(page, "epilepsy", "no")
    page.click("button[name=next]:not(.visually-hidden)")
    page.wait_for_selector("text=De KPS is een getal van 0 tot en met 100 in stappen van 10.")
    assert page.is_checked("input[name=dexamethasone][value=yes]")
    assert page.input_value("input[name=dexamethasone_mg]") == "4,5"
    page.fill("input[name=kps]", "90")
    next_step(page, "Beeldvorming en laesies")

    mri = (timezone.localdate() - datetime.timedelta(days=4)).isoformat()
    page.fill("input[name=mri_date]", mri)
    choose(page, "lesion_mode", "list")
    page.select_option("select[name=lesions-0-region]", "frontal")
    page.select_option("select[name=lesions-0-side]", "left")
    page.fill("input[name=lesions-0-diameter_mm]", "16")
    page.click("button[name=add_lesion]")
    page.wait_for_selector("select[name=lesions-1-region]")
    assert page.input_value("input[name=lesions-0-diameter_mm]") == "16"
    page.select_option("select[name=lesions-1-region]", "cerebellum")
    page.select_option("select[name=lesions-1-side]", "right")
    page.fill("input[name=lesions-1-diameter_mm]", "7")
    next_step(page, "Vragen aan het MDO")

    choose(page, "radiotherapy_considered", "yes")
    choose(page, "suspected_radionecrosis", "no")
    choose(page, "recurrence", "no")
    choose(page, "treatment_wish", "yes")
    page.fill("textarea[name=question_to_mdo]", "Indicatie voor stereotactische radiotherapie?")
    next_step(page, "Controleren en indienen")

    assert page.is_visible("text=voorlopig, nog niet ingediend")
    page.click("button:has-text('Verwijzing indienen')")
    page.wait_for_selector("text=De casus is ingediend.")

    advice = page.inner_text(".advice-panel")
    assert "MDO" in advice
    assert "Hoe de leidraad tot dit advies leidt" in advice
    assert "Kritieke locatie" in advice or "kritieke locatie" in advice
    assert page.locator(".advice-diagram svg [data-node].endpoint").count() >= 1

    case = Case.objects.get()
    assert case.status == CaseStatus.SUBMITTED
    assert case.dexamethasone_mg == Decimal("4.5")
    assert case.lesions.count() == 2
    assert case.current_advice.outcome == "NEURO_ONC_MDO"
    assert "111222333" not in page.url


def test_many_lesions_after_an_unfinished_row_moves_on_and_a_list_brings_the_rows_back(page, referrer):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       with_lesion=False, lesion_mode="", critical_location="")
    LesionFactory(case=case, position=0, region="temporal", side="left", diameter_mm=22)
    log_in(page, referrer)
    page.goto(f"/cases/{case.pk}/intake/imaging/")
    choose(page, "lesion_mode", "list")
    page.click("button[name=add_lesion]")
    page.wait_for_selector("select[name=lesions-1-region]")
    page.select_option("select[name=lesions-1-region]", "frontal")  # unfinished: no side, no size
    # On second thought: too many to count. The table hides, and its unfinished row must not
    # block the step with an error nobody can see.
    choose(page, "lesion_mode", "many")
    assert page.is_hidden("table.lesion-table")
    choose(page, "critical_location", "no")
    next_step(page, "Vragen aan het MDO")
    # Back to a list: the stored lesion is still there.
    page.click("nav.intake-progress button:has-text('Beeldvorming en laesies')")
    page.wait_for_selector("h2:has-text('Beeldvorming en laesies')")
    choose(page, "lesion_mode", "list")
    assert page.is_visible("table.lesion-table")
    assert page.input_value("input[name=lesions-0-diameter_mm]") == "22"
