"""Stored thresholds and stored advice.

The engine itself (triage/engine) is pure Python; these models keep what it was given and
what it said, so that every advice can be shown exactly as it was given, even after the
thresholds change.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from triage.engine import OUTCOMES, Thresholds, rule_set_version
from triage.validators import validate_kps


class ThresholdSet(models.Model):
    """The thresholds of spec §1. One row (pk=1) is the current set; its history keeps every
    earlier set. A change makes a new rule-set version."""

    kps_min = models.PositiveSmallIntegerField(
        _("KPS threshold (KPS ≥ this value passes)"), default=70,
        validators=[validate_kps, MinValueValidator(10)],
    )
    prognosis_months = models.DecimalField(
        _("prognosis threshold (months; strictly more passes)"), max_digits=4, decimal_places=1,
        default=Decimal("3"), validators=[MinValueValidator(0), MaxValueValidator(60)],
    )
    diameter_mm = models.PositiveSmallIntegerField(
        _("lesion diameter threshold (mm; strictly more passes)"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    diameter_band_upper_mm = models.PositiveSmallIntegerField(
        _("upper edge of the footnote-3 band (mm)"), default=20,
        validators=[MinValueValidator(1), MaxValueValidator(150)],
    )
    change_reason = models.CharField(_("reason for the change"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("triage thresholds")
        verbose_name_plural = _("triage thresholds")
        constraints = [
            models.CheckConstraint(
                condition=Q(diameter_band_upper_mm__gte=models.F("diameter_mm")),
                name="thresholds_band_above_diameter",
                violation_error_message=_(
                    "The upper edge of the band cannot lie below the diameter threshold."
                ),
            ),
        ]

    def __str__(self):
        return self.version

    def as_engine(self) -> Thresholds:
        months = float(self.prognosis_months)
        return Thresholds(
            kps_min=self.kps_min,
            prognosis_months=int(months) if months.is_integer() else months,
            diameter_mm=self.diameter_mm,
            diameter_band_upper_mm=self.diameter_band_upper_mm,
        )

    @property
    def version(self):
        try:
            return rule_set_version(self.as_engine())
        except (TypeError, ValueError):
            # An unsaved, invalid set (the admin form shows it back with its errors).
            return "—"


class AdviceTrigger(models.TextChoices):
    SUBMITTED = "submitted", _("Case submitted")
    RESUBMITTED = "resubmitted", _("Case resubmitted with added information")
    REEVALUATED = "reevaluated", _("Closed case re-evaluated with a new clinical status")


OUTCOME_CHOICES = [(code, code) for code in OUTCOMES]

# The large columns of an advice (several KB per row). A list that shows only the outcome defers
# them: Case.objects.select_related("current_advice").defer(*ADVICE_DETAIL_FIELDS).
ADVICE_DETAIL_FIELDS = tuple(f"current_advice__{name}" for name in
                             ("thresholds", "facts", "trace", "missing", "deciding", "endpoints"))


class Advice(models.Model):
    """The triage advice given for a case at one moment: everything needed to show it again."""

    case = models.ForeignKey(
        "referrals.Case", on_delete=models.PROTECT, related_name="advices",
    )
    created_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    trigger = models.CharField(max_length=12, choices=AdviceTrigger.choices)
    outcome = models.CharField(_("outcome"), max_length=40, choices=OUTCOME_CHOICES)
    forum = models.CharField(_("forum"), max_length=20)
    chart = models.CharField(_("chart"), max_length=1, blank=True)
    rule_set_version = models.CharField(_("rule-set version"), max_length=100)
    thresholds = models.JSONField()
    facts = models.JSONField()
    trace = models.JSONField()
    missing = models.JSONField(default=list)
    deciding = models.JSONField(default=list)
    endpoints = models.JSONField(default=list)

    class Meta:
        verbose_name = _("triage advice")
        verbose_name_plural = _("triage advices")
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "-created_at"], name="advice_case_latest")]

    def __str__(self):
        return f"{self.outcome} ({self.rule_set_version})"
