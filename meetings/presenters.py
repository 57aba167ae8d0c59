"""What the meeting pages and printouts show of a meeting: its agenda and its quorum."""

from django.db.models import Prefetch

from meetings.models import AgendaItem
from triage.codes import Discipline
from triage.quorum import REQUIRED_DISCIPLINES, missing_disciplines


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
        "advice")
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
