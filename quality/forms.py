import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest period one page computes: ten years of months in the trend.
MAX_DAYS = 3660


def default_period(today=None):
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1), today


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise ValidationError(_("The start of the period lies after its end."))
            if (end - start).days > MAX_DAYS:
                raise ValidationError(_("Choose a period of at most ten years."))
        return cleaned


def period_from(query):
    """(form, start, end): the period asked for in the query string, or the default one."""
    start, end = default_period()
    data = {"start": query.get("start") or start.isoformat(), "end": query.get("end") or end.isoformat()}
    form = PeriodForm(data)
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, start, end
