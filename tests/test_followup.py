"""Issue 14 item 2: the follow-up planner (spec §7): a schedule of brain MRIs from the meeting's
advice, MRIs recorded with date and result, a change of schedule with its reason, the overdue list,
and "refer again" after progression; item 6: bad input refused at the field."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.actor import Actor
from audit.models import AccessLog, Event
from followup import services
from followup.models import FollowUpMri, FollowUpPlan
from referrals.models import Case, CaseStatus
from tests.conftest import speak, verified_login
from tests.workflow import advised_case, record_advice, register_quorum, scheduled_case, time_passes

pytestmark = pytest.mark.django_db

PLAN_POST = {"start_date": "", "interval_months": "3", "later_interval_months": "6", "followed_by": "treating",
             "physician_name": "Dr. A. de Vries", "first_contact": "Verpleegkundig specialist longziekten, 050-1234567"}


def today():
    return timezone.localdate()


def advised(referrer, chair, days_ago=0, **values):
    advice = advised_case(referrer, chair, **values)
    if days_ago:
        time_passes(advice.item.meeting, days_ago=days_ago)
    return advice


def make_plan(referrer, chair, days_ago=0, **values):
    advice = advised(referrer, chair, days_ago)
    case = advice.item.case
    plan, _created = services.plan_create(actor=Actor(user=referrer), case_id=case.pk, values={
        **services.plan_proposal(case, advice), "first_contact": "Longarts Noord", **values})
    return plan


def post_plan(client, case, **values):
    data = {**PLAN_POST, "start_date": case.agenda_items.get().meeting.date.isoformat(), **values}
    return client.post(reverse("followup:plan_create", args=[case.pk]), data)


# --- The schedule --------------------------------------------------------------------------------

def test_months_are_added_at_the_end_of_a_short_month():
    assert services.add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)
    assert services.add_months(datetime.date(2026, 1, 15), 12) == datetime.date(2027, 1, 15)


def test_the_proposal_is_every_3_months_then_every_6_after_2_years():
    plan = FollowUpPlan(start_date=datetime.date(2026, 1, 10), interval_months=3, later_interval_months=6)
    dates = services.proposed_dates(plan, count=10)
    assert dates[:8] == [datetime.date(2026, 4, 10), datetime.date(2026, 7, 10), datetime.date(2026, 10, 10),
                         datetime.date(2027, 1, 10), datetime.date(2027, 4, 10), datetime.date(2027, 7, 10),
                         datetime.date(2027, 10, 10), datetime.date(2028, 1, 10)]
    assert dates[8:] == [datetime.date(2028, 7, 10), datetime.date(2029, 1, 10)]


def test_the_proposal_follows_the_meetings_advice(referrer, chair):
    advice = advised(referrer, chair, follow_up="neurology_mri", carried_out_by="Neuroloog dr. Jansen")
    proposal = services.plan_proposal(advice.item.case, advice)
    assert proposal["followed_by"] == "neurologist" and proposal["physician_name"] == "Neuroloog dr. Jansen"
    assert proposal["first_contact"] == advice.first_contact and proposal["interval_months"] == 3
    treating = services.plan_proposal(advice.item.case, advised(referrer, chair))
    assert treating["followed_by"] == "treating" and treating["physician_name"] == "Anna de Vries"


# --- The plan page -------------------------------------------------------------------------------

class TestThePlan:
    def test_the_page_proposes_a_schedule_and_the_plan_is_stored_with_its_first_mri(self, referrer, chair):
        advice = advised(referrer, chair)
        case = advice.item.case
        client = verified_login(__import__("django.test").test.Client(), referrer)
        page = client.get(reverse("followup:plan", args=[case.pk]))
        assert page.status_code == 200 and "proposed-dates" in page.content.decode()
        assert page.context["create_form"].initial["first_contact"] == advice.first_contact
        response = post_plan(client, case)
        assert response.status_code == 302
        plan = FollowUpPlan.objects.get(case=case)
        assert plan.first_contact.startswith("Verpleegkundig") and plan.advice == advice
        assert plan.mris.get().due_date == services.add_months(advice.item.meeting.date, 3)
        event = Event.objects.get(action="followup.plan_created", case=case)
        assert event.data["interval_months"] == 3
        assert AccessLog.objects.filter(case=case, object_type="followup.plan_created").exists()

    def test_a_double_submit_makes_one_plan(self, referrer_client, referrer, chair):
        case = advised(referrer, chair).item.case
        post_plan(referrer_client, case)
        response = post_plan(referrer_client, case, interval_months="4")
        assert response.status_code == 302
        assert FollowUpPlan.objects.get(case=case).interval_months == 3
        assert FollowUpMri.objects.count() == 1

    def test_the_first_point_of_contact_is_required_at_the_field_in_dutch(self, referrer_client, referrer, chair):
        case = advised(referrer, chair).item.case
        speak(referrer_client, "nl")
        response = post_plan(referrer_client, case, first_contact="", physician_name="Dr. Typed")
        assert response.status_code == 400
        form = response.context["create_form"]
        assert form.errors["first_contact"] == ["Vul dit veld in."]
        assert 'value="Dr. Typed"' in response.content.decode()
        assert not FollowUpPlan.objects.exists()

    @pytest.mark.parametrize("months", ["0", "13", "drie"])
    def test_an_interval_outside_1_to_12_months_is_refused_at_the_field(self, referrer_client, referrer, chair,
                                                                        months):
        case = advised(referrer, chair).item.case
        speak(referrer_client, "en")
        response = post_plan(referrer_client, case, interval_months=months)
        assert response.status_code == 400
        assert response.context["create_form"].errors["interval_months"] == ["Give an interval of 1 to 12 months."]
        speak(referrer_client, "nl")
        response = post_plan(referrer_client, case, interval_months=months)
        assert response.context["create_form"].errors["interval_months"] == ["Geef een interval van 1 tot 12 maanden."]
        assert not FollowUpPlan.objects.exists()

    def test_a_start_before_the_meeting_is_refused_at_the_field(self, referrer_client, referrer, chair):
        case = advised(referrer, chair).item.case
        speak(referrer_client, "en")
        response = post_plan(referrer_client, case, start_date=(today() - datetime.timedelta(days=3)).isoformat())
        assert response.status_code == 400
        assert "before the meeting" in response.context["create_form"].errors["start_date"][0]

    def test_no_plan_without_a_meeting_advice_or_when_no_imaging_was_advised(self, referrer, chair):
        advice = advised(referrer, chair, decisions=["supportive"], follow_up="none")
        with pytest.raises(services.FollowUpRefused):
            services.plan_create(actor=Actor(user=referrer), case_id=advice.item.case_id,
                                 values=services.plan_proposal(advice.item.case, advice))

    def test_another_hospitals_referrer_gets_404_and_the_refusal_is_logged(self, client, outsider, referrer, chair):
        plan = make_plan(referrer, chair)
        client = verified_login(client, outsider)
        assert client.get(reverse("followup:plan", args=[plan.case_id])).status_code == 404
        mri = plan.mris.get()
        response = client.post(reverse("followup:mri_record", args=[plan.pk, mri.pk]),
                               {"done_on": today().isoformat(), "result": "stable"})
        assert response.status_code == 404
        assert client.post(reverse("followup:rereferral", args=[plan.pk, mri.pk])).status_code == 404
        assert AccessLog.objects.filter(case=plan.case, result="denied").count() >= 2
        assert FollowUpMri.objects.get().done_on is None


# --- MRIs ----------------------------------------------------------------------------------------

class TestMris:
    def test_an_mri_recorded_plans_the_next_one_from_its_date(self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair, days_ago=100)
        mri = plan.mris.get()
        day = today() - datetime.timedelta(days=5)
        response = referrer_client.post(reverse("followup:mri_record", args=[plan.pk, mri.pk]),
                                        {"done_on": day.isoformat(), "result": "stable", "note": "Geen nieuwe laesies"})
        assert response.status_code == 302
        mri.refresh_from_db()
        assert (mri.done_on, mri.result, mri.recorded_by) == (day, "stable", referrer)
        following = FollowUpMri.objects.get(plan=plan, done_on__isnull=True)
        assert following.due_date == services.add_months(day, 3)
        assert Event.objects.get(action="followup.mri_recorded").data["next_due"] == following.due_date.isoformat()

    def test_a_double_submit_records_the_mri_once(self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair)
        mri = plan.mris.get()
        url = reverse("followup:mri_record", args=[plan.pk, mri.pk])
        referrer_client.post(url, {"done_on": today().isoformat(), "result": "stable"})
        response = referrer_client.post(url, {"done_on": today().isoformat(), "result": "progression"})
        assert response.status_code == 302
        assert FollowUpMri.objects.get(pk=mri.pk).result == "stable"
        assert FollowUpMri.objects.count() == 2
        assert Event.objects.filter(action="followup.mri_recorded").count() == 1

    @pytest.mark.parametrize(("values", "field", "english", "dutch"), [
        ({"done_on": "", "result": "stable"}, "done_on", "A result needs the date of the MRI.",
         "Een uitslag heeft de datum van de MRI nodig."),
        ({"done_on": "FUTURE", "result": "stable"}, "done_on", "This date lies in the future.",
         "Deze datum ligt in de toekomst."),
        ({"done_on": "BEFORE", "result": "stable"}, "done_on", "This date lies before the meeting",
         "Deze datum ligt vóór het MDO"),
        ({"done_on": "TODAY", "result": ""}, "result", "Choose the result of the MRI.",
         "Kies de uitslag van de MRI."),
    ])
    def test_bad_input_is_refused_at_the_field_and_nothing_typed_is_lost(
            self, referrer_client, referrer, chair, values, field, english, dutch):
        plan = make_plan(referrer, chair)
        mri = plan.mris.get()
        dates = {"FUTURE": today() + datetime.timedelta(days=1), "TODAY": today(),
                 "BEFORE": plan.advice.item.meeting.date - datetime.timedelta(days=1)}
        data = {**values, "done_on": dates[values["done_on"]].isoformat() if values["done_on"] in dates else "",
                "note": "Typed remark"}
        url = reverse("followup:mri_record", args=[plan.pk, mri.pk])
        for language, message in (("en", english), ("nl", dutch)):
            speak(referrer_client, language)
            response = referrer_client.post(url, data)
            assert response.status_code == 400
            assert response.context["record_form"].errors[field][0].startswith(message)
            assert "Typed remark" in response.content.decode()
        assert FollowUpMri.objects.get().done_on is None

    def test_an_earlier_mri_on_complaints_redates_the_next_and_a_double_submit_adds_one(
            self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair, days_ago=30)
        token = str(uuid.uuid4())
        url = reverse("followup:mri_complaints", args=[plan.pk])
        data = {"done_on": today().isoformat(), "result": "new_lesions", "token": token}
        assert referrer_client.post(url, data).status_code == 302
        assert referrer_client.post(url, data).status_code == 302
        assert FollowUpMri.objects.filter(on_complaints=True).count() == 1
        assert FollowUpMri.objects.get(done_on__isnull=True).due_date == services.add_months(today(), 3)


# --- A change of schedule ------------------------------------------------------------------------

class TestChange:
    def change(self, client, plan, **values):
        data = {"interval_months": "4", "later_interval_months": "6", "followed_by": "neurologist",
                "physician_name": "Neuroloog dr. Jansen", "first_contact": "Neurologie, 050-7654321",
                "reason": "Klachten; neuroloog neemt over", "version": plan.version, **values}
        return client.post(reverse("followup:plan_change", args=[plan.pk]), data)

    def test_a_change_with_its_reason_redates_the_next_mri(self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair)
        assert self.change(referrer_client, plan).status_code == 302
        plan.refresh_from_db()
        assert (plan.interval_months, plan.followed_by, plan.version) == (4, "neurologist", 2)
        assert plan.mris.get().due_date == services.add_months(plan.start_date, 4)
        event = Event.objects.get(action="followup.plan_changed")
        assert event.data["reason"] == "Klachten; neuroloog neemt over"
        assert event.data["changed"]["interval_months"] == ["3", "4"]

    def test_a_change_needs_a_reason_and_an_interval_of_1_to_12(self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair)
        speak(referrer_client, "nl")
        response = self.change(referrer_client, plan, reason="", interval_months="24")
        assert response.status_code == 400
        errors = response.context["change_form"].errors
        assert errors["reason"] == ["Vul dit veld in."]
        assert errors["interval_months"] == ["Geef een interval van 1 tot 12 maanden."]
        assert "Neuroloog dr. Jansen" in response.content.decode()
        plan.refresh_from_db()
        assert plan.interval_months == 3

    def test_a_stale_change_is_refused(self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair)
        self.change(referrer_client, plan)
        self.change(referrer_client, plan, interval_months="2")
        plan.refresh_from_db()
        assert plan.interval_months == 4


# --- Overdue -------------------------------------------------------------------------------------

class TestOverdue:
    def test_the_list_shows_days_overdue_per_hospital_and_per_centre(self, client, referrer, chair, outsider,
                                                                    neuro_oncologist):
        plan = make_plan(referrer, chair, days_ago=120)
        due = plan.mris.get().due_date
        for user in (referrer, neuro_oncologist):
            client = verified_login(client, user)
            response = client.get(reverse("followup:overdue"))
            assert response.status_code == 200
            [row] = response.context["overdue"]
            assert row.days_overdue == (today() - due).days > 0
            assert AccessLog.objects.filter(user=user, object_type="followup_list", case=plan.case).exists()
        client = verified_login(client, outsider)
        assert client.get(reverse("followup:overdue")).context["overdue"] == []

    def test_the_list_costs_the_same_queries_for_many_rows(self, referrer_client, referrer, chair,
                                                           django_assert_max_num_queries):
        make_plan(referrer, chair, days_ago=120)
        with django_assert_max_num_queries(12) as few:
            referrer_client.get(reverse("followup:overdue"))
        for _index in range(3):
            make_plan(referrer, chair, days_ago=120)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = referrer_client.get(reverse("followup:overdue"))
        assert len(response.context["overdue"]) == 4


# --- Refer again ---------------------------------------------------------------------------------

class TestReferAgain:
    def progression(self, referrer, chair):
        item = scheduled_case(referrer, chair, molecular_markers="EGFR exon 19", primary_tumour="nsclc")
        register_quorum(item.meeting, chair)
        advice = record_advice(item, chair)
        services.implementation_record(actor=Actor(user=referrer), case_id=item.case_id, rows={
            "srt": {"status": "done", "done_on": today()}})
        plan, _created = services.plan_create(actor=Actor(user=referrer), case_id=item.case_id,
                                              values=services.plan_proposal(item.case, advice))
        mri = services.mri_record(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=plan.mris.get().pk,
                                  done_on=today(), result="progression")
        return plan, mri

    def test_progression_offers_a_new_referral_prefilled_and_marked_as_recurrence(
            self, referrer_client, referrer, chair):
        plan, mri = self.progression(referrer, chair)
        page = referrer_client.get(reverse("followup:plan", args=[plan.case_id]))
        assert "rereferral-form" in page.content.decode()
        response = referrer_client.post(reverse("followup:rereferral", args=[plan.pk, mri.pk]))
        new = Case.objects.exclude(pk=plan.case_id).get()
        assert response.status_code == 302 and response.url == reverse("referrals:intake_step",
                                                                       args=[new.pk, "patient"])
        assert new.patient_id == plan.case.patient_id and new.status == CaseStatus.DRAFT
        assert (new.recurrence, new.prior_brain_metastases) == ("yes", "yes")
        assert (new.molecular_markers, new.primary_tumour) == ("EGFR exon 19", "nsclc")
        assert "SRT 3x8 Gy op de frontale laesie." in new.prior_bm_treatment
        assert "Progressie" in new.prior_bm_treatment and plan.case.reference in new.prior_bm_treatment
        # What this MDT advised and what was done.
        assert "Stereotactische radiotherapie: Uitgevoerd" in new.prior_bm_treatment
        assert new.kps is None and new.mri_date is None and "clinical" not in new.completed_steps
        assert FollowUpMri.objects.get(pk=mri.pk).rereferral == new
        assert Event.objects.get(action="followup.rereferred").data["new_case"] == new.reference

    def test_a_double_submit_opens_the_same_new_referral(self, referrer_client, referrer, chair):
        plan, mri = self.progression(referrer, chair)
        url = reverse("followup:rereferral", args=[plan.pk, mri.pk])
        first, second = referrer_client.post(url), referrer_client.post(url)
        assert first.url == second.url and Case.objects.count() == 2

    def test_a_stable_result_offers_no_new_referral(self, referrer_client, referrer, chair):
        plan = make_plan(referrer, chair)
        mri = services.mri_record(actor=Actor(user=referrer), plan_id=plan.pk, mri_id=plan.mris.get().pk,
                                  done_on=today(), result="stable")
        page = referrer_client.get(reverse("followup:plan", args=[plan.case_id])).content.decode()
        assert "rereferral-form" not in page
        referrer_client.post(reverse("followup:rereferral", args=[plan.pk, mri.pk]))
        assert Case.objects.count() == 1

    def test_the_neuro_oncologist_may_not_refer_again(self, client, neuro_oncologist, referrer, chair):
        plan, mri = self.progression(referrer, chair)
        client = verified_login(client, neuro_oncologist)
        assert client.post(reverse("followup:rereferral", args=[plan.pk, mri.pk])).status_code == 403


def test_the_service_validates_the_interval(referrer, chair):
    advice = advised(referrer, chair)
    with pytest.raises(ValidationError) as error:
        services.plan_create(actor=Actor(user=referrer), case_id=advice.item.case_id,
                             values={**services.plan_proposal(advice.item.case, advice), "interval_months": 13})
    assert "interval_months" in error.value.message_dict
