"""`manage.py send_reminders`: queue today's reminders (casefile.reminders); run once a day."""

from django.core.management.base import BaseCommand

from casefile.reminders import send_reminders


class Command(BaseCommand):
    help = "Queue today's reminder mails (follow-up MRIs due or overdue); run once a day."

    def handle(self, *args, **options):
        queued = send_reminders()
        self.stdout.write(f"reminders: {queued} mails queued")
