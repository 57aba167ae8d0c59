"""Who may see which meeting and agenda item.

The agenda, attendance, advice and printouts of a meeting list patients: only the
neuro-oncologists and chairs of its MDO centre see them. Everybody else gets 404, also
referrers (who see their own case's meeting date on the case page) and administrators.

An administrator creates and changes meetings of every MDO centre, and sees their facts (date,
time, place, chair, how many cases against the capacity, status), never their agenda: the
meeting list and the meeting page give an administrator those facts only.

A refused attempt at an existing meeting or agenda item is logged (NEN 7513), as for a case.
"""

from django.http import Http404

from accounts.models import MDO_ROLES, Role
from audit.actor import Actor
from audit.models import AccessAction, AccessResult
from audit.services import access_record
from meetings.models import AgendaItem, Meeting


def meetings_visible_to(user):
    """The meetings whose agenda (patient data) the user may see."""
    if not user.is_authenticated or user.role not in MDO_ROLES or user.hospital_id is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(centre_id=user.hospital_id)


def is_meeting_administrator(user):
    return user.is_authenticated and user.role == Role.ADMIN and user.has_perm("meetings.manage_meetings")


def meetings_listed_for(user):
    """The meetings the user may list and (with the permission) change: the MDO members' own
    centre's, an administrator's every centre's (without the agenda)."""
    if is_meeting_administrator(user):
        return Meeting.objects.all()
    return meetings_visible_to(user)


def may_see_agenda(user, meeting):
    return (user.is_authenticated and user.role in MDO_ROLES and user.hospital_id is not None
            and user.hospital_id == meeting.centre_id)


def get_meeting_for_user(request, meeting_id, *, agenda=True, action=AccessAction.READ):
    """The meeting, or 404. `agenda=False` for the pages that show or change only the meeting's
    own facts (its page, its edit form), which an administrator may use too.

    A refusal of an existing meeting is logged with `action`; a meeting holds several patients,
    so the row names the meeting, no patient. The pages log their own reads, per case shown."""
    meetings = meetings_visible_to(request.user) if agenda else meetings_listed_for(request.user)
    meeting = meetings.select_related("chair", "centre").filter(pk=meeting_id).first()
    if meeting is None:
        if Meeting.objects.filter(pk=meeting_id).exists():
            access_record(actor=Actor.from_request(request), action=action, object_type="meeting",
                          object_id=meeting_id, result=AccessResult.DENIED)
        raise Http404("No such meeting.")
    return meeting


def get_item_for_user(request, item_id, *, action=AccessAction.READ):
    """An agenda item (still on the agenda) of a meeting the user may see. A refusal is logged
    with the item's case and patient; an item taken off a meeting the user may see is simply gone
    (404, no refusal)."""
    item = (
        AgendaItem.objects.select_related("meeting", "case", "case__patient")
        .filter(pk=item_id, removed_at__isnull=True,
                meeting__in=meetings_visible_to(request.user))
        .first()
    )
    if item is None:
        existing = (AgendaItem.objects.select_related("case").only("pk", "meeting_id", "case", "case__patient_id")
                    .filter(pk=item_id).first())
        if existing is not None and not meetings_visible_to(request.user).filter(pk=existing.meeting_id).exists():
            access_record(actor=Actor.from_request(request), action=action, object_type="agenda_item",
                          object_id=existing.pk, case=existing.case, result=AccessResult.DENIED)
        raise Http404("No such agenda item.")
    return item
