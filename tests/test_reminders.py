"""Issue 14 item 4: `manage.py send_reminders` mails about follow-up MRIs due within 14 days and
overdue ones, due re-evaluations and missing implementation statuses, once per item and day at
most, through the mail queue, with no patient data."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from audit.actor import Actor
from casefile import reminders
from casefile.models import ReminderSent
from followup import services
from tests.mailqueue import discard, drain
from tests.workflow import advised_case, time_passes

pytestmark = pytest.mark.django_db


def plan_with_meeting_days_ago(referrer, chair, days_ago):
    """A follow-up plan of an advice carried out (its implementation is no reminder here)."""
    advice = advised_case(referrer, chair)
    time_passes(advice.item.meeting, days_ago=days_ago)
    case = advice.item.case
    services.implementation_record(actor=Actor(user=referrer), case_id=case.pk,
                                   rows={"srt": {"status": "done", "done_on": advice.item.meeting.date}})
    plan, _created = services.plan_create(actor=Actor(user=referrer), case_id=case.pk,
                                          values=services.plan_proposal(case, advice))
    return plan


def send(today=None):
    discard_before = mail.outbox[:]
    queued = reminders.send_reminders(today)
    drain()
    return queued, [message for message in mail.outbox if message not in discard_before]


def test_an_overdue_mri_mails_the_referrer_and_the_neuro_oncologists_once_a_day(referrer, chair, neuro_oncologist):
    plan = plan_with_meeting_days_ago(referrer, chair, 100)
    discard()
    mail.outbox.clear()
    queued, sent = send()
    assert queued == 2
    assert sorted(message.to[0] for message in sent) == sorted([referrer.email, neuro_oncologist.email])
    case = plan.case
    for message in sent:
        assert case.reference in message.subject + message.body
        for private in (case.patient.family_name, case.patient.patient_number, case.patient.bsn or "-nobsn-",
                        case.patient.date_of_birth.strftime("%d-%m-%Y")):
            assert private not in message.subject + message.body
    # The same day again (and a second run at once): nothing.
    assert send() == (0, [])
    assert ReminderSent.objects.get().recipients == 2
    # After a week it reminds again while the MRI is not recorded.
    assert send(timezone.localdate() + datetime.timedelta(days=3))[0] == 0
    assert send(timezone.localdate() + datetime.timedelta(days=7))[0] == 2


def test_an_mri_due_within_14_days_mails_the_referrer_once(referrer, chair, neuro_oncologist):
    # Meeting 80 days ago: the first MRI (3 months after it) is due in about 10 days.
    plan = plan_with_meeting_days_ago(referrer, chair, 80)
    assert 0 <= (plan.mris.get().due_date - timezone.localdate()).days <= 14
    discard()
    mail.outbox.clear()
    queued, sent = send()
    assert queued == 1 and [message.to for message in sent] == [[referrer.email]]
    assert send(timezone.localdate() + datetime.timedelta(days=1))[0] == 0


def test_a_recorded_mri_and_a_far_one_remind_nobody(referrer, chair):
    plan = plan_with_meeting_days_ago(referrer, chair, 100)
    services.mri_record(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=plan.mris.get().pk,
                        done_on=timezone.localdate(), result="stable")
    assert reminders.send_reminders() == 0


def test_the_command_runs_and_the_sources_are_a_list(referrer, chair, capsys):
    plan_with_meeting_days_ago(referrer, chair, 100)
    call_command("send_reminders")
    assert "mails queued" in capsys.readouterr().out
    assert set(reminders.SOURCES) == {reminders.followup_due, reminders.followup_overdue,
                                      reminders.reevaluation_due, reminders.implementation_missing}
    assert reminders.send_reminders(sources=[lambda today: []]) == 0


def test_an_advice_without_implementation_status_after_30_days_mails_the_referrer_weekly(referrer, chair):
    advice = advised_case(referrer, chair)
    time_passes(advice.item.meeting, days_ago=29)
    discard()
    mail.outbox.clear()
    assert send() == (0, [])  # not yet N days
    time_passes(advice.item.meeting, days_ago=30)
    queued, sent = send()
    assert queued == 1 and [message.to for message in sent] == [[referrer.email]]
    assert advice.item.case.reference in sent[0].subject and "30" in sent[0].body
    assert advice.item.case.patient.family_name not in sent[0].body + sent[0].subject
    assert send() == (0, [])
    assert send(timezone.localdate() + datetime.timedelta(days=7))[0] == 1
    # Recorded: no more reminders.
    services.implementation_record(actor=Actor(user=referrer), case_id=advice.item.case_id, rows={
        "srt": {"status": "not_done", "reason": "patient_choice"}})
    assert send(timezone.localdate() + datetime.timedelta(days=14))[0] == 0


def test_a_due_reevaluation_mails_the_referrer_and_stops_when_done(referrer, neuro_oncologist):
    from referrals.models import CaseStatus
    from tests.test_reentry import closed_restrained_case

    case = closed_restrained_case(referrer, neuro_oncologist)
    record = services.reevaluation_set(actor=Actor(user=referrer), case_id=case.pk,
                                       due_on=timezone.localdate() + datetime.timedelta(days=28))
    discard()
    mail.outbox.clear()
    assert send() == (0, [])
    later = record.due_on
    queued, sent = send(later)
    assert queued == 1 and [message.to for message in sent] == [[referrer.email]]
    assert case.reference in sent[0].subject and case.patient.family_name not in sent[0].body
    assert send(later)[0] == 0
    services.reevaluation_record(actor=Actor(user=referrer), case_id=case.pk, values={"kps": 80},
                                 changes="KPS 80 na revalidatie")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert send(later + datetime.timedelta(days=7))[0] == 0
