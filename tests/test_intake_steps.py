"""The intake's step objects: which apply, what each binds, when each is complete."""

import inspect
import re

import pytest
from django.http import QueryDict
from django.urls import reverse

from audit.actor import Actor
from referrals import presenters, services
from referrals.forms import PatientForm
from referrals.intake import FORM_STEPS, STEPS, STEPS_BY_KEY, LesionStep, PatientStep, ReviewStep
from referrals.views import intake as intake_views
from tests.factories import CaseFactory, PatientFactory
from tests.intake_helpers import STEP_DATA, imaging_data

pytestmark = pytest.mark.django_db


def draft(referrer, **answers):
    case = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer,
                       **answers)
    case.refresh_from_db()
    return case


def post(data):
    query = QueryDict(mutable=True)
    query.update(data)
    return query


def bind(case, key, data, action="save", argument=None):
    hospital = case.patient.hospital if case else None
    return STEPS_BY_KEY[key].bind(case, post(data), hospital=hospital, action=action, argument=argument)


class TestApplicability:
    def test_before_the_draft_exists_only_the_first_step_applies(self):
        assert [step.key for step in STEPS if step.is_applicable(None)] == ["patient"]

    def test_every_step_applies_to_a_draft(self, referrer):
        case = draft(referrer)
        assert all(step.is_applicable(case) for step in STEPS)

    def test_the_review_stores_no_answers(self):
        assert isinstance(STEPS[-1], ReviewStep) and not STEPS[-1].stores_answers
        assert STEPS[-1] not in FORM_STEPS and len(FORM_STEPS) == len(STEPS) - 1


class TestCompleteness:
    def test_a_fully_answered_draft_completes_every_step(self, referrer):
        case = draft(referrer)
        assert all(step.is_completed(case) for step in STEPS)

    @pytest.mark.parametrize("key,answers,missing", [
        ("patient", {"presenter_role": "nurse", "presenter_name": ""}, {"presenter_name"}),
        ("oncology", {"primary_tumour": ""}, {"primary_tumour"}),
        ("history", {"anticoagulation": "yes", "anticoagulation_detail": ""}, {"anticoagulation_detail"}),
        ("extracranial", {"prognosis_months": None}, {"prognosis_months"}),
        ("clinical", {"epilepsy": "yes"}, {"rapid_kps_improvement", "qol_improvement"}),
        ("imaging", {"mri_date": None}, {"mri_date"}),
        ("questions", {"question_to_mdo": ""}, {"question_to_mdo"}),
    ])
    def test_an_open_question_leaves_its_step_and_the_review_incomplete(self, referrer, key, answers, missing):
        case = draft(referrer, **answers)
        step = STEPS_BY_KEY[key]
        assert set(step.missing(case)) == missing and not step.is_completed(case)
        assert [other.key for other in FORM_STEPS if not other.is_completed(case)] == [key]
        assert not STEPS_BY_KEY["review"].is_completed(case)

    def test_a_list_of_lesions_needs_a_lesion_many_lesions_do_not(self, referrer):
        step = STEPS_BY_KEY["imaging"]
        case = draft(referrer, with_lesion=False)
        assert step.missing(case) == {"lesions": step.missing(case)["lesions"]}
        case = draft(referrer, with_lesion=False, lesion_mode="many", critical_location="no")
        assert step.is_completed(case)


class TestBinding:
    def test_each_step_binds_its_own_forms(self, referrer):
        case = draft(referrer)
        for step in FORM_STEPS:
            forms = step.blank(case, hospital=case.patient.hospital, query=QueryDict())
            assert isinstance(forms["form"], step.form_class) and not forms["form"].is_bound
            assert isinstance(forms["patient_form"], PatientForm) == isinstance(step, PatientStep)
            assert (forms["formset"] is not None) == isinstance(step, LesionStep)

    def test_a_post_is_validated_once_and_judged_from_the_same_values(self, referrer):
        case = draft(referrer)
        submission = bind(case, "clinical", {**STEP_DATA["clinical"], "epilepsy": "yes"}, action="next")
        assert submission.is_valid and not submission.is_complete
        assert set(submission.open_questions) == {"rapid_kps_improvement", "qol_improvement"}
        assert submission.values["epilepsy"] == "yes"
        assert not submission.form.errors  # shown at the fields only when asked
        submission.show_open_questions()
        assert set(submission.form.errors) == {"rapid_kps_improvement", "qol_improvement"}

    def test_an_emptied_answer_is_stored_even_though_it_is_an_open_question(self, referrer):
        case = draft(referrer)
        submission = bind(case, "questions", {**STEP_DATA["questions"], "treatment_wish": ""})
        assert submission.values["treatment_wish"] == "" and "treatment_wish" in submission.open_questions

    def test_a_new_referral_binds_the_patient_and_the_referral(self, referrer):
        submission = STEPS[0].bind(None, post(STEP_DATA["patient"]), hospital=referrer.hospital,
                                   action="next", argument=None)
        assert submission.is_complete
        assert submission.patient_values["family_name"] == "Bakker"
        assert submission.lesions is None

    def test_the_lesion_step_binds_the_rows_unless_there_are_many(self, referrer):
        case = draft(referrer, with_lesion=False)
        assert bind(case, "imaging", imaging_data()).lesions[0]["diameter_mm"] == 14
        assert bind(case, "imaging", imaging_data(rows=[])).open_questions == {
            "lesions": STEPS_BY_KEY["imaging"].missing(case)["lesions"]}
        hidden = bind(case, "imaging", imaging_data(lesion_mode="many", critical_location="no"))
        assert hidden.lesions is None and hidden.is_complete


class TestSavingAStep:
    def test_the_review_has_nothing_to_save(self, referrer):
        case = draft(referrer)
        for key in ("review", "nonsense"):
            with pytest.raises(ValueError, match="not an intake step with answers"):
                services.case_save_step(actor=Actor(user=referrer), case_id=case.pk, step_key=key,
                                        values={}, expected_version=case.version)

    def test_a_field_of_another_step_is_refused(self, referrer):
        case = draft(referrer)
        with pytest.raises(ValueError, match="do not belong to step clinical"):
            services.case_save_step(actor=Actor(user=referrer), case_id=case.pk, step_key="clinical",
                                    values={"treatment_wish": "no"}, expected_version=case.version)


def test_the_view_and_the_review_ask_the_step_instead_of_naming_it():
    for module in (intake_views, presenters):
        source = inspect.getsource(module)
        assert not re.search(r"step\.key (==|!=|in \(|not in \()", source), module.__name__


def test_a_symptomatic_only_answer_left_after_the_symptoms_went_is_kept_and_marked_not_used(
        referrer_client, referrer):
    case = draft(referrer, neuro_deficit="no", epilepsy="no", rapid_kps_improvement="yes")
    response = referrer_client.get(reverse("referrals:intake_step", args=[case.pk, "review"]))
    clinical = next(s for s in response.context["sections"] if s["step"].key == "clinical")
    row = next(r for r in clinical["rows"] if r["name"] == "rapid_kps_improvement")
    assert "niet gebruikt" in row["value"]
    case.refresh_from_db()
    assert case.rapid_kps_improvement == "yes"
    symptomatic = draft(referrer, neuro_deficit="yes", neuro_deficit_detail="Afasie",
                        rapid_kps_improvement="yes", qol_improvement="no")
    response = referrer_client.get(reverse("referrals:intake_step", args=[symptomatic.pk, "review"]))
    clinical = next(s for s in response.context["sections"] if s["step"].key == "clinical")
    assert "niet gebruikt" not in str([r["value"] for r in clinical["rows"]])
