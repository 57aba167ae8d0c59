"""triage.facts: the one reading of a case, for the engine, the meeting and the intake's forms."""

from types import SimpleNamespace

import pytest

from referrals.forms import ClinicalForm
from referrals.models import Case
from tests.factories import COMPLETE_ANSWERS
from triage.facts import SYMPTOM_FIELDS, SYMPTOMATIC_ONLY, facts_from_case, open_meeting_items, symptomatic
from triage.readiness import meeting_gaps


def a_case(**answers):
    """A case as triage reads it: attributes only, every answer of tests.factories given."""
    fields = {field.name: field.get_default() for field in Case._meta.concrete_fields}
    return SimpleNamespace(**{**fields, **COMPLETE_ANSWERS, "mri_date": None, **answers})


LESION = SimpleNamespace(diameter_mm=14, critical=False, critical_site="")


@pytest.mark.parametrize("answers,expected", [
    (("no", "no"), False), (("yes", "no"), True), (("no", "yes"), True), (("yes", "unknown"), True),
    (("unknown", "no"), None), (("", "no"), None), ((None, None), None),
])
def test_symptomatic_is_one_yes_or_every_answer_no(answers, expected):
    assert symptomatic(answers) is expected


def test_the_forms_ask_exactly_the_adapters_symptomatic_only_questions():
    asymptomatic = {name: "no" for name in SYMPTOM_FIELDS}
    base = ClinicalForm.missing_answers({**COMPLETE_ANSWERS, **asymptomatic})
    for name in SYMPTOM_FIELDS:
        added = set(ClinicalForm.missing_answers({**COMPLETE_ANSWERS, **asymptomatic, name: "yes"})) - set(base)
        # A deficit also asks which one; that is not a question of the symptomatic chart.
        assert added - {"neuro_deficit_detail"} == set(SYMPTOMATIC_ONLY)
    for name in SYMPTOMATIC_ONLY:
        assert ClinicalForm.base_fields[name]
        assert ClinicalForm.show_when[name] == "|".join(f"{symptom}=yes" for symptom in SYMPTOM_FIELDS)
    assert not set(SYMPTOMATIC_ONLY) & set(ClinicalForm.required_fields)


def test_the_symptomatic_only_questions_are_facts_of_the_engine():
    facts = facts_from_case(a_case(neuro_deficit="yes", rapid_kps_improvement="yes", qol_improvement="no"),
                            [LESION])
    assert {fact: getattr(facts, fact) for fact in SYMPTOMATIC_ONLY.values()} == {
        "rapid_kps_improvement_expected": True, "local_treatment_could_improve_qol": False}


def test_answers_left_from_when_the_patient_was_symptomatic_are_not_read():
    case = a_case(neuro_deficit="no", epilepsy="no", rapid_kps_improvement="yes", qol_improvement="yes")
    facts = facts_from_case(case, [LESION])
    assert facts.rapid_kps_improvement_expected is None and facts.local_treatment_could_improve_qol is None
    assert case.rapid_kps_improvement == "yes"  # kept, not deleted


def test_answers_are_read_while_it_is_not_known_whether_the_patient_is_symptomatic():
    # The engine then weighs both charts, and the symptomatic one asks these.
    facts = facts_from_case(a_case(neuro_deficit="unknown", rapid_kps_improvement="no"), [LESION])
    assert facts.symptomatic is None and facts.rapid_kps_improvement_expected is False


def test_a_complete_case_leaves_no_meeting_item_open():
    assert open_meeting_items(a_case(), [LESION]) == []
    assert meeting_gaps(a_case(), [LESION]) == []


def test_each_symptom_must_be_known_even_when_one_yes_makes_the_patient_symptomatic():
    case = a_case(neuro_deficit="yes", epilepsy="unknown")
    assert facts_from_case(case, [LESION]).symptomatic is True
    assert "symptoms" in open_meeting_items(case, [LESION])


@pytest.mark.parametrize("answers,lesions,item", [
    ({"kps": None, "kps_unknown": True}, [LESION], "kps"),
    ({"prognosis_months": None}, [LESION], "prognosis"),
    ({"extracranial_status": "unknown"}, [LESION], "extracranial_status"),
    ({"systemic_option": ""}, [LESION], "systemic_option"),
    ({"systemic_option": "yes", "cerebral_response": ""}, [LESION], "cerebral_response"),
    ({}, [], "lesion_sizes"),
    ({"lesion_mode": ""}, [LESION], "lesion_sizes"),
    ({"lesion_mode": "many", "critical_location": "unknown"}, [], "critical_location"),
    ({"treatment_wish": "unknown"}, [LESION], "treatment_wish"),
    ({"radiotherapy_considered": ""}, [LESION], "radiotherapy_considered"),
])
def test_an_open_item_the_meeting_needs(answers, lesions, item):
    assert open_meeting_items(a_case(**answers), lesions) == [item]


def test_gaps_name_a_missing_fact_once_as_its_item():
    assert meeting_gaps(a_case(kps=None), [LESION], ("kps", "treatment_wish")) == ["kps", "treatment_wish"]
