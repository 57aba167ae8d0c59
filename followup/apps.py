from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "followup"
    verbose_name = _("Follow-up after the meeting")

    def ready(self):
        from followup.presenters import after_meeting_notices
        from referrals.presenters import register_list_notice

        register_list_notice(after_meeting_notices)
