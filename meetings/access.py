"""Who may see which meeting and agenda item: the neuro-oncologists and chairs of its MDO centre.

Everybody else gets 404. The meeting page and its printouts list patients, so they are never shown
to referrers (who see their own case's meeting date on the case page) or administrators.
"""

from django.http import Http404

from accounts.models import MDO_ROLES
from meetings.models import AgendaItem, Meeting


def meetings_visible_to(user):
    if not user.is_authenticated or user.role not in MDO_ROLES or user.hospital_id is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(centre_id=user.hospital_id)


def get_meeting_for_user(request, meeting_id, *, for_update=False):
    meetings = meetings_visible_to(request.user).select_related("chair", "centre")
    meeting = meetings.filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def get_item_for_user(request, item_id):
    """An agenda item (still on the agenda) of a meeting the user may see."""
    item = (
        AgendaItem.objects.select_related("meeting", "case", "case__patient")
        .filter(pk=item_id, removed_at__isnull=True,
                meeting__in=meetings_visible_to(request.user))
        .first()
    )
    if item is None:
        raise Http404("No such agenda item.")
    return item
