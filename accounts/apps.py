from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and hospitals")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import stamp_login_time
        from accounts.roles import sync_role_groups

        user_logged_in.connect(stamp_login_time, dispatch_uid="accounts.stamp_login_time")
        # Logins, failures, lock-outs and logouts in our append-only event log.
        from accounts import auth_log

        auth_log.connect()

        # Permissions exist only after migrate; keep the role groups in step with them.
        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
