"""The meeting's advice refuses decisions that cannot go together, and only those.

Best supportive care excludes every active treatment and watchful waiting with MRI; "resection"
and "resection followed by SRT of the cavity" together name one operation twice. Everything else a
clinician combines (systemic therapy with MRI surveillance, further diagnostics and discussing the
case again, SRT with systemic therapy, ...) is recorded. The rule is enforced in
meetings.services.meeting_advice_record and shown at the advice field of the form.
"""

import pytest
from django.urls import reverse

from audit.actor import Actor
from audit.models import Event
from meetings import services
from meetings.models import FollowUp, MeetingAdvice
from referrals.models import CaseStatus
from tests.conftest import speak, verified_login
from tests.workflow import ADVICE, ADVICE_POST, register_quorum, scheduled_case
from triage.codes import Decision
from triage.meeting_advice import (
    FIELD,
    FOLLOW_UP_BY_CHART,
    NO_FOLLOW_UP_WITH_ACTIVE,
    ONE_OF_TWO,
    PER_TREATMENT_WITHOUT_TREATMENT,
    SUPPORTIVE_WITH_ACTIVE,
    SUPPORTIVE_WITH_FOLLOW_UP,
    conflicts,
    proposed_follow_up,
)

ACTIVE_OR_WAITING = ["srt", "resection", "resection_srt", "wbrt", "systemic", "watchful_waiting"]

ALLOWED = [
    ["systemic", "watchful_waiting"],
    ["diagnostics", "discuss_again"],
    ["srt", "systemic"],
    ["supportive"],
    ["supportive", "discuss_again"],
    ["supportive", "diagnostics"],
    ["resection", "wbrt"],
    ["srt", "wbrt"],
    ["srt", "watchful_waiting"],
    ["resection_srt", "systemic"],
    ["resection", "systemic", "watchful_waiting"],
]


class TestTheRule:
    @pytest.mark.parametrize("other", ACTIVE_OR_WAITING)
    def test_best_supportive_care_excludes_every_treatment_and_watchful_waiting(self, other):
        assert conflicts(["supportive", other]) == [(SUPPORTIVE_WITH_ACTIVE, [other])]
        assert conflicts([other, "supportive", "discuss_again"]) == [(SUPPORTIVE_WITH_ACTIVE, [other])]

    def test_it_names_every_excluded_decision_chosen(self):
        assert conflicts(["wbrt", "supportive", "srt"]) == [(SUPPORTIVE_WITH_ACTIVE, ["srt", "wbrt"])]

    def test_resection_and_resection_with_srt_of_the_cavity_is_one_too_many(self):
        assert conflicts(["resection_srt", "resection"]) == [(ONE_OF_TWO, ["resection", "resection_srt"])]

    def test_both_conflicts_at_once(self):
        assert [kind for kind, _ in conflicts(["supportive", "resection", "resection_srt"])] == [
            SUPPORTIVE_WITH_ACTIVE, ONE_OF_TWO]

    @pytest.mark.parametrize("decisions", ALLOWED)
    def test_combinations_a_clinician_gives_are_allowed(self, decisions):
        assert conflicts(decisions) == []


# Every pair of two decisions that cannot be advised together, written out (the rest may).
FORBIDDEN_PAIRS = {frozenset(pair) for pair in [
    ("supportive", "srt"), ("supportive", "resection"), ("supportive", "resection_srt"),
    ("supportive", "wbrt"), ("supportive", "systemic"), ("supportive", "watchful_waiting"),
    ("resection", "resection_srt"),
]}
# Every (decision, follow-up) that cannot be advised, for an advice of that one decision.
FORBIDDEN_WITH_FOLLOW_UP = {
    **{(d, "none"): NO_FOLLOW_UP_WITH_ACTIVE
       for d in ("srt", "resection", "resection_srt", "wbrt", "systemic", "watchful_waiting")},
    **{("supportive", f): SUPPORTIVE_WITH_FOLLOW_UP for f in ("treating_mri", "neurology_mri", "per_treatment")},
    **{(d, "per_treatment"): PER_TREATMENT_WITHOUT_TREATMENT
       for d in ("watchful_waiting", "diagnostics", "discuss_again")},
}
ALL_PAIRS = [(a, b) for i, a in enumerate(Decision.values) for b in Decision.values[i + 1:]]


class TestEveryPair:
    """Table-driven: every pair of decisions, and every decision with every follow-up."""

    @pytest.mark.parametrize(("first", "second"), ALL_PAIRS)
    def test_two_decisions(self, first, second):
        assert bool(conflicts([first, second])) is (frozenset((first, second)) in FORBIDDEN_PAIRS)

    @pytest.mark.parametrize("decision", Decision.values)
    @pytest.mark.parametrize("follow_up", FollowUp.values)
    def test_a_decision_with_a_follow_up(self, decision, follow_up):
        expected = FORBIDDEN_WITH_FOLLOW_UP.get((decision, follow_up))
        found = conflicts([decision], follow_up)
        assert [kind for kind, _codes in found] == ([expected] if expected else [])
        for kind, _codes in found:
            assert FIELD[kind] == "follow_up", "shown at the follow-up field"

    @pytest.mark.parametrize(("first", "second"), ALL_PAIRS)
    @pytest.mark.parametrize("follow_up", FollowUp.values)
    def test_two_decisions_with_a_follow_up(self, first, second, follow_up):
        """A pair with a follow-up: contradictory decisions are named first (and alone); else the
        follow-up fits when it fits the pair as a whole."""
        found = conflicts([first, second], follow_up)
        if frozenset((first, second)) in FORBIDDEN_PAIRS:
            assert found == conflicts([first, second])
            return
        pair = {first, second}
        treatments = pair & {"srt", "resection", "resection_srt", "wbrt", "systemic"}
        if follow_up == "none":
            wrong = bool(pair & {"srt", "resection", "resection_srt", "wbrt", "systemic", "watchful_waiting"})
        elif "supportive" in pair:
            wrong = True
        elif follow_up == "per_treatment":
            wrong = not treatments
        else:
            wrong = False
        assert bool(found) is wrong

    def test_the_reported_case_resection_without_follow_up_is_refused(self):
        assert conflicts(["resection"], "none") == [(NO_FOLLOW_UP_WITH_ACTIVE, ["resection"])]


@pytest.fixture
def item(db, referrer, chair):
    """A case on today's meeting, with the quorum and the treating physician present."""
    item = scheduled_case(referrer, chair)
    register_quorum(item.meeting, chair)
    services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
    return item


def advice_url(item):
    return reverse("meetings:item_advice", args=[item.pk])


@pytest.mark.django_db
class TestTheService:
    @pytest.mark.parametrize("decisions", [["supportive", "srt"], ["supportive", "watchful_waiting"],
                                           ["resection", "resection_srt"]])
    def test_it_refuses_and_writes_nothing(self, item, chair, decisions):
        events = Event.objects.count()
        with pytest.raises(services.ConflictingDecisions):
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                           values={**ADVICE, "decisions": decisions})
        assert not MeetingAdvice.objects.exists()
        assert Event.objects.count() == events
        item.case.refresh_from_db()
        item.refresh_from_db()
        assert item.case.status == CaseStatus.SCHEDULED and item.discussed_at is None

    @pytest.mark.parametrize("decisions", ALLOWED)
    def test_it_records_the_combinations_a_clinician_gives(self, item, chair, decisions):
        # Best supportive care has no imaging follow-up (the follow-up rule, below).
        follow_up = "none" if "supportive" in decisions else ADVICE["follow_up"]
        advice = services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                                values={**ADVICE, "decisions": decisions, "follow_up": follow_up})
        assert advice.decisions == decisions

    def test_a_correction_into_a_contradiction_is_refused_and_the_advice_stays(self, item, chair):
        services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                       values={**ADVICE, "decisions": ["supportive"], "follow_up": "none"})
        with pytest.raises(services.ConflictingDecisions):
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                           values={**ADVICE, "decisions": ["supportive", "systemic"],
                                                   "follow_up": "none"})
        assert MeetingAdvice.objects.get().decisions == ["supportive"]

    def test_the_contradiction_is_named_before_the_quorum(self, referrer, chair):
        """Without the quorum, SRT with best supportive care is first of all a contradiction."""
        item = scheduled_case(referrer, chair)
        services.item_set_presence(actor=Actor(user=chair), item_id=item.pk, present="yes")
        with pytest.raises(services.ConflictingDecisions):
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                           values={**ADVICE, "decisions": ["srt", "supportive"]})

    def test_resection_without_imaging_follow_up_is_refused_and_nothing_is_mailed(self, item, chair, mailoutbox):
        events = Event.objects.count()
        with pytest.raises(services.ConflictingDecisions) as refused:
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                           values={**ADVICE, "decisions": ["resection"], "follow_up": "none"})
        assert set(refused.value.by_field) == {"follow_up"}
        assert not MeetingAdvice.objects.exists() and Event.objects.count() == events
        assert mailoutbox == []

    def test_an_unknown_decision_is_refused(self, item, chair):
        with pytest.raises(services.ActionRefused):
            services.meeting_advice_record(actor=Actor(user=chair), item_id=item.pk,
                                           values={**ADVICE, "decisions": ["supportive", "euthanasia"]})
        assert not MeetingAdvice.objects.exists()


@pytest.mark.django_db
class TestTheForm:
    def test_supportive_care_with_srt_is_refused_at_the_field_in_dutch_and_keeps_the_input(
            self, client, item, chair):
        verified_login(client, chair)
        response = client.post(advice_url(item), {**ADVICE_POST, "decisions": ["srt", "supportive"],
                                                  "text": "Toch bestralen?"})
        assert response.status_code == 400
        form = response.context["form"]
        assert form.errors["decisions"] == [
            "Best supportive care kan niet samen met een actieve behandeling of afwachtend beleid worden "
            "geadviseerd (hier: Stereotactische radiotherapie). Kies het een of het ander."]
        assert not form.non_field_errors()
        assert form["decisions"].value() == ["srt", "supportive"] and form["text"].value() == "Toch bestralen?"
        assert "Stereotactische radiotherapie). Kies het een of het ander." in response.content.decode()
        assert not MeetingAdvice.objects.exists()

    def test_resection_twice_is_refused_at_the_field_in_dutch(self, client, item, chair):
        verified_login(client, chair)
        response = client.post(advice_url(item), {**ADVICE_POST, "decisions": ["resection", "resection_srt"]})
        assert response.status_code == 400
        assert response.context["form"].errors["decisions"] == [
            "Kies óf “Resectie” óf “Resectie gevolgd door stereotactische radiotherapie van de resectieholte”, "
            "niet beide: ze noemen dezelfde operatie twee keer."]

    def test_the_message_is_in_english_for_an_english_user(self, client, item, chair):
        verified_login(client, chair)
        speak(client, "en")
        response = client.post(advice_url(item), {**ADVICE_POST, "decisions": ["supportive", "systemic",
                                                                          "watchful_waiting"]})
        assert response.context["form"].errors["decisions"] == [
            "Best supportive care cannot be advised together with an active treatment or watchful waiting "
            "(here: Start or switch systemic therapy, Watchful waiting with MRI). Choose one or the other."]

    def test_resection_without_imaging_follow_up_is_refused_at_the_follow_up_field(self, client, item, chair):
        verified_login(client, chair)
        response = client.post(advice_url(item), {**ADVICE_POST, "decisions": ["resection"], "follow_up": "none",
                                                  "text": "Resectie links frontaal."})
        assert response.status_code == 400
        form = response.context["form"]
        assert form.errors["follow_up"] == [
            "“Geen beeldvormende follow-up (best supportive care)” past niet bij Resectie: kies de "
            "follow-up na dat advies."]
        assert "decisions" not in form.errors and not form.non_field_errors()
        assert form["text"].value() == "Resectie links frontaal." and form["follow_up"].value() == "none"
        assert not MeetingAdvice.objects.exists()

    def test_best_supportive_care_with_mri_follow_up_is_refused_at_the_follow_up_field(self, client, item, chair):
        verified_login(client, chair)
        speak(client, "en")
        response = client.post(advice_url(item), {**ADVICE_POST, "decisions": ["supportive"],
                                                  "follow_up": "treating_mri"})
        assert response.status_code == 400
        assert response.context["form"].errors["follow_up"] == [
            "Best supportive care has no imaging follow-up: choose “No imaging follow-up (best supportive "
            "care)”."]

    def test_an_allowed_combination_is_recorded(self, client, item, chair):
        verified_login(client, chair)
        response = client.post(advice_url(item), {**ADVICE_POST, "decisions": ["systemic", "watchful_waiting"]})
        assert response.status_code == 302
        assert MeetingAdvice.objects.get().decisions == ["systemic", "watchful_waiting"]


def test_the_proposed_follow_up_follows_the_chart_and_is_a_follow_up_choice():
    assert proposed_follow_up("A") == FollowUp.TREATING_MRI
    assert proposed_follow_up("S") == FollowUp.NEUROLOGY_MRI
    assert proposed_follow_up(None) is None
    assert set(FOLLOW_UP_BY_CHART.values()) <= set(FollowUp.values)
