from django import forms
from django.utils.translation import gettext_lazy as _

from followup.models import INTERVAL_VALIDATORS, FollowUpPlan, MriResult
from referrals.forms import TEXTAREA, DateInput

INTERVAL_MESSAGES = {"min_value": _("Give an interval of 1 to 12 months."),
                     "max_value": _("Give an interval of 1 to 12 months."),
                     "invalid": _("Give an interval of 1 to 12 months.")}
REQUIRED = {"required": _("Please fill in this field.")}


class PlanForm(forms.ModelForm):
    class Meta:
        model = FollowUpPlan
        fields = ["start_date", "interval_months", "later_interval_months", "followed_by", "physician_name",
                  "first_contact"]
        widgets = {"start_date": DateInput(), "followed_by": forms.RadioSelect}
        error_messages = {"interval_months": INTERVAL_MESSAGES, "later_interval_months": INTERVAL_MESSAGES,
                          "first_contact": REQUIRED, "physician_name": REQUIRED, "start_date": REQUIRED}
        help_texts = {"interval_months": _("The guideline: every 3-4 months (1 to 12)."),
                      "first_contact": _("Required: whom the patient calls with complaints.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("interval_months", "later_interval_months"):
            self.fields[name].validators = list(INTERVAL_VALIDATORS)
            self.fields[name].widget.attrs.update({"min": 1, "max": 12})


class PlanChangeForm(PlanForm):
    reason = forms.CharField(label=_("Reason for the change"), widget=TEXTAREA, max_length=2000,
                             error_messages=REQUIRED)

    class Meta(PlanForm.Meta):
        fields = ["interval_months", "later_interval_months", "followed_by", "physician_name", "first_contact"]


class MriForm(forms.Form):
    done_on = forms.DateField(label=_("MRI made on"), widget=DateInput(), required=False)
    result = forms.ChoiceField(label=_("Result"), choices=[("", "—"), *MriResult.choices], required=False)
    note = forms.CharField(label=_("Remarks"), widget=TEXTAREA, max_length=2000, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("result"):
            self.add_error("result", _("Choose the result of the MRI."))
        if not data.get("done_on") and "done_on" not in self.errors:
            self.add_error("done_on", _("A result needs the date of the MRI.") if data.get("result")
                           else _("Give the date."))
        return data
