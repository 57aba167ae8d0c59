from django.urls import path

from referrals.views import cases, intake

app_name = "referrals"

urlpatterns = [
    path("", cases.case_list, name="case_list"),
    path("new/", intake.intake_new, name="intake_new"),
    path("<uuid:case_id>/intake/<slug:step_key>/", intake.intake_step, name="intake_step"),
    path("<uuid:case_id>/submit/", intake.intake_submit, name="intake_submit"),
    path("<uuid:case_id>/delete/", cases.case_delete, name="case_delete"),
]
