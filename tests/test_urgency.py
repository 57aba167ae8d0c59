"""Urgency and the meeting's structured items (issue 12 item 11).

An urgent case says why, comes first in the pre-consultation queue in every order, and is marked on
the case list, the case page, the meeting page and the printed agenda. The imaging step holds the
items the guideline's notes name for the meeting: mass effect, oedema, risk of CSF obstruction."""

import pytest
from django.urls import reverse

from audit.actor import Actor
from meetings import services
from referrals.forms import QuestionsForm
from tests.conftest import verified_login
from tests.workflow import planned_meeting, submitted_case

REASON = "Toenemende hoofdpijn en braken; dreigende hydrocefalus."


def test_urgent_without_a_reason_is_an_open_question():
    assert QuestionsForm.conditional({"urgent": True}) == {"urgent_reason": QuestionsForm.conditional(
        {"urgent": True})["urgent_reason"]}
    assert QuestionsForm.conditional({"urgent": True, "urgent_reason": REASON}) == {}
    assert QuestionsForm.conditional({"urgent": False}) == {}


@pytest.mark.django_db
class TestUrgentCase:
    @pytest.fixture
    def cases(self, referrer):
        ordinary = submitted_case(referrer)
        urgent = submitted_case(referrer, urgent=True, urgent_reason=REASON, mass_effect="yes", oedema="yes",
                                csf_obstruction_risk="yes", patient={"family_name": "Spoedig"})
        return ordinary, urgent

    @pytest.mark.parametrize("sort", ["", "waiting", "recent", "patient", "hospital", "outcome"])
    def test_it_comes_first_in_the_queue_in_every_order(self, client, cases, neuro_oncologist, sort):
        _ordinary, urgent = cases
        verified_login(client, neuro_oncologist)
        rows = client.get(reverse("meetings:queue"), {"sort": sort} if sort else {}).context["rows"]
        assert rows[0]["case"].pk == urgent.pk and rows[0]["urgent"]
        assert not rows[1]["urgent"]

    def test_it_is_marked_on_the_list_the_case_page_the_meeting_and_the_print(self, client, cases, referrer, chair):
        _ordinary, urgent = cases
        verified_login(client, referrer)
        assert client.get(reverse("referrals:case_list")).content.decode().count("urgent-badge") == 1
        page = client.get(reverse("casefile:case_detail", args=[urgent.pk])).content.decode()
        assert "urgent-badge" in page and REASON in page
        assert "Massawerking" in page or "massawerking" in page
        client.logout()
        item = services.case_schedule(actor=Actor(user=chair), case_id=urgent.pk,
                                      meeting_id=planned_meeting(chair, days_ahead=3).pk)
        verified_login(client, chair)
        meeting_page = client.get(reverse("meetings:meeting_detail", args=[item.meeting_id])).content.decode()
        assert "urgent-badge" in meeting_page and REASON in meeting_page
        printed = client.get(reverse("meetings:agenda_print", args=[item.meeting_id])).content.decode()
        assert "SPOED" in printed and REASON in printed
        assert "risico op afvloedbelemmering van liquor: Ja" in printed
