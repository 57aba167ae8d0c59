from django.urls import path

from quality import views

app_name = "quality"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart/<slug:key>.svg", views.chart, name="chart"),
    path("table/<slug:key>.csv", views.table_csv, name="csv"),
]
