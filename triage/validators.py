"""Validators of clinical values the triage rules read (used by the intake's models too)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_kps(value):
    """Karnofsky Performance Status: 0 to 100 in steps of 10."""
    if value is None:
        return
    if value < 0 or value > 100 or value % 10:
        raise ValidationError(
            _("KPS is a number from 0 to 100 in steps of 10."), code="kps"
        )
