"""Reactions to recorded actions: the way a lower layer tells an upper one.

The services that change a case live in referrals/ and meetings/; the e-mail about those changes
lives above them, in casefile/. A service publishes the action it recorded ("case.scheduled") with
the records it concerns; casefile subscribes to the actions it mails about, once, when Django
starts (casefile.apps). An explicit registry, not Django signals: `subscribers()` lists who reacts
to what. A reaction runs either after the commit (`subscribe`: it never runs for a transaction that
is rolled back) or inside the transaction (`subscribe_in_transaction`: its writes commit or roll back
with the action, as the queued mail does; it must not raise, or it undoes the action).

Besides the actions services publish, audit.services.event_record publishes "event.recorded" for
every event it writes, for what is derived from the action log itself (meetings.pdfs: which printed
agendas and minutes a recorded change makes outdated).
"""

from collections import defaultdict

from django.db import transaction

_subscribers = defaultdict(list)
_in_transaction = defaultdict(list)


def subscribe(action, handler):
    """Run `handler(**payload)` after the commit of every transaction that publishes `action`."""
    if handler not in _subscribers[action]:
        _subscribers[action].append(handler)


def subscribe_in_transaction(action, handler):
    """Run `handler(**payload)` when `action` is published, inside the publishing transaction."""
    if handler not in _in_transaction[action]:
        _in_transaction[action].append(handler)


def subscribers():
    """{action: [handler, ...]}, both kinds (the in-transaction ones first: they run first)."""
    actions = set(_subscribers) | set(_in_transaction)
    return {action: [*_in_transaction.get(action, ()), *_subscribers.get(action, ())] for action in actions}


def publish(action, **payload):
    for handler in list(_in_transaction.get(action, ())):
        handler(**payload)
    handlers = list(_subscribers.get(action, ()))
    if handlers:
        transaction.on_commit(lambda: [handler(**payload) for handler in handlers])
