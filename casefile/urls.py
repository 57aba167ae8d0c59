from django.urls import path

from casefile.views import actions, cases, patient, report, timeline

app_name = "casefile"

urlpatterns = [
    path("cases/<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/advice/<int:advice_id>/", cases.case_advice, name="case_advice"),
    path("cases/<uuid:case_id>/timeline/", timeline.case_timeline, name="case_timeline"),
    path("cases/<uuid:case_id>/report/", report.report_latest, name="report_latest"),
    path("cases/<uuid:case_id>/report/<int:report_id>/", report.report_detail, name="report"),
    path("cases/<uuid:case_id>/report/<int:report_id>/report.pdf", report.report_pdf, name="report_pdf"),
    path("cases/<uuid:case_id>/report/<int:report_id>/letter/", report.letter_detail, name="patient_letter"),
    path("cases/<uuid:case_id>/report/<int:report_id>/letter/request/", report.letter_request,
         name="patient_letter_request"),
    path("cases/<uuid:case_id>/report/<int:report_id>/letter.pdf", report.letter_pdf, name="patient_letter_pdf"),
    path("mdo/cases/<uuid:case_id>/preconsult/<slug:action>/", actions.preconsult_action, name="preconsult"),
    path("mdo/cases/<uuid:case_id>/schedule/", actions.schedule, name="schedule"),
    path("cases/<uuid:case_id>/withdraw/", actions.withdraw, name="withdraw"),
    path("patients/<uuid:patient_id>/", patient.patient_detail, name="patient_path"),
]
