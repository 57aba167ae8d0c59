"""Authentication backend: Django's ModelBackend, with the permissions taken from the role.

The role is the single source of truth for what a user may do (accounts.roles): User.save() puts
the user in the role's group and `sync_role_groups` gives each group exactly the permissions of
ROLE_PERMISSIONS. Answering from that table instead of the database gives the same result
without the two permission queries Django makes on every page that checks a permission.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.roles import ROLE_PERMISSIONS

UserModel = get_user_model()


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
        user = UserModel._default_manager.select_related("hospital").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
