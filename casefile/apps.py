from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasefileConfig(AppConfig):
    """The case file: the case page, its timeline and the e-mail about its steps, above referrals
    and meetings (it shows and reacts to what both record)."""

    name = "casefile"
    verbose_name = _("Case file")

    def ready(self):
        from casefile import notifications

        notifications.subscribe_all()
