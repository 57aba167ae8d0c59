"""The follow-up after the meeting's advice (spec §7): a schedule of brain MRIs and their results.

A plan belongs to one case and the meeting advice it follows from. The lifecycle of the case
(referrals.lifecycle) is not changed by it: follow-up runs beside the case's last state.
Only the next scheduled MRI is a row (due_date set, not done); when it is recorded as done the
next one is planned from the plan's interval. An MRI on complaints (on_complaints) can be added
at any time and re-dates the next scheduled one.
"""


from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

INTERVAL_VALIDATORS = [
    MinValueValidator(1, _("Give an interval of 1 to 12 months.")),
    MaxValueValidator(12, _("Give an interval of 1 to 12 months.")),
]


class FollowedBy(models.TextChoices):
    TREATING = "treating", _("Treating physician")
    NEUROLOGIST = "neurologist", _("Neurologist with neuro-oncological expertise")


class MriResult(models.TextChoices):
    STABLE = "stable", _("Stable")
    PROGRESSION = "progression", _("Progression")
    NEW_LESIONS = "new_lesions", _("New lesions")
    RADIONECROSIS = "radionecrosis", _("Suspected radiation necrosis")


# A result that offers "refer again" (a new case for the same patient).
REREFERRAL_RESULTS = frozenset({MriResult.PROGRESSION, MriResult.NEW_LESIONS, MriResult.RADIONECROSIS})


class FollowUpPlan(models.Model):
    case = models.OneToOneField("referrals.Case", on_delete=models.PROTECT, related_name="followup_plan")
    advice = models.ForeignKey("meetings.MeetingAdvice", on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("schedule counted from"))
    interval_months = models.PositiveSmallIntegerField(
        _("MRI every (months)"), default=3, validators=INTERVAL_VALIDATORS)
    later_interval_months = models.PositiveSmallIntegerField(
        _("after 2 years, MRI every (months)"), default=6, validators=INTERVAL_VALIDATORS)
    followed_by = models.CharField(_("follow-up by"), max_length=12, choices=FollowedBy.choices)
    physician_name = models.CharField(_("name of the physician doing the follow-up"), max_length=200)
    first_contact = models.CharField(_("first point of contact for the patient"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")
        constraints = [
            models.CheckConstraint(condition=Q(interval_months__gte=1, interval_months__lte=12,
                                               later_interval_months__gte=1, later_interval_months__lte=12),
                                   name="followup_interval_1_to_12"),
            models.CheckConstraint(condition=~Q(first_contact=""), name="followup_first_contact_required"),
        ]

    def __str__(self):
        return str(_("Follow-up plan"))


class FollowUpMri(models.Model):
    plan = models.ForeignKey(FollowUpPlan, on_delete=models.PROTECT, related_name="mris")
    due_date = models.DateField(_("planned for"), null=True, blank=True)
    on_complaints = models.BooleanField(_("earlier MRI on complaints"), default=False)
    done_on = models.DateField(_("MRI made on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=14, choices=MriResult.choices, blank=True)
    note = models.TextField(_("remarks"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)
    # A double submit of "add an MRI on complaints" sends the same token: one row.
    token = models.UUIDField(null=True, blank=True, unique=True)
    rereferral = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("referred again as"))

    class Meta:
        verbose_name = _("follow-up MRI")
        verbose_name_plural = _("follow-up MRIs")
        ordering = ["plan", "done_on", "due_date", "id"]
        constraints = [
            # One open scheduled MRI per plan: the next one.
            models.UniqueConstraint(fields=["plan"], condition=Q(done_on__isnull=True, on_complaints=False),
                                    name="followup_one_next_mri"),
            models.CheckConstraint(condition=Q(done_on__isnull=True, result="") | ~Q(result="") & Q(
                done_on__isnull=False), name="followup_result_with_date"),
        ]
        indexes = [models.Index(fields=["done_on", "due_date"], name="followup_mri_open_due")]

    def __str__(self):
        return str(_("Follow-up MRI"))

    @property
    def offers_rereferral(self):
        return self.result in REREFERRAL_RESULTS
