"""Changes to a user's own account made by the user, and the four-eyes step for the changes an
administrator makes in /beheer/ that give an account access."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AccessChange, AccessChangeKind, AccessChangeState, Role, User
from audit.services import event_record


@transaction.atomic
def user_set_language(*, actor, language):
    """The interface and e-mail language of the acting user (the NL/EN switch): a profile setting,
    so that a clinical PC with an English operating system still shows Dutch to a Dutch user."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    user = User.objects.select_for_update(no_key=True).get(pk=actor.user.pk)
    if user.language == language:
        return user
    user.language = language
    user.save(update_fields=["language"])
    event_record(actor=actor, action="user.language_changed", obj=user, access_action=None,
                 data={"language": language})
    return user


@transaction.atomic
def user_end_sessions(*, actor):
    """End every session of the acting user, on every computer ("log out everywhere")."""
    actor.user.end_sessions()
    event_record(actor=actor, action="user.sessions_ended", obj=actor.user, access_action=None)


# Four eyes (issue 16 item 1): what gives an account access waits for a second person.

class AccessChangeRefused(Exception):
    """A decision on an access change that is not allowed; the message says why, for the user."""


def _describe(change):
    """What an access change event records: names and codes, never a password or its hash."""
    return {
        "change": change.pk, "kind": change.kind, "account": change.account.username,
        "role": change.role, "hospital": change.hospital.code if change.hospital_id else "",
        "discipline": change.discipline,
        "requested_by": change.requested_by.username, "requested_ip": change.requested_ip,
    }


@transaction.atomic
def access_change_request(*, actor, account, kind, role="", hospital=None, discipline="", password=""):
    """Hold a change that gives `account` access until a second person approves it. An earlier
    request of the same kind for the account that still waits is replaced by this one."""
    replaced = list(AccessChange.objects.select_for_update(no_key=True)
                    .filter(account=account, kind=kind, state=AccessChangeState.PENDING).values_list("pk", flat=True))
    if replaced:
        AccessChange.objects.filter(pk__in=replaced).update(state=AccessChangeState.SUPERSEDED, password="")
    change = AccessChange.objects.create(
        account=account, kind=kind, role=role, hospital=hospital, discipline=discipline,
        password=make_password(password) if password else "",
        requested_by=actor.user, requested_ip=actor.ip,
    )
    event_record(actor=actor, action="access.requested", obj=account, access_action=None,
                 data={**_describe(change), "replaces": replaced})
    return change


def may_decide(user, change):
    """None when `user` may approve or reject `change`, else the reason (for the user)."""
    if not change.is_pending:
        return _("This request has already been decided.")
    if not (user.is_active and user.has_perm("accounts.approve_accesschange")):
        return _("Only another administrator or a privacy officer can decide on access.")
    if user.pk == change.requested_by_id:
        return _("You made this request yourself: a second person must approve it.")
    if user.pk == change.account_id:
        return _("A change to your own account is decided by someone else.")
    if user.role == Role.PRIVACY_OFFICER:
        centre = user.hospital.centre_id if user.hospital_id else None
        hospitals = [h for h in (change.account.hospital, change.hospital) if h is not None]
        if not hospitals or any(h.centre_id != centre for h in hospitals):
            return _("A privacy officer decides only on accounts of their own MDT region.")
    return None


def _decide(actor, change_id):
    change = (AccessChange.objects.select_for_update(no_key=True, of=("self",))
              .select_related("account__hospital", "hospital", "requested_by").get(pk=change_id))
    reason = may_decide(actor.user, change)
    if reason:
        raise AccessChangeRefused(reason)
    return change


@transaction.atomic
def access_change_approve(*, actor, change_id, note=""):
    """The second person approves: the held change takes effect now (and ends the account's
    sessions where it changes role, hospital or password: User.save)."""
    change = _decide(actor, change_id)
    account = User.objects.select_for_update(no_key=True).get(pk=change.account_id)
    if change.kind in (AccessChangeKind.NEW_ACCOUNT, AccessChangeKind.ROLE):
        account.role, account.hospital, account.discipline = change.role, change.hospital, change.discipline
    if change.kind in (AccessChangeKind.NEW_ACCOUNT, AccessChangeKind.REACTIVATION):
        account.is_active = True
    if change.kind == AccessChangeKind.PASSWORD:
        account.password = change.password
    try:
        account.validate_constraints()
    except ValidationError as exc:
        raise AccessChangeRefused(" ".join(exc.messages)) from exc
    account.save()
    change.state, change.password = AccessChangeState.APPROVED, ""
    change.decided_by, change.decided_at, change.decided_ip = actor.user, timezone.now(), actor.ip
    change.decision_note = note
    change.save()
    event_record(actor=actor, action="access.approved", obj=account, access_action=None,
                 data={**_describe(change), "decided_by": actor.user.username, "decided_ip": actor.ip})
    return change


@transaction.atomic
def access_change_reject(*, actor, change_id, note=""):
    change = _decide(actor, change_id)
    change.state, change.password = AccessChangeState.REJECTED, ""
    change.decided_by, change.decided_at, change.decided_ip = actor.user, timezone.now(), actor.ip
    change.decision_note = note
    change.save()
    event_record(actor=actor, action="access.rejected", obj=change.account, access_action=None,
                 data={**_describe(change), "decided_by": actor.user.username, "decided_ip": actor.ip})
    return change
