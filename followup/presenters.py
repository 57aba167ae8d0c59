from django.utils import timezone

from followup.models import FollowUpMri, FollowUpPlan


def followup_summary(case):
    """What the case page shows of the follow-up: the plan, its next MRI and the latest result."""
    plan = FollowUpPlan.objects.filter(case=case).first()
    if plan is None:
        return {"plan": None}
    mris = list(FollowUpMri.objects.filter(plan=plan).order_by("done_on", "id"))
    next_mri = next((mri for mri in mris if mri.done_on is None), None)
    done = [mri for mri in mris if mri.done_on is not None]
    return {"plan": plan, "next_mri": next_mri, "last_mri": done[-1] if done else None,
            "overdue": next_mri is not None and next_mri.due_date < timezone.localdate()}
