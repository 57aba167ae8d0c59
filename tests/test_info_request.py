"""The referrer sees the neuro-oncologist's question where they answer it (issue 12 item 5).

The question is on the case page and at the top of every intake step; the steps it concerns are
marked and lose their tick until saved again; the referrer may answer in words when resubmitting,
and the answer is kept with the request (case page, timeline)."""

import pytest
from django.urls import reverse

from audit.actor import Actor
from audit.models import Event
from meetings import services
from referrals.services import case_save_step, case_submit
from tests.conftest import verified_login
from tests.workflow import submitted_case

QUESTION = "Graag de actuele KPS zonder dexamethason."


@pytest.fixture
def asked(db, referrer, neuro_oncologist):
    case = submitted_case(referrer)
    services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message=QUESTION,
                               steps=["clinical"])
    case.refresh_from_db()
    return case


def test_the_request_unticks_the_steps_it_concerns(asked):
    assert "clinical" not in asked.completed_steps
    assert "oncology" in asked.completed_steps
    assert asked.info_request["message"] == QUESTION and asked.info_request["steps"] == ["clinical"]


def test_the_question_is_at_the_top_of_every_intake_step_and_the_step_is_marked(client, asked, referrer):
    verified_login(client, referrer)
    for key in ("oncology", "clinical", "review"):
        content = client.get(reverse("referrals:intake_step", args=[asked.pk, key])).content.decode()
        banner = content[content.index("open-request"):]
        assert QUESTION in banner and "Klinische toestand" in banner
    content = client.get(reverse("referrals:intake_step", args=[asked.pk, "review"])).content.decode()
    nav = content.split('class="intake-progress', 1)[1]
    assert "gevraagd door de neuro-oncoloog" in nav.split("Klinische toestand", 1)[1][:300]
    assert nav.count("gevraagd door de neuro-oncoloog") == 1


def test_saving_another_step_does_not_tick_the_asked_one_but_saving_it_does(asked, referrer):
    actor = Actor(user=referrer)
    case = case_save_step(actor=actor, case_id=asked.pk, step_key="oncology", values={},
                          expected_version=asked.version)
    assert "clinical" not in case.completed_steps
    case = case_save_step(actor=actor, case_id=asked.pk, step_key="clinical", values={"kps": 90},
                          expected_version=case.version)
    assert "clinical" in case.completed_steps


def test_the_answer_is_kept_with_the_request_and_shown(client, asked, referrer, neuro_oncologist):
    case_submit(actor=Actor(user=referrer), case_id=asked.pk, expected_version=asked.version,
                answer="KPS 80 zonder dexamethason.")
    asked.refresh_from_db()
    assert asked.info_request["answer"] == "KPS 80 zonder dexamethason." and asked.info_request["answered_at"]
    assert Event.objects.get(case=asked, action="case.resubmitted").data["answer"] == "KPS 80 zonder dexamethason."
    verified_login(client, neuro_oncologist)
    content = client.get(reverse("casefile:case_detail", args=[asked.pk])).content.decode()
    answer = content[content.index("request-answer"):]
    assert "KPS 80 zonder dexamethason." in answer and QUESTION in answer
    timeline = client.get(reverse("casefile:case_timeline", args=[asked.pk])).content.decode()
    assert "Antwoord van de verwijzer" in timeline


def test_the_form_posts_steps_and_refuses_an_unknown_one(client, referrer, neuro_oncologist):
    case = submitted_case(referrer)
    verified_login(client, neuro_oncologist)
    url = reverse("casefile:preconsult", args=[case.pk, "request_info"])
    response = client.post(url, {"message": QUESTION, "steps": ["nonsense"]})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == "submitted"
    client.post(url, {"message": QUESTION, "steps": ["clinical", "imaging"]})
    case.refresh_from_db()
    assert case.info_request["steps"] == ["clinical", "imaging"]


def test_the_service_refuses_steps_that_are_not_intake_steps(referrer, neuro_oncologist):
    case = submitted_case(referrer)
    with pytest.raises(services.ActionRefused):
        services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message=QUESTION,
                                   steps=["review"])

