"""Sessions end when they must (issue 16 items 3 and 4).

Deactivating an account, changing its role, hospital or password, and "log out everywhere" end
every session of the user: an old session cookie does not come back to life after a reactivation.
The session id is renewed when the second factor is verified (ASVS 3.2.1)."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Event
from tests.conftest import verified_login
from tests.factories import HospitalFactory

pytestmark = pytest.mark.django_db
PAGE = "referrals:case_list"


def logged_in(user):
    client = verified_login(Client(), user)
    assert client.get(reverse(PAGE)).status_code == 200
    return client


def still_in(client):
    return client.get(reverse(PAGE)).status_code == 200


def test_deactivation_ends_the_session_also_after_reactivation(referrer):
    client = logged_in(referrer)
    referrer.is_active = False
    referrer.save()
    referrer.is_active = True
    referrer.save()
    assert not still_in(client)


@pytest.mark.parametrize("change", ["role", "hospital", "password"])
def test_a_change_of_role_hospital_or_password_ends_the_sessions(referrer, change):
    client = logged_in(referrer)
    if change == "role":
        referrer.role = "neuro_oncologist"
    elif change == "hospital":
        referrer.hospital = HospitalFactory(mdo_centre=referrer.hospital.mdo_centre)
    else:
        referrer.set_password("another-long-password-2")
    referrer.save()
    assert not still_in(client)


def test_other_changes_keep_the_session(referrer):
    client = logged_in(referrer)
    referrer.first_name = "Anna-Maria"
    referrer.save()
    referrer.save(update_fields=["last_login"])
    assert still_in(client)


def test_an_administrator_deactivating_in_beheer_ends_the_session(referrer, admin_user):
    client = logged_in(referrer)
    admin = verified_login(Client(), admin_user)
    url = reverse("admin:accounts_user_change", args=[referrer.pk])
    form = admin.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["is_active"] = ""
    data.pop("is_active")
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    referrer.refresh_from_db()
    assert not referrer.is_active
    assert not still_in(client)


def test_log_out_everywhere_ends_every_session(referrer):
    here, elsewhere = logged_in(referrer), logged_in(referrer)
    response = here.post(reverse("accounts:logout_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert not still_in(here) and not still_in(elsewhere)
    assert Event.objects.filter(action="user.sessions_ended", object_id=str(referrer.pk)).count() == 1
    referrer.refresh_from_db()
    assert still_in(logged_in(referrer)), "a new login works"


def test_the_session_id_is_renewed_at_the_second_factor(referrer):
    device = TOTPDevice.objects.create(user=referrer, name="phone", confirmed=True)
    client = Client()
    client.post(reverse("accounts:login"), {"username": referrer.username, "password": "a-long-test-password-1"})
    before = client.session.session_key
    assert before
    response = client.post(reverse("accounts:2fa_verify"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert still_in(client)
