"""Issue 14 item 3: a case closed as not for this MDO (a restrained policy at a KPS below 70) gets a
re-evaluation date; on that date it is on the referrer's list; the new clinical status triages it
again with the rules in force, and a case that now qualifies goes to the queue as a re-entry."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.actor import Actor
from audit.models import Event
from followup import services
from followup.models import ReEvaluation
from meetings import services as meeting_services
from referrals.models import CaseStatus
from tests.conftest import verified_login
from tests.workflow import reevaluation_date_comes, submitted_case
from triage.models import Advice, AdviceTrigger

pytestmark = pytest.mark.django_db


def closed_restrained_case(referrer, neuro_oncologist):
    case = submitted_case(referrer, kps=50, radiotherapy_considered="no")
    assert case.current_advice.outcome == "RESTRAINED_POLICY_NO_MDO"
    meeting_services.case_close(actor=Actor(user=neuro_oncologist), case_id=case.pk, closed_forum="treating_physician",
                                reason="Terughoudend beleid bij KPS 50")
    case.refresh_from_db()
    return case


@pytest.fixture
def closed(referrer, neuro_oncologist):
    return closed_restrained_case(referrer, neuro_oncologist)


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


CLINICAL = {"clinical-kps": "80", "clinical-dexamethasone": "no", "clinical-neuro_deficit": "no",
            "clinical-epilepsy": "no", "extracranial-extracranial_status": "stable",
            "extracranial-systemic_option": "no", "extracranial-prognosis_months": "12",
            "changes": "KPS 80 na revalidatie"}


class TestTheDate:
    @pytest.mark.parametrize("days", [0, -3, 400])
    def test_a_date_today_in_the_past_or_beyond_a_year_is_refused(self, closed, referrer, days):
        with pytest.raises(ValidationError) as refused:
            services.reevaluation_set(actor=Actor(user=referrer), case_id=closed.pk, due_on=in_days(days))
        assert "due_on" in refused.value.message_dict
        assert not ReEvaluation.objects.exists()

    def test_a_second_date_moves_the_open_one(self, closed, referrer):
        services.reevaluation_set(actor=Actor(user=referrer), case_id=closed.pk, due_on=in_days(28))
        services.reevaluation_set(actor=Actor(user=referrer), case_id=closed.pk, due_on=in_days(42))
        assert list(ReEvaluation.objects.values_list("due_on", flat=True)) == [in_days(42)]
        assert Event.objects.filter(case_id=closed.pk, action="case.reevaluation_set").count() == 2

    def test_only_a_closed_case_gets_one(self, referrer):
        case = submitted_case(referrer)
        with pytest.raises(services.ActionRefused):
            services.reevaluation_set(actor=Actor(user=referrer), case_id=case.pk, due_on=in_days(28))

    def test_on_its_date_it_is_on_the_referrers_list(self, client, closed, referrer, outsider):
        services.reevaluation_set(actor=Actor(user=referrer), case_id=closed.pk, due_on=in_days(28))
        verified_login(client, referrer)
        assert client.get(reverse("followup:overdue")).context["reevaluations"] == []
        reevaluation_date_comes(closed)
        [listed] = client.get(reverse("followup:overdue")).context["reevaluations"]
        assert listed.case_id == closed.pk
        notices = client.get(reverse("referrals:case_list")).context["notices"]
        assert [(n["kind"], n["count"]) for n in notices] == [("reevaluations", 1)]
        verified_login(client, outsider)
        assert client.get(reverse("followup:overdue")).context["reevaluations"] == []


class TestTheNewStatus:
    def test_a_recovered_kps_sends_the_case_to_the_queue_as_a_re_entry(self, client, closed, referrer,
                                                                         neuro_oncologist):
        services.reevaluation_set(actor=Actor(user=referrer), case_id=closed.pk, due_on=in_days(28))
        closed.refresh_from_db()
        verified_login(client, referrer)
        page = client.get(reverse("followup:reevaluation", args=[closed.pk]))
        assert page.status_code == 200 and "reevaluation-form" in page.content.decode()
        response = client.post(reverse("followup:reevaluation_record", args=[closed.pk]),
                               {**CLINICAL, "version": closed.version})
        assert response.status_code == 302
        closed.refresh_from_db()
        assert closed.status == CaseStatus.SUBMITTED and closed.reentered_at and closed.kps == 80
        advice = closed.current_advice
        assert advice.trigger == AdviceTrigger.REEVALUATED and advice.forum == "NEURO_ONC_MDO"
        assert advice.rule_set_version
        record = ReEvaluation.objects.get()
        assert record.requalified and record.advice == advice and record.done_by == referrer
        assert Event.objects.filter(case_id=closed.pk, action="case.reentered").exists()
        verified_login(client, neuro_oncologist)
        queue = client.get(reverse("meetings:queue")).content.decode()
        assert "reentry-badge" in queue and closed.patient.family_name in queue

    def test_only_a_closed_case_is_re_evaluated_and_nothing_is_written_otherwise(self, referrer):
        case = submitted_case(referrer)
        adviced, events = Advice.objects.count(), Event.objects.count()
        with pytest.raises(services.ActionRefused, match="huidige status"):
            services.reevaluation_record(actor=Actor(user=referrer), case_id=case.pk, values={"kps": 80},
                                         changes="KPS 80")
        case.refresh_from_db()
        assert case.status == CaseStatus.SUBMITTED and case.reentered_at is None
        assert (Advice.objects.count(), Event.objects.count()) == (adviced, events)
        assert not ReEvaluation.objects.exists()

    def test_a_kps_still_low_keeps_the_case_closed_with_the_new_advice(self, closed, referrer):
        adviced = Advice.objects.count()
        case, record = services.reevaluation_record(actor=Actor(user=referrer), case_id=closed.pk,
                                                    values={"kps": 60}, changes="Nog steeds KPS 60")
        assert case.status == CaseStatus.CLOSED and record.requalified is False
        assert Advice.objects.count() == adviced + 1 and case.current_advice.outcome == "RESTRAINED_POLICY_NO_MDO"
        # A new date can be set again.
        services.reevaluation_set(actor=Actor(user=referrer), case_id=closed.pk, due_on=in_days(28))
        assert ReEvaluation.objects.filter(done_at__isnull=True).count() == 1

    @pytest.mark.parametrize(("field", "value"), [("clinical-kps", "75"), ("clinical-kps", "150"),
                                                  ("changes", " "), ("extracranial-prognosis_months", "x")])
    def test_bad_input_is_refused_at_the_field_and_nothing_is_lost(self, client, closed, referrer, field, value):
        verified_login(client, referrer)
        response = client.post(reverse("followup:reevaluation_record", args=[closed.pk]),
                               {**CLINICAL, field: value, "version": closed.version})
        assert response.status_code == 400
        body = response.content.decode()
        assert "invalid-feedback" in body and "KPS 80 na revalidatie" in body or field == "changes"
        closed.refresh_from_db()
        assert closed.status == CaseStatus.CLOSED and closed.kps == 50
        assert not ReEvaluation.objects.filter(done_at__isnull=False).exists()

    def test_a_stale_form_stores_nothing(self, client, closed, referrer):
        verified_login(client, referrer)
        response = client.post(reverse("followup:reevaluation_record", args=[closed.pk]),
                               {**CLINICAL, "version": closed.version - 1})
        assert response.status_code == 302
        closed.refresh_from_db()
        assert closed.status == CaseStatus.CLOSED and closed.kps == 50

    def test_another_hospital_gets_404(self, client, closed, outsider):
        verified_login(client, outsider)
        for response in (client.get(reverse("followup:reevaluation", args=[closed.pk])),
                         client.post(reverse("followup:reevaluation_record", args=[closed.pk]), CLINICAL),
                         client.post(reverse("followup:reevaluation_set", args=[closed.pk]),
                                     {"due_on": in_days(28).isoformat()})):
            assert response.status_code == 404
        closed.refresh_from_db()
        assert closed.status == CaseStatus.CLOSED and not ReEvaluation.objects.exists()

    def test_a_double_submit_re_enters_once(self, client, closed, referrer):
        verified_login(client, referrer)
        data = {**CLINICAL, "version": closed.version}
        first = client.post(reverse("followup:reevaluation_record", args=[closed.pk]), data)
        second = client.post(reverse("followup:reevaluation_record", args=[closed.pk]), data)
        assert first.status_code == 302 and second.status_code in (302, 400)
        assert ReEvaluation.objects.count() == 1
        assert Event.objects.filter(case_id=closed.pk, action="case.reentered").count() == 1


def test_the_neuro_oncologists_are_told_of_a_re_entry_without_patient_data(closed, referrer, neuro_oncologist):
    from django.core import mail

    from tests.mailqueue import discard, drain

    discard()
    mail.outbox.clear()
    services.reevaluation_record(actor=Actor(user=referrer), case_id=closed.pk, values={"kps": 80},
                                 changes="KPS 80")
    drain()
    [message] = [m for m in mail.outbox if m.to == [neuro_oncologist.email]]
    assert closed.reference in message.subject and "herintrede" in (message.subject + message.body).lower()
    assert closed.patient.family_name not in message.subject + message.body
