from django.urls import path

from casefile.views import actions, cases, patient, timeline

app_name = "casefile"

urlpatterns = [
    path("cases/<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/advice/<int:advice_id>/", cases.case_advice, name="case_advice"),
    path("cases/<uuid:case_id>/timeline/", timeline.case_timeline, name="case_timeline"),
    path("mdo/cases/<uuid:case_id>/preconsult/<slug:action>/", actions.preconsult_action, name="preconsult"),
    path("mdo/cases/<uuid:case_id>/schedule/", actions.schedule, name="schedule"),
    path("mdo/cases/<uuid:case_id>/plan/", actions.plan_agreed, name="plan_agreed"),
    path("cases/<uuid:case_id>/withdraw/", actions.withdraw, name="withdraw"),
    path("patients/<uuid:patient_id>/", patient.patient_detail, name="patient_path"),
]
