"""Who may see which case: one helper, used by every view that shows or changes one.

Referring physicians see their own hospital's cases. Neuro-oncologists and MDO chairs see the
cases referred to their MDO centre once submitted (a draft belongs to the referring hospital).
A deleted draft is nobody's: its row stays for the audit log only.
Anybody else gets 404 — not 403, and not the data — and the refused attempt is logged.
"""

from django.http import Http404

from accounts.models import Role
from audit.actor import Actor
from audit.models import AccessAction, AccessResult
from audit.services import access_record
from referrals.lifecycle import available_actions
from referrals.models import Case, CaseStatus


def cases_visible_to(user):
    """The cases `user` may see, as a queryset (empty for roles without case access)."""
    cases = Case.objects.exclude(status=CaseStatus.DELETED)
    if not user.is_authenticated or not user.is_active or user.hospital_id is None:
        return cases.none()
    if user.role == Role.REFERRER:
        return cases.filter(referring_hospital_id=user.hospital_id)
    if user.role in (Role.NEURO_ONCOLOGIST, Role.CHAIR):
        return cases.filter(mdo_centre_id=user.hospital_id).exclude(status=CaseStatus.DRAFT)
    return cases.none()


def can_edit_intake(user, case):
    """The referring hospital's referrer, while the lifecycle lets them save an intake step."""
    return (
        user.role == Role.REFERRER
        and case.referring_hospital_id == user.hospital_id
        and "save_step" in available_actions(user, case)
    )


def get_case_for_user(request, case_id, *, action=AccessAction.READ, part="case",
                      select=("patient",), prefetch=()):
    """The case, if the user may see it; otherwise 404. Logs the access either way.

    `action` and `part` say what the access is for the NEN 7513 log (None: the caller logs,
    e.g. a service function that records the change).
    """
    actor = Actor.from_request(request)
    case = (
        cases_visible_to(request.user)
        .select_related(*select)
        .prefetch_related(*prefetch)
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        existing = Case.objects.filter(pk=case_id).only("pk", "patient_id").first()
        if existing is not None:
            access_record(actor=actor, action=action or AccessAction.READ, object_type=part,
                          case=existing, result=AccessResult.DENIED)
        raise Http404("No such case.")
    if action:
        access_record(actor=actor, action=action, object_type=part, case=case)
    return case
