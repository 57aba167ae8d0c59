import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals.forms import DateInput


class AccessLogQueryForm(forms.Form):
    hospital = forms.ModelChoiceField(label=_("Hospital"), queryset=None)
    patient_number = forms.CharField(label=_("Hospital patient number"), max_length=20)
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To (inclusive)"), widget=DateInput())

    def __init__(self, *args, hospitals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hospital"].queryset = hospitals
        today = timezone.localdate()
        self.fields["date_from"].initial = today - datetime.timedelta(days=30)
        self.fields["date_to"].initial = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period lies before its start."))
        return cleaned
