"""Logins and administration in our own append-only log, with the client's address (issue 16 item
1, the log part): success, failure, lock-out, second factor, logout; and every change in /beheer/
with the administrator and the fields changed (names only)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Event
from tests.conftest import verified_login

pytestmark = pytest.mark.django_db
ADDRESS = "192.0.2.44"


def post_login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=ADDRESS)


def actions():
    return list(Event.objects.filter(action__startswith="auth.").values_list("action", "client_ip"))


def test_success_failure_lock_out_second_factor_and_logout_are_logged(referrer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, referrer.username, "wrong-password-xx")
    failed = Event.objects.filter(action="auth.login_failed")
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert failed.first().data == {"username": referrer.username} and failed.first().user is None
    assert Event.objects.filter(action="auth.locked_out", client_ip=ADDRESS).count() == 1

    other = Client()
    device = TOTPDevice.objects.create(user=referrer, name="app", confirmed=True)
    other.post(reverse("accounts:login"), {"username": referrer.username, "password": "a-long-test-password-1"},
               REMOTE_ADDR="192.0.2.45")
    other.post(reverse("accounts:2fa_verify"), {"token": "000000"}, REMOTE_ADDR="192.0.2.45")
    device.refresh_from_db()
    device.throttle_reset()  # django-otp throttles the device after a failure; a person waits
    other.post(reverse("accounts:2fa_verify"), {"token": f"{totp(device.bin_key):06d}"}, REMOTE_ADDR="192.0.2.45")
    other.post(reverse("accounts:logout"), REMOTE_ADDR="192.0.2.45")
    assert [a for a in actions() if a[1] == "192.0.2.45"] == [
        ("auth.login", "192.0.2.45"), ("auth.2fa_failed", "192.0.2.45"), ("auth.2fa_verified", "192.0.2.45"),
        ("auth.logout", "192.0.2.45")]
    assert Event.objects.get(action="auth.login").user == referrer


def test_a_change_in_beheer_is_in_our_log_with_the_administrator_and_the_fields(admin_user, referrer):
    admin = verified_login(Client(), admin_user)
    url = reverse("admin:accounts_hospital_change", args=[referrer.hospital.pk])
    form = admin.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["city"] = "Breda-Noord"
    assert admin.post(url, data, REMOTE_ADDR=ADDRESS).status_code == 302
    event = Event.objects.get(action="admin.changed")
    assert event.user == admin_user and event.client_ip == ADDRESS
    assert event.data["model"] == "accounts.hospital" and event.data["fields"] == ["City"]
    assert "Breda-Noord" not in str(event.data), "names of fields, never their values"
