"""The treating physician's presence is recorded on the advice form itself (issue 12 item 3).

Before, an advice typed on the advice page was refused because the presence was not recorded yet,
a field on another page. Now the form asks it; every refusal keeps what was typed; "not present"
gets its own message; presence and advice are one transaction (a refused advice changes nothing).
"""

import pytest
from django.urls import reverse

from audit.actor import Actor
from audit.models import Event
from meetings import services
from meetings.models import MeetingAdvice
from tests.conftest import verified_login
from tests.workflow import ADVICE, ADVICE_POST, register_quorum, scheduled_case

TEXT = "SRT 1x20 Gy op de laesie in de linker pariëtaalkwab."


@pytest.fixture
def item(db, referrer, chair):
    """A case on today's meeting with the quorum, its presence not yet recorded."""
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    return item


def post(client, item, **values):
    return client.post(reverse("meetings:item_advice", args=[item.pk]), {**ADVICE_POST, "text": TEXT, **values})


def test_presence_and_advice_are_recorded_in_one_step(client, item, chair):
    verified_login(client, chair)
    assert post(client, item, present="representative", representative_name="Dr. Waarnemer").status_code == 302
    item.refresh_from_db()
    assert (item.treating_physician_present, item.representative_name) == ("representative", "Dr. Waarnemer")
    assert MeetingAdvice.objects.get().text == TEXT
    assert Event.objects.filter(action="case.presence_recorded").count() == 1


def test_without_presence_the_form_says_so_at_the_field_and_keeps_the_text(client, item, chair):
    verified_login(client, chair)
    response = post(client, item, present="")
    assert response.status_code == 400
    form = response.context["form"]
    assert "present" in form.errors and form["text"].value() == TEXT
    assert TEXT in response.content.decode()
    assert not MeetingAdvice.objects.exists()


def test_not_present_gets_its_own_message_and_keeps_the_text(client, item, chair):
    verified_login(client, chair)
    response = post(client, item, present="no")
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["present"] == [
        "De hoofdbehandelaar was niet aanwezig, en ook geen vervanger die de voorgeschiedenis kent: de leidraad "
        "vraagt een van beiden bij de bespreking (paragraaf 2). Leg vast wie er was, of verplaats de casus naar "
        "een ander MDO."]
    assert "Leg eerst vast" not in response.content.decode()
    assert form["text"].value() == TEXT and form["present"].value() == "no"
    assert not MeetingAdvice.objects.exists()
    item.refresh_from_db()
    assert item.treating_physician_present == "", "a refused advice records no presence either"


def test_a_quorum_refusal_keeps_the_text_and_records_no_presence(client, referrer, chair):
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair, disciplines=("neurology",))
    verified_login(client, chair)
    response = post(client, item, present="yes")
    assert response.status_code == 400
    assert response.context["form"]["text"].value() == TEXT
    item.refresh_from_db()
    assert item.treating_physician_present == ""
    assert not Event.objects.filter(action="case.presence_recorded").exists()


def test_the_form_shows_the_presence_already_recorded(client, item, chair):
    services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    verified_login(client, chair)
    form = client.get(reverse("meetings:item_advice", args=[item.pk])).context["form"]
    assert form["present"].value() == "yes"


def test_the_service_refuses_an_unknown_presence(item, chair):
    with pytest.raises(services.PresenceRefused):
        services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk, values={**ADVICE, "present": "maybe"})
    assert not MeetingAdvice.objects.exists()
