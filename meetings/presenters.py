"""What the meeting pages and printouts show of a meeting: its agenda and its quorum."""

from accounts.models import Discipline
from meetings.models import AgendaItem
from triage.quorum import REQUIRED_DISCIPLINES, missing_disciplines


def quorum_context(present):
    missing = missing_disciplines(present)
    labels = dict(Discipline.choices)
    return {
        "required": [{"code": d, "label": labels[d], "present": d not in missing} for d in REQUIRED_DISCIPLINES],
        "missing": [labels[d] for d in missing],
        "met": not missing,
    }


def agenda_items(meeting):
    """The meeting's active agenda items with everything the pages show, in two queries."""
    return list(
        AgendaItem.objects.filter(meeting=meeting, removed_at__isnull=True)
        .select_related("case__patient", "case__referring_hospital", "case__referring_physician",
                        "case__current_advice", "advice")
        .order_by("position", "added_at")
    )
