"""Writing the audit records. Called by service functions (changes) and access helpers (reads)."""

from audit.models import AccessAction, AccessLog, AccessResult, Event


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
    AccessLog.objects.bulk_create(
        AccessLog(**who, action=action, object_type=object_type, object_id=str(case.pk),
                  case_id=case.pk, patient_id=case.patient_id)
        for case in cases
    )


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
    return event
