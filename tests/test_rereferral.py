"""Issue 12 item 12: a second referral of a known patient (warned, started from the previous case),
deleting a draft, withdrawing a submitted referral, and searching the case list."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from audit.actor import Actor
from audit.models import AccessAction, AccessLog, Event
from meetings import services as meeting_services
from meetings.models import AgendaItem
from referrals import services
from referrals.models import Case, CaseStatus, Lesion, Patient, reference_id_range
from referrals.transition import TransitionRefused
from tests.conftest import verified_login
from tests.factories import CaseFactory, PatientFactory
from tests.intake_helpers import STEP_DATA
from tests.mailqueue import discard, drain
from tests.workflow import advised_case, request_info, scheduled_case, submitted_case

S = CaseStatus
BAKKER = {"patient_number": "Z123456", "family_name": "Bakker", "date_of_birth": datetime.date(1958, 4, 12)}


def new_referral(client, **extra):
    return client.post(reverse("referrals:intake_new"), {**STEP_DATA["patient"], "next": "1", **extra})


def case_page(client, case):
    return client.get(reverse("casefile:case_detail", args=[case.pk]))


# --- The copy list -----------------------------------------------------------------------------

def test_every_case_field_is_copied_set_or_deliberately_not_copied():
    fields = {field.name for field in Case._meta.concrete_fields}
    copied, set_anew, not_copied = (set(services.COPIED_FROM_PREVIOUS_CASE), set(services.SET_ON_FOLLOW_UP),
                                    set(services.NOT_COPIED))
    assert not (copied & set_anew) and not (copied & not_copied) and not (set_anew & not_copied)
    assert copied | set_anew | not_copied == fields, "decide for each new Case field whether a re-referral copies it"


def test_a_reference_is_searched_as_a_range_of_ids():
    low, high = reference_id_range("mdo-1a2b3c4d")
    assert low.hex.startswith("1a2b3c4d") and high.hex == "1a2b3c4d" + "f" * 24
    assert reference_id_range("1A2B3C4D") == (low, high)
    assert reference_id_range("Bakker") is None and reference_id_range("MDO-1A2B3C4") is None


# --- A second referral of the same patient --------------------------------------------------------

@pytest.mark.django_db
class TestASecondReferral:
    def test_an_open_case_is_warned_about_with_a_link_and_nothing_is_saved(self, referrer_client, referrer):
        earlier = submitted_case(referrer, patient=BAKKER)
        response = new_referral(referrer_client)
        assert response.status_code == 200
        assert Case.objects.count() == 1
        page = response.content.decode()
        assert "earlier-cases" in page and "alert-danger" in page
        assert reverse("casefile:case_detail", args=[earlier.pk]) in page
        assert earlier.reference in page
        assert response.context["earlier"].open == [earlier]

    def test_the_referrer_confirms_with_a_new_empty_referral(self, referrer_client, referrer):
        earlier = submitted_case(referrer, patient=BAKKER, molecular_markers="PD-L1 80%")
        response = new_referral(referrer_client, previous_case="new")
        assert response.status_code == 302
        case = Case.objects.exclude(pk=earlier.pk).get()
        assert case.patient == earlier.patient and Patient.objects.count() == 1
        assert case.molecular_markers == "" and case.primary_tumour == ""

    def test_start_from_the_previous_case_copies_the_history_and_asks_the_status_afresh(
            self, referrer_client, referrer):
        earlier = submitted_case(
            referrer, patient=BAKKER, primary_tumour="nsclc", molecular_markers="Adenocarcinoom, PD-L1 80%",
            driver_mutation="yes", driver_mutation_detail="EGFR exon 19", prior_treatment_lines="osimertinib",
            comorbidity_relevant="yes", comorbidity="COPD", anticoagulation="yes",
            anticoagulation_detail="apixaban", kps=80, patient_wish="Behandeling", question_to_mdo="SRT?")
        response = new_referral(referrer_client, previous_case=str(earlier.pk))
        assert response.status_code == 302
        case = Case.objects.exclude(pk=earlier.pk).get()
        for name in services.COPIED_FROM_PREVIOUS_CASE:
            assert getattr(case, name) == getattr(earlier, name), name
        assert (case.recurrence, case.prior_brain_metastases) == ("yes", "yes")
        assert case.kps is None and case.extracranial_status == "" and case.mri_date is None
        assert case.patient_wish == "" and case.question_to_mdo == "" and case.lesion_mode == ""
        assert not Lesion.objects.filter(case=case).exists()
        assert (case.status, case.presenter_role) == (S.DRAFT, "treating")
        event = Event.objects.get(case=case, action="case.created")
        assert event.data["copied_from"] == earlier.reference
        # Asked afresh: the clinical status step is open, the history steps are answered.
        assert "clinical" not in case.completed_steps and "history" in case.completed_steps

    def test_a_finished_case_asks_how_to_start_without_the_open_warning(self, referrer_client, referrer,
                                                                         neuro_oncologist):
        earlier = submitted_case(referrer, patient=BAKKER)
        meeting_services.case_close(actor=Actor(user=neuro_oncologist), case_id=earlier.pk, reason="Orgaan",
                                    closed_forum="organ_specific")
        response = new_referral(referrer_client)
        assert response.status_code == 200
        assert response.context["earlier"].open == []
        assert "alert-danger" not in response.content.decode()

    def test_a_forged_previous_case_is_not_a_choice(self, referrer_client, referrer):
        submitted_case(referrer, patient=BAKKER)
        other = submitted_case(referrer)
        response = new_referral(referrer_client, previous_case=str(other.pk))
        assert response.status_code == 200
        assert Case.objects.count() == 2

    def test_the_service_refuses_a_previous_case_of_another_patient(self, referrer):
        other = submitted_case(referrer)
        values = {**{k: STEP_DATA["patient"][k] for k in ("patient_number", "family_name", "given_names", "sex")},
                  "bsn": "", "date_of_birth": BAKKER["date_of_birth"]}
        with pytest.raises(services.ValidationError):
            services.case_create(actor=Actor(user=referrer), patient_values=values,
                                 case_values={"presenter_role": "treating"}, copy_from=other.pk)
        assert Case.objects.count() == 1

    def test_a_double_click_on_the_choice_makes_one_draft(self, referrer_client, referrer):
        earlier = submitted_case(referrer, patient=BAKKER)
        token = new_referral(referrer_client).context["intake_token"]
        first = new_referral(referrer_client, previous_case=str(earlier.pk), intake_token=str(token))
        second = new_referral(referrer_client, previous_case=str(earlier.pk), intake_token=str(token))
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        assert Case.objects.count() == 2

    def test_a_new_patient_is_not_asked(self, referrer_client):
        assert new_referral(referrer_client).status_code == 302

    def test_another_hospitals_cases_are_not_shown(self, client, referrer, outsider):
        submitted_case(referrer, patient=BAKKER)
        verified_login(client, outsider)
        assert new_referral(client).status_code == 302

    def test_a_number_of_another_person_shows_no_cases_of_theirs(self, referrer_client, referrer):
        earlier = submitted_case(referrer, patient={**BAKKER, "family_name": "Anders"})
        response = new_referral(referrer_client)
        page = response.content.decode()
        assert earlier.reference not in page and "earlier-cases" not in page
        assert "hoort al bij een andere patiënt" in page


# --- Deleting a draft -----------------------------------------------------------------------------

@pytest.mark.django_db
class TestDeleteADraft:
    def _draft(self, referrer):
        return CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)

    def test_the_referrer_confirms_and_the_draft_is_gone_but_logged(self, referrer_client, referrer):
        draft = self._draft(referrer)
        assert "delete-draft" in case_page(referrer_client, draft).content.decode()
        for step in ("oncology", "review"):
            page = referrer_client.get(reverse("referrals:intake_step", args=[draft.pk, step])).content.decode()
            assert reverse("referrals:case_delete", args=[draft.pk]) in page, step
        url = reverse("referrals:case_delete", args=[draft.pk])
        confirm = referrer_client.get(url)
        assert confirm.status_code == 200 and draft.reference in confirm.content.decode()
        response = referrer_client.post(url, {"version": draft.version})
        assert response.status_code == 302 and response["Location"] == reverse("referrals:case_list")
        draft.refresh_from_db()
        assert draft.status == S.DELETED
        event = Event.objects.get(case=draft, action="case.deleted")
        assert event.data == {"reference": draft.reference} and event.user == referrer
        assert case_page(referrer_client, draft).status_code == 404
        assert draft.reference not in referrer_client.get(reverse("referrals:case_list")).content.decode()
        assert Patient.objects.filter(pk=draft.patient_id).exists()

    def test_the_patient_keeps_their_other_cases(self, referrer_client, referrer):
        earlier = submitted_case(referrer)
        draft = CaseFactory(patient=earlier.patient, referring_physician=referrer)
        referrer_client.post(reverse("referrals:case_delete", args=[draft.pk]), {"version": draft.version})
        assert case_page(referrer_client, earlier).status_code == 200
        assert services.patient_earlier_cases(
            hospital=referrer.hospital,
            patient_values={"patient_number": earlier.patient.patient_number,
                            "family_name": earlier.patient.family_name,
                            "date_of_birth": earlier.patient.date_of_birth}) == [earlier]

    def test_a_submitted_case_cannot_be_deleted(self, referrer_client, referrer):
        case = submitted_case(referrer)
        assert "delete-draft" not in case_page(referrer_client, case).content.decode()
        response = referrer_client.post(reverse("referrals:case_delete", args=[case.pk]), {"version": case.version})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == S.SUBMITTED
        with pytest.raises(TransitionRefused):
            services.case_delete_draft(actor=Actor(user=referrer), case_id=case.pk, expected_version=case.version)
        assert not Event.objects.filter(action="case.deleted").exists()

    def test_a_case_sent_back_for_information_offers_no_delete(self, referrer_client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        request_info(case, neuro_oncologist)
        page = referrer_client.get(reverse("referrals:intake_step", args=[case.pk, "review"])).content.decode()
        assert reverse("referrals:case_delete", args=[case.pk]) not in page

    def test_another_hospitals_referrer_gets_404(self, client, referrer, outsider):
        draft = self._draft(referrer)
        verified_login(client, outsider)
        url = reverse("referrals:case_delete", args=[draft.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": draft.version}).status_code == 404
        draft.refresh_from_db()
        assert draft.status == S.DRAFT

    def test_a_stale_delete_deletes_nothing(self, referrer_client, referrer):
        draft = self._draft(referrer)
        referrer_client.post(reverse("referrals:case_delete", args=[draft.pk]), {"version": draft.version - 1})
        draft.refresh_from_db()
        assert draft.status == S.DRAFT


# --- Withdrawing a submitted referral -------------------------------------------------------------

def withdraw(client, case, reason="Patiënt wil geen behandeling meer.", version=None):
    case.refresh_from_db()
    return client.post(reverse("casefile:withdraw", args=[case.pk]),
                       {"reason": reason, "version": case.version if version is None else version})


@pytest.mark.django_db
class TestWithdraw:
    def test_it_leaves_the_queue_is_logged_shown_and_mailed(self, referrer_client, referrer, neuro_oncologist,
                                                            client, django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        discard()
        assert "withdraw-form" in case_page(referrer_client, case).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = withdraw(referrer_client, case)
        drain()
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == S.WITHDRAWN and case.withdrawn_reason == "Patiënt wil geen behandeling meer."
        assert Event.objects.filter(case=case, action="case.withdrawn", user=referrer).count() == 1
        page = case_page(referrer_client, case).content.decode()
        assert "case-withdrawn" in page and "Patiënt wil geen behandeling meer." in page
        assert "withdraw-form" not in page
        timeline = referrer_client.get(reverse("casefile:case_timeline", args=[case.pk])).content.decode()
        assert "Verwijzing ingetrokken" in timeline
        assert [m.to for m in mail.outbox] == [[neuro_oncologist.email]]
        assert case.reference in mail.outbox[0].subject
        assert case.patient.family_name not in mail.outbox[0].body
        assert "Patiënt wil geen" not in mail.outbox[0].body
        verified_login(client, neuro_oncologist)
        queue = client.get(reverse("meetings:queue")).content.decode()
        assert reverse("casefile:case_detail", args=[case.pk]) not in queue

    def test_a_reason_is_required_at_the_field(self, referrer_client, referrer):
        case = submitted_case(referrer)
        response = withdraw(referrer_client, case, reason="   ")
        assert response.status_code == 400
        assert response.context["withdraw_form"].errors["reason"]
        case.refresh_from_db()
        assert case.status == S.SUBMITTED
        with pytest.raises(meeting_services.ActionRefused):
            meeting_services.case_withdraw(actor=Actor(user=referrer), case_id=case.pk, reason="")

    def test_a_scheduled_case_leaves_the_agenda(self, referrer_client, referrer, chair):
        item = scheduled_case(referrer, chair)
        withdraw(referrer_client, item.case)
        item.refresh_from_db()
        assert item.removed_at is not None and item.removed_reason == "Patiënt wil geen behandeling meer."
        assert Case.objects.get(pk=item.case_id).status == S.WITHDRAWN
        assert not AgendaItem.objects.filter(case_id=item.case_id, removed_at__isnull=True).exists()

    def test_an_answer_awaited_case_can_be_withdrawn(self, referrer_client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        request_info(case, neuro_oncologist)
        withdraw(referrer_client, case)
        case.refresh_from_db()
        assert case.status == S.WITHDRAWN

    def test_a_double_withdraw_changes_nothing_the_second_time(self, referrer_client, referrer):
        case = submitted_case(referrer)
        version = case.version
        withdraw(referrer_client, case, version=version)
        response = withdraw(referrer_client, case, version=version)
        assert response.status_code == 302
        assert Event.objects.filter(case=case, action="case.withdrawn").count() == 1

    def test_a_stale_withdraw_is_refused(self, referrer_client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        seen = case.version
        meeting_services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk)
        withdraw(referrer_client, case, version=seen)
        case.refresh_from_db()
        assert case.status == S.ACCEPTED

    def test_after_the_advice_it_is_not_offered_nor_possible(self, referrer_client, referrer, chair):
        case = advised_case(referrer, chair).item.case
        case.refresh_from_db()
        assert case.status == S.DISCUSSED
        assert "withdraw-form" not in case_page(referrer_client, case).content.decode()
        withdraw(referrer_client, case)
        case.refresh_from_db()
        assert case.status == S.DISCUSSED

    def test_a_draft_is_deleted_not_withdrawn(self, referrer_client, referrer):
        draft = CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
        assert "withdraw-form" not in case_page(referrer_client, draft).content.decode()

    def test_another_hospitals_referrer_gets_404(self, client, referrer, outsider):
        case = submitted_case(referrer)
        verified_login(client, outsider)
        assert withdraw(client, case).status_code == 404
        case.refresh_from_db()
        assert case.status == S.SUBMITTED

    def test_a_neuro_oncologist_may_not_withdraw(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        assert "withdraw-form" not in case_page(client, case).content.decode()
        assert withdraw(client, case).status_code == 403


# --- Searching the case list ----------------------------------------------------------------------

@pytest.mark.django_db
class TestSearch:
    def _search(self, client, query):
        return client.get(reverse("referrals:case_list"), {"q": query})

    def test_by_family_name_patient_number_and_reference(self, referrer_client, referrer):
        bakker = submitted_case(referrer, patient=BAKKER)
        other = submitted_case(referrer, patient={"family_name": "Visser"})
        for query in ("bakk", "z123456", bakker.reference, bakker.reference.lower().removeprefix("mdo-")):
            rows = self._search(referrer_client, query).context["rows"]
            assert [row["url"] for row in rows] == [reverse("casefile:case_detail", args=[bakker.pk])], query
        assert len(self._search(referrer_client, "Visser").context["rows"]) == 1
        assert other.reference not in self._search(referrer_client, "Bakker").content.decode()

    def test_a_search_is_logged_as_a_search_per_case_found(self, referrer_client, referrer):
        bakker = submitted_case(referrer, patient=BAKKER)
        self._search(referrer_client, "Bakker")
        log = AccessLog.objects.filter(object_type="case_list")
        assert list(log.values_list("action", "case_id")) == [(AccessAction.SEARCH, bakker.pk)]
        referrer_client.get(reverse("referrals:case_list"))
        assert log.filter(action=AccessAction.LIST).count() == 1

    def test_another_hospitals_cases_are_not_found(self, client, referrer, outsider):
        submitted_case(referrer, patient=BAKKER)
        verified_login(client, outsider)
        assert self._search(client, "Bakker").context["rows"] == []
