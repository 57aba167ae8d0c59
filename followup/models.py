"""After the meeting's advice: whether each advised decision was carried out (Implementation),
the follow-up (spec §7: a schedule of brain MRIs and their results) and the re-evaluation of a
case that did not go to the MDO (ReEvaluation, the asymptomatic chart's NB).

Implementation and re-evaluation move the case through its lifecycle (referrals.lifecycle:
"record_implementation", "complete_implementation", "set_reevaluation", "reevaluate", "reenter").

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
from simple_history.models import HistoricalRecords

from triage.codes import Decision

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


class ImplementationStatus(models.TextChoices):
    DONE = "done", _("Carried out")
    NOT_DONE = "not_done", _("Not carried out")


class DeviationReason(models.TextChoices):
    PATIENT_CHOICE = "patient_choice", _("The patient's choice")
    CLINICAL_CHANGE = "clinical_change", _("A change in the clinical situation")
    OTHER = "other", _("Another reason")


# The decisions whose implementation is recorded: "discuss again" sends the case to a later meeting.
IMPLEMENTED_DECISIONS = [code for code in Decision.values if code != Decision.DISCUSS_AGAIN]


def decisions_to_implement(advice):
    """The decisions of a meeting advice whose implementation is recorded, in the advice's order."""
    return [code for code in advice.decisions if code in IMPLEMENTED_DECISIONS]


class Implementation(models.Model):
    """Whether one decision of a meeting advice was carried out: when, or why not.

    One row per advice and decision; a correction changes the row (its history keeps the earlier
    values). Recorded by the referrer or a neuro-oncologist of the centre."""

    advice = models.ForeignKey("meetings.MeetingAdvice", on_delete=models.PROTECT, related_name="implementations")
    decision = models.CharField(_("advised"), max_length=20, choices=Decision.choices)
    status = models.CharField(_("carried out"), max_length=10, choices=ImplementationStatus.choices)
    done_on = models.DateField(_("date"), null=True, blank=True,
                               help_text=_("When it was carried out (or started), or when it was decided not to."))
    reason = models.CharField(_("why not"), max_length=16, choices=DeviationReason.choices, blank=True)
    reason_text = models.TextField(_("explanation"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("implementation of the advice")
        verbose_name_plural = _("implementations of the advice")
        permissions = [("record_implementation", "Can record whether the advice was carried out")]
        constraints = [
            models.UniqueConstraint(fields=["advice", "decision"], name="implementation_one_per_decision"),
            models.CheckConstraint(condition=~Q(status="done") | Q(done_on__isnull=False, reason=""),
                                   name="implementation_done_has_date"),
            models.CheckConstraint(condition=~Q(status="not_done") | ~Q(reason=""),
                                   name="implementation_not_done_has_reason"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(reason_text=""),
                                   name="implementation_other_reason_in_words"),
        ]

    def __str__(self):
        return str(_("Implementation of the advice"))


class ReEvaluation(models.Model):
    """A case that did not go to the neuro-oncology MDO, to be looked at again on a date the
    referrer sets (the asymptomatic chart: "indien de KPS door tussentijdse behandeling weer ≥ 70
    wordt"). Done when the referrer enters the new clinical status: the case is triaged again
    (`advice`), and goes to the pre-consultation queue if it now qualifies (`requalified`)."""

    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, related_name="reevaluations")
    due_on = models.DateField(_("re-evaluate on"))
    reason = models.TextField(_("what to look at"), max_length=1000, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    changes = models.TextField(_("what changed"), max_length=2000, blank=True)
    advice = models.ForeignKey("triage.Advice", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requalified = models.BooleanField(null=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("re-evaluation")
        verbose_name_plural = _("re-evaluations")
        ordering = ["due_on", "id"]
        constraints = [
            # One open re-evaluation per case: a new date replaces it.
            models.UniqueConstraint(fields=["case"], condition=Q(done_at__isnull=True),
                                    name="reevaluation_one_open"),
        ]
        indexes = [models.Index(fields=["done_at", "due_on"], name="reevaluation_open_due")]

    def __str__(self):
        return str(_("Re-evaluation"))
