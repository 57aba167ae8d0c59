from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("MDT meetings")

    def ready(self):
        from mdo import dispatch
        from meetings import checks, pdfs  # noqa: F401  (checks registers the system check)

        dispatch.subscribe_in_transaction("event.recorded", pdfs.event_recorded)
