"""Who may see a follow-up plan: whoever may see its case (referrals.access); others get 404."""

from django.http import Http404

from audit.actor import Actor
from audit.models import AccessAction, AccessResult
from audit.services import access_record
from followup.models import FollowUpPlan
from referrals.access import cases_visible_to


def get_plan_for_user(request, plan_id, *, action=AccessAction.READ, part="followup"):
    """The plan (with its case), if the user may see the case; otherwise 404, the refusal logged."""
    plan = (FollowUpPlan.objects.filter(pk=plan_id, case__in=cases_visible_to(request.user))
            .select_related("case__patient", "case__referring_hospital", "advice__item__meeting").first())
    actor = Actor.from_request(request)
    if plan is None:
        existing = FollowUpPlan.objects.filter(pk=plan_id).select_related("case").first()
        if existing is not None:
            access_record(actor=actor, action=action or AccessAction.READ, object_type=part,
                          case=existing.case, result=AccessResult.DENIED)
        raise Http404("No such follow-up plan.")
    if action:
        access_record(actor=actor, action=action, object_type=part, case=plan.case)
    return plan
