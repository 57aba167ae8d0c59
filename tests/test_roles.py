"""Roles give permissions; the authentication backend answers them from the role's table.

The database keeps each role's group with exactly these permissions (sync_role_groups after
every migrate), so the admin shows what the code enforces. These tests hold the two together.
"""

import pytest
from django.contrib.auth.models import Group

from accounts.backends import RoleBackend
from accounts.models import ROLE_GROUPS, Role
from accounts.roles import ROLE_PERMISSIONS
from tests.factories import HospitalFactory, UserFactory

pytestmark = pytest.mark.django_db


def group_permissions_in_database(role):
    group = Group.objects.get(name=ROLE_GROUPS[role])
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


@pytest.mark.parametrize("role", list(Role))
def test_the_backend_grants_what_the_roles_group_holds_in_the_database(role):
    user = UserFactory(role=role, hospital=HospitalFactory())

    assert RoleBackend().get_all_permissions(user) == group_permissions_in_database(role)
    assert group_permissions_in_database(role) == set(ROLE_PERMISSIONS[role])


def test_a_referrer_may_refer_but_not_preconsult():
    user = UserFactory(role=Role.REFERRER, hospital=HospitalFactory())

    assert user.has_perm("referrals.refer_case")
    assert not user.has_perm("referrals.preconsult_case")
    assert not user.has_perm("audit.view_accesslog")


def test_a_deactivated_user_has_no_permissions():
    user = UserFactory(role=Role.CHAIR, hospital=HospitalFactory(), is_active=False)

    assert not user.has_perm("meetings.manage_meetings")
    assert RoleBackend().get_all_permissions(user) == set()


def test_changing_the_role_changes_the_permissions_at_once():
    user = UserFactory(role=Role.REFERRER, hospital=HospitalFactory())
    user.role = Role.PRIVACY_OFFICER
    user.save()

    fresh = RoleBackend().get_user(user.pk)
    assert fresh.has_perm("audit.view_accesslog")
    assert not fresh.has_perm("referrals.refer_case")


def test_get_user_loads_the_hospital_with_the_user(django_assert_num_queries):
    hospital = HospitalFactory(name="Ziekenhuis Oost")
    user = UserFactory(role=Role.REFERRER, hospital=hospital)

    with django_assert_num_queries(1):
        loaded = RoleBackend().get_user(user.pk)
        assert loaded.hospital.name == "Ziekenhuis Oost"


def test_get_user_refuses_a_deactivated_user():
    user = UserFactory(role=Role.REFERRER, hospital=HospitalFactory(), is_active=False)

    assert RoleBackend().get_user(user.pk) is None
