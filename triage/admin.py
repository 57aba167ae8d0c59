from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from audit.actor import Actor
from triage.models import ThresholdSet
from triage.services import thresholds_update


class ThresholdSetForm(forms.ModelForm):
    """A change of the rules for every future advice: the reason is required, for the audit."""

    class Meta:
        model = ThresholdSet
        fields = ["kps_min", "prognosis_months", "diameter_mm", "diameter_band_upper_mm", "change_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change_reason"].required = True
        self.initial["change_reason"] = ""  # a new change, a new reason: not the last one again
        self.fields["change_reason"].help_text = _(
            "Required: why the thresholds change (for example the regional decision it follows). "
            "Advice already given keeps the thresholds it was computed with."
        )

    def clean_change_reason(self):
        reason = self.cleaned_data["change_reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the change."))
        return reason


@admin.register(ThresholdSet)
class ThresholdSetAdmin(SimpleHistoryAdmin):
    """One set of thresholds; every change is kept in its history with who and why."""

    form = ThresholdSetForm

    list_display = ["version", "kps_min", "prognosis_months", "diameter_mm",
                    "diameter_band_upper_mm", "updated_at", "updated_by"]
    fields = ["kps_min", "prognosis_months", "diameter_mm", "diameter_band_upper_mm",
              "change_reason"]
    history_list_display = ["kps_min", "prognosis_months", "diameter_mm",
                            "diameter_band_upper_mm", "change_reason"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        thresholds_update(actor=Actor.from_request(request), values=form.cleaned_data)
