"""Changes to a user's own account made by the user (the administrator's go through /beheer/)."""

from django.conf import settings
from django.db import transaction

from accounts.models import User
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
