from django.urls import path

from followup import views

app_name = "followup"

urlpatterns = [
    path("overdue/", views.overdue_list, name="overdue"),
    path("cases/<uuid:case_id>/", views.plan_page, name="plan"),
    path("cases/<uuid:case_id>/create/", views.plan_create, name="plan_create"),
    path("plans/<int:plan_id>/change/", views.plan_change, name="plan_change"),
    path("plans/<int:plan_id>/mri/<int:mri_id>/", views.mri_record, name="mri_record"),
    path("plans/<int:plan_id>/complaints/", views.mri_complaints, name="mri_complaints"),
    path("plans/<int:plan_id>/mri/<int:mri_id>/refer-again/", views.rereferral, name="rereferral"),
    path("cases/<uuid:case_id>/implementation/", views.implementation_page, name="implementation"),
    path("cases/<uuid:case_id>/reevaluation/", views.reevaluation_page, name="reevaluation"),
    path("cases/<uuid:case_id>/reevaluation/date/", views.reevaluation_set, name="reevaluation_set"),
    path("cases/<uuid:case_id>/reevaluation/status/", views.reevaluation_record, name="reevaluation_record"),
]
