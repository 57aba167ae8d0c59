from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from mdo import views

admin.site.site_header = _("MDT brain metastases — administration")
admin.site.site_title = _("MDT administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("", include("casefile.urls")),
    path("", include("interop.urls")),
    path("cases/", include("referrals.urls")),
    path("mdo/", include("meetings.urls")),
    path("followup/", include("followup.urls")),
    path("quality/", include("quality.urls")),
    path("audit/", include("privacy.urls")),
    path("beheer/", admin.site.urls),
]

handler400 = "mdo.views.bad_request"
handler403 = "mdo.views.permission_denied"
handler404 = "mdo.views.page_not_found"
handler500 = "mdo.views.server_error"
