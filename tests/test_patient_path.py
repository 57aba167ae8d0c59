"""Issue 14 item 5: the patient's path (every case, advice, follow-up plan, MRI and re-referral of one
patient, in order) with the case page's access rules and log rows; the timeline's follow-up words."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actor import Actor
from audit.models import AccessLog
from followup import services
from tests.conftest import speak, verified_login
from tests.workflow import advised_case

pytestmark = pytest.mark.django_db


def followed_case(referrer, chair, result="progression"):
    advice = advised_case(referrer, chair)
    case = advice.item.case
    plan, _created = services.plan_create(actor=Actor(user=referrer), case_id=case.pk,
                                          values=services.plan_proposal(case, advice))
    mri = services.mri_record(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=plan.mris.get().pk,
                              done_on=timezone.localdate(), result=result)
    return plan, mri


def test_the_path_shows_cases_advice_plan_mri_and_the_new_referral_in_order(referrer_client, referrer, chair):
    plan, mri = followed_case(referrer, chair)
    new, _created = services.followup_rereferral(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=mri.pk)
    case_page = referrer_client.get(reverse("casefile:case_detail", args=[plan.case_id])).content.decode()
    url = reverse("casefile:patient_path", args=[plan.case.patient_id])
    assert url in case_page and reverse("followup:plan", args=[plan.case_id]) in case_page
    speak(referrer_client, "en")
    response = referrer_client.get(url)
    assert response.status_code == 200
    kinds = [step.kind for step in response.context["steps"]]
    for kind in ("case", "submitted", "triage", "meeting", "followup", "mri", "mri_planned"):
        assert kind in kinds, kind
    assert kinds.index("case") < kinds.index("meeting") < kinds.index("followup") < kinds.index("mri")
    assert [case.pk for case in response.context["cases"]] == [plan.case_id, new.pk]
    page = response.content.decode()
    assert new.reference in page and "Progression" in page
    logged = AccessLog.objects.filter(object_type="patient_path", user=referrer)
    assert {row.case_id for row in logged} == {plan.case_id, new.pk}


def test_another_hospital_gets_404_and_the_refusal_is_logged(client, outsider, referrer, chair):
    plan, _mri = followed_case(referrer, chair)
    client = verified_login(client, outsider)
    response = client.get(reverse("casefile:patient_path", args=[plan.case.patient_id]))
    assert response.status_code == 404
    assert plan.case.patient.family_name not in response.content.decode()
    assert AccessLog.objects.filter(user=outsider, object_type="patient_path", result="denied",
                                    patient_id=plan.case.patient_id).exists()


def test_the_neuro_oncologist_sees_the_path_of_a_patient_referred_to_the_centre(client, neuro_oncologist,
                                                                               referrer, chair):
    plan, _mri = followed_case(referrer, chair)
    client = verified_login(client, neuro_oncologist)
    assert client.get(reverse("casefile:patient_path", args=[plan.case.patient_id])).status_code == 200


def test_the_path_costs_the_same_queries_for_more_cases(referrer_client, referrer, chair,
                                                        django_assert_max_num_queries):
    plan, mri = followed_case(referrer, chair)
    url = reverse("casefile:patient_path", args=[plan.case.patient_id])
    with django_assert_max_num_queries(20) as few:
        referrer_client.get(url)
    # Two more cases of the same patient (each MRI with new lesions referred again), more MRIs.
    services.followup_rereferral(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=mri.pk)
    again = services.mri_add_on_complaints(actor=Actor(user=referrer), plan_id=plan.pk,
                                           done_on=timezone.localdate(), result="new_lesions")
    services.followup_rereferral(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=again.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = referrer_client.get(url)
    assert len(response.context["cases"]) == 3


def test_the_timeline_tells_the_follow_up_in_words(referrer_client, referrer, chair):
    plan, mri = followed_case(referrer, chair)
    services.plan_change(actor=Actor(user=referrer), plan_id=plan.pk, values={"interval_months": 4},
                         reason="Op verzoek van de patiënt", expected_version=plan.version)
    services.followup_rereferral(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=mri.pk)
    url = reverse("casefile:case_timeline", args=[plan.case_id])
    speak(referrer_client, "en")
    page = referrer_client.get(url).content.decode()
    for words in ("Follow-up plan made", "Follow-up MRI recorded", "Progression", "Follow-up plan changed",
                  "Op verzoek van de patiënt", "Referred again after the follow-up MRI", "First point of contact"):
        assert words in page, words
    speak(referrer_client, "nl")
    page = referrer_client.get(url).content.decode()
    for words in ("Follow-upplan gemaakt", "Follow-up-MRI vastgelegd", "Progressie", "Follow-upplan gewijzigd",
                  "Opnieuw verwezen na de follow-up-MRI"):
        assert words in page, words
