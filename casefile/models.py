from django.db import models
from django.utils.translation import gettext_lazy as _
from mailer.models import Message


class QueuedMail(Message):
    """A row of the mail queue (casefile.mailqueue) as the administrator sees it in /beheer/."""

    class Meta:
        proxy = True
        verbose_name = _("queued e-mail")
        verbose_name_plural = _("queued e-mails")


class ReminderSent(models.Model):
    """A reminder mailed (casefile.reminders): at most one per item, kind and day, by construction."""

    kind = models.CharField(max_length=40)
    item = models.CharField(max_length=100)
    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, related_name="+")
    sent_on = models.DateField()
    recipients = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [models.UniqueConstraint(fields=["kind", "item", "sent_on"], name="reminder_once_a_day")]

    def __str__(self):
        return f"{self.kind} {self.item} {self.sent_on}"
