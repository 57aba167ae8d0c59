from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.auth_log import AuditedAdminMixin
from accounts.models import AccessChange, AccessChangeKind, Hospital, User
from accounts.services import access_change_request
from audit.actor import Actor

# Held for a second person's approval (accounts.services.access_change_request): what decides
# which patients an account reaches (role, hospital) and whether it counts for the legal quorum
# (discipline).
HELD_FIELDS = ("role", "hospital", "discipline")


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
    * Four eyes: a new account, a change of another account's role, hospital or discipline, its
      reactivation and a new password for it wait for a second person (AccessChange); the rest of
      the form is saved at once. A deactivation takes effect at once (it takes access away).
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

    def save_model(self, request, obj, form, change):
        actor = Actor.from_request(request)
        if not change:
            obj.is_active = False  # until the second person approves the new account
            super().save_model(request, obj, form, change)
            access_change_request(actor=actor, account=obj, kind=AccessChangeKind.NEW_ACCOUNT, role=obj.role,
                                  hospital=obj.hospital, discipline=obj.discipline)
            self._say_held(request, [AccessChangeKind.NEW_ACCOUNT])
            return
        before = User.objects.get(pk=obj.pk)
        held = []
        proposed = {name: getattr(obj, name) for name in HELD_FIELDS}
        if any(getattr(before, name) != value for name, value in proposed.items()):
            held.append(AccessChangeKind.ROLE)
            for name in HELD_FIELDS:
                setattr(obj, name, getattr(before, name))
        if obj.is_active and not before.is_active:
            held.append(AccessChangeKind.REACTIVATION)
            obj.is_active = False
        super().save_model(request, obj, form, change)
        for kind in held:
            values = proposed if kind == AccessChangeKind.ROLE else {}
            access_change_request(actor=actor, account=obj, kind=kind, **values)
        if held:
            # Django's change message and our admin.changed event name only what changed now.
            names = set(HELD_FIELDS) if AccessChangeKind.ROLE in held else set()
            if AccessChangeKind.REACTIVATION in held:
                names.add("is_active")
            form.__dict__["changed_data"] = [name for name in form.changed_data if name not in names]
            self._say_held(request, held)

    def _say_held(self, request, kinds):
        labels = ", ".join(str(AccessChangeKind(kind).label).lower() for kind in kinds)
        self.message_user(request, gettext(
            "Waiting for a second person (another administrator or the privacy officer): %(changes)s. "
            "It takes effect when approved under Access requests.") % {"changes": labels}, messages.WARNING)

    def user_change_password(self, request, id, form_url=""):
        """A new password for another account waits for a second person; one's own password and
        switching password login off take effect at once (Django's own view)."""
        user = self.get_object(request, unquote(id))
        if (request.method == "POST" and user is not None and user.pk != request.user.pk
                and self.has_change_permission(request, user)):
            form = self.change_password_form(user, request.POST)
            if form.is_valid() and form.cleaned_data["set_usable_password"]:
                access_change_request(actor=Actor.from_request(request), account=user,
                                      kind=AccessChangeKind.PASSWORD, password=form.cleaned_data["password1"])
                self._say_held(request, [AccessChangeKind.PASSWORD])
                return redirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)


@admin.register(AccessChange)
class AccessChangeAdmin(admin.ModelAdmin):
    """Read-only: requests are made by the user form and decided on the Access requests page."""

    list_display = ["requested_at", "account", "kind", "state", "requested_by", "decided_by", "decided_at"]
    list_filter = ["state", "kind"]
    exclude = ["password"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class SecondFactorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """An administrator sees who has a second factor and can remove a lost one (the user then sets
    up a new one at the next login), but never adds one for someone else or reads its key: with a
    password they set, that would be a way into another account."""

    fields = ["user", "name", "confirmed"]
    readonly_fields = ["user", "name", "confirmed"]
    list_display = ["user", "name", "confirmed"]

    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__last_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
