"""The one way a case changes: `case_transition` (and `case_start` for a new case).

In one transaction (the caller's, or its own): lock the case row, check that the action may start
from the case's state, that the user may take it and that nobody saved the case since the user
read it (the expected version), let the service apply its own changes, set the state the
lifecycle table names, full_clean, save (django-simple-history writes the history row), record
the action event with its access-log row, and publish the event for the reactions that run after
the commit (casefile's e-mail).

Every service that changes a case goes through here; the table is referrals/lifecycle.py.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.models import AccessAction
from audit.services import event_record
from mdo import dispatch
from referrals.lifecycle import TRANSITIONS, transition_for
from referrals.models import Case


class ActionRefused(Exception):
    """An action that is not possible now; `message` says why, for the user. Nothing was written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class TransitionRefused(ActionRefused):
    """The action cannot start from the case's state, or the user may not take it."""

    def __init__(self, case, action):
        super().__init__(_("This is not possible in the current status of the case (%(status)s).")
                         % {"status": case.status_label})
        self.case = case
        self.action = action


@dataclass
class Change:
    field: str
    label: str
    old: object
    new: object


class StaleEdit(Exception):
    """Somebody saved the case after the user opened it. Nothing was written."""

    def __init__(self, case, changes, changed_by, changed_at):
        super().__init__(f"case {case.pk} changed since version was read")
        self.case = case
        self.changes = changes
        self.changed_by = changed_by
        self.changed_at = changed_at


@dataclass
class Applied:
    """What a service's `apply` did: the record the event is about, and the event's data."""

    obj: object = None
    data: dict = field(default_factory=dict)


# Checked by the forms and by the database; a full_clean of them would cost a query each.
_NOT_CLEANED = ["patient", "referring_hospital", "mdo_centre", "referring_physician", "current_advice"]


def lock_case(case_id):
    return Case.objects.select_for_update(of=("self",), no_key=True).select_related("patient").get(pk=case_id)


def changes_since(case, version):
    """What changed in the case since `version`, from its history (for the stale-edit message)."""
    records = list(case.history.filter(version__gte=version).order_by("history_date", "history_id"))
    old = next((r for r in records if r.version == version), None)
    new = records[-1] if records else None
    if old is None or new is None or old.history_id == new.history_id:
        return [], getattr(new, "history_user", None), getattr(new, "history_date", None)
    delta = new.diff_against(old, excluded_fields=["version", "updated_at"])
    changes = [
        Change(c.field, str(Case._meta.get_field(c.field).verbose_name), c.old, c.new)
        for c in delta.changes
    ]
    return changes, new.history_user, new.history_date


def _check_actor(actor, case, transition):
    user = actor.user
    if user is not None and not user.has_perm(transition.permission):
        raise TransitionRefused(case, transition.action)


def _save(case, actor, transition):
    case.status = transition.leads_to(case.status)
    case.version += 1
    case._history_user = actor.user
    # Each value is checked against its field's validators. The check constraints and the unique
    # token are left to the database: Django would run one query per constraint on every save,
    # and the forms have checked the same rules already (a violation is an IntegrityError).
    case.full_clean(exclude=_NOT_CLEANED, validate_unique=False, validate_constraints=False)
    case.save()


def _record(actor, case, transition, applied, access_action):
    event_record(actor=actor, action=transition.event, case=case, obj=applied.obj, data=applied.data,
                 access_action=access_action)
    dispatch.publish(transition.event, case=case, obj=applied.obj)


@transaction.atomic
def case_transition(*, actor, case_id, action, apply=None, expected_version=None,
                    access_action=AccessAction.CHANGE, locked=None):
    """Carry out `action` (a name from lifecycle.TRANSITIONS, or a tuple of names of which the
    first that may start from the case's state is taken) on the case `case_id`.

    `apply(case, transition)` makes the service's own changes (it may raise ActionRefused, and
    then nothing is written) and returns an Applied, or None. Returns (case, applied).
    `locked`: the case as the caller locked it in this transaction (lock_case), to decide the
    action from it; it is not read and locked a second time.
    """
    if locked is not None and locked.pk != case_id:
        raise ValueError("locked must be the case itself (locked by lock_case in the caller's transaction)")
    case = locked if locked is not None else lock_case(case_id)
    transition = transition_for(action, case.status)
    if transition is None:
        raise TransitionRefused(case, action if isinstance(action, str) else action[0])
    _check_actor(actor, case, transition)
    if expected_version is not None and expected_version != case.version:
        changes, user, when = changes_since(case, expected_version)
        raise StaleEdit(case, changes, user, when)
    applied = (apply(case, transition) if apply else None) or Applied()
    _save(case, actor, transition)
    _record(actor, case, transition, applied, access_action)
    return case, applied


@transaction.atomic
def case_start(*, actor, case, before_event=None, data=None):
    """Store a new case (unsaved, built by the service) in the state the lifecycle gives "create".

    `before_event(case)` runs after the case is saved and before its event (the patient's own
    event comes first in the timeline)."""
    transition = TRANSITIONS["create"]
    _check_actor(actor, case, transition)
    case.version = 0
    _save(case, actor, transition)
    if before_event:
        before_event(case)
    _record(actor, case, transition, Applied(data=data or {}), AccessAction.CREATE)
    return case
