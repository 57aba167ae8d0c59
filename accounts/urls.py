from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import two_factor, views
from accounts.forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(
        template_name="accounts/login.html", authentication_form=LoginForm,
        redirect_authenticated_user=True,
    ), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("password/", auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("accounts:password_change_done"),
    ), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="accounts/password_change_done.html",
    ), name="password_change_done"),
    path("access/", views.access_requests, name="access_requests"),
    path("access/<int:change_id>/decide/", views.access_request_decide, name="access_request_decide"),
    path("2fa/", two_factor.verify, name="2fa_verify"),
    path("2fa/setup/", two_factor.setup, name="2fa_setup"),
]
