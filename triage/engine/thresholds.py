"""The configurable thresholds (spec §1) and the rule-set version that names them.

Every stored advice keeps the version string, so an old advice can be explained exactly as it
was given. The string therefore names both the engine logic and every threshold.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

# Bump when the logic of the charts changes (not when a threshold changes: those are in the
# rule-set version below).
ENGINE_VERSION = "lwno-2025.2"

_NUMBER_TYPES = (int, float, Decimal, Fraction)


def _as_float(name, value):
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Thresholds of spec §1. Validated on construction (TypeError for a wrong type, ValueError
    for a value out of range): a bad set must fail when an administrator saves it, not later
    while a patient is being triaged.

    ``kps_min``: KPS >= kps_min passes. ``prognosis_months``: strictly more passes.
    ``diameter_mm``: a largest lesion strictly above passes. ``diameter_band_upper_mm``: upper
    edge of the 10-20 mm band of Bijlage 1, toelichting 3 (only used for the trace note).
    """

    kps_min: int = 70
    prognosis_months: float = 3
    diameter_mm: float = 10
    diameter_band_upper_mm: float = 20

    def __post_init__(self):
        if isinstance(self.kps_min, bool) or not isinstance(self.kps_min, int):
            raise TypeError(f"kps_min: expected an integer, got {self.kps_min!r}")
        if not 0 <= self.kps_min <= 100:
            raise ValueError(f"kps_min: expected 0 to 100, got {self.kps_min!r}")
        prognosis = _as_float("prognosis_months", self.prognosis_months)
        diameter = _as_float("diameter_mm", self.diameter_mm)
        band = _as_float("diameter_band_upper_mm", self.diameter_band_upper_mm)
        if prognosis < 0:
            raise ValueError(f"prognosis_months: expected >= 0, got {prognosis!r}")
        if diameter <= 0:
            raise ValueError(f"diameter_mm: expected > 0, got {diameter!r}")
        if band < diameter:
            raise ValueError("diameter_band_upper_mm: cannot lie below diameter_mm")
        # Normalised to float so that equal thresholds compare, hash and serialise alike.
        object.__setattr__(self, "prognosis_months", prognosis)
        object.__setattr__(self, "diameter_mm", diameter)
        object.__setattr__(self, "diameter_band_upper_mm", band)


DEFAULT_THRESHOLDS = Thresholds()


def format_number(value, lang="en"):
    """70 -> "70", 3.0 -> "3", 2.5 -> "2.5" (Dutch: "2,5"). Never raises."""
    try:
        if isinstance(value, float) and not math.isfinite(value):
            text = repr(value)
        elif float(value).is_integer():
            text = str(int(value))
        else:
            text = repr(float(value))
    except (TypeError, ValueError, OverflowError):
        text = str(value)
    return text.replace(".", ",") if lang == "nl" else text


@lru_cache(maxsize=256)
def rule_set_version(thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """E.g. ``lwno-2025.2;kps>=70;prog>3;diam>10;band<=20``: logic plus every threshold."""
    t = thresholds
    return (
        f"{ENGINE_VERSION};kps>={format_number(t.kps_min)};prog>{format_number(t.prognosis_months)}"
        f";diam>{format_number(t.diameter_mm)};band<={format_number(t.diameter_band_upper_mm)}"
    )
