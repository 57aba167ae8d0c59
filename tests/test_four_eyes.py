"""Four eyes on access to patient data (issue 16 item 1).

An administrator alone cannot give anyone patients: a new account, a change of another account's
role, hospital or discipline, its reactivation and a new password for it wait until a second,
different person (another administrator, or the privacy officer of the account's region) approves
on the Access requests page. Each step is an event in the append-only log with both names and
addresses; the account's sessions end when the change takes effect.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessChange, AccessChangeKind, AccessChangeState, Role, User
from audit.models import Event
from referrals.access import cases_visible_to
from tests.conftest import verified_login
from tests.factories import UserFactory
from tests.workflow import submitted_case

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-1"
NEW_PASSWORD = "Overgenomen-Wachtwoord-2026"


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def user_form(user, **changes):
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "language": user.language, "discipline": user.discipline,
            "role": user.role, "hospital": user.hospital_id or "",
            **({"is_active": "on"} if user.is_active else {}),
            **({"is_staff": "on"} if user.is_staff else {})}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def login_from(user, ip):
    return verified_login(Client(REMOTE_ADDR=ip), user)


@pytest.fixture
def first_admin(admin_user):
    return login_from(admin_user, "10.1.1.1")


@pytest.fixture
def second_admin():
    return UserFactory(username="beheerder2", hospital=None, role=Role.ADMIN, is_staff=True)


@pytest.fixture
def privacy_officer(centre):
    return UserFactory(username="fg", hospital=centre, role=Role.PRIVACY_OFFICER)


def logs_in(username, password):
    """The login page takes the password (to the second factor) or not."""
    response = Client().post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code == 302


def decide(client, change, decision="approve", note=""):
    return client.post(reverse("accounts:access_request_decide", args=[change.pk]),
                       {"decision": decision, "note": note})


def pending(account, kind):
    return AccessChange.objects.get(account=account, kind=kind, state=AccessChangeState.PENDING)


class TestChangeOfHospital:
    def test_moving_a_referrer_to_another_hospital_waits_for_a_second_person(
            self, first_admin, admin_user, second_admin, referrer, outsider, other_hospital):
        theirs = submitted_case(outsider)
        response = first_admin.post(change_url(referrer), user_form(referrer, hospital=other_hospital.pk,
                                                                    first_name="Anneke"))
        assert response.status_code == 302
        referrer.refresh_from_db()
        # The rest of the form is saved; the hospital is not, and the other hospital's case stays out of reach.
        assert referrer.first_name == "Anneke" and referrer.hospital_id != other_hospital.pk
        assert theirs not in cases_visible_to(referrer)
        change = pending(referrer, AccessChangeKind.ROLE)
        assert (change.hospital, change.requested_by, change.requested_ip) == (other_hospital, admin_user, "10.1.1.1")
        said = [str(m) for m in response.wsgi_request._messages]
        assert any("tweede persoon" in m for m in said), said

        # The administrator who asked cannot approve it: the page says why and offers no button ...
        page = first_admin.get(reverse("accounts:access_requests"))
        assert "U heeft dit zelf aangevraagd" in page.content.decode()
        assert f'action="{reverse("accounts:access_request_decide", args=[change.pk])}"' not in page.content.decode()
        # ... and a forged POST is refused and changes nothing.
        decide(first_admin, change)
        change.refresh_from_db()
        assert change.state == AccessChangeState.PENDING

        # Another administrator approves from another computer: now it takes effect.
        other = login_from(second_admin, "10.2.2.2")
        assert decide(other, change).status_code == 302
        referrer.refresh_from_db()
        change.refresh_from_db()
        assert referrer.hospital == other_hospital and theirs in cases_visible_to(referrer)
        assert (change.state, change.decided_by, change.decided_ip) == (AccessChangeState.APPROVED, second_admin,
                                                                        "10.2.2.2")

    def test_each_step_is_in_the_event_log_with_both_names_and_addresses(
            self, first_admin, admin_user, second_admin, referrer, centre):
        first_admin.post(change_url(referrer), user_form(referrer, role=Role.NEURO_ONCOLOGIST, hospital=centre.pk))
        change = pending(referrer, AccessChangeKind.ROLE)
        decide(login_from(second_admin, "10.2.2.2"), change)

        requested = Event.objects.get(action="access.requested", object_id=str(referrer.pk))
        approved = Event.objects.get(action="access.approved", object_id=str(referrer.pk))
        assert (requested.user, requested.client_ip) == (admin_user, "10.1.1.1")
        assert (approved.user, approved.client_ip) == (second_admin, "10.2.2.2")
        assert approved.data["requested_by"] == admin_user.username
        assert approved.data["requested_ip"] == "10.1.1.1"
        assert approved.data["decided_by"] == second_admin.username
        assert (approved.data["role"], approved.data["hospital"]) == (Role.NEURO_ONCOLOGIST, centre.code)

    def test_the_change_ends_the_accounts_sessions_when_it_takes_effect(self, first_admin, second_admin, referrer,
                                                                        centre):
        session = verified_login(Client(), referrer)
        assert session.get(reverse("referrals:case_list")).status_code == 200
        first_admin.post(change_url(referrer), user_form(referrer, hospital=centre.pk))
        assert session.get(reverse("referrals:case_list")).status_code == 200  # nothing changed yet
        decide(login_from(second_admin, "10.2.2.2"), pending(referrer, AccessChangeKind.ROLE))
        assert session.get(reverse("referrals:case_list")).status_code == 302  # logged out

    def test_a_rejected_change_changes_nothing(self, first_admin, second_admin, referrer, centre):
        before = referrer.hospital
        first_admin.post(change_url(referrer), user_form(referrer, hospital=centre.pk))
        change = pending(referrer, AccessChangeKind.ROLE)
        decide(login_from(second_admin, "10.2.2.2"), change, "reject", note="Niet aangevraagd door de afdeling")
        referrer.refresh_from_db()
        change.refresh_from_db()
        assert referrer.hospital == before
        assert (change.state, change.decision_note) == (AccessChangeState.REJECTED, "Niet aangevraagd door de afdeling")
        assert Event.objects.filter(action="access.rejected", user=second_admin).exists()
        # A decided request cannot be decided again.
        decide(login_from(second_admin, "10.2.2.2"), change, "approve")
        referrer.refresh_from_db()
        assert referrer.hospital == before

    def test_a_new_request_replaces_the_one_still_waiting(self, first_admin, referrer, centre, other_hospital):
        first_admin.post(change_url(referrer), user_form(referrer, hospital=centre.pk))
        first_admin.post(change_url(referrer), user_form(referrer, hospital=other_hospital.pk))
        states = dict(AccessChange.objects.filter(account=referrer).values_list("hospital", "state"))
        assert states == {centre.pk: AccessChangeState.SUPERSEDED, other_hospital.pk: AccessChangeState.PENDING}

    def test_a_change_of_discipline_waits_too_it_counts_for_the_legal_quorum(self, first_admin, neuro_oncologist):
        first_admin.post(change_url(neuro_oncologist), user_form(neuro_oncologist, discipline="neurosurgery"))
        neuro_oncologist.refresh_from_db()
        assert neuro_oncologist.discipline != "neurosurgery"
        assert pending(neuro_oncologist, AccessChangeKind.ROLE).discipline == "neurosurgery"


class TestNewAccount:
    def test_a_new_clinical_account_is_inactive_until_a_second_person_approves(
            self, first_admin, second_admin, hospital):
        response = first_admin.post(reverse("admin:accounts_user_add"), {
            "username": "nieuw", "first_name": "Nieuw", "last_name": "Arts", "email": "nieuw@example.org",
            "hospital": hospital.pk, "role": Role.REFERRER, "discipline": "",
            "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
        assert response.status_code == 302, response.content.decode()[:3000]
        created = User.objects.get(username="nieuw")
        assert not created.is_active
        assert not logs_in("nieuw", NEW_PASSWORD)

        decide(login_from(second_admin, "10.2.2.2"), pending(created, AccessChangeKind.NEW_ACCOUNT))
        created.refresh_from_db()
        assert created.is_active and created.role == Role.REFERRER and created.hospital == hospital
        assert logs_in("nieuw", NEW_PASSWORD)


class TestReactivation:
    def test_deactivation_is_at_once_reactivation_waits(self, first_admin, second_admin, referrer):
        first_admin.post(change_url(referrer), user_form(referrer, is_active=None))
        referrer.refresh_from_db()
        assert not referrer.is_active
        first_admin.post(change_url(referrer), user_form(referrer, is_active="on"))
        referrer.refresh_from_db()
        assert not referrer.is_active
        decide(login_from(second_admin, "10.2.2.2"), pending(referrer, AccessChangeKind.REACTIVATION))
        referrer.refresh_from_db()
        assert referrer.is_active


class TestPasswordReset:
    def url(self, user):
        return reverse("admin:auth_user_password_change", args=[user.pk])

    def test_a_password_set_by_an_administrator_works_only_after_approval(self, first_admin, second_admin,
                                                                          referrer):
        response = first_admin.post(self.url(referrer), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                         "usable_password": "true"})
        assert response.status_code == 302
        referrer.refresh_from_db()
        assert referrer.check_password(PASSWORD) and not referrer.check_password(NEW_PASSWORD)
        change = pending(referrer, AccessChangeKind.PASSWORD)
        assert change.password and NEW_PASSWORD not in change.password  # a hash, never the password
        assert NEW_PASSWORD not in str(Event.objects.get(action="access.requested").data)

        decide(login_from(second_admin, "10.2.2.2"), change)
        referrer.refresh_from_db()
        change.refresh_from_db()
        assert referrer.check_password(NEW_PASSWORD)
        assert change.password == ""  # not kept once used

    def test_an_administrators_own_password_changes_at_once(self, first_admin, admin_user):
        first_admin.post(self.url(admin_user), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                "usable_password": "true"})
        admin_user.refresh_from_db()
        assert admin_user.check_password(NEW_PASSWORD)
        assert not AccessChange.objects.exists()

    def test_a_mismatched_password_gets_the_form_back_and_nothing_waits(self, first_admin, referrer):
        response = first_admin.post(self.url(referrer), {"password1": NEW_PASSWORD, "password2": "anders",
                                                         "usable_password": "true"})
        assert response.status_code == 200 and response.context["form"].errors
        assert not AccessChange.objects.exists()


class TestWhoDecides:
    def test_the_privacy_officer_of_the_region_approves(self, first_admin, privacy_officer, referrer, centre):
        first_admin.post(change_url(referrer), user_form(referrer, role=Role.CHAIR, hospital=centre.pk))
        change = pending(referrer, AccessChangeKind.ROLE)
        assert decide(login_from(privacy_officer, "10.3.3.3"), change).status_code == 302
        referrer.refresh_from_db()
        assert referrer.role == Role.CHAIR

    def test_a_privacy_officer_of_another_region_does_not_see_it(self, first_admin, referrer, centre,
                                                                 other_centre_hospital):
        elsewhere = UserFactory(role=Role.PRIVACY_OFFICER, hospital=other_centre_hospital)
        first_admin.post(change_url(referrer), user_form(referrer, hospital=centre.pk))
        change = pending(referrer, AccessChangeKind.ROLE)
        client = login_from(elsewhere, "10.4.4.4")
        assert referrer.username not in client.get(reverse("accounts:access_requests")).content.decode()
        assert decide(client, change).status_code == 404
        change.refresh_from_db()
        assert change.is_pending

    def test_nobody_decides_on_their_own_account(self, second_admin, admin_user, centre):
        # Another administrator asks to make `admin_user` a chair; `admin_user` cannot approve it.
        login_from(second_admin, "10.2.2.2").post(change_url(admin_user),
                                                  user_form(admin_user, role=Role.CHAIR, hospital=centre.pk))
        change = pending(admin_user, AccessChangeKind.ROLE)
        decide(login_from(admin_user, "10.1.1.1"), change)
        change.refresh_from_db()
        admin_user.refresh_from_db()
        assert change.is_pending and admin_user.role == Role.ADMIN

    @pytest.mark.parametrize("role", [Role.REFERRER, Role.NEURO_ONCOLOGIST, Role.CHAIR])
    def test_clinical_roles_have_no_access_requests_page(self, role, centre):
        user = UserFactory(role=role, hospital=centre)
        client = verified_login(Client(), user)
        assert client.get(reverse("accounts:access_requests")).status_code == 403

    def test_the_database_refuses_a_decision_by_the_requester(self, admin_user, referrer):
        from django.db import IntegrityError, transaction

        change = AccessChange.objects.create(account=referrer, kind=AccessChangeKind.REACTIVATION,
                                             requested_by=admin_user)
        change.decided_by = admin_user
        with pytest.raises(IntegrityError), transaction.atomic():
            change.save()


class TestSecondFactorAdmin:
    def test_an_administrator_cannot_add_a_second_factor_for_someone_else(self, first_admin, referrer):
        assert first_admin.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
        assert first_admin.post(reverse("admin:otp_totp_totpdevice_add"),
                                {"user": referrer.pk, "name": "x", "key": "00" * 20}).status_code == 403

    def test_an_administrator_sees_devices_without_their_keys(self, first_admin, referrer):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=referrer, name="telefoon", confirmed=True)
        page = first_admin.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
        assert page.status_code == 200
        assert device.key not in page.content.decode()
