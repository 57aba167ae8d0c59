"""The verified two-factor state of a session (issue 17): checked on every request in the query that
loads the user (accounts.middleware.OTPMiddleware), so a device that is removed, unconfirmed or
given to someone else ends the verified state at the next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import verified_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/cases/"


def sent_to_the_code_step(response):
    return response.status_code == 302 and response["Location"].startswith("/accounts/2fa/?next=")


def test_a_verified_session_reaches_the_pages(client, referrer):
    verified_login(client, referrer)
    assert client.get(PAGE).status_code == 200


def test_deleting_the_device_ends_the_verified_state_at_the_next_request(client, referrer):
    verified_login(client, referrer)
    assert client.get(PAGE).status_code == 200
    TOTPDevice.objects.filter(user=referrer).delete()
    assert sent_to_the_code_step(client.get(PAGE))
    # The stale device id is gone from the session: a new device with the same id later would
    # not verify this session either.
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_device_no_longer_confirmed_ends_the_verified_state(client, referrer):
    verified_login(client, referrer)
    TOTPDevice.objects.filter(user=referrer).update(confirmed=False)
    assert sent_to_the_code_step(client.get(PAGE))


def test_a_device_given_to_another_user_does_not_verify_the_session(client, referrer, colleague):
    verified_login(client, referrer)
    TOTPDevice.objects.filter(user=referrer).update(user=colleague)
    assert sent_to_the_code_step(client.get(PAGE))


def test_another_users_device_id_in_the_session_does_not_verify(client, referrer, colleague):
    other = TOTPDevice.objects.create(user=colleague, name="app", confirmed=True)
    verified_login(client, referrer)
    TOTPDevice.objects.filter(user=referrer).delete()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()
    assert sent_to_the_code_step(client.get(PAGE))


@pytest.mark.parametrize("value", ["otp_totp.totpdevice/x", "otp_totp.totpdevice/", "nonsense", "a.b/1"])
def test_a_malformed_device_id_does_not_verify(client, referrer, value):
    verified_login(client, referrer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = value
    session.save()
    assert sent_to_the_code_step(client.get(PAGE))


def test_the_device_is_loaded_only_when_its_fields_are_read(rf, referrer):
    """request.user.otp_device behaves like django-otp's: the device itself, loaded when used."""
    from django.contrib.auth.middleware import AuthenticationMiddleware

    from accounts.middleware import OTPMiddleware
    from accounts.sessions import SessionStore

    device = TOTPDevice.objects.create(user=referrer, name="app", confirmed=True)
    request = rf.get(PAGE)
    request.session = SessionStore()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    request.session.update({SESSION_KEY: str(referrer.pk), BACKEND_SESSION_KEY: "accounts.backends.RoleBackend",
                            HASH_SESSION_KEY: referrer.get_session_auth_hash(),
                            DEVICE_ID_SESSION_KEY: device.persistent_id})
    AuthenticationMiddleware(lambda r: None).process_request(request)
    OTPMiddleware(lambda r: None)(request)
    with CaptureQueriesContext(connection) as queries:
        assert request.user.is_verified()
        assert request.user.hospital == referrer.hospital
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert request.user.otp_device.pk == device.pk and request.user.otp_device.name == "app"


def test_no_query_of_its_own_for_the_device(client, referrer):
    """django-otp's OTPMiddleware loaded the device on every request; here it is part of the
    query that loads the user."""
    verified_login(client, referrer)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(q.startswith('SELECT "otp_totp_totpdevice"') for q in sql), sql
    device = [q for q in sql if "otp_totp_totpdevice" in q]
    assert len(device) == 1 and 'FROM "accounts_session" s LEFT OUTER JOIN "accounts_user" u' in device[0], sql


def test_the_session_row_names_its_user_and_device(client, referrer):
    """accounts.sessions writes the user's and the verified device's ids beside the session data,
    so the session's one query can join them (issue 17, target 1)."""
    from accounts.models import Session

    verified_login(client, referrer)
    client.get(PAGE)
    row = Session.objects.get(session_key=client.session.session_key)
    assert row.user_pk == referrer.pk
    assert row.device_pk == TOTPDevice.objects.get(user=referrer, confirmed=True).pk


def test_the_session_data_stays_the_authority_over_its_columns(client, referrer, chair):
    """A session row whose columns name another user (written by hand, or by a bug) does not make
    the request that user's: the joined user is used only when the signed data agrees; otherwise
    the user of the data is read with its own query."""
    from accounts.models import Session

    verified_login(client, referrer)
    client.get(PAGE)
    Session.objects.filter(session_key=client.session.session_key).update(user_pk=chair.pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("referrals:case_list"))
    assert response.status_code == 200 and response.wsgi_request.user == referrer
    assert response.wsgi_request.user.is_verified()
    assert sum('FROM "accounts_user" u LEFT OUTER JOIN' in q["sql"] for q in queries.captured_queries) == 1


def test_a_session_verified_by_another_device_of_the_columns_is_checked_again(client, referrer):
    """The device column and the data disagree: the user is read with the data's device check."""
    from accounts.models import Session

    verified_login(client, referrer)
    client.get(PAGE)
    Session.objects.filter(session_key=client.session.session_key).update(device_pk=None)
    response = client.get(PAGE)
    assert response.status_code == 200 and response.wsgi_request.user.is_verified()
    TOTPDevice.objects.filter(user=referrer).delete()
    response = client.get(reverse("referrals:case_list"))
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]


def test_the_user_query_reads_what_the_orm_reads(referrer, colleague):
    """accounts.backends.UserQuery writes its SQL itself: the same user and hospital as the ORM's
    select_related, field by field, and the device check."""
    from accounts.backends import user_query
    from accounts.models import User

    device = TOTPDevice.objects.create(user=referrer, name="app", confirmed=True)
    referrer.last_login = referrer.date_joined
    referrer.save()
    for user, device_pk, verified in ((referrer, device.pk, True), (referrer, None, False),
                                      (colleague, device.pk, False)):
        loaded = user_query.get(user.pk, device_pk)
        expected = User.objects.select_related("hospital").get(pk=user.pk)
        for field in User._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
        for field in type(expected.hospital)._meta.concrete_fields:
            assert getattr(loaded.hospital, field.attname) == getattr(expected.hospital, field.attname)
        assert loaded.otp_device_ok is verified
        assert not loaded._state.adding and loaded._state.db == "default"
    assert user_query.get(10**9, None) is None
    assert user_query.get("not a number", None) is None


def test_a_user_without_a_hospital_is_read_with_none(db):
    from accounts.backends import user_query

    admin = UserFactory(role="admin", hospital=None, is_staff=True)
    assert user_query.get(admin.pk, None).hospital is None


def test_the_session_store_reads_only_live_sessions(referrer):
    import datetime

    from django.utils import timezone

    from accounts.models import Session
    from accounts.sessions import SessionStore

    store = SessionStore()
    store["x"] = 1
    store.create()
    assert SessionStore(store.session_key).load() == {"x": 1}
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None
    assert SessionStore("nonexistent-key-0123456789").load() == {}
