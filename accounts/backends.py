"""Authentication backend: Django's ModelBackend, with the permissions taken from the role.

The role is the single source of truth for what a user may do (accounts.roles): User.save() puts
the user in the role's group and `sync_role_groups` gives each group exactly the permissions of
ROLE_PERMISSIONS. Answering from that table instead of the database gives the same result
without the two permission queries Django makes on every page that checks a permission.

get_user, run once per logged-in request, reads the user, the hospital and (issue 17) whether
the two-factor device named in the session is still the user's and confirmed, in one query:
accounts.middleware.OTPMiddleware puts that device's id in `session_device` while Django's
AuthenticationMiddleware loads the user.
"""

from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import ROLE_PERMISSIONS

UserModel = get_user_model()

# The primary key of the TOTP device the session says verified this user, or None.
session_device = ContextVar("session_device", default=None)


class RoleBackend(ModelBackend):
    def get_user_permissions(self, user_obj, obj=None):
        # Permissions are never given to a user directly (the admin does not offer it).
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(ROLE_PERMISSIONS.get(user_obj.role, ()))

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        return self.get_group_permissions(user_obj, obj)

    def get_user(self, user_id):
        # Every page shows the user's hospital and checks access against it.
        users = UserModel._default_manager.select_related("hospital").filter(pk=user_id)
        device_pk = session_device.get()
        if device_pk is not None:
            # The device still exists, is still this user's and still confirmed: checked on every
            # request, in the same query (`otp_device_ok`, read by OTPMiddleware).
            users = users.annotate(otp_device_ok=Exists(
                TOTPDevice.objects.filter(pk=device_pk, user_id=OuterRef("pk"), confirmed=True)))
        user = users.first()
        return user if user is not None and self.user_can_authenticate(user) else None
