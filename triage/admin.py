from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audit.actor import Actor
from triage.models import ThresholdSet
from triage.services import thresholds_update


@admin.register(ThresholdSet)
class ThresholdSetAdmin(SimpleHistoryAdmin):
    """One set of thresholds; every change is kept in its history with who and why."""

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
