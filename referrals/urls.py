from django.urls import path

from referrals.views import cases, intake, timeline

app_name = "referrals"

urlpatterns = [
    path("", cases.case_list, name="case_list"),
    path("new/", intake.intake_new, name="intake_new"),
    path("<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("<uuid:case_id>/intake/<slug:step_key>/", intake.intake_step, name="intake_step"),
    path("<uuid:case_id>/submit/", intake.intake_submit, name="intake_submit"),
    path("<uuid:case_id>/advice/<int:advice_id>/", cases.case_advice, name="case_advice"),
    path("<uuid:case_id>/timeline/", timeline.case_timeline, name="case_timeline"),
]
