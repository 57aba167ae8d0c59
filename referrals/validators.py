from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Kept importable here: the first migrations of referrals and triage name it by this path.
from triage.validators import validate_kps  # noqa: F401


def bsn_is_valid(value: str) -> bool:
    """The eleven-test (elfproef) of a Dutch citizen service number.

    Nine digits d1..d9: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 must be divisible by 11.
    000000000 passes the arithmetic but is not a number anyone has, so it is refused.
    """
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    if value == "000000000":
        return False
    digits = [int(c) for c in value]
    total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8], strict=True))
    total -= digits[8]
    return total % 11 == 0


def validate_bsn(value):
    if not bsn_is_valid(value):
        # The value itself is never echoed: a BSN must not end up in messages or logs.
        raise ValidationError(
            _("This is not a valid BSN (9 digits that pass the eleven-test)."), code="bsn"
        )


def validate_not_future(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("This date lies in the future."), code="future")
