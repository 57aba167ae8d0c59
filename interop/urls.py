from django.urls import path

from interop import views

app_name = "interop"

urlpatterns = [
    path("cases/import/", views.intake_import, name="intake_import"),
    path("cases/<uuid:case_id>/fhir.json", views.case_fhir, name="case_fhir"),
    path("mdo/meetings/<uuid:meeting_id>/calendar.ics", views.meeting_calendar, name="meeting_calendar"),
]
