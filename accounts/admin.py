from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts.auth_log import AuditedAdminMixin
from accounts.models import Hospital, User


@admin.register(Hospital)
class HospitalAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "city", "is_mdo_centre", "mdo_centre"]
    list_filter = ["is_mdo_centre"]
    search_fields = ["name", "code", "city"]
    fields = ["name", "code", "city", "is_mdo_centre", "mdo_centre"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    """Users, with no way up for the administrator who edits them.

    * `is_superuser` is never set here: a superuser is made with `manage.py createsuperuser`.
    * Nobody changes their own role, hospital or staff flag: one administrator cannot give
      themselves a clinical role (and with it patients); another administrator must do it, and the
      admin's history records who did.
    * A superuser's account is read-only to an administrator who is not one (no new password, no
      role, no deactivation).
    Readonly fields are left out of the form, so a forged POST of them changes nothing.
    """

    # Groups and permissions follow the role (User.save); they are not edited by hand.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "language")}),
        (_("Role"), {"fields": ("hospital", "role", "discipline")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": (
            "username", "first_name", "last_name", "email", "hospital", "role", "discipline",
            "password1", "password2",
        )}),
    )
    list_display = ["username", "first_name", "last_name", "hospital", "role", "is_active"]
    list_filter = ["role", "hospital", "is_active"]
    readonly_fields = ["last_login", "date_joined", "is_superuser"]
    OWN_ACCOUNT_READONLY = ["role", "hospital", "is_staff"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += self.OWN_ACCOUNT_READONLY
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(AuditedAdminMixin, DjangoGroupAdmin):
    """Read-only: a group's permissions are those of its role (accounts/roles.py), set by every
    migrate and enforced by accounts.backends.RoleBackend; an edit here would not take effect."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
