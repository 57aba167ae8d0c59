"""Reactions to recorded actions, run after the commit: the way a lower layer tells an upper one.

The services that change a case live in referrals/ and meetings/; the e-mail about those changes
lives above them, in casefile/. A service publishes the action it recorded ("case.scheduled") with
the records it concerns; casefile subscribes to the actions it mails about, once, when Django
starts (casefile.apps). An explicit registry, not Django signals: `subscribers()` lists who reacts
to what, and a reaction never runs for a transaction that is rolled back.
"""

from collections import defaultdict

from django.db import transaction

_subscribers = defaultdict(list)


def subscribe(action, handler):
    """Run `handler(**payload)` after the commit of every transaction that publishes `action`."""
    if handler not in _subscribers[action]:
        _subscribers[action].append(handler)


def subscribers():
    return {action: list(handlers) for action, handlers in _subscribers.items()}


def publish(action, **payload):
    handlers = list(_subscribers.get(action, ()))
    if handlers:
        transaction.on_commit(lambda: [handler(**payload) for handler in handlers])
