"""The advice that counts is shown wherever people decide (issue 12 items 4 and 6).

After pre-consultation overrode the triage advice, the case list, the queue, the meeting page, the
advice form, the agenda print view and PDF and the case page's heading show the overriding advice,
where it came from (by whom, the reason), and after the meeting its advice. A case taken off an
agenda says why on its page.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from audit.actor import Actor
from meetings import services
from referrals.models import AdviceSource, Case
from tests.conftest import verified_login
from tests.test_meetings_print import read_pdf
from tests.workflow import planned_meeting, record_advice, register_quorum, submitted_case

REASON = "Patiënt wil behandeling voor de hoofdpijn; kwaliteit van leven staat voorop."
QOL = "NEURO_ONC_MDO_QOL"


@pytest.fixture
def overridden(db, referrer, neuro_oncologist):
    case = submitted_case(referrer)
    assert case.current_advice.outcome != QOL
    services.case_override_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk, outcome=QOL, reason=REASON)
    case.refresh_from_db()
    return case


@pytest.fixture
def on_agenda(overridden, chair):
    meeting = planned_meeting(chair)
    return services.case_schedule(actor=Actor(user=chair), case_id=overridden.pk, meeting_id=meeting.pk)


def shows_the_override(content, neuro_oncologist, *, reason=True):
    assert f'data-advice-in-force="{QOL}"' in content
    assert 'data-advice-source="overridden"' in content
    assert "Vooroverleg: afgeweken van het triage-advies" in content
    assert str(neuro_oncologist) in content
    if reason:
        assert REASON in content


def test_the_transitions_keep_the_advice_in_force(overridden, referrer, neuro_oncologist, chair):
    assert (overridden.outcome_in_force, overridden.advice_source) == (QOL, AdviceSource.OVERRIDDEN)
    accepted = submitted_case(referrer)
    assert (accepted.outcome_in_force, accepted.advice_source) == (accepted.current_advice.outcome, "triage")
    services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=accepted.pk)
    accepted.refresh_from_db()
    assert (accepted.outcome_in_force, accepted.advice_source) == (accepted.current_advice.outcome, "accepted")
    meeting = planned_meeting(chair)
    item = services.case_schedule(actor=Actor(user=chair), case_id=overridden.pk, meeting_id=meeting.pk)
    register_quorum(meeting, chair)
    record_advice(item, chair, decisions=["srt", "systemic"])
    overridden.refresh_from_db()
    assert overridden.advice_source == AdviceSource.MEETING
    assert overridden.meeting_decisions == ["srt", "systemic"]
    assert overridden.outcome_in_force == QOL, "the pre-consultation outcome stays on the path"


def test_the_referrers_list_shows_the_override(client, overridden, referrer):
    verified_login(client, referrer)
    content = client.get(reverse("referrals:case_list")).content.decode()
    assert f'data-outcome="{QOL}"' in content
    assert 'data-advice-source="overridden"' in content
    assert f'data-outcome="{overridden.current_advice.outcome}"' not in content


def test_the_queue_shows_and_filters_on_the_advice_in_force(client, overridden, neuro_oncologist):
    verified_login(client, neuro_oncologist)
    content = client.get(reverse("meetings:queue"), {"outcome": QOL}).content.decode()
    assert overridden.patient.display_name in content and 'data-advice-source="overridden"' in content
    content = client.get(reverse("meetings:queue"), {"outcome": overridden.current_advice.outcome}).content.decode()
    assert overridden.patient.display_name not in content


def test_the_meeting_page_and_the_advice_form_show_the_path(client, on_agenda, chair, neuro_oncologist):
    verified_login(client, chair)
    shows_the_override(client.get(reverse("meetings:meeting_detail", args=[on_agenda.meeting_id])).content.decode(),
                       neuro_oncologist)
    shows_the_override(client.get(reverse("meetings:item_advice", args=[on_agenda.pk])).content.decode(),
                       neuro_oncologist)


def test_the_agenda_print_view_and_pdf_show_the_path(client, on_agenda, chair, neuro_oncologist, tmp_path):
    verified_login(client, chair)
    content = client.get(reverse("meetings:agenda_print", args=[on_agenda.meeting_id])).content.decode()
    shows_the_override(content, neuro_oncologist)
    _pages, text = read_pdf(client.get(reverse("meetings:agenda_pdf", args=[on_agenda.meeting_id])), tmp_path)
    flat = " ".join(text.split())
    assert "Geldend advies" in flat and "Vooroverleg: afgeweken van het triage-advies" in flat
    assert "kwaliteit van leven staat voorop" in flat


def test_the_case_page_heading_shows_the_path_then_the_meetings_advice(client, on_agenda, chair, neuro_oncologist):
    verified_login(client, chair)
    url = reverse("casefile:case_detail", args=[on_agenda.case_id])
    content = client.get(url).content.decode()
    heading = content[content.index('class="card mb-3 advice-in-force'):content.index('class="row"')]
    shows_the_override(heading, neuro_oncologist)
    register_quorum(on_agenda.meeting, chair)
    record_advice(on_agenda, chair, decisions=["srt"])
    content = client.get(url).content.decode()
    heading = content[content.index('class="card mb-3 advice-in-force'):content.index('class="row"')]
    assert 'data-advice-source="meeting"' in heading
    assert "MDO-advies: Stereotactische radiotherapie" in heading
    assert REASON in heading, "the pre-consultation stays on the path"


def test_the_case_list_shows_the_meetings_advice(client, on_agenda, chair, referrer):
    register_quorum(on_agenda.meeting, chair)
    record_advice(on_agenda, chair, decisions=["srt"])
    verified_login(client, referrer)
    content = client.get(reverse("referrals:case_list")).content.decode()
    assert "MDO-advies: Stereotactische radiotherapie" in content


def test_the_reason_a_case_was_taken_off_the_agenda_is_on_its_page(client, on_agenda, chair, referrer):
    services.agenda_remove(actor=Actor(user=chair), item_id=on_agenda.pk, reason="Eerst nieuwe MRI afwachten.")
    verified_login(client, referrer)
    content = client.get(reverse("casefile:case_detail", args=[on_agenda.case_id])).content.decode()
    note = content[content.index("removed-from-agenda"):]
    assert "Van de agenda gehaald" in note and "Eerst nieuwe MRI afwachten." in note
    assert str(chair) in note
    # Placed on another meeting, the note gives way to the new agenda.
    services.case_schedule(actor=Actor(user=chair), case_id=on_agenda.case_id,
                           meeting_id=planned_meeting(chair, days_ahead=7).pk)
    assert "removed-from-agenda" not in client.get(
        reverse("casefile:case_detail", args=[on_agenda.case_id])).content.decode()


def test_the_migration_fills_the_advice_in_force_from_the_records(on_agenda, chair, referrer, neuro_oncologist):
    migration = importlib.import_module("referrals.migrations.0006_advice_in_force")
    register_quorum(on_agenda.meeting, chair)
    record_advice(on_agenda, chair, decisions=["resection"])
    accepted = submitted_case(referrer)
    services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=accepted.pk)
    waiting = submitted_case(referrer)
    expected = {c.pk: (c.outcome_in_force, c.advice_source, c.meeting_decisions) for c in Case.objects.all()}
    # As the rows were before the migration: the one place a test writes these columns by hand.
    Case.objects.update(outcome_in_force="", advice_source="", meeting_decisions=[])
    migration.backfill(apps, None)
    assert {c.pk: (c.outcome_in_force, c.advice_source, c.meeting_decisions) for c in Case.objects.all()} == expected
    assert expected[waiting.pk][1] == "triage" and expected[accepted.pk][1] == "accepted"
    assert expected[on_agenda.case_id] == (QOL, "meeting", ["resection"])
