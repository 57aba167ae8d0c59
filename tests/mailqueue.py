"""Run the mail worker once, as `manage.py send_mail_queue --once` does: the tests' way to send the
mail the actions queued (into Django's locmem outbox, or to the SMTP server a test started)."""

from mailer.models import Message

from casefile import mailqueue


def drain(now=None):
    """Send what is due; returns (sent, left in the queue)."""
    return mailqueue.send_due(now)


def discard():
    """Forget what earlier steps of a test queued, so that a test sees only the mail it is about
    (as before the queue, when a test's earlier steps ran no commit and so sent nothing)."""
    Message.objects.all().delete()
