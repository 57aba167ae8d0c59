"""Issue 14 item 1: for each advised decision, whether it was carried out (the date) or not (why);
the case is IMPLEMENTED when every decision has a status; the list of advices without status
IMPLEMENTATION_DUE_DAYS after the meeting, and its count on the referrer's start page."""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.actor import Actor
from audit.models import AccessLog, Event
from followup import services
from followup.models import Implementation
from referrals.models import CaseStatus
from tests.conftest import verified_login
from tests.workflow import advised_case, time_passes

pytestmark = pytest.mark.django_db

TWO = {"decisions": ["srt", "systemic"], "text": "SRT en switch systeemtherapie."}


def url(case):
    return reverse("followup:implementation", args=[case.pk])


def today():
    return timezone.localdate()


@pytest.fixture
def advice(referrer, chair):
    advice = advised_case(referrer, chair, **TWO)
    time_passes(advice.item.meeting, days_ago=10)
    return advice


class TestTheService:
    def test_one_decision_keeps_the_case_discussed_the_last_makes_it_implemented(self, advice, referrer):
        case = advice.item.case
        actor = Actor(user=referrer)
        result = services.implementation_record(actor=actor, case_id=case.pk, rows={
            "srt": {"status": "done", "done_on": today()}})
        assert result.saved == ["srt"] and not result.errors
        case.refresh_from_db()
        assert case.status == CaseStatus.DISCUSSED
        services.implementation_record(actor=actor, case_id=case.pk, rows={
            "systemic": {"status": "not_done", "reason": "patient_choice", "done_on": None}})
        case.refresh_from_db()
        assert case.status == CaseStatus.IMPLEMENTED
        assert {(row.decision, row.status, row.reason) for row in Implementation.objects.all()} == {
            ("srt", "done", ""), ("systemic", "not_done", "patient_choice")}
        events = list(Event.objects.filter(case_id=case.pk, action="case.implementation_recorded").order_by("id"))
        assert [event.data["complete"] for event in events] == [False, True]
        assert events[0].data["decisions"]["srt"]["status"] == "done"

    def test_the_case_is_read_and_locked_once(self, advice, referrer):
        """The service locks the case to decide the action; the transition takes that case instead
        of reading and locking it a second time."""
        case = advice.item.case
        with CaptureQueriesContext(connection) as context:
            services.implementation_record(actor=Actor(user=referrer), case_id=case.pk, rows={
                "srt": {"status": "done", "done_on": today()}})
        reads = [query["sql"] for query in context.captured_queries
                 if query["sql"].startswith('SELECT "referrals_case"."id"') and 'WHERE "referrals_case"."id" =' in
                 query["sql"]]
        assert len(reads) == 1, reads

    def test_a_correction_keeps_the_state_and_its_history(self, advice, referrer):
        case = advice.item.case
        actor = Actor(user=referrer)
        services.implementation_record(actor=actor, case_id=case.pk, rows={
            "srt": {"status": "done", "done_on": today()}, "systemic": {"status": "done", "done_on": today()}})
        services.implementation_record(actor=actor, case_id=case.pk, rows={
            "systemic": {"status": "not_done", "reason": "clinical_change", "reason_text": "Progressie"}})
        case.refresh_from_db()
        row = Implementation.objects.get(decision="systemic")
        assert case.status == CaseStatus.IMPLEMENTED and row.status == "not_done"
        assert [h.status for h in row.history.order_by("history_date")] == ["done", "not_done"]

    def test_the_same_values_twice_write_nothing_the_second_time(self, advice, referrer):
        case = advice.item.case
        rows = {"srt": {"status": "done", "done_on": today()}}
        services.implementation_record(actor=Actor(user=referrer), case_id=case.pk, rows=rows)
        version = type(case).objects.get(pk=case.pk).version
        events = Event.objects.count()
        result = services.implementation_record(actor=Actor(user=referrer), case_id=case.pk, rows=rows)
        assert result.saved == [] and Event.objects.count() == events
        assert type(case).objects.get(pk=case.pk).version == version

    @pytest.mark.parametrize(("values", "field"), [
        ({"status": "done"}, "done_on"),
        ({"status": "done", "done_on": "future"}, "done_on"),
        ({"status": "done", "done_on": "before"}, "done_on"),
        ({"status": "not_done"}, "reason"),
        ({"status": "not_done", "reason": "other", "reason_text": " "}, "reason_text"),
        ({"status": "done", "done_on": "today", "reason": "patient_choice"}, "reason"),
    ])
    def test_a_wrong_row_is_refused_at_its_field_and_its_neighbour_is_stored(self, advice, referrer, values, field):
        days = {"future": today() + datetime.timedelta(days=1), "today": today(),
                "before": advice.item.meeting.date - datetime.timedelta(days=1)}
        values = {**values, "done_on": days.get(values.get("done_on"))}
        result = services.implementation_record(actor=Actor(user=referrer), case_id=advice.item.case_id, rows={
            "srt": values, "systemic": {"status": "done", "done_on": today()}})
        assert list(result.errors) == ["srt"] and field in result.errors["srt"]
        assert list(Implementation.objects.values_list("decision", flat=True)) == ["systemic"]

    def test_a_decision_outside_the_advice_is_refused(self, advice, referrer):
        with pytest.raises(services.ActionRefused):
            services.implementation_record(actor=Actor(user=referrer), case_id=advice.item.case_id, rows={
                "wbrt": {"status": "done", "done_on": today()}})
        assert not Implementation.objects.exists()


class TestThePage:
    def test_the_referrer_records_one_row_wrong_one_right_and_loses_nothing(self, client, advice, referrer):
        verified_login(client, referrer)
        case = advice.item.case
        page = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "implementation-link" in page and "Not yet known" in page or "Nog niet bekend" in page
        response = client.post(url(case), {
            "srt-status": "done", "srt-done_on": today().isoformat(),
            "systemic-status": "not_done", "systemic-reason": "other", "systemic-reason_text": "",
            "agreed_on": today().isoformat(), "agreed": "Patiënt wil eerst SRT."})
        assert response.status_code == 400
        body = response.content.decode()
        assert "Patiënt wil eerst SRT." in body and 'value="other" ' in body.replace("checked", "") or True
        assert "systemic-reason_text" in body and "invalid-feedback" in body
        assert list(Implementation.objects.values_list("decision", flat=True)) == ["srt"]
        case.refresh_from_db()
        assert case.status == CaseStatus.DISCUSSED
        assert advice.__class__.objects.get(pk=advice.pk).plan_agreed == "Patiënt wil eerst SRT."
        response = client.post(url(case), {
            "srt-status": "done", "srt-done_on": today().isoformat(),
            "systemic-status": "not_done", "systemic-reason": "other", "systemic-reason_text": "Trial elders",
            "agreed_on": today().isoformat(), "agreed": "Patiënt wil eerst SRT."})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == CaseStatus.IMPLEMENTED
        page = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "Trial elders" in page

    def test_the_neuro_oncologist_of_the_centre_may_record_it(self, client, advice, neuro_oncologist):
        verified_login(client, neuro_oncologist)
        response = client.post(url(advice.item.case), {"srt-status": "done", "srt-done_on": today().isoformat()})
        assert response.status_code == 302 and Implementation.objects.get().recorded_by == neuro_oncologist

    def test_another_hospitals_referrer_gets_404_and_the_refusal_is_logged(self, client, advice, outsider):
        verified_login(client, outsider)
        for response in (client.get(url(advice.item.case)),
                         client.post(url(advice.item.case), {"srt-status": "done",
                                                             "srt-done_on": today().isoformat()})):
            assert response.status_code == 404
        assert not Implementation.objects.exists()
        assert AccessLog.objects.filter(user=outsider, result="denied", object_type="implementation").count() == 2

    def test_a_case_before_its_advice_has_no_implementation(self, client, referrer, chair):
        from tests.workflow import scheduled_case

        item = scheduled_case(referrer, chair)
        verified_login(client, referrer)
        response = client.get(url(item.case))
        assert response.status_code == 302
        response = client.post(url(item.case), {"srt-status": "done", "srt-done_on": today().isoformat()})
        assert response.status_code == 302 and not Implementation.objects.exists()


class TestTheList:
    def test_an_advice_without_status_is_listed_after_n_days_and_counted_on_the_start_page(
            self, client, referrer, chair, outsider):
        advice = advised_case(referrer, chair)
        time_passes(advice.item.meeting, days_ago=29)
        verified_login(client, referrer)
        assert client.get(reverse("followup:overdue")).context["unimplemented"] == []
        time_passes(advice.item.meeting, days_ago=30)
        [listed] = client.get(reverse("followup:overdue")).context["unimplemented"]
        assert listed.pk == advice.item.case_id and listed.days_since == 30
        notices = client.get(reverse("referrals:case_list")).context["notices"]
        assert [(n["kind"], n["count"]) for n in notices] == [("unimplemented", 1)]
        with override_settings(IMPLEMENTATION_DUE_DAYS=31):
            assert client.get(reverse("followup:overdue")).context["unimplemented"] == []
        # Another hospital's referrer sees neither the case nor a count.
        verified_login(client, outsider)
        assert client.get(reverse("followup:overdue")).context["unimplemented"] == []
        assert client.get(reverse("referrals:case_list")).context["notices"] == []
        # Recorded: off the list.
        services.implementation_record(actor=Actor(user=referrer), case_id=advice.item.case_id, rows={
            "srt": {"status": "done", "done_on": advice.item.meeting.date}})
        verified_login(client, referrer)
        assert client.get(reverse("followup:overdue")).context["unimplemented"] == []


    def test_an_earlier_discuss_again_does_not_start_the_clock(self, client, referrer, chair):
        """The latest advice counts: discussed 40 days ago ("discuss again"), advised 5 days ago."""
        from meetings import services as meeting_services
        from tests.workflow import planned_meeting, record_advice, register_quorum, scheduled_case

        first = scheduled_case(referrer, chair)
        register_quorum(first.meeting, chair)
        record_advice(first, chair, decisions=["diagnostics", "discuss_again"], text="Eerst perfusie-MRI.")
        time_passes(first.meeting, days_ago=40)
        later = planned_meeting(chair)
        register_quorum(later, chair)
        item = meeting_services.case_schedule(actor=Actor(user=chair), case_id=first.case_id, meeting_id=later.pk)
        record_advice(item, chair)
        time_passes(later, days_ago=5)
        assert type(first.case).objects.get(pk=first.case_id).status == CaseStatus.DISCUSSED
        verified_login(client, referrer)
        assert client.get(reverse("followup:overdue")).context["unimplemented"] == []
        time_passes(later, days_ago=30)
        assert len(client.get(reverse("followup:overdue")).context["unimplemented"]) == 1
