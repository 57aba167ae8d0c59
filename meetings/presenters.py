"""What the meeting pages and printouts show of a meeting: its agenda, its quorum, and for each
case the advice in force with the path it came by (triage → pre-consultation → meeting)."""

from django.db.models import Prefetch

from mdo.i18n import current_lang
from meetings.models import AgendaItem, PreconsultAction, Preconsultation
from referrals.presenters import advice_in_force_short
from triage.codes import Discipline
from triage.presenters import one_line_reason, outcome_context
from triage.quorum import REQUIRED_DISCIPLINES, missing_disciplines
from triage.services import result_from_advice

# The pre-consultation actions that decide the advice in force (a request for information or a
# closing does not: the one sends the case back, the other ends it).
REVIEW_ACTIONS = (PreconsultAction.ACCEPT, PreconsultAction.OVERRIDE)


def reviews_prefetch(prefix=""):
    """Prefetch each case's accept/override records, newest first, as `case.reviews` (one query)."""
    return Prefetch(f"{prefix}preconsultations", to_attr="reviews",
                    queryset=Preconsultation.objects.filter(action__in=REVIEW_ACTIONS)
                    .select_related("by").order_by("-at", "-id"))


def case_reviews(case):
    """The case's accept/override records, newest first (prefetched by reviews_prefetch or read)."""
    if hasattr(case, "reviews"):
        return case.reviews
    return list(Preconsultation.objects.filter(case=case, action__in=REVIEW_ACTIONS)
                .select_related("by").order_by("-at", "-id"))


def advice_path(case, meeting_advice=None, lang=None, *, with_reason=False):
    """The advice in force and where it came from, for the meeting page, the print view, the
    advice form and the case page: the triage advice; the pre-consultation of that advice
    (accepted or overridden, by whom, when, the reason); the meeting's advice when given."""
    lang = lang or current_lang()
    short = advice_in_force_short(case, lang)
    triage = case.current_advice
    review = next((r for r in case_reviews(case) if r.advice_id == case.current_advice_id), None)
    return {
        **short,
        "triage": {
            "outcome": outcome_context(triage.outcome, lang),
            "reason": one_line_reason(result_from_advice(triage), lang) if with_reason else "",
        } if triage else None,
        "review": {
            "overridden": review.action == PreconsultAction.OVERRIDE,
            "action_label": review.get_action_display(),
            "outcome": outcome_context(review.outcome, lang) if review.outcome else None,
            "by": str(review.by),
            "at": review.at,
            "reason": review.reason,
        } if review else None,
        "meeting": {
            "decisions": [str(label) for label in meeting_advice.decision_labels],
            "text": meeting_advice.text,
            "at": meeting_advice.recorded_at,
        } if meeting_advice else None,
    }


def quorum_context(present):
    missing = missing_disciplines(present)
    labels = dict(Discipline.choices)
    return {
        "required": [{"code": d, "label": labels[d], "present": d not in missing} for d in REQUIRED_DISCIPLINES],
        "missing": [labels[d] for d in missing],
        "met": not missing,
    }


def agenda_items(meeting, *, with_earlier=False):
    """The meeting's active agenda items with everything the pages show, in one query.

    with_earlier: each item gets `earlier`, the case's discussions in earlier meetings (their agenda
    items, with meeting and advice), oldest first: a case placed again after an advice "discuss
    again" comes with what was advised then. One more query, however many cases."""
    items = AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True).select_related(
        "case__patient", "case__referring_hospital", "case__referring_physician", "case__current_advice",
        "advice").prefetch_related(reviews_prefetch("case__"))
    if with_earlier:
        items = items.prefetch_related(Prefetch(
            "case__agenda_items", to_attr="discussions",
            queryset=AgendaItem.objects.filter(removed_at__isnull=True, advice__isnull=False)
            .select_related("meeting", "advice").order_by("added_at")))
    items = list(items.order_by("position", "added_at"))
    if with_earlier:
        for item in items:
            # Placed again only after the earlier advice: those added before this item.
            item.earlier = [other for other in item.case.discussions
                            if other.pk != item.pk and other.added_at < item.added_at]
    return items
