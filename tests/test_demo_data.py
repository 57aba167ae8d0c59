"""The demo shows every role a real day (issue 12 item 18), made through the services."""

import datetime

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, MeetingAdvice, MeetingStatus
from referrals.models import AdviceSource, Case, CaseStatus
from tests.conftest import verified_login

pytestmark = pytest.mark.django_db


def of_the_day(queryset, path="patient__patient_number"):
    """The demo's day, without the six months of history behind it (quality/demo.py: patient
    numbers Q2xxxxx)."""
    return queryset.exclude(**{f"{path}__startswith": "Q"})


@pytest.fixture
def demo():
    with override_settings(DEBUG=True):
        call_command("demo_data", "--quiet")


def test_the_demo_has_a_day_for_every_role(demo):
    today = timezone.localdate()
    meetings = {m.date: m for m in Meeting.objects.all()}  # the history's meetings fall mid-month
    past = meetings[today - datetime.timedelta(days=7)]
    current = meetings[today]
    upcoming = meetings[today + datetime.timedelta(days=7)]
    assert past.status == MeetingStatus.CLOSED
    assert MeetingAdvice.objects.filter(item__meeting=past).count() == 2
    assert MeetingAdvice.objects.filter(item__meeting=past).exclude(plan_agreed_on=None).count() == 1
    assert current.status == MeetingStatus.PLANNED and current.items.count() == 2
    assert 0 < current.attendances.count() < 4, "attendance partly recorded"
    cases_next_week = [item.case for item in upcoming.items.all()]
    assert len(cases_next_week) == 2
    assert any(case.advice_source == AdviceSource.OVERRIDDEN for case in cases_next_week)
    assert any(case.urgent and case.urgent_reason for case in cases_next_week)
    day = of_the_day(Case.objects.all())
    assert day.filter(status=CaseStatus.INFO_REQUESTED).count() == 1
    assert day.filter(status=CaseStatus.IMPLEMENTED).count() == 2
    assert day.filter(status=CaseStatus.DISCUSSED).count() == 1
    assert day.filter(status=CaseStatus.DRAFT).count() == 1


def test_the_chair_opens_a_meetings_page_with_all_three(client, demo):
    from accounts.models import User

    verified_login(client, User.objects.get(username="voorzitter"))
    response = client.get(reverse("meetings:meeting_list"))
    assert len(response.context["upcoming"]) == 2
    today = timezone.localdate()
    past = {m.date for m in response.context["past"]}
    # Six weeks and one week ago, and the history's monthly meetings (quality/demo.py).
    assert {today - datetime.timedelta(days=42), today - datetime.timedelta(days=7)} <= past
    assert len(past) == 2 + 6


def test_running_it_twice_changes_nothing(demo):
    counts = (Case.objects.count(), Meeting.objects.count())
    with override_settings(DEBUG=True):
        call_command("demo_data", "--quiet")
    assert (Case.objects.count(), Meeting.objects.count()) == counts


def test_the_demo_has_follow_up_with_an_mri_done_and_one_overdue(client, demo):
    from accounts.models import User
    from followup.models import FollowUpMri, FollowUpPlan

    today = timezone.localdate()
    path = "plan__case__patient__patient_number"
    assert of_the_day(FollowUpPlan.objects.all(), "case__patient__patient_number").count() == 3
    assert of_the_day(FollowUpMri.objects.filter(done_on__isnull=False, result="stable"), path).count() == 1
    assert of_the_day(FollowUpMri.objects.filter(done_on__isnull=True, due_date__lt=today), path).count() == 1
    verified_login(client, User.objects.get(username="verwijzer"))
    context = client.get(reverse("followup:overdue")).context
    day_mris = [mri for mri in context["overdue"] if not mri.plan.case.patient.patient_number.startswith("Q")]
    assert len(day_mris) == 1 and len(context["due_soon"]) >= 1


def test_the_demo_shows_every_state_after_the_meeting(client, demo):
    """Issue 14: an advice implemented, one implemented with a deviation, one without status after
    six weeks; a closed case waiting for its re-evaluation, one back in the queue as a re-entry."""
    from accounts.models import User
    from followup.models import Implementation, ReEvaluation

    path = "advice__item__case__patient__patient_number"
    assert of_the_day(Implementation.objects.filter(status="done"), path).count() == 2
    assert of_the_day(Implementation.objects.filter(status="not_done"), path).get().reason == "patient_choice"
    restrained = Case.objects.filter(patient__patient_number__in=["105230", "105512"])
    assert {case.preconsultations.get().outcome for case in restrained} == {"RESTRAINED_POLICY_NO_MDO"}
    waiting = of_the_day(ReEvaluation.objects.filter(done_at__isnull=True), "case__patient__patient_number").get()
    assert waiting.case.status == CaseStatus.CLOSED and waiting.due_on == timezone.localdate()
    back = of_the_day(ReEvaluation.objects.filter(done_at__isnull=False), "case__patient__patient_number").get()
    assert back.requalified and back.case.status == CaseStatus.SUBMITTED and back.case.reentered_at
    verified_login(client, User.objects.get(username="verwijzer"))
    context = client.get(reverse("followup:overdue")).context
    assert "105001" in [case.patient.patient_number for case in context["unimplemented"]]
    assert waiting.case_id in [record.case_id for record in context["reevaluations"]]


def test_each_role_sees_the_day_on_its_own_pages(client, demo):
    """Issue 12 item 18 as the users open it: the chair's agenda of next week with the override
    and the urgent case marked, today's meeting with attendance partly recorded, the minutes of last
    week's closed meeting with its advice; the referrer's question waiting for an answer and an advice
    whose implementation and talk with the patient are recorded (issue 14's successor of "plan
    agreed")."""
    from accounts.models import User
    from followup.models import Implementation

    today = timezone.localdate()
    meetings = {m.date: m for m in Meeting.objects.all()}
    past, current = meetings[today - datetime.timedelta(days=7)], meetings[today]
    upcoming = meetings[today + datetime.timedelta(days=7)]
    verified_login(client, User.objects.get(username="voorzitter"))
    agenda = client.get(reverse("meetings:meeting_detail", args=[upcoming.pk])).content.decode()
    assert agenda.count("urgent-badge") == 1 and "hydrocefalus" in agenda
    overridden = next(item.case for item in upcoming.items.all() if item.case.advice_source == AdviceSource.OVERRIDDEN)
    assert overridden.patient.display_name in agenda and "Hemiparese door de grote frontale laesie" in agenda
    response = client.get(reverse("meetings:meeting_detail", args=[current.pk]))
    assert response.status_code == 200 and current.attendances.count() == 2
    minutes = client.get(reverse("meetings:minutes_print", args=[past.pk])).content.decode()
    for advice in MeetingAdvice.objects.filter(item__meeting=past):
        assert advice.item.case.patient.display_name in minutes
    assert "Stereotactische radiotherapie van de laesie(s)" in minutes

    client.logout()
    verified_login(client, User.objects.get(username="verwijzer"))
    asked = of_the_day(Case.objects.filter(status=CaseStatus.INFO_REQUESTED)).get()
    page = client.get(reverse("casefile:case_detail", args=[asked.pk])).content.decode()
    assert "Graag de actuele KPS (zonder dexamethason) en de verwachte prognose." in page
    implemented = of_the_day(Case.objects.filter(status=CaseStatus.IMPLEMENTED)).filter(
        agenda_items__advice__plan_agreed_on__isnull=False).get()
    assert Implementation.objects.filter(advice__item__case=implemented, status="done").exists()
    page = client.get(reverse("casefile:case_detail", args=[implemented.pk])).content.decode()
    assert "Patiënt kiest voor stereotactische radiotherapie; start volgende week." in page
