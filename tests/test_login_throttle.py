"""Locking out a known user from outside, and rotating user names (issue 16 item 6).

Five failures lock the combination of user name and address, not the account: the user logs in
from their own address all the same. Failures from one address, whatever the user names, are
throttled before the password is checked: no Argon2 hash per guess once the address is over."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

OUTSIDE, HOSPITAL = "203.0.113.9", "192.0.2.20"


def login(client, username, password, address):
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_failures_from_outside_do_not_lock_the_user_out(referrer):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        login(attacker, referrer.username, "wrong-password-xx", OUTSIDE)
    assert login(attacker, referrer.username, "a-long-test-password-1", OUTSIDE).status_code == 429
    response = login(Client(), referrer.username, "a-long-test-password-1", HOSPITAL)
    assert response.status_code == 302, "the user's own address is not locked"


def test_rotating_user_names_are_throttled_per_address_without_hashing(referrer, monkeypatch):
    attacker = Client()
    for number in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        login(attacker, f"guess{number}", "wrong-password-xx", OUTSIDE)
    hashed = []
    original = type(referrer).check_password
    monkeypatch.setattr(type(referrer), "check_password",
                        lambda self, raw: hashed.append(raw) or original(self, raw))
    response = login(attacker, referrer.username, "a-long-test-password-1", OUTSIDE)
    assert response.status_code == 200
    assert "Te veel mislukte aanmeldingen vanaf dit adres" in response.content.decode()
    assert hashed == [], "no password check for a throttled address"
    assert "_auth_user_id" not in attacker.session
    assert login(Client(), referrer.username, "a-long-test-password-1", HOSPITAL).status_code == 302


def test_the_limits_are_as_documented():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.LOGIN_ADDRESS_FAILURE_LIMIT == 30
