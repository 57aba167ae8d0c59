"""The application's URLs plus the floor page of the benchmark (never in production)."""

from django.urls import path

from benchmarks import views
from mdo.urls import handler400, handler403, handler404, handler500
from mdo.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/floor/", views.floor, name="bench_floor"), *app_urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
