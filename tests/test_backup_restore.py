"""Backup and restore (README, "Backup and restore"): pg_dump -Fc of the database, pg_restore into a
new one, verify_audit against the copy, and the application reads the restored cases."""

import os
import shutil
import subprocess  # noqa: S404 - the PostgreSQL client tools and manage.py, with fixed arguments
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from audit.actor import Actor
from audit.models import AccessAction, AccessLog, Event
from audit.services import access_record, event_record
from referrals.models import Case
from tests.factories import CaseFactory, PatientFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),  # committed rows: pg_dump reads them on its own connection
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="the PostgreSQL client tools are not installed"),
]


def client_args(settings):
    args = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if settings.get(key):
            args += [flag, str(settings[key])]
    return args


def client_env(settings):
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return env


def database_url(settings, name):
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{name}"


def manage(settings, name, *args):
    env = {**client_env(settings), "DATABASE_URL": database_url(settings, name),
           "DJANGO_SETTINGS_MODULE": "mdo.settings_test"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


def run(*args, settings):
    subprocess.run(list(args), env=client_env(settings), check=True, capture_output=True, timeout=120)  # noqa: S603


@pytest.fixture
def restored(tmp_path, referrer):
    """The test database, with cases and audit rows, dumped and restored into a new database."""
    actor = Actor(user=referrer, ip="192.0.2.7")
    cases = [CaseFactory(patient=PatientFactory(hospital=referrer.hospital), referring_physician=referrer)
             for _ in range(3)]
    for case in cases:
        event_record(actor=actor, action="case.saved", case=case, data={"step": "patient"})
        access_record(actor=actor, action=AccessAction.READ, object_type="case", case=case)
    settings = connection.settings_dict
    dump = tmp_path / "mdo.dump"
    name = f"mdo_restore_{uuid.uuid4().hex[:12]}"  # unique: the suite runs in parallel under xdist
    run("pg_dump", "-Fc", "-f", str(dump), *client_args(settings), settings["NAME"], settings=settings)
    run("createdb", *client_args(settings), name, settings=settings)
    try:
        run("pg_restore", "--no-owner", "--exit-on-error", "-d", name, *client_args(settings), str(dump),
            settings=settings)
        yield settings, name, cases
    finally:
        run("dropdb", "--if-exists", *client_args(settings), name, settings=settings)


def test_the_restored_database_has_an_intact_audit_chain(restored):
    settings, name, _cases = restored
    result = manage(settings, name, "verify_audit")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"audit.accesslog: {AccessLog.objects.count()} rows, chain intact" in result.stdout
    assert f"audit.event: {Event.objects.count()} rows, chain intact" in result.stdout


SERVE = """
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import User
from referrals.models import Case

user = User.objects.get(username="verwijzer")
device, _ = TOTPDevice.objects.get_or_create(user=user, name="restore-test", defaults={"confirmed": True})
client = Client()
client.force_login(user)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
for case in Case.objects.order_by("pk"):
    response = client.get(f"/cases/{case.pk}/")
    print(case.pk, response.status_code, case.patient.family_name in response.content.decode())
"""


def test_the_application_serves_the_restored_cases_and_extends_the_chain(restored):
    settings, name, cases = restored
    result = manage(settings, name, "shell", "--no-imports", "-c", SERVE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{pk} 200 True" for pk in sorted(c.pk for c in cases)]
    # The case pages wrote access rows in the restored database: its chain goes on from the restored head.
    result = manage(settings, name, "verify_audit")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"audit.accesslog: {AccessLog.objects.count() + len(cases)} rows, chain intact" in result.stdout


def test_a_row_changed_in_the_restored_copy_is_found(restored):
    settings, name, _cases = restored
    row = AccessLog.objects.order_by("id").first()
    sql = f"UPDATE audit_accesslog SET client_ip = '192.0.2.8' WHERE id = {int(row.pk)}"  # noqa: S608 - an int
    run("psql", "-v", "ON_ERROR_STOP=1", *client_args(settings), "-d", name, "-c",
        f"ALTER TABLE audit_accesslog DISABLE TRIGGER audit_accesslog_append_only; {sql}", settings=settings)
    result = manage(settings, name, "verify_audit")
    assert result.returncode == 1
    assert f"audit.accesslog: chain broken at row id {row.pk}" in result.stderr
    assert Case.objects.count() == 3
