"""The case's lifecycle: its states, and for each action where it may start, where it leads, the
event it records and who may take it. This table is the only place that says so.

A plain table, not a state-machine library (django-fsm-2, viewflow): the transitions are few and
flat, every one of them also writes records of its own (a pre-consultation, an agenda item, an
advice) inside the same transaction, and a table can be read by a clinician, tested without a
database and replayed in memory by `manage.py synthetic_data`. A library would add decorators on
model methods and a second way of saving a case; `referrals.transition.case_transition` is the one
way here.

After the advice (issue 14): for each advised decision the referrer or a neuro-oncologist records
whether it was carried out ("record_implementation", the case stays DISCUSSED while a decision has
no status; "complete_implementation" when the last one gets its status: IMPLEMENTED). This
replaced the single "plan agreed" state (migration referrals/0014 moved those cases back to
DISCUSSED: their decisions have no implementation status yet). The follow-up MRIs run beside the
case's state (followup.models). A CLOSED case (not for this MDO, e.g. a restrained policy for a
low KPS) can get a re-evaluation date ("set_reevaluation"); the new clinical status triages it
again: it stays CLOSED ("reevaluate") or, when it now qualifies for the neuro-oncology MDO, it is
submitted again as a re-entry ("reenter").

Withdrawn (issue 12): the referrer takes a submitted referral back, with a reason, until the
meeting has given its advice; a case already on an agenda leaves it (meetings.services.
case_withdraw). Deleted: a draft the referrer threw away. It is a state, not a removed row: the
audit log refers to every case it saw (on_delete=PROTECT), so the row stays and every page and
list leaves it out (referrals.access.cases_visible_to).

Pure Python apart from Django's TextChoices and gettext: no model, no query.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting pre-consultation")
    INFO_REQUESTED = "info_requested", _("Information requested from the referrer")
    ACCEPTED = "accepted", _("Pre-consultation done, to be scheduled")
    SCHEDULED = "scheduled", _("Scheduled for a meeting")
    DISCUSSED = "discussed", _("Discussed, advice recorded")
    CLOSED = "closed", _("Closed: not for the neuro-oncology MDT")
    IMPLEMENTED = "implemented", _("Advice carried out, or the deviation recorded")
    WITHDRAWN = "withdrawn", _("Withdrawn by the referrer")
    DELETED = "deleted", _("Draft deleted")


S = CaseStatus

# The permissions (accounts/roles.py gives them to roles) that the actions need.
REFER = "referrals.refer_case"
PRECONSULT = "referrals.preconsult_case"
SCHEDULE = "meetings.schedule_case"
ADVISE = "meetings.record_meeting_advice"
IMPLEMENT = "followup.record_implementation"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset  # the states it may start from (empty: it creates the case)
    target: str | None  # the state it leads to; None: the case keeps its state
    event: str  # the action-log name (audit.Event.action)
    permission: str  # the permission the acting user needs

    def allows(self, status):
        return status in self.sources

    def leads_to(self, status):
        return self.target or status


def _t(action, sources, target, event, permission):
    return Transition(action, frozenset(sources), target, event, permission)


TRANSITIONS = {t.action: t for t in (
    # The intake (referrals).
    _t("create", (), S.DRAFT, "case.created", REFER),
    _t("save_step", (S.DRAFT, S.INFO_REQUESTED), None, "case.step_saved", REFER),
    _t("submit", (S.DRAFT,), S.SUBMITTED, "case.submitted", REFER),
    _t("resubmit", (S.INFO_REQUESTED,), S.SUBMITTED, "case.resubmitted", REFER),
    _t("delete_draft", (S.DRAFT,), S.DELETED, "case.deleted", REFER),
    # Until the meeting's advice: a scheduled case leaves the agenda as well.
    _t("withdraw", (S.SUBMITTED, S.INFO_REQUESTED, S.ACCEPTED, S.SCHEDULED), S.WITHDRAWN,
       "case.withdrawn", REFER),
    # Pre-consultation (meetings).
    _t("accept_advice", (S.SUBMITTED,), S.ACCEPTED, "case.advice_accepted", PRECONSULT),
    _t("override_advice", (S.SUBMITTED, S.ACCEPTED), S.ACCEPTED, "case.advice_overridden", PRECONSULT),
    _t("request_info", (S.SUBMITTED, S.ACCEPTED), S.INFO_REQUESTED, "case.info_requested", PRECONSULT),
    _t("close", (S.SUBMITTED, S.ACCEPTED), S.CLOSED, "case.closed", PRECONSULT),
    # The agenda.
    _t("schedule", (S.SUBMITTED, S.ACCEPTED), S.SCHEDULED, "case.scheduled", SCHEDULE),
    _t("unschedule", (S.SCHEDULED,), S.ACCEPTED, "case.unscheduled", SCHEDULE),
    # The meeting's advice. "Discuss again" sends the case back to be placed on a later meeting.
    _t("record_advice", (S.SCHEDULED,), S.DISCUSSED, "case.advice_recorded", ADVISE),
    _t("record_advice_discuss_again", (S.SCHEDULED,), S.ACCEPTED, "case.advice_recorded", ADVISE),
    # A correction is refused later on when the case has since been placed on a later meeting.
    _t("correct_advice", (S.SCHEDULED, S.DISCUSSED, S.ACCEPTED), S.DISCUSSED, "case.advice_corrected", ADVISE),
    _t("correct_advice_discuss_again", (S.SCHEDULED, S.DISCUSSED, S.ACCEPTED), S.ACCEPTED,
       "case.advice_corrected", ADVISE),
    # After the meeting: the MDO advises, the patient decides with the treating physician; what was
    # done is recorded per decision (followup.services.implementation_record). A correction of a
    # recorded status keeps the case where it is.
    _t("record_implementation", (S.DISCUSSED, S.IMPLEMENTED), None, "case.implementation_recorded", IMPLEMENT),
    _t("complete_implementation", (S.DISCUSSED,), S.IMPLEMENTED, "case.implementation_recorded", IMPLEMENT),
    # A case not for this MDO, looked at again on a date (followup.services.reevaluation_*).
    _t("set_reevaluation", (S.CLOSED,), None, "case.reevaluation_set", REFER),
    _t("reevaluate", (S.CLOSED,), None, "case.reevaluated", REFER),
    _t("reenter", (S.CLOSED,), S.SUBMITTED, "case.reentered", REFER),
)}

# Groups of states that pages and queries use, each derived from the table.
# The referrer may still change the intake.
EDITABLE_STATUSES = TRANSITIONS["save_step"].sources
# The pre-consultation queue: from submission until the case is on an agenda or closed, including
# the cases waiting for the referrer's answer.
PRECONSULT_QUEUE = (S.SUBMITTED, S.INFO_REQUESTED, S.ACCEPTED)
# A case that is over: a new referral of its patient needs no warning. Every other state is an
# open case (a discussed case waits for the implementation of its advice).
FINISHED_STATUSES = frozenset({S.CLOSED, S.WITHDRAWN, S.IMPLEMENTED, S.DELETED})
# Cases after the meeting's advice.
ADVISED_STATUSES = (S.DISCUSSED, S.IMPLEMENTED)
OPEN_STATUSES = frozenset(S.values) - FINISHED_STATUSES
# Never sent to the MDO, or taken back: no follow-up plan, and no reminder about one.
NOT_REFERRED_STATUSES = frozenset({S.DRAFT, S.WITHDRAWN, S.DELETED})


def transition_for(action, status):
    """The transition of `action` (a name, or names of which the first that may start from
    `status` is taken: "submit" or "resubmit"), or None if none may start from `status`."""
    names = (action,) if isinstance(action, str) else action
    for name in names:
        transition = TRANSITIONS[name]
        if transition.allows(status):
            return transition
    return None


def available_actions(user, case):
    """The actions `user` may take on `case` now, by its state and their role's permissions.

    Pages offer a button only for these (the service checks again: a state can change between
    showing the page and pressing the button). Other conditions (the information the meeting needs,
    the meeting's room) are the service's."""
    return frozenset(
        name for name, transition in TRANSITIONS.items()
        if transition.allows(case.status) and user.has_perm(transition.permission)
    )


def replay(actions, status=None, version=0):
    """Walk `actions` from `status` (None: the case does not exist yet) in memory: returns the
    (status, version, transitions) a case reaches, as case_transition would leave it.

    manage.py synthetic_data writes its cases with this instead of a copy of the workflow."""
    done = []
    for action in actions:
        transition = TRANSITIONS[action]
        if status is None:
            if transition.sources:
                raise ValueError(f"{action} needs an existing case")
        elif not transition.allows(status):
            raise ValueError(f"{action} cannot start from {status}")
        status = transition.leads_to(status)
        version += 1
        done.append(transition)
    return status, version, done
