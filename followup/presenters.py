
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from followup.models import FollowUpMri, FollowUpPlan, ReEvaluation, decisions_to_implement
from followup.services import advices_without_implementation
from referrals.access import cases_visible_to
from referrals.lifecycle import CaseStatus
from triage.codes import Decision


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


def implementation_summary(advice):
    """Per advised decision: its label and its implementation record (None: not yet known)."""
    labels = dict(Decision.choices)
    rows = {row.decision: row for row in advice.implementations.all()}
    return [{"label": labels.get(code, code), "row": rows.get(code)} for code in decisions_to_implement(advice)]


def reevaluation_summary(case):
    """The open re-evaluation of a closed case, and the latest done one."""
    records = list(case.reevaluations.order_by("-set_at", "-id")[:2])
    return {"open": next((r for r in records if r.done_at is None), None),
            "last": next((r for r in records if r.done_at is not None), None)}


NOTICE_CAP = 100  # a notice counts to a hundred ("100+"): its cost does not grow with the database


def _capped(queryset):
    """min(count, NOTICE_CAP), counted in SQL over at most NOTICE_CAP rows (no ordering)."""
    return queryset.order_by()[:NOTICE_CAP].count()


def after_meeting_notices(user):
    """The counts at the top of the case list, for the roles who act on them: advices without an
    implementation status IMPLEMENTATION_DUE_DAYS after the meeting, re-evaluations due, overdue
    follow-up MRIs. Three count queries (the page's query count test holds them), each stopping at
    NOTICE_CAP rows: the list behind the link shows them all."""
    if not user.has_perm("followup.record_implementation"):
        return []
    today = timezone.localdate()
    visible = cases_visible_to(user)
    unimplemented = _capped(advices_without_implementation(visible, today))
    reevaluations = _capped(ReEvaluation.objects.filter(case__in=visible, done_at__isnull=True, due_on__lte=today,
                                                        case__status=CaseStatus.CLOSED))
    overdue = _capped(FollowUpMri.objects.filter(plan__case__in=visible, done_on__isnull=True, on_complaints=False,
                                                 due_date__lt=today))
    url = reverse("followup:overdue")

    def shown(count):
        return f"{NOTICE_CAP}+" if count >= NOTICE_CAP else str(count)

    return [
        {"count": unimplemented, "url": url, "kind": "unimplemented", "text": ngettext(
            "%(count)s advice without implementation status, %(days)d days after the meeting",
            "%(count)s advices without implementation status, %(days)d days after the meeting",
            unimplemented) % {"count": shown(unimplemented), "days": settings.IMPLEMENTATION_DUE_DAYS}},
        {"count": reevaluations, "url": url, "kind": "reevaluations", "text": ngettext(
            "%(count)s re-evaluation due", "%(count)s re-evaluations due", reevaluations)
            % {"count": shown(reevaluations)}},
        {"count": overdue, "url": url, "kind": "overdue", "text": ngettext(
            "%(count)s follow-up MRI overdue", "%(count)s follow-up MRIs overdue", overdue)
            % {"count": shown(overdue)}},
    ]
