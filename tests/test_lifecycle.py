"""The case lifecycle: one table says where each action may start and where it leads; one primitive
carries it out; pages offer only what the table allows now."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.actor import Actor
from audit.models import Event
from casefile.management.commands.synthetic_data import PATHS, replayed
from casefile.timeline import ACTION_LABELS
from followup import services as followup_services
from mdo import dispatch
from meetings import services as meeting_services
from referrals import lifecycle
from referrals.intake import FORM_STEPS
from referrals.lifecycle import TRANSITIONS, CaseStatus, available_actions, replay, transition_for
from referrals.models import Case
from referrals.transition import TransitionRefused
from tests.conftest import verified_login
from tests.factories import UserFactory
from tests.intake_helpers import STEP_DATA, imaging_data
from tests.workflow import (
    ADVICE_POST,
    advised_case,
    planned_meeting,
    record_advice,
    register_quorum,
    scheduled_case,
    submitted_case,
)

ROOT = Path(__file__).resolve().parent.parent
S = CaseStatus


class _User:
    """A user with a role's permissions, without a database (accounts.backends answers the same)."""

    def __init__(self, *perms):
        self.perms = set(perms)

    def has_perm(self, perm):
        return perm in self.perms


class _Case:
    def __init__(self, status):
        self.status = status


class TestTheTable:
    def test_every_action_leads_to_a_known_state_and_records_a_named_event(self):
        for transition in TRANSITIONS.values():
            assert transition.target is None or transition.target in S.values
            assert transition.sources <= set(S.values)
            assert transition.event in ACTION_LABELS, transition.event

    def test_every_state_can_be_reached_from_a_new_case(self):
        reached, frontier = set(), {TRANSITIONS["create"].target}
        while frontier:
            status = frontier.pop()
            reached.add(status)
            frontier |= {t.leads_to(status) for t in TRANSITIONS.values() if t.allows(status)} - reached
        assert reached == set(S.values)

    @pytest.mark.parametrize(("status", "action", "target"), [
        (S.DRAFT, "submit", S.SUBMITTED),
        (S.INFO_REQUESTED, "resubmit", S.SUBMITTED),
        (S.SUBMITTED, "accept_advice", S.ACCEPTED),
        (S.ACCEPTED, "override_advice", S.ACCEPTED),
        (S.SUBMITTED, "request_info", S.INFO_REQUESTED),
        (S.ACCEPTED, "close", S.CLOSED),
        (S.SUBMITTED, "schedule", S.SCHEDULED),
        (S.SCHEDULED, "unschedule", S.ACCEPTED),
        (S.SCHEDULED, "record_advice", S.DISCUSSED),
        (S.SCHEDULED, "record_advice_discuss_again", S.ACCEPTED),
        (S.DISCUSSED, "correct_advice", S.DISCUSSED),
        (S.DISCUSSED, "record_implementation", S.DISCUSSED),
        (S.DISCUSSED, "complete_implementation", S.IMPLEMENTED),
        (S.IMPLEMENTED, "record_implementation", S.IMPLEMENTED),
        (S.CLOSED, "set_reevaluation", S.CLOSED),
        (S.CLOSED, "reevaluate", S.CLOSED),
        (S.CLOSED, "reenter", S.SUBMITTED),
        (S.DRAFT, "save_step", S.DRAFT),
        (S.INFO_REQUESTED, "save_step", S.INFO_REQUESTED),
        (S.DRAFT, "delete_draft", S.DELETED),
        (S.SUBMITTED, "withdraw", S.WITHDRAWN),
        (S.INFO_REQUESTED, "withdraw", S.WITHDRAWN),
        (S.ACCEPTED, "withdraw", S.WITHDRAWN),
        (S.SCHEDULED, "withdraw", S.WITHDRAWN),
    ])
    def test_an_action_leads_where_the_table_says(self, status, action, target):
        assert transition_for(action, status).leads_to(status) == target

    @pytest.mark.parametrize(("status", "action"), [
        (S.ACCEPTED, "accept_advice"), (S.SCHEDULED, "close"), (S.CLOSED, "schedule"),
        (S.SUBMITTED, "save_step"), (S.DISCUSSED, "record_advice"), (S.IMPLEMENTED, "correct_advice"),
        (S.SUBMITTED, "submit"), (S.DRAFT, "resubmit"), (S.ACCEPTED, "record_implementation"),
        (S.IMPLEMENTED, "complete_implementation"), (S.DISCUSSED, "reenter"), (S.SUBMITTED, "set_reevaluation"),
        (S.DRAFT, "withdraw"), (S.DISCUSSED, "withdraw"), (S.CLOSED, "withdraw"), (S.WITHDRAWN, "withdraw"),
        (S.SUBMITTED, "delete_draft"), (S.DELETED, "delete_draft"), (S.WITHDRAWN, "resubmit"),
    ])
    def test_an_action_cannot_start_from_another_state(self, status, action):
        assert transition_for(action, status) is None

    def test_submit_or_resubmit_is_chosen_by_the_state(self):
        assert transition_for(("submit", "resubmit"), S.DRAFT).event == "case.submitted"
        assert transition_for(("submit", "resubmit"), S.INFO_REQUESTED).event == "case.resubmitted"

    def test_the_state_groups_come_from_the_table(self):
        assert lifecycle.EDITABLE_STATUSES == {S.DRAFT, S.INFO_REQUESTED}
        assert S.WITHDRAWN not in lifecycle.PRECONSULT_QUEUE
        assert lifecycle.OPEN_STATUSES == {S.DRAFT, S.SUBMITTED, S.INFO_REQUESTED, S.ACCEPTED, S.SCHEDULED,
                                           S.DISCUSSED}
        # No follow-up and no reminder for a case never sent to the MDO or taken back: no action
        # that leads to a meeting's advice starts from one of them.
        assert lifecycle.NOT_REFERRED_STATUSES == {S.DRAFT, S.WITHDRAWN, S.DELETED}
        advising = [t for t in TRANSITIONS.values() if t.permission == lifecycle.ADVISE]
        assert all(not t.sources & lifecycle.NOT_REFERRED_STATUSES for t in advising)

    def test_a_replay_counts_one_version_per_action_and_refuses_a_wrong_walk(self):
        status, version, done = replay(["create", "save_step", "submit", "accept_advice", "schedule"])
        assert (status, version) == (S.SCHEDULED, 5)
        assert [t.event for t in done][-1] == "case.scheduled"
        with pytest.raises(ValueError, match="cannot start from"):
            replay(["create", "accept_advice"])
        with pytest.raises(ValueError, match="needs an existing case"):
            replay(["submit"])


class TestWhoMayDoWhatNow:
    @pytest.mark.parametrize(("status", "perms", "expected"), [
        # Issue 12: a draft can also be deleted, a submitted referral withdrawn by its referrer.
        (S.DRAFT, ("referrals.refer_case",), {"save_step", "submit", "delete_draft"}),
        (S.INFO_REQUESTED, ("referrals.refer_case",), {"save_step", "resubmit", "withdraw"}),
        (S.SUBMITTED, ("referrals.refer_case",), {"withdraw"}),
        (S.SCHEDULED, ("referrals.refer_case",), {"withdraw"}),
        (S.WITHDRAWN, ("referrals.refer_case", "referrals.preconsult_case", "meetings.schedule_case"), set()),
        (S.DELETED, ("referrals.refer_case", "referrals.preconsult_case", "meetings.schedule_case"), set()),
        (S.SUBMITTED, ("referrals.preconsult_case", "meetings.schedule_case"),
         {"accept_advice", "override_advice", "request_info", "close", "schedule"}),
        (S.ACCEPTED, ("referrals.preconsult_case", "meetings.schedule_case"),
         {"override_advice", "request_info", "close", "schedule"}),
        (S.SCHEDULED, ("meetings.schedule_case", "meetings.record_meeting_advice"),
         {"unschedule", "record_advice", "record_advice_discuss_again", "correct_advice",
          "correct_advice_discuss_again"}),
        (S.DISCUSSED, ("referrals.refer_case",), set()),
        (S.DISCUSSED, ("followup.record_implementation",), {"record_implementation", "complete_implementation"}),
        (S.IMPLEMENTED, ("followup.record_implementation",), {"record_implementation"}),
        (S.CLOSED, ("referrals.preconsult_case", "meetings.schedule_case"), set()),
        (S.CLOSED, ("referrals.refer_case",), {"set_reevaluation", "reevaluate", "reenter"}),
    ])
    def test_the_actions_available(self, status, perms, expected):
        assert available_actions(_User(*perms), _Case(status)) == expected


_READS = {"filter", "exclude", "get", "Q", "count", "exists", "first"}


def _assignments_of_a_case_status(path):
    """Lines that give a case a CaseStatus member: `x.status = CaseStatus.X`, or `status=CaseStatus.X`
    in a call that writes (`Case(...)`, `.update(...)`, `.create(...)`), not in a query."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr == "status" for target in node.targets):
            if "CaseStatus" in ast.unparse(node.value):
                yield node.lineno
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in _READS and any(keyword.arg == "status" and "CaseStatus" in ast.unparse(keyword.value)
                                          for keyword in node.keywords):
                yield node.lineno


def test_the_status_check_finds_each_kind_of_write(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("case.status = CaseStatus.CLOSED\n"
                      "Case.objects.filter(pk=1).update(status=CaseStatus.SCHEDULED)\n"
                      "Case(patient=p, status=CaseStatus.SUBMITTED)\n"
                      "Case.objects.filter(status=CaseStatus.SUBMITTED).exclude(status=CaseStatus.CLOSED).count()\n"
                      "meeting.status = MeetingStatus.HELD\n")
    assert sorted(_assignments_of_a_case_status(source)) == [1, 2, 3]


def test_only_the_lifecycle_says_which_status_an_action_leads_to():
    found = []
    for package in ("accounts", "audit", "referrals", "triage", "meetings", "followup", "casefile", "privacy",
                    "interop", "quality", "mdo"):
        for path in (ROOT / package).rglob("*.py"):
            if "/migrations/" not in path.as_posix():
                found += [(path.relative_to(ROOT).as_posix(), line) for line in _assignments_of_a_case_status(path)]
    assert found == []



@pytest.mark.django_db
def test_the_synthetic_data_replays_the_versions_the_services_give(client, referrer, neuro_oncologist, chair):
    """manage.py synthetic_data writes each case with the version its path through the lifecycle
    gives (referrals.lifecycle.replay): the same case walked through the real intake and services."""
    verified_login(client, referrer)
    client.post(reverse("referrals:intake_new"), {**STEP_DATA["patient"], "next": "1"})
    case = Case.objects.get()
    for step in FORM_STEPS[1:]:
        data = imaging_data() if step.key == "imaging" else STEP_DATA[step.key]
        case.refresh_from_db()
        client.post(reverse("referrals:intake_step", args=[case.pk, step.key]),
                    {**data, "version": case.version, "next": "1"})
    case.refresh_from_db()
    client.post(reverse("referrals:intake_submit", args=[case.pk]), {"version": case.version})
    case.refresh_from_db()
    assert (case.status, case.version) == (S.SUBMITTED, replayed("submitted"))

    neuro, boss = Actor(user=neuro_oncologist), Actor(user=chair)
    meeting_services.case_accept_advice(actor=neuro, case_id=case.pk)
    case.refresh_from_db()
    assert (case.status, case.version) == (S.ACCEPTED, replayed("accepted"))
    meeting = planned_meeting(chair)
    item = meeting_services.case_schedule(actor=boss, case_id=case.pk, meeting_id=meeting.pk)
    case.refresh_from_db()
    assert (case.status, case.version) == (S.SCHEDULED, replayed("scheduled"))
    register_quorum(meeting, chair)
    record_advice(item, chair)
    case.refresh_from_db()
    assert (case.status, case.version) == (S.DISCUSSED, replayed("discussed"))
    followup_services.implementation_record(actor=Actor(user=referrer), case_id=case.pk, rows={
        "srt": {"status": "done", "done_on": timezone.localdate()}})
    case.refresh_from_db()
    assert (case.status, case.version) == (S.IMPLEMENTED, replayed("implemented"))

    # The two other ends of the pre-consultation, from a submitted case.
    for status, act in ((S.INFO_REQUESTED, lambda pk: meeting_services.case_request_info(
            actor=neuro, case_id=pk, message="Graag de KPS.")),
                        (S.CLOSED, lambda pk: meeting_services.case_close(
            actor=neuro, case_id=pk, reason="Orgaanspecifiek", closed_forum="organ_specific"))):
        other = submitted_case(referrer)
        act(other.pk)
        after = Case.objects.get(pk=other.pk)
        assert after.status == status
        assert after.version - other.version == replayed(status) - replayed("submitted")
    assert set(PATHS) | {"draft"} >= {S.SUBMITTED, S.INFO_REQUESTED, S.ACCEPTED, S.CLOSED, S.SCHEDULED,
                                      S.DISCUSSED, S.IMPLEMENTED}

@pytest.mark.django_db
class TestThePrimitive:
    def test_a_user_without_the_role_is_refused_by_the_service_too(self, referrer, hospital):
        case = submitted_case(referrer)
        with pytest.raises(TransitionRefused):
            meeting_services.case_accept_advice(actor=Actor(user=referrer), case_id=case.pk)
        case.refresh_from_db()
        assert case.status == S.SUBMITTED
        assert not Event.objects.filter(case=case, action="case.advice_accepted").exists()

    def test_it_saves_the_state_a_version_the_history_and_the_event_together(self, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        before = case.version
        meeting_services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk)
        case.refresh_from_db()
        assert (case.status, case.version) == (S.ACCEPTED, before + 1)
        assert case.history.first().status == S.ACCEPTED
        assert case.history.first().history_user == neuro_oncologist
        assert Event.objects.filter(case=case, action="case.advice_accepted", user=neuro_oncologist).count() == 1

    def test_a_refused_action_publishes_nothing(self, referrer, neuro_oncologist, monkeypatch,
                                                django_capture_on_commit_callbacks):
        case = submitted_case(referrer)
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(meeting_services.ActionRefused):
            meeting_services.case_request_info(actor=Actor(user=neuro_oncologist), case_id=case.pk, message="")
        assert callbacks == []

    def test_every_mail_kind_is_subscribed_to_its_action(self):
        subscribed = set(dispatch.subscribers())
        assert {"case.submitted", "case.resubmitted", "case.info_requested", "case.closed", "case.scheduled",
                "case.moved", "case.unscheduled", "case.advice_recorded", "case.advice_corrected",
                "meeting.changed"} <= subscribed
        assert "case.withdrawn" in subscribed


@pytest.mark.django_db
class TestPagesOfferOnlyWhatIsPossible:
    def test_an_accepted_case_offers_no_second_accept(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        page = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "preconsult-accept" in page
        meeting_services.case_accept_advice(actor=Actor(user=neuro_oncologist), case_id=case.pk)
        page = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "preconsult-accept" not in page
        assert "preconsult-override" in page and "preconsult-close" in page

    def test_every_offered_preconsultation_form_is_accepted_by_its_service(self, client, referrer,
                                                                           neuro_oncologist):
        data = {"accept": ({"reason": ""}, S.ACCEPTED),
                "override": ({"outcome": "NEURO_ONC_MDO", "reason": "Twijfel"}, S.ACCEPTED),
                "request_info": ({"message": "Graag de KPS."}, S.INFO_REQUESTED),
                "close": ({"reason": "Orgaanspecifiek", "closed_forum": "organ_specific"}, S.CLOSED)}
        for key, (values, status) in data.items():
            case = submitted_case(referrer)
            verified_login(client, neuro_oncologist)
            page = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
            assert f"preconsult-{key}" in page
            response = client.post(reverse("casefile:preconsult", args=[case.pk, key]), values, follow=True)
            assert "not possible in the current status" not in response.content.decode(), key
            assert "niet mogelijk" not in response.content.decode(), key
            case.refresh_from_db()
            assert case.status == status, key

    def test_a_referrer_is_offered_no_preconsultation(self, client, referrer):
        case = submitted_case(referrer)
        verified_login(client, UserFactory(username="collega2", hospital=referrer.hospital, role=Role.REFERRER))
        page = client.get(reverse("casefile:case_detail", args=[case.pk])).content.decode()
        assert "preconsult-" not in page

    def test_an_advice_carried_out_is_offered_for_correction_nowhere(self, client, referrer, chair):
        advice = advised_case(referrer, chair)
        item, case = advice.item, advice.item.case
        # A second case of the same meeting, still waiting for its advice.
        waiting = scheduled_case(referrer, chair, item.meeting)
        verified_login(client, chair)
        pages = {"meeting": reverse("meetings:meeting_detail", args=[item.meeting_id]),
                 "advice": reverse("meetings:item_advice", args=[item.pk]),
                 "live": reverse("meetings:live_item", args=[item.meeting_id, item.pk])}
        page = client.get(pages["meeting"]).content.decode()
        assert reverse("meetings:item_advice", args=[item.pk]) in page
        assert reverse("meetings:item_advice", args=[waiting.pk]) in page
        assert "main-form advice-form" in client.get(pages["advice"]).content.decode()
        assert "main-form advice-form" in client.get(pages["live"]).content.decode()

        followup_services.implementation_record(actor=Actor(user=referrer), case_id=case.pk, rows={
            "srt": {"status": "done", "done_on": timezone.localdate()}})
        case.refresh_from_db()
        assert case.status == S.IMPLEMENTED
        assert "correct_advice" not in available_actions(chair, case)
        page = client.get(pages["meeting"]).content.decode()
        assert reverse("meetings:item_advice", args=[item.pk]) not in page
        assert reverse("meetings:item_advice", args=[waiting.pk]) in page
        page = client.get(pages["advice"]).content.decode()
        assert "main-form advice-form" not in page and "advice-not-possible" in page
        live = client.get(pages["live"]).content.decode()
        assert "main-form advice-form" not in live and "SRT 3x8 Gy" in live
        # The service refuses it as well: nothing is changed.
        response = client.post(pages["advice"], {**ADVICE_POST, "text": "Iets anders"})
        assert response.status_code == 400
        advice.refresh_from_db()
        assert advice.text == ADVICE_POST["text"]

