"""The user administration (/beheer/) gives an administrator no way up.

An administrator manages users, but cannot make anyone a superuser, cannot change their own role,
hospital or staff flag (so cannot give themselves patients), and cannot touch a superuser's
account. Each is checked on the real admin pages: the change form does not offer the field, and a
forged POST of it changes nothing.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import AccessChange, AccessChangeState, Role, User
from accounts.services import access_change_approve
from audit.actor import Actor
from referrals.access import cases_visible_to
from tests.conftest import verified_login
from tests.factories import UserFactory
from tests.workflow import submitted_case

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-1"
GUARDED = ["role", "hospital", "is_staff", "is_superuser"]


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def editable_fields(client, user):
    response = client.get(change_url(user))
    assert response.status_code == 200
    return set(response.context["adminform"].form.fields)


def forged_post(client, user, **changes):
    """The change form as the browser sends it, with `changes` added by hand."""
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "language": user.language, "discipline": user.discipline,
            "is_active": "on", "role": user.role, "hospital": user.hospital_id or "",
            **({"is_staff": "on"} if user.is_staff else {}), **changes}
    return client.post(change_url(user), data)


def approve(change):
    """A second administrator approves the held change (four eyes, tests/test_four_eyes.py)."""
    second = UserFactory(role=Role.ADMIN, hospital=None, is_staff=True)
    access_change_approve(actor=Actor(user=second, ip="10.9.9.9"), change_id=change.pk)


@pytest.fixture
def administrator(admin_user):
    return verified_login(Client(), admin_user)


@pytest.fixture
def superuser(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="root", email="root@example.org", verbosity=0)
    return User.objects.get(username="root")


def test_createsuperuser_makes_the_first_administrator(superuser):
    # It used to fail: a user without a role needs a hospital (constraint user_hospital_unless_admin).
    assert (superuser.is_superuser, superuser.is_staff, superuser.role, superuser.hospital) == (
        True, True, Role.ADMIN, None)
    assert list(superuser.groups.values_list("name", flat=True)) == ["admin"]
    assert superuser.check_password(PASSWORD)


class TestOwnAccount:
    def test_the_form_does_not_offer_role_hospital_or_flags(self, administrator, admin_user):
        fields = editable_fields(administrator, admin_user)
        assert not fields & set(GUARDED), fields
        assert {"first_name", "last_name", "email"} <= fields
        content = administrator.get(change_url(admin_user)).content.decode()
        for name in GUARDED:
            assert f'name="{name}"' not in content, name

    def test_a_forged_post_does_not_give_a_clinical_role_patients_or_superuser(self, administrator, admin_user,
                                                                               centre, referrer):
        case = submitted_case(referrer)
        chair_group = Group.objects.get(name="chair")
        response = forged_post(administrator, admin_user, first_name="Bea", role=Role.CHAIR, hospital=centre.pk,
                               is_superuser="on", groups=[chair_group.pk],
                               user_permissions=[Permission.objects.get(codename="preconsult_case").pk])
        assert response.status_code == 302, response.content.decode()[:2000]
        admin_user.refresh_from_db()
        assert admin_user.first_name == "Bea", "the rest of the form is saved"
        assert (admin_user.role, admin_user.hospital, admin_user.is_superuser, admin_user.is_staff) == (
            Role.ADMIN, None, False, True)
        assert list(admin_user.groups.values_list("name", flat=True)) == ["admin"]
        assert not admin_user.user_permissions.exists()
        assert not cases_visible_to(admin_user).exists()
        assert administrator.get(reverse("casefile:case_detail", args=[case.pk])).status_code == 404

    def test_an_administrator_cannot_take_away_their_own_staff_flag(self, administrator, admin_user):
        # Leaving the box out of the POST is how a browser says "unticked".
        data = {"username": admin_user.username, "email": admin_user.email, "language": "nl", "is_active": "on"}
        assert administrator.post(change_url(admin_user), data).status_code == 302
        admin_user.refresh_from_db()
        assert admin_user.is_staff and admin_user.role == Role.ADMIN

    def test_a_superuser_cannot_change_their_own_role_either(self, superuser, centre):
        client = verified_login(Client(), superuser)
        assert not editable_fields(client, superuser) & set(GUARDED)
        forged_post(client, superuser, role=Role.CHAIR, hospital=centre.pk)
        superuser.refresh_from_db()
        assert (superuser.role, superuser.hospital, superuser.is_superuser) == (Role.ADMIN, None, True)


class TestOtherAccounts:
    def test_an_administrator_manages_roles_but_never_the_superuser_flag(self, administrator, admin_user, referrer,
                                                                         centre):
        fields = editable_fields(administrator, referrer)
        assert {"role", "hospital", "is_staff", "is_active"} <= fields
        assert "is_superuser" not in fields
        response = forged_post(administrator, referrer, role=Role.NEURO_ONCOLOGIST, hospital=centre.pk,
                               is_superuser="on")
        assert response.status_code == 302
        referrer.refresh_from_db()
        # The role and hospital wait for a second person (tests/test_four_eyes.py); never a superuser.
        assert (referrer.role, referrer.is_superuser) == (Role.REFERRER, False)
        change = AccessChange.objects.get(account=referrer, state=AccessChangeState.PENDING)
        assert (change.role, change.hospital) == (Role.NEURO_ONCOLOGIST, centre)
        approve(change)
        referrer.refresh_from_db()
        assert (referrer.role, referrer.hospital, referrer.is_superuser) == (Role.NEURO_ONCOLOGIST, centre, False)
        # Django's admin history says what changed at once: nothing, the role and hospital were held.
        entry = LogEntry.objects.filter(object_id=str(referrer.pk)).latest("action_time")
        assert entry.user == admin_user and entry.get_change_message() == "Geen velden gewijzigd."

    def test_another_administrator_changes_an_administrators_role_and_the_history_says_who(
            self, administrator, admin_user, centre):
        colleague = UserFactory(role=Role.ADMIN, hospital=None, is_staff=True)
        client = verified_login(Client(), colleague)
        assert forged_post(client, admin_user, role=Role.CHAIR, hospital=centre.pk).status_code == 302
        change = AccessChange.objects.get(account=admin_user, state=AccessChangeState.PENDING)
        assert change.requested_by == colleague
        approve(change)
        admin_user.refresh_from_db()
        assert (admin_user.role, admin_user.hospital) == (Role.CHAIR, centre)
        entry = LogEntry.objects.filter(object_id=str(admin_user.pk)).latest("action_time")
        assert entry.user == colleague

    def test_a_new_user_cannot_be_created_as_superuser_or_staff(self, administrator, hospital):
        response = administrator.post(reverse("admin:accounts_user_add"), {
            "username": "nieuw", "first_name": "Nieuw", "last_name": "Arts", "email": "nieuw@example.org",
            "hospital": hospital.pk, "role": Role.REFERRER, "discipline": "",
            "password1": "Zeven-Bergen-7x", "password2": "Zeven-Bergen-7x",
            "is_superuser": "on", "is_staff": "on"})
        assert response.status_code == 302, response.content.decode()[:2000]
        created = User.objects.get(username="nieuw")
        assert (created.is_superuser, created.is_staff, created.role) == (False, False, Role.REFERRER)

    def test_a_superusers_account_is_read_only_to_an_administrator(self, administrator, superuser):
        response = administrator.get(change_url(superuser))
        assert response.status_code == 200 and not response.context["has_change_permission"]
        assert 'name="is_active"' not in response.content.decode()
        assert forged_post(administrator, superuser, is_active="", role=Role.REFERRER).status_code == 403
        password_url = reverse("admin:auth_user_password_change", args=[superuser.pk])
        assert administrator.get(password_url).status_code == 403
        response = administrator.post(password_url, {"password1": "Overgenomen-2026", "password2": "Overgenomen-2026",
                                                     "usable_password": "true"})
        assert response.status_code == 403
        superuser.refresh_from_db()
        assert superuser.is_active and superuser.role == Role.ADMIN and superuser.check_password(PASSWORD)

    def test_a_superuser_still_manages_other_accounts(self, superuser, admin_user, centre):
        client = verified_login(Client(), superuser)
        fields = editable_fields(client, admin_user)
        assert {"role", "hospital", "is_staff", "is_active"} <= fields and "is_superuser" not in fields
        assert forged_post(client, admin_user, is_superuser="on").status_code == 302
        admin_user.refresh_from_db()
        assert not admin_user.is_superuser
