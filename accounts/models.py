from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
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
    # Raised whenever every session of the user must end: deactivation, a change of role, hospital
    # or password, "log out everywhere". It is part of the session hash (_get_session_auth_hash),
    # so a session made before stops working, also after a reactivation (issue 16 item 3).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    # A change of these ends the user's sessions (deactivation: is_active going False).
    SESSION_FIELDS = ("is_active", "role", "hospital_id", "password")

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
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and self._ends_sessions(update_fields):
            self.session_epoch += 1
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "session_epoch"]
        super().save(*args, **kwargs)
        if update_fields is None or "role" in update_fields:
            # The role decides the user's group, and with it the Django permissions.
            self.groups.set(Group.objects.filter(name=ROLE_GROUPS[self.role]))

    def _ends_sessions(self, update_fields):
        names = {"hospital" if f == "hospital_id" else f for f in self.SESSION_FIELDS}
        if update_fields is not None and not names & set(update_fields):
            return False
        before = type(self).objects.filter(pk=self.pk).values(*self.SESSION_FIELDS).first()
        if before is None:
            return False
        if before["is_active"] and not self.is_active:
            return True
        return any(before[name] != getattr(self, name) for name in ("role", "hospital_id", "password"))

    def end_sessions(self):
        """End every session of this user ("log out everywhere")."""
        type(self).objects.filter(pk=self.pk).update(session_epoch=models.F("session_epoch") + 1)
        self.refresh_from_db(fields=["session_epoch"])

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password, with the session epoch: raising it ends every session.
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}:{self.session_epoch}", secret=secret,
                           algorithm="sha256").hexdigest()

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


class AccessChangeKind(models.TextChoices):
    NEW_ACCOUNT = "new_account", _("New account")
    ROLE = "role", _("Change of role, hospital or discipline")
    REACTIVATION = "reactivation", _("Reactivation")
    PASSWORD = "password", _("Password set by an administrator")


class AccessChangeState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a later request")


class AccessChange(models.Model):
    """A change that gives an account access, held until a second person approves it (four eyes).

    An administrator's new account, change of role, hospital or discipline, reactivation and
    password reset of another account take effect only when a different administrator or a
    privacy officer of the account's MDT centre approves (accounts.services). The proposed values
    wait here; the password as its hash only. Each step is also an event in the append-only log,
    with both names and addresses."""

    account = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="access_changes")
    kind = models.CharField(_("kind"), max_length=20, choices=AccessChangeKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=AccessChangeState.choices,
                             default=AccessChangeState.PENDING)
    # The proposed values (NEW_ACCOUNT and ROLE).
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    hospital = models.ForeignKey(Hospital, verbose_name=_("hospital"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    discipline = models.CharField(_("discipline"), max_length=30, choices=Discipline.choices, blank=True)
    password = models.CharField(max_length=128, blank=True, editable=False)  # a hash (PASSWORD)

    requested_by = models.ForeignKey(User, verbose_name=_("requested by"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    requested_ip = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    decided_by = models.ForeignKey(User, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_ip = models.GenericIPAddressField(_("decided from"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_accesschange", "Can approve or reject an access change")]
        constraints = [
            models.CheckConstraint(condition=~Q(decided_by=models.F("requested_by")),
                                   name="accesschange_second_person"),
            models.CheckConstraint(condition=~Q(decided_by=models.F("account")),
                                   name="accesschange_not_own_account"),
        ]
        indexes = [models.Index(fields=["state", "requested_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.account}"

    @property
    def is_pending(self):
        return self.state == AccessChangeState.PENDING


class Session(AbstractBaseSession):
    """A database session that also says, in two columns, whose it is and which TOTP device verified
    it (both copied from the session's data at every save by accounts.sessions.SessionStore).

    With them every logged-in request reads the session, the user, the hospital and whether the
    device is still the user's and confirmed in one query (issue 17, target 1), where Django reads the
    session first to learn whose it is. Plain integers, not foreign keys: a session outlives nothing
    (a deleted user's session finds no user and is logged out, as before). The signed session data
    stays the authority: the store uses the joined user only when its id is the one in the data.
    """

    user_pk = models.IntegerField(null=True, blank=True, db_index=True)
    device_pk = models.IntegerField(null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"
