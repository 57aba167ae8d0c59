"""Make version 1 of the MDO report for every meeting advice recorded before reports existed.

Run once after migrating to meetings 0005 (an advice recorded since has its report already);
running it again does nothing. Each report says it was made afterwards, from the data of today.
"""

from django.core.management.base import BaseCommand

from audit.actor import Actor
from meetings import services
from meetings.models import MeetingAdvice


class Command(BaseCommand):
    help = "Make the MDO report of every meeting advice that has none (recorded before reports existed)."

    def handle(self, *args, **options):
        actor = Actor(user=None, on_behalf_of="manage.py make_advice_reports")
        made = 0
        for advice_id in MeetingAdvice.objects.filter(reports__isnull=True).values_list("pk", flat=True):
            if services.advice_report_backfill(actor=actor, advice_id=advice_id) is not None:
                made += 1
        self.stdout.write(f"{made} report(s) made.")
