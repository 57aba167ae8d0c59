"""A case discussed again brings what the earlier meeting advised onto the new agenda.

After an advice "discuss again" the case is placed on a later meeting. There, on the meeting page,
the print view and the agenda PDF, the chair finds the date of each earlier meeting and its advice
(decisions and text), oldest first; a case on the agenda for the first time shows nothing of the sort.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from audit.actor import Actor
from meetings import services
from tests.conftest import speak, verified_login
from tests.test_meetings_print import read_pdf
from tests.workflow import planned_meeting, record_advice, register_quorum, scheduled_case, time_passes

pytestmark = pytest.mark.django_db


def discuss(item, chair, **values):
    """Record the item's advice in its meeting (its day has come: advice is recorded from its date on)."""
    time_passes(item.meeting)
    if not item.meeting.attendances.exists():
        register_quorum(item.meeting, chair)
    return record_advice(item, chair, **values)


def past(meeting, days):
    time_passes(meeting, days_ago=days)


@pytest.fixture
def agenda(referrer, chair):
    """The later meeting: one case discussed twice before, one case new on the agenda."""
    first = scheduled_case(referrer, chair, question_to_mdo="Resectie of SRT?")
    discuss(first, chair, decisions=["diagnostics", "discuss_again"], text="Eerst perfusie-MRI.")
    past(first.meeting, 14)
    second_meeting = planned_meeting(chair, days_ahead=1)
    second = services.case_schedule(actor=Actor(user=chair), case_id=first.case_id, meeting_id=second_meeting.pk)
    discuss(second, chair, decisions=["discuss_again"], text="Na de tweede lijn opnieuw.")
    past(second_meeting, 7)
    later = planned_meeting(chair, days_ahead=7)
    again = services.case_schedule(actor=Actor(user=chair), case_id=first.case_id, meeting_id=later.pk)
    new = scheduled_case(referrer, chair, meeting=later)
    return {"later": later, "again": again, "new": new, "first": first, "second": second}


def short(days_ago):
    return (timezone.localdate() - datetime.timedelta(days=days_ago)).strftime("%-d-%-m-%Y")


@pytest.fixture
def chair_client(client, chair):
    return verified_login(client, chair)


class TestTheMeetingPage:
    def test_it_shows_each_earlier_meeting_and_its_advice_oldest_first(self, chair_client, agenda):
        response = chair_client.get(reverse("meetings:meeting_detail", args=[agenda["later"].pk]))
        rows = {row["item"].pk: row["item"] for row in response.context["rows"]}
        assert rows[agenda["again"].pk].earlier == [agenda["first"], agenda["second"]]
        assert rows[agenda["new"].pk].earlier == []
        content = response.content.decode()
        assert content.count('earlier-advice"') == 2
        first_at = content.index(f"Eerder besproken, MDO van {short(14)}")
        second_at = content.index(f"Eerder besproken, MDO van {short(7)}")
        assert first_at < second_at
        assert "Aanvullende diagnostiek, Opnieuw bespreken" in content and "Eerst perfusie-MRI." in content
        assert "Na de tweede lijn opnieuw." in content

    def test_the_earlier_meeting_shows_nothing_of_the_later_one(self, chair_client, agenda):
        response = chair_client.get(reverse("meetings:meeting_detail", args=[agenda["first"].meeting_id]))
        assert 'earlier-advice"' not in response.content.decode()
        assert [row["item"].earlier for row in response.context["rows"]] == [[]]

    def test_a_case_taken_off_the_later_agenda_and_placed_again_still_shows_it(self, chair_client, chair, agenda):
        services.agenda_remove(actor=Actor(user=chair), item_id=agenda["again"].pk, reason="Patiënt ziek")
        other = planned_meeting(chair, days_ahead=14)
        services.case_schedule(actor=Actor(user=chair), case_id=agenda["again"].case_id, meeting_id=other.pk)
        content = chair_client.get(reverse("meetings:meeting_detail", args=[other.pk])).content.decode()
        assert content.count('earlier-advice"') == 2 and "Eerst perfusie-MRI." in content


class TestThePrintedAgenda:
    def test_the_print_view_shows_it_in_english_too(self, chair_client, agenda):
        speak(chair_client, "en")
        content = chair_client.get(reverse("meetings:agenda_print", args=[agenda["later"].pk])).content.decode()
        assert content.count('<section class="earlier">') == 1
        # The English short date pads the day ("01-12-2026"), the Dutch one does not ("1-12-2026").
        with translation.override("en"):
            dates = [formats.date_format(timezone.localdate() - datetime.timedelta(days=days), "SHORT_DATE_FORMAT")
                     for days in (14, 7)]
        assert f"MDT of {dates[0]}" in content and f"MDT of {dates[1]}" in content
        assert "Further diagnostics; Discuss again" in content and "Eerst perfusie-MRI." in content
        # In the case's own block, after its question.
        case_at = content.index("Resectie of SRT?", content.index('<article class="case">'))
        assert case_at < content.index("Discussed before") < content.index("Summary (guideline section 3)")

    def test_the_pdf_has_it(self, chair_client, agenda, tmp_path):
        response = chair_client.get(reverse("meetings:agenda_pdf", args=[agenda["later"].pk]))
        assert response.status_code == 200
        pages, text = read_pdf(response, tmp_path)
        assert pages == 3  # the first page, then one page per case: the earlier advice fits on it
        assert "Eerder besproken" in text
        assert f"MDO van {short(14)}" in text and f"MDO van {short(7)}" in text
        assert "Aanvullende diagnostiek; Opnieuw bespreken" in text
        assert "Eerst perfusie-MRI." in text and "Na de tweede lijn opnieuw." in text
        assert text.count("Eerder besproken") == 1
