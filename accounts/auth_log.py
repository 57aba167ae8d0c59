"""Logins and administration in our own append-only event log (issue 16 item 1, in part).

Django's `django_admin_log` can be rewritten and has no client address; the login signals leave no
trace at all. Here every login (success, failure, lock-out, second factor, logout) and every change
made in /beheer/ becomes an `audit.Event` with the user (or the user name tried), the client's
address and, for the administration, what kind of object changed and which fields (names, never
values: a password hash or a patient's data never goes into the log)."""

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed

from audit.actor import Actor, client_ip
from audit.services import event_record

USERNAME_LENGTH = 150


def _actor(request, user=None):
    return Actor(user=user, ip=client_ip(request) if request is not None else None)


def logged_in(sender, request, user, **kwargs):
    event_record(actor=_actor(request, user), action="auth.login", obj=user, access_action=None)


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        event_record(actor=_actor(request, user), action="auth.logout", obj=user, access_action=None)


def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:USERNAME_LENGTH]
    event_record(actor=_actor(request), action="auth.login_failed", access_action=None,
                 data={"username": username})


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    event_record(actor=_actor(request), action="auth.locked_out", access_action=None,
                 data={"username": str(username or "")[:USERNAME_LENGTH]})


def second_factor(request, user, *, ok):
    event_record(actor=_actor(request, user), action="auth.2fa_verified" if ok else "auth.2fa_failed",
                 obj=user, access_action=None)


def connect():
    from axes.signals import user_locked_out

    user_logged_in.connect(logged_in, dispatch_uid="accounts.auth_log.login")
    user_logged_out.connect(logged_out, dispatch_uid="accounts.auth_log.logout")
    user_login_failed.connect(login_failed, dispatch_uid="accounts.auth_log.failed")
    user_locked_out.connect(locked_out, dispatch_uid="accounts.auth_log.locked_out")


class AuditedAdminMixin:
    """A ModelAdmin whose additions, changes and deletions are also events in our log, with the
    administrator and their address (Django's own admin log stays as it is)."""

    def _admin_event(self, request, obj, kind, message=""):
        event_record(actor=Actor.from_request(request), action=f"admin.{kind}", obj=obj, access_action=None,
                     data={"model": obj._meta.label_lower, "object": str(obj)[:200],
                           "fields": _changed_fields(message)})

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._admin_event(request, obj, "added", message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._admin_event(request, obj, "changed", message)
        return entry

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._admin_event(request, obj, "deleted")
        return super().log_deletions(request, queryset)


def _changed_fields(message):
    """The field names of Django's change message ([{"changed": {"fields": [...]}}]), no values."""
    if not isinstance(message, list):
        return []
    fields = []
    for part in message:
        for detail in part.values():
            if isinstance(detail, dict):
                fields += [str(name) for name in detail.get("fields", [])]
    return fields
