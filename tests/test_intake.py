"""The intake: every step's happy and unhappy path, drafts, stale edits, double submits."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessLog, Event
from meetings import services as meeting_services
from referrals.models import Case, CaseStatus, Lesion, Patient
from tests.conftest import verified_login
from tests.factories import CaseFactory, LesionFactory, PatientFactory, UserFactory
from tests.intake_helpers import PATIENT, STEP_DATA, imaging_data
from tests.workflow import scheduled_case, submitted_case
from triage.facts import facts_from_case

pytestmark = pytest.mark.django_db


def step_url(case, key):
    return reverse("referrals:intake_step", args=[case.pk, key])


def post_step(client, case, key, data, button="next"):
    case.refresh_from_db()
    return client.post(step_url(case, key), {**data, "version": case.version, button: "1"})


def new_case(client, button="next", **overrides):
    data = {**STEP_DATA["patient"], **overrides, button: "1"}
    return client.post(reverse("referrals:intake_new"), data)


def draft_of(referrer, **kwargs):
    return CaseFactory(patient=PatientFactory(hospital=referrer.hospital),
                       referring_physician=referrer, **kwargs)


class TestNewReferral:
    def test_it_shows_the_first_step_in_dutch(self, referrer_client):
        response = referrer_client.get(reverse("referrals:intake_new"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Patiënt en verwijzing" in content
        assert "Ziekenhuispatiëntnummer" in content or "patiëntnummer" in content

    def test_it_creates_the_draft_and_moves_to_step_two(self, referrer_client, referrer):
        response = new_case(referrer_client)
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == step_url(case, "oncology")
        assert case.status == CaseStatus.DRAFT
        assert case.referring_physician == referrer
        assert case.referring_hospital == referrer.hospital
        assert case.mdo_centre == referrer.hospital.mdo_centre
        assert case.patient.family_name == "Bakker"
        assert "patient" in case.completed_steps
        assert Event.objects.filter(case=case, action="case.created").exists()
        assert AccessLog.objects.filter(case=case, action="create").exists()

    def test_it_saves_a_draft_without_the_referral_answers(self, referrer_client):
        response = new_case(referrer_client, button="save", presenter_role="",
                            systemic_activity_discussed="")
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == step_url(case, "patient")
        assert case.completed_steps == []

    def test_next_with_open_questions_creates_the_draft_and_names_them(self, referrer_client):
        response = new_case(referrer_client, presenter_role="")
        assert response.status_code == 200
        assert Case.objects.count() == 1
        assert "Beantwoord deze vraag" in response.content.decode() or \
            "Kies een van de opties" in response.content.decode()

    def test_it_needs_the_patient_identification(self, referrer_client):
        response = new_case(referrer_client, family_name="", date_of_birth="")
        assert response.status_code == 200
        assert Case.objects.count() == 0
        content = response.content.decode()
        assert "Dit veld is verplicht" in content
        # What was typed is still in the form.
        assert 'value="Z123456"' in content

    @pytest.mark.parametrize("dob", ["2999-01-01", "31-02-1960", "1850-01-01"])
    def test_it_refuses_a_bad_date_of_birth(self, referrer_client, dob):
        response = new_case(referrer_client, date_of_birth=dob)
        assert response.status_code == 200
        assert Case.objects.count() == 0

    @pytest.mark.parametrize("bsn", ["123456789", "000000000", "12345678", "12345678a", "1234567890"])
    def test_it_refuses_an_invalid_bsn_without_echoing_it(self, referrer_client, bsn, caplog):
        response = new_case(referrer_client, bsn=bsn)
        assert response.status_code == 200
        assert Case.objects.count() == 0
        content = response.content.decode()
        assert "elfproef" in content or "BSN" in content
        assert bsn not in caplog.text

    def test_it_accepts_a_valid_bsn(self, referrer_client):
        new_case(referrer_client, bsn="111222333")
        assert Patient.objects.get().bsn == "111222333"

    def test_a_bsn_of_another_patient_is_refused_at_its_field(self, referrer_client, referrer):
        PatientFactory(hospital=referrer.hospital, patient_number="A000001", bsn="111222333")
        response = new_case(referrer_client, bsn="111222333")
        assert response.status_code == 200
        assert Case.objects.count() == 0
        form = response.context["patient_form"]
        assert "BSN" in " ".join(form.errors["bsn"])
        assert not form.non_field_errors()
        assert 'value="Bakker"' in response.content.decode()

    def test_a_known_patient_given_with_their_bsn_is_linked(self, referrer_client, referrer):
        patient = PatientFactory(hospital=referrer.hospital, patient_number="Z123456", family_name="Bakker",
                                 date_of_birth=datetime.date(1958, 4, 12), bsn="111222333")
        response = new_case(referrer_client, bsn="111222333")
        assert response.status_code == 302
        assert Case.objects.get().patient == patient and Patient.objects.count() == 1

    def test_a_known_patient_number_links_the_same_patient(self, referrer_client, referrer):
        patient = PatientFactory(hospital=referrer.hospital, patient_number="Z123456",
                                 family_name="Bakker", date_of_birth=datetime.date(1958, 4, 12))
        new_case(referrer_client)
        assert Case.objects.get().patient == patient
        assert Patient.objects.count() == 1

    def test_a_known_number_of_another_person_is_refused(self, referrer_client, referrer):
        PatientFactory(hospital=referrer.hospital, patient_number="Z123456", family_name="Anders")
        response = new_case(referrer_client)
        assert response.status_code == 200
        assert Case.objects.count() == 0
        assert "hoort al bij een andere patiënt" in response.content.decode()

    def test_the_same_number_in_another_hospital_is_another_patient(self, referrer_client, other_hospital):
        PatientFactory(hospital=other_hospital, patient_number="Z123456", family_name="Anders")
        new_case(referrer_client)
        assert Case.objects.get().patient.hospital != other_hospital

    def test_a_double_click_on_the_first_save_makes_one_draft(self, referrer_client):
        token = "5f0e8a52-4b0e-4a5c-9a51-7c8d3f3b1a10"
        data = {**STEP_DATA["patient"], "next": "1", "intake_token": token}
        first = referrer_client.post(reverse("referrals:intake_new"), data)
        second = referrer_client.post(reverse("referrals:intake_new"), data)
        assert Case.objects.count() == 1
        assert first["Location"] == second["Location"]

    def test_non_referrers_cannot_start_a_referral(self, client, neuro_oncologist):
        verified_login(client, neuro_oncologist)
        assert client.get(reverse("referrals:intake_new")).status_code == 403


class TestSteps:
    @pytest.mark.parametrize("key,next_key", [
        ("oncology", "history"), ("history", "extracranial"), ("extracranial", "clinical"),
        ("clinical", "imaging"), ("questions", "review"),
    ])
    def test_a_complete_step_moves_on_and_is_stored(self, referrer_client, referrer, key, next_key):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, key, STEP_DATA[key])
        assert response.status_code == 302
        assert response["Location"] == step_url(case, next_key)
        case.refresh_from_db()
        for name, value in STEP_DATA[key].items():
            stored = getattr(case, name)
            assert str(stored if stored is not None else "") in (value, f"{value}.0"), name
        assert key in case.completed_steps

    @pytest.mark.parametrize("key,field", [
        ("oncology", "primary_tumour"), ("history", "anticoagulation"),
        ("extracranial", "extracranial_status"), ("clinical", "epilepsy"),
        ("questions", "treatment_wish"), ("questions", "question_to_mdo"),
    ])
    def test_next_with_an_open_question_stays_and_keeps_the_rest(self, referrer_client, referrer, key, field):
        case = draft_of(referrer, **{field: ""})
        data = {**STEP_DATA[key], field: ""}
        response = post_step(referrer_client, case, key, data)
        assert response.status_code == 200
        assert response.context["form"].errors[field]
        case.refresh_from_db()
        assert key not in case.completed_steps
        # The other answers of the step were stored.
        other = next(n for n, v in data.items() if v and n != field)
        assert str(getattr(case, other)) in (data[other], f"{data[other]}.0")

    def test_unknown_is_an_answer(self, referrer_client, referrer):
        case = draft_of(referrer)
        data = {**STEP_DATA["questions"], "treatment_wish": "unknown"}
        response = post_step(referrer_client, case, "questions", data)
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.treatment_wish == "unknown"

    def test_a_conditional_question_is_required_when_it_applies(self, referrer_client, referrer):
        case = draft_of(referrer)
        data = {**STEP_DATA["clinical"], "dexamethasone_mg": ""}
        response = post_step(referrer_client, case, "clinical", data)
        assert response.status_code == 200
        assert "dexamethasone_mg" in response.context["form"].errors

    def test_symptomatic_patients_get_the_chart_s_questions(self, referrer_client, referrer):
        case = draft_of(referrer)
        data = {**STEP_DATA["clinical"], "epilepsy": "yes"}
        response = post_step(referrer_client, case, "clinical", data)
        errors = response.context["form"].errors
        assert "rapid_kps_improvement" in errors and "qol_improvement" in errors

    @pytest.mark.parametrize("key,field,value", [
        ("clinical", "kps", "75"), ("clinical", "kps", "110"), ("clinical", "kps", "-10"),
        ("clinical", "kps", "tachtig"), ("clinical", "dexamethasone_mg", "65"),
        ("clinical", "dexamethasone_mg", "-1"), ("extracranial", "prognosis_months", "-3"),
        ("extracranial", "prognosis_months", "100000"),
        ("oncology", "primary_diagnosis_date", "2999-01-01"),
        ("oncology", "primary_diagnosis_date", "1900-01-01"),  # before the date of birth
        ("questions", "treatment_wish", "misschien"),
    ])
    def test_an_invalid_value_is_refused_at_its_field_and_the_rest_is_kept(
            self, referrer_client, referrer, key, field, value):
        case = draft_of(referrer, **{n: "" for n in STEP_DATA[key] if n not in (field,)
                                     and Case._meta.get_field(n).get_internal_type() == "CharField"})
        before = getattr(case, field)
        data = {**STEP_DATA[key], field: value}
        response = post_step(referrer_client, case, key, data, button="save")
        assert response.status_code == 200
        assert field in response.context["form"].errors
        message = " ".join(response.context["form"].errors[field])
        assert message  # a message in Dutch at the field
        content = response.content.decode()
        assert value in content  # what was typed is shown again
        case.refresh_from_db()
        assert getattr(case, field) == before
        kept = next(n for n, v in STEP_DATA[key].items()
                    if v and n != field and Case._meta.get_field(n).get_internal_type() == "CharField")
        assert getattr(case, kept) == STEP_DATA[key][kept]

    @pytest.mark.parametrize("language", ["nl", "en"])
    @pytest.mark.parametrize("typed", ["4,5", "4.5"])
    def test_a_dose_with_a_decimal_comma_or_point_is_read_as_typed(self, referrer_client, referrer,
                                                                    language, typed):
        case = draft_of(referrer)
        referrer_client.post(reverse("set_language"), {"language": language, "next": "/"})
        response = post_step(referrer_client, case, "clinical",
                             {**STEP_DATA["clinical"], "dexamethasone_mg": typed})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.dexamethasone_mg == Decimal("4.5")

    def test_numbers_are_typed_as_text_so_the_browser_cannot_drop_a_comma(self, referrer_client, referrer):
        # Chromium's <input type="number"> turns a typed "4,5" into 45 before the server sees it.
        case = draft_of(referrer)
        for key in ("extracranial", "clinical", "imaging"):
            content = referrer_client.get(step_url(case, key)).content.decode()
            assert 'type="number"' not in content, key
        content = referrer_client.get(step_url(case, "clinical")).content.decode()
        assert 'inputmode="decimal"' in content and 'inputmode="numeric"' in content

    def test_a_second_decimal_in_a_diameter_is_refused_not_rounded(self, referrer_client, referrer):
        # Issue 12 item 10 changed this: "12,5" used to be refused; one decimal is accepted now.
        case = draft_of(referrer, with_lesion=False)
        rows = [{"region": "frontal", "side": "left", "diameter_mm": "12,55", "critical": False,
                 "critical_site": ""}]
        response = post_step(referrer_client, case, "imaging", imaging_data(rows))
        assert response.status_code == 200
        assert response.context["formset"].forms[0].errors["diameter_mm"]
        assert case.lesions.count() == 0

    @pytest.mark.parametrize("typed", ["7,5", "7.5"])
    def test_a_diameter_takes_one_decimal_with_comma_or_point(self, referrer_client, referrer, typed):
        case = draft_of(referrer, with_lesion=False)
        rows = [{"region": "frontal", "side": "left", "diameter_mm": typed, "critical": False,
                 "critical_site": ""}]
        response = post_step(referrer_client, case, "imaging",
                             imaging_data(rows, largest_diameter_mm="4,5"))
        assert response.status_code == 302
        assert list(case.lesions.values_list("diameter_mm", flat=True)) == [Decimal("7.5")]
        page = referrer_client.get(step_url(case, "imaging")).content.decode()
        assert 'value="7,5"' in page
        review = referrer_client.get(step_url(case, "review")).content.decode()
        assert "<td>7,5</td>" in review

    def test_a_many_lesions_diameter_takes_one_decimal(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        data = imaging_data(rows=[], lesion_mode="many", critical_location="no", largest_diameter_mm="4,5")
        assert post_step(referrer_client, case, "imaging", data).status_code == 302
        case.refresh_from_db()
        assert case.largest_diameter_mm == Decimal("4.5")

    @pytest.mark.parametrize("typed", ["4,5", "4.5"])
    def test_a_prognosis_takes_one_decimal(self, referrer_client, referrer, typed):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "extracranial",
                             {**STEP_DATA["extracranial"], "prognosis_months": typed})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.prognosis_months == Decimal("4.5")
        review = referrer_client.get(step_url(case, "review")).content.decode()
        assert "4,5" in review

    @pytest.mark.parametrize("answer, fact", [("yes", True), ("no", False), ("unknown", None)])
    def test_the_prognosis_can_be_answered_as_the_guideline_asks(
            self, referrer_client, referrer, answer, fact):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "extracranial", {
            **STEP_DATA["extracranial"], "prognosis_months": "", "prognosis_over_3_months": answer})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.prognosis_months is None and case.prognosis_over_3_months == answer
        assert "extracranial" in case.completed_steps
        assert facts_from_case(case).prognosis_over_3_months is fact
        review = referrer_client.get(step_url(case, "review")).content.decode()
        assert "Verwachte prognose meer dan 3 maanden" in review

    def test_the_case_page_shows_a_diameter_and_prognosis_with_one_decimal(self, referrer_client, referrer):
        case = submitted_case(referrer, lesions=[{"diameter_mm": Decimal("7.5")}],
                              prognosis_months=Decimal("4.5"))
        page = referrer_client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "<td>7,5</td>" in page and "4,5" in page

    def test_a_prognosis_in_months_and_more_than_3_months_together_are_refused(
            self, referrer_client, referrer):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "extracranial", {
            **STEP_DATA["extracranial"], "prognosis_months": "2", "prognosis_over_3_months": "yes"})
        assert "prognosis_over_3_months" in response.context["form"].errors

    @pytest.mark.parametrize("typed", ["> 3", "4,55"])
    def test_a_prognosis_that_is_not_a_number_of_one_decimal_is_refused(
            self, referrer_client, referrer, typed):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "extracranial",
                             {**STEP_DATA["extracranial"], "prognosis_months": typed})
        assert "prognosis_months" in response.context["form"].errors

    def test_kps_and_kps_unknown_together_are_refused(self, referrer_client, referrer):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "clinical",
                             {**STEP_DATA["clinical"], "kps_unknown": "on"})
        assert "kps" in response.context["form"].errors

    def test_messages_are_in_english_for_english_users(self, referrer_client, referrer):
        case = draft_of(referrer)
        referrer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
        response = post_step(referrer_client, case, "clinical", {**STEP_DATA["clinical"], "kps": "75"})
        assert "KPS is a number from 0 to 100 in steps of 10." in response.content.decode()

    def test_an_unknown_step_is_404(self, referrer_client, referrer):
        case = draft_of(referrer)
        assert referrer_client.get(step_url(case, "nonsense")).status_code == 404


class TestLesions:
    def test_two_lesions_are_stored_in_order(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        rows = [
            {"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False, "critical_site": ""},
            {"region": "brainstem", "side": "midline", "diameter_mm": 6, "critical": True,
             "critical_site": "brainstem"},
        ]
        response = post_step(referrer_client, case, "imaging", imaging_data(rows))
        assert response.status_code == 302
        lesions = list(case.lesions.order_by("position"))
        assert [(le.region, le.diameter_mm, le.critical) for le in lesions] == [
            ("frontal", 14, False), ("brainstem", 6, True)]

    def test_add_lesion_keeps_the_typed_rows(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        response = post_step(referrer_client, case, "imaging", imaging_data(), button="add_lesion")
        assert response.status_code == 302
        assert case.lesions.count() == 1
        page = referrer_client.get(response["Location"])
        assert len(page.context["formset"].forms) == 2

    @staticmethod
    def _two_lesions(referrer, second_diameter_posted):
        """A draft with two stored lesions (11 and 22 mm), and the rows the form posts for them."""
        case = draft_of(referrer, with_lesion=False)
        first = LesionFactory(case=case, position=0, diameter_mm=11)
        second = LesionFactory(case=case, position=1, diameter_mm=22, region="temporal")
        rows = [{"id": first.pk, "region": "frontal", "side": "left", "diameter_mm": 11, "critical": False,
                 "critical_site": ""},
                {"id": second.pk, "region": "temporal", "side": "left", "diameter_mm": second_diameter_posted,
                 "critical": False, "critical_site": ""}]
        case.refresh_from_db()
        return case, rows

    def test_removing_one_lesion_keeps_the_others(self, referrer_client, referrer):
        case, rows = self._two_lesions(referrer, 22)
        response = referrer_client.post(step_url(case, "imaging"), {
            **imaging_data(rows, initial=2), "version": case.version, "remove_lesion": "0"})
        assert response.status_code == 302
        assert list(case.lesions.values_list("diameter_mm", flat=True)) == [22]

    def test_removing_a_lesion_while_another_row_is_invalid_removes_it_at_once(
            self, referrer_client, referrer):
        # Issue 12 item 1 changed this: the removal used to wait for the next save.
        case, rows = self._two_lesions(referrer, 999)
        response = referrer_client.post(step_url(case, "imaging"), {
            **imaging_data(rows, initial=2), "version": case.version, "remove_lesion": "0"})

        assert response.status_code == 200  # the second row's diameter is refused
        assert list(case.lesions.values_list("diameter_mm", flat=True)) == [22]
        page = response.content.decode()
        assert "lesion-removed" not in page
        assert page.count('name="remove_lesion"') == 1  # only the row still shown can be removed
        formset = response.context["formset"]
        assert [form["diameter_mm"].value() for form in formset.forms] == ["999"]
        assert formset.forms[0].errors["diameter_mm"]

        case.refresh_from_db()
        rows = [{**rows[1], "diameter_mm": 23}]
        response = post_step(referrer_client, case, "imaging", imaging_data(rows, initial=1),
                             button="save")
        assert response.status_code == 302
        assert list(case.lesions.values_list("diameter_mm", flat=True)) == [23]

    def test_an_invalid_new_row_does_not_discard_the_valid_ones(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        rows = [
            {"region": "frontal", "side": "left", "diameter_mm": 14, "critical": False, "critical_site": ""},
            {"region": "temporal", "side": "right", "diameter_mm": "0", "critical": False, "critical_site": ""},
            {"region": "cerebellum", "side": "left", "diameter_mm": 6, "critical": False, "critical_site": ""},
        ]
        response = post_step(referrer_client, case, "imaging", imaging_data(rows))

        assert response.status_code == 200
        assert [(le.region, le.diameter_mm) for le in case.lesions.order_by("position")] == [
            ("frontal", 14), ("cerebellum", 6)]
        # On the page: the stored rows (with their ids), then the row still to correct, as typed.
        formset = response.context["formset"]
        assert [form["diameter_mm"].value() for form in formset.forms] == ["14", "6", "0"]
        assert [bool(form.instance.pk) for form in formset.forms] == [True, True, False]
        assert formset.forms[2].errors["diameter_mm"]
        banner = [str(m) for m in response.context["messages"]]
        assert banner == ["Uw overige antwoorden zijn opgeslagen. Niet opgeslagen: laesie 3 "
                          "(nieuw, nog niet opgeslagen). Deze zijn hieronder gemarkeerd: verbeter "
                          "ze en sla opnieuw op."]

        # Correcting the row and saving again stores it, once.
        case.refresh_from_db()
        data = {**imaging_data(rows, initial=2), "version": case.version, "save": "1"}
        for index, form in enumerate(formset.forms[:2]):
            data[f"lesions-{index}-id"] = str(form.instance.pk)
        data.update({"lesions-0-region": "frontal", "lesions-0-diameter_mm": "14",
                     "lesions-1-region": "cerebellum", "lesions-1-side": "left",
                     "lesions-1-diameter_mm": "6", "lesions-2-region": "temporal",
                     "lesions-2-side": "right", "lesions-2-diameter_mm": "9"})
        response = referrer_client.post(step_url(case, "imaging"), data)
        assert response.status_code == 302
        assert list(case.lesions.order_by("position").values_list("diameter_mm", flat=True)) == [
            14, 6, 9]

    def test_an_invalid_stored_row_keeps_its_values_and_its_neighbours_are_stored(
            self, referrer_client, referrer):
        case, rows = self._two_lesions(referrer, "151")
        rows[0]["diameter_mm"] = 12
        response = post_step(referrer_client, case, "imaging", imaging_data(rows, initial=2))
        assert response.status_code == 200
        assert list(case.lesions.order_by("position").values_list("diameter_mm", flat=True)) == [
            12, 22]
        formset = response.context["formset"]
        assert [form["diameter_mm"].value() for form in formset.forms] == ["12", "151"]
        banner = str(list(response.context["messages"])[0])
        assert "laesie 2 (de opgeslagen waarden blijven staan)" in banner

    def test_the_banner_names_the_fields_not_stored(self, referrer_client, referrer):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "clinical", {**STEP_DATA["clinical"], "kps": "75"})
        banner = str(list(response.context["messages"])[0])
        assert "Niet opgeslagen: KPS." in banner
        case.refresh_from_db()
        assert case.dexamethasone_mg == Decimal("4")

    @pytest.mark.parametrize("diameter", ["0", "151", "-5", "abc"])
    def test_an_invalid_diameter_is_refused_and_nothing_is_lost(self, referrer_client, referrer, diameter):
        case = draft_of(referrer, with_lesion=False)
        rows = [{"region": "frontal", "side": "left", "diameter_mm": diameter, "critical": False,
                 "critical_site": ""}]
        response = post_step(referrer_client, case, "imaging", imaging_data(rows))
        assert response.status_code == 200
        assert response.context["formset"].forms[0].errors["diameter_mm"]
        assert case.lesions.count() == 0
        case.refresh_from_db()
        assert case.mri_date is not None  # the rest of the step was stored

    def test_a_critical_lesion_needs_its_site(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        rows = [{"region": "frontal", "side": "left", "diameter_mm": 8, "critical": True,
                 "critical_site": ""}]
        response = post_step(referrer_client, case, "imaging", imaging_data(rows))
        assert response.context["formset"].forms[0].errors["critical_site"]

    def test_list_mode_needs_a_lesion(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        response = post_step(referrer_client, case, "imaging", imaging_data(rows=[]))
        assert response.status_code == 200
        assert "Voeg ten minste één laesie toe" in response.content.decode()

    def test_many_lesions_is_a_valid_answer(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        data = imaging_data(rows=[], lesion_mode="many", critical_location="no")
        response = post_step(referrer_client, case, "imaging", data)
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.lesion_mode == "many" and "imaging" in case.completed_steps

    def test_an_unfinished_hidden_row_does_not_block_many_lesions(self, referrer_client, referrer):
        # The lesion table is hidden once "many" is chosen: an error in it could not be seen.
        case = draft_of(referrer, with_lesion=False)
        rows = [{"region": "frontal", "side": "", "diameter_mm": "0", "critical": False, "critical_site": ""}]
        data = imaging_data(rows, lesion_mode="many", critical_location="no")
        response = post_step(referrer_client, case, "imaging", data)
        assert response.status_code == 302
        assert response["Location"] == step_url(case, "questions")
        case.refresh_from_db()
        assert case.lesion_mode == "many" and "imaging" in case.completed_steps
        assert case.lesions.count() == 0

    def test_switching_to_many_and_back_keeps_the_lesions(self, referrer_client, referrer):
        case = draft_of(referrer, with_lesion=False)
        first = LesionFactory(case=case, position=0, region="frontal", diameter_mm=11)
        second = LesionFactory(case=case, position=1, region="temporal", diameter_mm=22)
        rows = [{"id": lesion.pk, "region": lesion.region, "side": lesion.side,
                 "diameter_mm": lesion.diameter_mm, "critical": False, "critical_site": ""}
                for lesion in (first, second)]
        response = post_step(referrer_client, case, "imaging", imaging_data(
            rows, initial=2, lesion_mode="many", critical_location="no"), button="save")
        assert response.status_code == 302
        assert list(case.lesions.values_list("diameter_mm", flat=True)) == [11, 22]
        # Not part of the answer while "many" holds: the review shows no lesion table.
        review = referrer_client.get(step_url(case, "review"))
        imaging = next(s for s in review.context["sections"] if s["step"].key == "imaging")
        assert imaging["lesions"] is None
        # Back to a list: the rows are there again.
        post_step(referrer_client, case, "imaging", imaging_data(rows, initial=2), button="save")
        page = referrer_client.get(step_url(case, "imaging"))
        assert [form["diameter_mm"].value() for form in page.context["formset"].forms] == [11, 22]

    def test_mri_date_before_birth_is_refused(self, referrer_client, referrer):
        case = draft_of(referrer)
        response = post_step(referrer_client, case, "imaging", imaging_data(mri_date="1950-01-01"))
        assert "mri_date" in response.context["form"].errors


class TestLeavingKeepsTheInput:
    """Issue 12 item 2: the language switch sends the step's form; changed forms warn."""

    def test_the_language_switch_stores_the_step_and_answers_in_the_other_language(
            self, referrer_client, referrer):
        case = draft_of(referrer)
        response = referrer_client.post(step_url(case, "extracranial"), {
            **STEP_DATA["extracranial"], "prognosis_months": "8", "version": case.version,
            "language": "en"})
        assert response.status_code == 302 and response["Location"] == step_url(case, "extracranial")
        assert response.cookies["django_language"].value == "en"
        case.refresh_from_db()
        assert case.prognosis_months == 8
        page = referrer_client.get(response["Location"]).content.decode()
        assert "Extracranial disease and prognosis" in page

    def test_a_new_referral_not_yet_stored_comes_back_as_typed_in_the_other_language(
            self, referrer_client):
        response = referrer_client.post(reverse("referrals:intake_new"), {
            **STEP_DATA["patient"], "patient_number": "", "language": "en"})
        assert response.status_code == 200
        assert response.cookies["django_language"].value == "en"
        assert response.context["patient_form"]["family_name"].value() == "Bakker"
        assert "Patient and referral" in response.content.decode()
        assert not Case.objects.exists()

    def test_the_intake_language_switch_sends_the_step_form(self, referrer_client, referrer):
        case = draft_of(referrer)
        page = referrer_client.get(step_url(case, "oncology")).content.decode()
        assert 'id="intake-form" data-warn-unsaved' in page
        assert page.count('name="language"') == page.count('form="intake-form" formnovalidate')
        assert "js/unsaved.js" in page

    def test_the_case_page_forms_warn_before_leaving(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        page = verified_login(client, neuro_oncologist).get(
            reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert page.count("data-warn-unsaved") >= 4  # one per pre-consultation action
        assert 'form="intake-form"' not in page

    def test_the_meeting_advice_form_warns_before_leaving(self, client, referrer, chair):
        item = scheduled_case(referrer, chair)
        meeting_services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        page = verified_login(client, chair).get(
            reverse("meetings:item_advice", args=[item.pk])).content.decode()
        assert 'class="main-form advice-form" data-warn-unsaved' in page


class TestDrafts:
    def test_the_case_list_offers_to_resume_a_draft(self, referrer_client, referrer):
        case = draft_of(referrer)
        response = referrer_client.get(reverse("referrals:case_list"))
        assert step_url(case, "review") in response.content.decode()

    def test_a_colleague_of_the_same_hospital_can_continue(self, client, referrer, colleague):
        case = draft_of(referrer)
        verified_login(client, colleague)
        assert client.get(step_url(case, "clinical")).status_code == 200

    def test_the_stored_answers_come_back(self, referrer_client, referrer):
        case = draft_of(referrer, kps=60)
        response = referrer_client.get(step_url(case, "clinical"))
        assert response.context["form"]["kps"].value() == 60

    def test_a_stale_edit_is_refused_and_shows_what_changed(self, referrer_client, referrer, client):
        case = draft_of(referrer, kps=60)
        case.refresh_from_db()
        opened_version = case.version
        # Someone else saves KPS 90 first.
        from audit.actor import Actor
        from referrals.services import case_save_step
        case_save_step(actor=Actor(user=referrer), case_id=case.pk, step_key="clinical",
                       values={"kps": 90}, expected_version=opened_version)
        response = referrer_client.post(step_url(case, "clinical"), {
            **STEP_DATA["clinical"], "kps": "70", "version": opened_version, "save": "1"})
        assert response.status_code == 200
        content = response.content.decode()
        assert "NIET opgeslagen" in content
        assert "90" in content and "60" in content
        case.refresh_from_db()
        assert case.kps == 90
        # The form now carries the current version: saving again is a deliberate choice.
        assert f'name="version" value="{case.version}"' in content

    def test_the_review_lists_open_questions_and_disables_submit(self, referrer_client, referrer):
        case = draft_of(referrer, treatment_wish="")
        response = referrer_client.get(step_url(case, "review"))
        content = response.content.decode()
        assert "Vragen aan het MDO" in content
        assert "disabled" in content.split("Verwijzing indienen")[0].rsplit("<button", 1)[1]

    def test_the_review_shows_the_live_advice(self, referrer_client, referrer):
        case = draft_of(referrer)
        response = referrer_client.get(step_url(case, "review"))
        assert response.context["advice"]["outcome"]["code"] == "NEURO_ONC_MDO"
        assert "<svg" in response.content.decode()


class TestSubmit:
    def submit(self, client, case):
        case.refresh_from_db()
        return client.post(reverse("referrals:intake_submit", args=[case.pk]), {"version": case.version})

    def test_it_submits_stores_the_advice_and_locks_the_case(self, referrer_client, referrer):
        case = draft_of(referrer)
        response = self.submit(referrer_client, case)
        assert response["Location"] == reverse("casefile:case_detail", args=[case.pk])
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED
        assert case.submitted_at is not None
        assert case.current_advice.outcome == "NEURO_ONC_MDO"
        assert case.current_advice.rule_set_version.startswith("lwno-")
        assert Event.objects.filter(case=case, action="case.submitted").count() == 1
        assert case.history.filter(status=CaseStatus.SUBMITTED).exists()

    def test_a_second_submit_changes_nothing(self, referrer_client, referrer):
        case = draft_of(referrer)
        case.refresh_from_db()
        data = {"version": case.version}
        url = reverse("referrals:intake_submit", args=[case.pk])
        referrer_client.post(url, data)
        response = referrer_client.post(url, data)
        assert response.status_code == 302
        assert case.advices.count() == 1
        assert Event.objects.filter(case=case, action="case.submitted").count() == 1
        page = referrer_client.get(response["Location"])
        assert "al ingediend" in page.content.decode()

    def test_an_incomplete_case_is_not_submitted(self, referrer_client, referrer):
        case = draft_of(referrer, question_to_mdo="")
        response = self.submit(referrer_client, case)
        assert response["Location"] == step_url(case, "review")
        case.refresh_from_db()
        assert case.status == CaseStatus.DRAFT

    def test_submit_is_post_only(self, referrer_client, referrer):
        case = draft_of(referrer)
        assert referrer_client.get(reverse("referrals:intake_submit", args=[case.pk])).status_code == 405

    def test_a_submitted_case_is_read_only_for_the_referrer(self, referrer_client, referrer):
        case = submitted_case(referrer)
        response = referrer_client.get(step_url(case, "clinical"))
        assert response["Location"] == reverse("casefile:case_detail", args=[case.pk])
        response = post_step(referrer_client, case, "clinical", {**STEP_DATA["clinical"], "kps": "30"})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.kps == 80

    def test_the_case_page_shows_answers_lesions_and_advice(self, referrer_client, referrer):
        case = draft_of(referrer)
        self.submit(referrer_client, case)
        response = referrer_client.get(reverse("casefile:case_detail", args=[case.pk]))
        content = response.content.decode()
        assert "Bespreken in neuro-oncologisch MDO" in content or "neuro-oncologisch MDO" in content
        assert "Oncologische voorgeschiedenis" in content
        assert "14" in content  # the lesion's diameter
        assert "<svg" in content


class TestOutsiders:
    """Another hospital's referrer, and MDO members of another region, get 404 everywhere."""

    def urls(self, case):
        return [
            ("get", reverse("casefile:case_detail", args=[case.pk])),
            ("get", step_url(case, "patient")),
            ("get", step_url(case, "clinical")),
            ("get", step_url(case, "review")),
            ("post", step_url(case, "clinical")),
            ("post", reverse("referrals:intake_submit", args=[case.pk])),
        ]

    def test_another_hospitals_referrer_gets_404(self, client, referrer, outsider):
        case = draft_of(referrer)
        verified_login(client, outsider)
        for method, url in self.urls(case):
            response = getattr(client, method)(url, {**STEP_DATA["clinical"], "version": 1, "next": "1"}
                                               if method == "post" else None)
            assert response.status_code == 404, url
            assert "Bakker" not in response.content.decode()
        case.refresh_from_db()
        assert case.kps == 80 and case.status == CaseStatus.DRAFT
        assert AccessLog.objects.filter(case=case, result="denied", user=outsider).exists()

    def test_the_mdo_does_not_see_drafts(self, client, referrer, neuro_oncologist):
        case = draft_of(referrer)
        verified_login(client, neuro_oncologist)
        assert client.get(reverse("casefile:case_detail", args=[case.pk])).status_code == 404

    def test_the_mdo_sees_submitted_cases_of_its_region_only(self, client, referrer, neuro_oncologist,
                                                              other_centre_hospital):
        ours = submitted_case(referrer)
        theirs = submitted_case(UserFactory(hospital=other_centre_hospital, role=Role.REFERRER))
        verified_login(client, neuro_oncologist)
        assert client.get(reverse("casefile:case_detail", args=[ours.pk])).status_code == 200
        assert client.get(reverse("casefile:case_detail", args=[theirs.pk])).status_code == 404

    def test_the_case_list_shows_only_the_own_hospital(self, client, referrer, outsider):
        draft_of(referrer)
        verified_login(client, outsider)
        response = client.get(reverse("referrals:case_list"))
        assert "Bakker" not in response.content.decode() and list(response.context["page"]) == []

    def test_anonymous_users_are_sent_to_login(self, client, referrer):
        case = draft_of(referrer)
        response = client.get(reverse("casefile:case_detail", args=[case.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lesion_rows_have_history(referrer_client, referrer):
    case = draft_of(referrer, with_lesion=False)
    post_step(referrer_client, case, "imaging", imaging_data())
    lesion = Lesion.objects.get(case=case)
    assert lesion.history.count() == 1
    assert lesion.history.first().history_user == referrer


def test_patient_data_never_enters_the_url(referrer_client):
    response = new_case(referrer_client, bsn="111222333")
    assert "111222333" not in response["Location"]
    assert PATIENT["family_name"] not in response["Location"]
