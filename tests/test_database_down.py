"""Smaller hardening (issue 16 item 10): a database that is down logs a cause an operator can act
on, and no patient data ("connection refused to 127.0.0.1:1 (database mdo)", not a bare
SQLSTATE); every page has a Permissions-Policy; the password rule speaks Dutch."""

import pytest

from mdo.log_privacy import connection_cause
from tests import test_security


@pytest.mark.parametrize("url", ["postgres://postgres@127.0.0.1:1/mdo"])
def test_a_request_without_a_database_logs_why_it_is_unreachable(url):
    code = "\n".join([
        "from django.test import Client",
        "response = Client(HTTP_HOST='mdo.example.org', raise_request_exception=False).get('/health/', secure=True)",
        "print('STATUS', response.status_code)",
    ])
    environment = {**test_security.TestDeployment.PRODUCTION, "DEBUG": "0", "DATABASE_URL": url}
    result = test_security.run_manage("shell", "-c", code, **environment)
    assert "STATUS 500" in result.stdout, (result.stdout, result.stderr)
    assert "connection refused to 127.0.0.1:1 (database mdo)" in result.stderr, result.stderr


def test_other_errors_get_no_connection_cause():
    import sqlite3

    assert connection_cause(sqlite3.IntegrityError("UNIQUE constraint failed")) == ""
    assert connection_cause(None) == ""


def test_every_page_has_a_permissions_policy(client, db):
    from django.urls import reverse

    for url in (reverse("accounts:login"), reverse("health")):
        policy = client.get(url)["Permissions-Policy"]
        assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


def test_the_password_rule_is_in_dutch(client, referrer):
    from django.urls import reverse

    from tests.conftest import verified_login

    verified_login(client, referrer)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "a-long-test-password-1", "new_password1": "kort", "new_password2": "kort"},
        HTTP_ACCEPT_LANGUAGE="en")
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "Dit wachtwoord is te kort: het moet minstens 12 tekens lang zijn." in errors
