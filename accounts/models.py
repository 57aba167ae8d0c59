from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from triage.codes import Discipline


class Hospital(models.Model):
    """An organisation that refers patients; one of them hosts the regional MDO."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_mdo_centre = models.BooleanField(_("hosts the regional MDT"), default=False)
    mdo_centre = models.ForeignKey(
        "self",
        verbose_name=_("regional MDT centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referring_hospitals",
        limit_choices_to={"is_mdo_centre": True},
        help_text=_("The MDT centre this hospital refers to. Leave empty for an MDT centre."),
    )

    class Meta:
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_mdo_centre=True) | Q(mdo_centre__isnull=False),
                name="hospital_has_mdo_centre",
                violation_error_message=_("A hospital that is not an MDT centre needs one."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def centre(self):
        """The hospital whose MDO discusses this hospital's patients."""
        return self if self.is_mdo_centre else self.mdo_centre

    @property
    def centre_id(self):
        return self.pk if self.is_mdo_centre else self.mdo_centre_id


class Role(models.TextChoices):
    REFERRER = "referrer", _("Referring physician")
    NEURO_ONCOLOGIST = "neuro_oncologist", _("Neuro-oncologist")
    CHAIR = "chair", _("MDT chair")
    ADMIN = "admin", _("Administrator")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")


CLINICAL_ROLES = {Role.REFERRER, Role.NEURO_ONCOLOGIST, Role.CHAIR}
MDO_ROLES = {Role.NEURO_ONCOLOGIST, Role.CHAIR}


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `manage.py createsuperuser` makes the first administrator: an administrator needs no
        # hospital (every other role does, constraint user_hospital_unless_admin).
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    hospital = models.ForeignKey(
        Hospital,
        verbose_name=_("hospital"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    discipline = models.CharField(
        _("discipline"), max_length=30, choices=Discipline.choices, blank=True
    )
    language = models.CharField(
        _("language"),
        help_text=_("Of the interface and of e-mail; the NL/EN switch changes it."),
        max_length=5,
        choices=[("nl", _("Dutch")), ("en", _("English"))],
        default="nl",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="admin") | Q(hospital__isnull=False),
                name="user_hospital_unless_admin",
                violation_error_message=_("Every user except an administrator needs a hospital."),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "role" in update_fields:
            # The role decides the user's group, and with it the Django permissions.
            self.groups.set(Group.objects.filter(name=ROLE_GROUPS[self.role]))

    @property
    def is_referrer(self):
        return self.role == Role.REFERRER

    @property
    def is_mdo_member(self):
        return self.role in MDO_ROLES


# One Django group per role; the names are stable identifiers (the data migration creates them).
ROLE_GROUPS = {
    Role.REFERRER: "referrer",
    Role.NEURO_ONCOLOGIST: "neuro_oncologist",
    Role.CHAIR: "chair",
    Role.ADMIN: "admin",
    Role.PRIVACY_OFFICER: "privacy_officer",
}
