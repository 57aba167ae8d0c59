from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    """What leaves the application for another system, and what comes in from one: a case as a FHIR
    R4 Bundle (export, and import into the intake), a meeting as an iCalendar event. Above
    meetings and referrals (it reads both), below casefile (whose mail attaches the calendar event)."""

    name = "interop"
    verbose_name = _("Exchange (FHIR, calendar)")
