"""Security: authentication, sessions, headers, deployment settings, error pages, privacy of logs,
escaping, and the append-only access log (NEN 7513)."""

import datetime
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import mdo.settings as production_settings
from accounts.middleware import LAST_SEEN, LOGIN_AT
from accounts.models import Session
from audit.actor import Actor
from audit.models import AccessLog, AppendOnlyError, Event
from audit.services import access_record
from tests.conftest import verified_login
from tests.factories import CentreFactory, UserFactory
from tests.intake_helpers import STEP_DATA, imaging_data
from tests.workflow import submitted_case

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-password-1"


def login_password(client, user, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": password})


class TestAuthentication:
    def test_passwords_are_hashed_with_argon2_in_production(self):
        assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")

    @pytest.mark.parametrize("password", ["kort", "12345678901234", "password1234"])
    def test_weak_passwords_are_refused(self, password):
        with pytest.raises(ValidationError):
            validate_password(password)

    def test_a_twelve_character_password_is_the_minimum(self):
        min_length = next(v for v in settings.AUTH_PASSWORD_VALIDATORS if "MinimumLength" in v["NAME"])
        assert min_length["OPTIONS"]["min_length"] == 12
        validate_password("Zeven-Bergen-7")

    def test_five_failures_lock_the_account_with_a_dutch_message(self, client, referrer):
        for _ in range(5):
            login_password(client, referrer, "wrong-password-xx")
        response = login_password(client, referrer)
        assert response.status_code == 429
        assert "15 minuten geblokkeerd" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_lock_lasts_fifteen_minutes(self, client, referrer):
        from axes.models import AccessAttempt
        from django.db.models import F

        assert (production_settings.AXES_FAILURE_LIMIT, production_settings.AXES_COOLOFF_TIME) == (5, 0.25)
        for _ in range(5):
            login_password(client, referrer, "wrong-password-xx")

        def minutes_pass(minutes):
            AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=minutes))

        minutes_pass(14)
        assert login_password(client, referrer).status_code == 429
        # That attempt, refused, counts as one more failure: the 15 minutes start again from it.
        minutes_pass(14)
        assert login_password(client, referrer).status_code == 429
        minutes_pass(15.1)
        response = login_password(client, referrer)
        assert response.status_code == 302 and client.session["_auth_user_id"] == str(referrer.pk)

    def test_the_lock_is_per_account(self, client, referrer, colleague):
        for _ in range(5):
            login_password(client, referrer, "wrong-password-xx")
        response = login_password(client, colleague)
        assert response.status_code == 302

    def test_login_requires_the_second_factor(self, client, referrer):
        device = TOTPDevice.objects.create(user=referrer, name="app", confirmed=True)
        response = login_password(client, referrer)
        assert response.status_code == 302
        response = client.get(reverse("referrals:case_list"))
        assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
        response = client.post(reverse("accounts:2fa_verify"), {"token": "000000", "next": "/cases/"})
        assert response.status_code == 200 and client.get("/cases/").status_code == 302
        # A failed code throttles the device (django-otp); a person would wait a second.
        device.refresh_from_db()
        device.throttle_reset()
        response = client.post(reverse("accounts:2fa_verify"), {"token": f"{totp(device.bin_key):06d}",
                                                                "next": "/cases/"})
        assert response["Location"] == "/cases/"
        assert client.get("/cases/").status_code == 200

    @pytest.mark.parametrize("role", ["referrer", "neuro_oncologist", "chair", "admin", "privacy_officer"])
    def test_every_role_needs_the_second_factor(self, client, centre, role):
        assert production_settings.REQUIRE_2FA is True and settings.REQUIRE_2FA is True
        user = UserFactory(role=role, hospital=None if role == "admin" else centre, is_staff=role == "admin")
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        assert login_password(client, user).status_code == 302
        for url in ["/", "/cases/", "/mdo/queue/", "/mdo/meetings/", "/audit/access-log/", "/beheer/",
                    "/beheer/accounts/user/", "/accounts/password/"]:
            response = client.get(url)
            assert response.status_code == 302, (role, url)
            assert response["Location"].startswith("/accounts/2fa/?next="), (role, url)

    def test_a_user_without_an_authenticator_enrols_with_a_qr_code(self, client, referrer):
        login_password(client, referrer)
        response = client.get(reverse("accounts:2fa_verify"), follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("accounts:2fa_setup"))
        content = response.content.decode()
        assert "<svg" in content
        device = TOTPDevice.objects.get(user=referrer, confirmed=False)
        # The QR code is an SVG drawn on the server: no image fetched from a QR service, and the
        # secret (the otpauth:// URL) appears in no link or address the browser would fetch.
        qr = content.split('class="qr-code', 1)[1].split("</div>", 1)[0]
        assert "<svg" in qr and "<path" in qr and "<img" not in qr and "href" not in qr
        assert "otpauth://" not in content and 'src="http' not in content
        client.post(reverse("accounts:2fa_setup"), {"token": f"{totp(device.bin_key):06d}"})
        device.refresh_from_db()
        assert device.confirmed
        assert client.get("/cases/").status_code == 200

    @override_settings(REQUIRE_2FA=False)
    def test_the_demo_can_switch_the_second_factor_off(self, client, referrer):
        login_password(client, referrer)
        assert client.get("/cases/").status_code == 200

    def test_login_gives_a_new_session_key(self, client, referrer):
        client.get(reverse("accounts:login"))
        client.session.save()
        before = client.session.session_key
        login_password(client, referrer)
        assert client.session.session_key != before

    def test_a_deactivated_user_is_logged_out_on_the_next_request(self, client, referrer):
        verified_login(client, referrer)
        assert client.get("/cases/").status_code == 200
        referrer.is_active = False
        referrer.save()
        response = client.get("/cases/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestSessions:
    def test_sessions_end_after_thirty_minutes_of_inactivity(self, client, referrer):
        verified_login(client, referrer)
        client.get("/cases/")
        assert client.session.get_expiry_age() == 30 * 60
        session = Session.objects.get(session_key=client.session.session_key)
        Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
        response = client.get("/cases/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_activity_moves_the_thirty_minutes_on(self, client, referrer):
        verified_login(client, referrer)
        client.get("/cases/")
        key = client.session.session_key
        first = Session.objects.get(session_key=key).expire_date
        client.get("/cases/")  # within the minute: the session is not written again
        assert Session.objects.get(session_key=key).expire_date == first
        session = client.session
        session[LAST_SEEN] = int(time.time()) - 61
        session.save()
        saved = Session.objects.get(session_key=key).expire_date
        client.get("/cases/")
        renewed = Session.objects.get(session_key=key).expire_date
        assert renewed > saved and renewed - timezone.now() > datetime.timedelta(minutes=29)

    @pytest.fixture
    def clock(self, monkeypatch):
        """One clock for the session policy (time.time) and the session store (timezone.now)."""
        import types

        state = {"now": time.time()}
        monkeypatch.setattr("accounts.middleware.time", types.SimpleNamespace(time=lambda: state["now"]))
        monkeypatch.setattr("django.utils.timezone.now",
                            lambda: datetime.datetime.fromtimestamp(state["now"], datetime.UTC))

        def advance(seconds):
            state["now"] += seconds

        return advance

    def test_a_session_used_every_fifty_seconds_outlives_thirty_minutes(self, client, referrer, clock):
        verified_login(client, referrer)
        for _ in range(60):  # fifty minutes, each request within the minute that skips the write
            clock(50)
            assert client.get("/cases/").status_code == 200

    @pytest.mark.parametrize("idle,still_in", [(29 * 60, True), (30 * 60 + 1, False)])
    def test_thirty_minutes_after_the_last_request_the_session_has_ended(self, client, referrer, clock, idle,
                                                                        still_in):
        verified_login(client, referrer)
        for seconds in (30, 61, 20):  # the last request falls inside the minute: not written
            clock(seconds)
            assert client.get("/cases/").status_code == 200
        clock(idle)
        response = client.get("/cases/")
        if still_in:
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_twelve_hours_after_login_the_session_ends_even_when_busy(self, client, referrer, clock):
        verified_login(client, referrer)
        for _ in range(28):  # every 25 minutes, 11 h 40 min
            clock(25 * 60)
            assert client.get("/cases/").status_code == 200
        clock(21 * 60)
        response = client.get("/cases/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_sessions_end_twelve_hours_after_login_whatever_the_activity(self, client, referrer):
        verified_login(client, referrer)
        session = client.session
        session[LOGIN_AT] = int(time.time()) - 12 * 3600 - 1
        session.save()
        response = client.get("/cases/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestHeaders:
    def test_security_headers(self, referrer_client):
        response = referrer_client.get("/cases/")
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_pages_for_a_logged_in_user_are_never_stored(self, client, referrer):
        case = submitted_case(referrer)
        verified_login(client, referrer)
        for url in ["/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/timeline/", reverse("accounts:2fa_setup")]:
            response = client.get(url)
            assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url

    def test_no_page_uses_inline_scripts_or_styles(self, client, referrer):
        case = submitted_case(referrer)
        verified_login(client, referrer)
        for url in ["/cases/", f"/cases/{case.pk}/", reverse("referrals:intake_new")]:
            content = client.get(url).content.decode()
            assert "<script>" not in content and " style=" not in content and "<style" not in content


def run_manage(*args, **env):
    """manage.py in a fresh process with a clean environment (the test run's settings leak
    through os.environ otherwise)."""
    keep = ("PATH", "HOME", "LANG", "DATABASE_URL")
    environment = {k: v for k, v in os.environ.items() if k in keep}
    environment.update({"DJANGO_SETTINGS_MODULE": "mdo.settings", **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.server
class TestDeployment:
    PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x7#kq2!p0v9s8t6u5w4y3z1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o",
                  "ALLOWED_HOSTS": "mdo.example.org"}

    def test_the_deploy_check_passes_with_production_settings(self):
        result = run_manage("check", "--deploy", "--fail-level", "WARNING", **self.PRODUCTION)
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("env,message", [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "0", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"REQUIRE_2FA": "0"}, "REQUIRE_2FA may only be switched off when DEBUG is on"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL scheme"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT='smtp' is not a whole number"),
        ({"DATABASE_URL": "postgres://u:geheim@db:54x2/mdo"}, "DATABASE_URL: the port is not a number"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='loud' is not one of: DEBUG, INFO"),
    ])
    def test_a_bad_setting_stops_the_start_with_a_clear_message(self, env, message):
        result = run_manage("check", **{**self.PRODUCTION, **env})
        assert result.returncode != 0
        assert message in result.stderr
        assert "geheim" not in result.stderr  # a password in DATABASE_URL is never echoed

    def test_a_bad_setting_gives_one_line_not_a_traceback(self):
        result = run_manage("makemigrations", "--check", "--dry-run", DEBUG="0")
        assert result.returncode != 0
        assert result.stderr.startswith("Configuration error: SECRET_KEY must be set when DEBUG is off.")
        assert "Traceback" not in result.stderr

    def test_the_error_page_is_plain_dutch_without_a_stack_trace(self, client, referrer, monkeypatch):
        verified_login(client, referrer)

        def explode(*args, **kwargs):
            raise RuntimeError("secret internals")

        monkeypatch.setattr("referrals.views.cases.cases_visible_to", explode)
        client.raise_request_exception = False
        response = client.get("/cases/")
        assert response.status_code == 500
        content = response.content.decode()
        assert "Er ging iets mis" in content
        assert "Traceback" not in content and "secret internals" not in content

    def test_unknown_pages_are_a_plain_404(self, referrer_client):
        response = referrer_client.get("/does-not-exist/")
        assert response.status_code == 404 and "Pagina niet gevonden" in response.content.decode()


class TestPrivacy:
    def test_case_urls_carry_no_sequence_or_patient_data(self, referrer):
        case = submitted_case(referrer)
        url = reverse("casefile:case_detail", args=[case.pk])
        assert str(case.pk) in url and len(str(case.pk)) == 36
        assert case.patient.patient_number not in url

    def test_application_logs_hold_no_patient_data_through_a_full_intake(self, client, referrer, caplog):
        caplog.set_level(logging.DEBUG)
        verified_login(client, referrer)
        patient = {**STEP_DATA["patient"], "bsn": "111222333", "family_name": "Vertrouwelijk"}
        client.post(reverse("referrals:intake_new"), {**patient, "bsn": "123456789", "next": "1"})
        response = client.post(reverse("referrals:intake_new"), {**patient, "next": "1"})
        case_url = response["Location"].rsplit("/intake/", 1)[0]
        from referrals.models import Case
        case = Case.objects.get()
        for key in ("oncology", "history", "extracranial", "clinical", "questions"):
            case.refresh_from_db()
            client.post(f"{case_url}/intake/{key}/", {**STEP_DATA[key], "version": case.version, "next": "1"})
        case.refresh_from_db()
        client.post(f"{case_url}/intake/imaging/", {**imaging_data(), "version": case.version, "next": "1"})
        case.refresh_from_db()
        client.post(f"{case_url}/submit/", {"version": case.version})
        client.get(f"{case_url}/")
        client.get("/does-not-exist-either/")
        case.refresh_from_db()
        assert case.status == "submitted"
        text = caplog.text
        for secret in ("Vertrouwelijk", "111222333", "123456789", "Z123456", "1958-04-12", "EGFR", "apixaban"):
            assert secret not in text, secret

    def test_the_access_log_never_holds_the_bsn(self, client, referrer):
        verified_login(client, referrer)
        client.post(reverse("referrals:intake_new"), {**STEP_DATA["patient"], "bsn": "111222333", "next": "1"})
        rows = list(AccessLog.objects.values_list())
        assert rows and "111222333" not in repr(rows)
        assert "111222333" not in repr(list(Event.objects.values_list()))


XSS = "<script>alert(1)</script>"


class TestEscaping:
    def test_a_stored_script_shows_as_text_on_the_case_pages(self, client, referrer, neuro_oncologist):
        case = submitted_case(referrer, patient={"family_name": XSS}, question_to_mdo=XSS, molecular_markers=XSS,
                              patient_wish=XSS)
        for user, urls in [
            (referrer, ["/cases/", f"/cases/{case.pk}/"]),
            (neuro_oncologist, [f"/cases/{case.pk}/", reverse("meetings:queue")]),
        ]:
            verified_login(client, user)
            for url in urls:
                content = client.get(url).content.decode()
                assert XSS not in content, url
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content, url


    def test_a_stored_script_shows_as_text_on_every_page_and_printout(self, client, referrer, chair,
                                                                      neuro_oncologist, tmp_path):
        from meetings import services as meeting_services
        from tests.workflow import ADVICE, planned_meeting, register_quorum

        meeting = planned_meeting(chair, location=XSS)
        case = submitted_case(referrer, patient={"family_name": XSS, "given_names": XSS}, question_to_mdo=XSS,
                              molecular_markers=XSS, patient_wish=XSS, prior_treatment_lines=XSS)
        chair_actor = Actor(user=chair)
        meeting_services.case_accept_advice(actor=chair_actor, case_id=case.pk, reason=XSS)
        item = meeting_services.case_schedule(actor=chair_actor, case_id=case.pk, meeting_id=meeting.pk)
        register_quorum(meeting, chair)
        meeting_services.attendance_add(actor=chair_actor, meeting_id=meeting.pk, discipline="other",
                                        mode="video", name=XSS)
        meeting_services.item_set_presence(actor=chair_actor, item_id=item.pk, present="representative",
                                           representative_name=XSS)
        meeting_services.meeting_advice_record(actor=chair_actor, item_id=item.pk,
                                               values={**ADVICE, "text": XSS, "carried_out_by": XSS})
        waiting = submitted_case(referrer, patient={"family_name": XSS}, question_to_mdo=XSS)
        escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
        pages = [
            (referrer, ["/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/timeline/",
                        f"/cases/{waiting.pk}/"]),
            (neuro_oncologist, [reverse("meetings:queue"), f"/cases/{case.pk}/", f"/cases/{case.pk}/timeline/"]),
            (chair, [reverse(name, args=[meeting.pk]) for name in
                     ("meetings:meeting_detail", "meetings:agenda_print", "meetings:minutes_print",
                      "meetings:meeting_edit")]
             + [reverse("meetings:item_advice", args=[item.pk]), reverse("meetings:meeting_list")]),
        ]
        for user, urls in pages:
            verified_login(client, user)
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, url
                content = response.content.decode()
                assert XSS not in content, url
                assert escaped in content, url
        import subprocess

        for name in ("meetings:agenda_pdf", "meetings:minutes_pdf"):
            response = client.get(reverse(name, args=[meeting.pk]))
            assert response["Content-Type"] == "application/pdf"
            path = tmp_path / "printout.pdf"
            path.write_bytes(response.content)
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout
            # Shown as the characters typed, not run or swallowed as markup.
            assert text.count("<script>alert(1)</script>") >= 2, (name, text)


class TestAccessLogIsAppendOnly:
    def entry(self, referrer):
        case = submitted_case(referrer)
        return access_record(actor=Actor(user=referrer), action="read", object_type="case", case=case)

    def test_the_model_refuses_update_and_delete(self, referrer):
        entry = self.entry(referrer)
        entry.username = "someone else"
        with pytest.raises(AppendOnlyError):
            entry.save()
        with pytest.raises(AppendOnlyError):
            entry.delete()
        with pytest.raises(AppendOnlyError):
            AccessLog.objects.filter(pk=entry.pk).update(username="x")
        with pytest.raises(AppendOnlyError):
            AccessLog.objects.all().delete()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
    @pytest.mark.parametrize("statement", [
        "UPDATE audit_accesslog SET username = 'x'",
        "DELETE FROM audit_accesslog",
        "UPDATE audit_event SET action = 'x'",
        "DELETE FROM audit_event",
    ])
    def test_postgresql_rejects_update_and_delete(self, referrer, statement):
        self.entry(referrer)
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        assert AccessLog.objects.exists()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
    def test_postgresql_allows_deleting_rows_older_than_five_years(self, referrer):
        old = AccessLog.objects.create(username="x", action="read", object_type="case",
                                       at=timezone.now() - datetime.timedelta(days=5 * 366 + 1))
        young = self.entry(referrer)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [old.pk])
        assert not AccessLog.objects.filter(pk=old.pk).exists()
        assert AccessLog.objects.filter(pk=young.pk).exists()


class TestPrivacyOfficerPage:
    def test_it_lists_the_accesses_of_a_patient_and_logs_its_own_use(self, client, referrer, neuro_oncologist,
                                                                       centre):
        case = submitted_case(referrer)
        verified_login(client, neuro_oncologist)
        client.get(f"/cases/{case.pk}/")
        officer = UserFactory(hospital=centre, role="privacy_officer")
        verified_login(client, officer)
        today = timezone.localdate().isoformat()
        response = client.get(reverse("audit:access_log"), {
            "hospital": referrer.hospital.pk, "patient_number": case.patient.patient_number,
            "date_from": today, "date_to": today})
        assert response.status_code == 200
        users = {entry.username for entry in response.context["page"].object_list}
        from privacy.views import _period
        b, f = _period(timezone.localdate(), timezone.localdate())
        assert {referrer.username, neuro_oncologist.username} <= users
        assert AccessLog.objects.filter(user=officer, patient=case.patient, object_type="access_log").exists()

    def test_other_regions_patients_cannot_be_queried(self, client, referrer):
        case = submitted_case(referrer)
        officer = UserFactory(hospital=CentreFactory(), role="privacy_officer")
        verified_login(client, officer)
        today = timezone.localdate().isoformat()
        response = client.get(reverse("audit:access_log"), {
            "hospital": referrer.hospital.pk, "patient_number": case.patient.patient_number,
            "date_from": today, "date_to": today})
        assert response.context["page"] is None and "hospital" in response.context["form"].errors

    @pytest.mark.parametrize("role", ["referrer", "neuro_oncologist", "chair"])
    def test_clinical_roles_cannot_see_it(self, client, centre, role):
        verified_login(client, UserFactory(hospital=centre, role=role))
        assert client.get(reverse("audit:access_log")).status_code == 403
