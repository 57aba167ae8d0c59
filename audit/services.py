"""Writing the audit records. Called by service functions (changes) and access helpers (reads)."""

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AccessAction, AccessLog, AccessResult, Event, advance_chain
from mdo import dispatch

# The columns a list page writes, in the order of the rows built by access_record_many.
_LIST_COLUMNS = ("at", "user_id", "username", "role", "on_behalf_of", "client_ip", "action",
                 "object_type", "object_id", "case_id", "patient_id", "result")


def _who(actor):
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return {
        "user": user,
        "username": user.get_username() if user else "",
        "role": getattr(user, "role", "") if user else "",
        "on_behalf_of": actor.on_behalf_of,
        "client_ip": actor.ip,
    }


def access_record(*, actor, action, object_type, case=None, patient=None, object_id="",
                  result=AccessResult.OK):
    if patient is None and case is not None:
        patient_id = case.patient_id
    else:
        patient_id = patient.pk if patient is not None else None
    return AccessLog.objects.create(
        **_who(actor), action=action, object_type=object_type,
        object_id=str(object_id or (case.pk if case is not None else "")),
        case=case, patient_id=patient_id, result=result,
    )


def access_record_many(*, actor, action, object_type, cases):
    """One row per case shown in a list or found by a search: NEN 7513 asks per patient."""
    who = _who(actor)
    user = who["user"]
    head = (timezone.now(), user.pk if user else None, who["username"], who["role"],
            who["on_behalf_of"], who["client_ip"], action, object_type)
    rows = [(*head, str(case.pk), case.pk, case.patient_id, AccessResult.OK.value) for case in cases]
    if not rows:
        return
    if connection.vendor == "postgresql":
        # One COPY: a list page writes 25-30 rows, and an INSERT of that many rows costs several
        # times more to build and bind (measured in docs/performance.md). The chain hashes are
        # computed first, in the order COPY inserts (and numbers) the rows.
        with transaction.atomic(savepoint=False):
            hashes = advance_chain(AccessLog, [dict(zip(_LIST_COLUMNS, row, strict=True)) for row in rows])
            with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {AccessLog._meta.db_table} ({', '.join(_LIST_COLUMNS)}, chain_hash) FROM STDIN"
            ) as copy:
                for row, chain_hash in zip(rows, hashes, strict=True):
                    copy.write_row((*row, chain_hash))
    else:
        AccessLog.objects.bulk_create(AccessLog(**dict(zip(_LIST_COLUMNS, row, strict=True))) for row in rows)


def event_record(*, actor, action, case=None, obj=None, data=None, access_action=AccessAction.CHANGE):
    """Record a workflow action, and the change of patient data it is (for the access log)."""
    who = _who(actor)
    object_type = obj._meta.label_lower if obj is not None else ("referrals.case" if case else "")
    object_id = str(obj.pk) if obj is not None else (str(case.pk) if case is not None else "")
    event = Event.objects.create(
        user=who["user"], action=action, case=case, object_type=object_type,
        object_id=object_id, data=data or {}, client_ip=who["client_ip"],
    )
    if case is not None and access_action:
        AccessLog.objects.create(
            **who, action=access_action, object_type=action, object_id=object_id,
            case=case, patient_id=case.patient_id,
        )
    # For what is derived from the log in the same transaction (meetings.pdfs: the printed agenda).
    dispatch.publish("event.recorded", event=event)
    return event
