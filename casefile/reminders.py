"""The daily reminders (`manage.py send_reminders`): mail about items that wait for somebody.

Each source is a function `source(today) -> iterable of Reminder`; SOURCES lists them, so a new
kind of reminder is one function and one line here, plus its two mail templates emails/<kind>.txt
and _subject.txt. The kinds: a follow-up MRI due within 14 days, one overdue, a re-evaluation due,
an advice without implementation status IMPLEMENTATION_DUE_DAYS after the meeting.

At most one mail per item, kind and day: a ReminderSent row is written with the mail, in one
transaction, under a unique constraint (kind, item, day), so a second run the same day (or two
runs at once) sends nothing again. `repeat_days`: None sends a reminder once per item; a number
sends it again after that many days while the item still waits. The mails go through the mail
queue (casefile.notifications, casefile.mailqueue): a link and the neutral reference only, no
patient data.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from casefile import notifications
from casefile.models import ReminderSent
from followup.models import FollowUpMri, ReEvaluation
from followup.services import advices_without_implementation
from referrals.lifecycle import NOT_REFERRED_STATUSES, CaseStatus
from referrals.models import Case

logger = logging.getLogger(__name__)

DUE_WITHIN_DAYS = 14
OVERDUE_REPEAT_DAYS = 7


@dataclass(frozen=True)
class Reminder:
    kind: str
    item: str
    case: object
    users: tuple
    repeat_days: int | None = None
    context: dict | None = None


def _open_mris(**filters):
    return (FollowUpMri.objects.filter(done_on__isnull=True, on_complaints=False,
                                       plan__case__status__in=_LIVE_STATUSES, **filters)
            .select_related("plan__case__referring_physician", "plan__case__referring_hospital")
            .order_by("due_date", "id"))


def followup_due(today):
    """A follow-up MRI due within 14 days: once, to the referring physician (the treating side)."""
    for mri in _open_mris(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_WITHIN_DAYS)):
        case = mri.plan.case
        # The item names the due date: a changed schedule reminds again of the new date.
        yield Reminder("followup_due", f"mri:{mri.pk}:{mri.due_date.isoformat()}", case,
                       (case.referring_physician,))


def followup_overdue(today):
    """An overdue follow-up MRI: to the referring physician and the centre's neuro-oncologists,
    again every week while it is not recorded."""
    mris = list(_open_mris(due_date__lt=today))
    centres = {mri.plan.case.mdo_centre_id for mri in mris}
    neuro = {}
    for user in User.objects.filter(role=Role.NEURO_ONCOLOGIST, hospital_id__in=centres, is_active=True):
        neuro.setdefault(user.hospital_id, []).append(user)
    for mri in mris:
        case = mri.plan.case
        yield Reminder("followup_overdue", f"mri:{mri.pk}:{mri.due_date.isoformat()}", case,
                       (case.referring_physician, *neuro.get(case.mdo_centre_id, ())), OVERDUE_REPEAT_DAYS)


def reevaluation_due(today):
    """A closed case whose re-evaluation date has come: to the referring physician, again every
    week while it is not done."""
    for record in (ReEvaluation.objects.filter(done_at__isnull=True, due_on__lte=today, case__status=CaseStatus.CLOSED)
                   .select_related("case__referring_physician", "case__referring_hospital").order_by("due_on", "id")):
        case = record.case
        yield Reminder("reevaluation_due", f"reevaluation:{record.pk}:{record.due_on.isoformat()}", case,
                       (case.referring_physician,), OVERDUE_REPEAT_DAYS)


def implementation_missing(today):
    """An advice without implementation status IMPLEMENTATION_DUE_DAYS after the meeting: to the
    referring physician, again every week while a decision has no status."""
    days = settings.IMPLEMENTATION_DUE_DAYS
    for case in (advices_without_implementation(Case.objects.all(), today)
                 .select_related("referring_physician", "referring_hospital")):
        yield Reminder("implementation_missing", f"implementation:{case.pk}", case, (case.referring_physician,),
                       OVERDUE_REPEAT_DAYS, {"due_days": days})


SOURCES = [followup_due, followup_overdue, reevaluation_due, implementation_missing]


_LIVE_STATUSES = sorted(frozenset(CaseStatus.values) - NOT_REFERRED_STATUSES)


def _sent_recently(reminder, today):
    sent = ReminderSent.objects.filter(kind=reminder.kind, item=reminder.item)
    if reminder.repeat_days is not None:
        sent = sent.filter(sent_on__gt=today - datetime.timedelta(days=reminder.repeat_days))
    return sent.exists()


def send_reminders(today=None, sources=None):
    """Queue today's reminders; returns the number of mails queued."""
    today = today or timezone.localdate()
    queued = 0
    for source in sources or SOURCES:
        for reminder in source(today):
            if _sent_recently(reminder, today):
                continue
            try:
                with transaction.atomic():
                    row = ReminderSent.objects.create(kind=reminder.kind, item=reminder.item,
                                                      case=reminder.case, sent_on=today)
                    count = notifications.reminder(reminder.kind, reminder.case, reminder.users,
                                                   **(reminder.context or {}))
                    row.recipients = count
                    row.save(update_fields=["recipients"])
            except IntegrityError:
                # Another run sent this one today.
                continue
            queued += count
    return queued
