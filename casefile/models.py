from django.utils.translation import gettext_lazy as _
from mailer.models import Message


class QueuedMail(Message):
    """A row of the mail queue (casefile.mailqueue) as the administrator sees it in /beheer/."""

    class Meta:
        proxy = True
        verbose_name = _("queued e-mail")
        verbose_name_plural = _("queued e-mails")
