from django import forms
from django.utils.translation import gettext_lazy as _

from followup.models import INTERVAL_VALIDATORS, DeviationReason, FollowUpPlan, ImplementationStatus, MriResult
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


class ImplementationForm(forms.Form):
    """Whether one advised decision was carried out; one form per decision (prefix: its code)."""

    status = forms.ChoiceField(label=_("Carried out?"), required=False, widget=forms.RadioSelect,
                               choices=[("", _("Not yet known")), *ImplementationStatus.choices])
    done_on = forms.DateField(label=_("Date"), widget=DateInput(), required=False,
                              help_text=_("When it was carried out (or started), or when it was decided not to."))
    reason = forms.ChoiceField(label=_("Why not"), required=False, widget=forms.RadioSelect,
                               choices=DeviationReason.choices)
    reason_text = forms.CharField(label=_("Explanation"), widget=TEXTAREA, max_length=2000, required=False)

    def __init__(self, *args, decision, label, recorded=None, **kwargs):
        super().__init__(*args, prefix=decision, **kwargs)
        self.decision, self.label, self.recorded = decision, label, recorded
        self.fields["reason"].widget.attrs["data-show-when"] = f"{decision}-status=not_done"
        self.fields["reason_text"].widget.attrs["data-show-when"] = f"{decision}-reason=other"
        if recorded is not None:
            # A recorded status is corrected, never cleared.
            self.fields["status"].choices = list(ImplementationStatus.choices)

    def values(self):
        return {name: self.cleaned_data.get(name) for name in self.fields}


class PlanAgreedForm(forms.Form):
    """What was discussed with the patient: the MDT advises, the patient decides."""

    agreed_on = forms.DateField(label=_("Discussed with the patient on"), widget=DateInput(), required=False)
    agreed = forms.CharField(label=_("What was agreed with the patient"), widget=TEXTAREA, max_length=4000,
                             required=False)

    def clean(self):
        data = super().clean()
        if data.get("agreed") and not data.get("agreed_on") and "agreed_on" not in self.errors:
            self.add_error("agreed_on", _("Give the date you discussed the advice with the patient."))
        if data.get("agreed_on") and not (data.get("agreed") or "").strip():
            self.add_error("agreed", _("Describe what was agreed with the patient."))
        return data


class ReEvaluationDateForm(forms.Form):
    due_on = forms.DateField(label=_("Re-evaluate on"), widget=DateInput(), error_messages=REQUIRED,
                             help_text=_("Proposed: in 4 to 6 weeks. On that date the case appears on your list."))
    reason = forms.CharField(label=_("What to look at (optional)"), widget=TEXTAREA, max_length=1000,
                             required=False)


class ReEvaluationChangesForm(forms.Form):
    changes = forms.CharField(label=_("What changed since the case was closed"), widget=TEXTAREA,
                              max_length=2000, error_messages=REQUIRED,
                              help_text=_("E.g. the KPS after interim treatment, a new dose of dexamethasone."))
