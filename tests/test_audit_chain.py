"""The audit logs' hash chain: verify_audit finds a row changed or removed behind the application's back."""

import datetime
import importlib
import threading
import uuid
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit import chain
from audit.actor import Actor
from audit.models import AccessAction, AccessLog, ChainHead, Event
from audit.services import access_record, access_record_many, event_record
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="needs PostgreSQL (its trigger, its row locks)")


def verify():
    """(exit status, output) of manage.py verify_audit."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue() + err.getvalue() + str(error)
    return 0, out.getvalue()


def raw(sql, params=()):
    """A statement as the tables' owner could run it: on PostgreSQL past the append-only trigger."""
    table = sql.split()[1] if sql.startswith("UPDATE") else sql.split()[2]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows, checked now
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


@pytest.fixture
def logged(referrer):
    """Rows in both logs through the services: single rows, a list's rows, events with data."""
    actor = Actor(user=referrer, ip="::1")
    cases = [CaseFactory(referring_physician=referrer) for _ in range(3)]
    for case in cases:
        access_record(actor=actor, action=AccessAction.READ, object_type="case", case=case)
        event_record(actor=actor, action="case.saved", case=case, data={"z": 1, "a": ["é", None], "m": {"b": 2}})
    access_record_many(actor=actor, action=AccessAction.LIST, object_type="case", cases=cases)
    access_record(actor=actor, action=AccessAction.READ, object_type="case", case=cases[0])
    return cases


class TestCanonicalForm:
    SPEC = chain.SPECS["audit.event"]

    def row(self, **changes):
        values = {"action": "case.saved", "at": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
                  "case_id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "client_ip": "::1",
                  "data": {"b": 1, "a": {"y": None, "x": "é"}}, "object_id": "7", "object_type": "referrals.case",
                  "user_id": 3, **changes}
        return chain.canonical(self.SPEC, [values[name] for name, _convert in self.SPEC])

    def test_it_is_sorted_compact_utf8_json_with_utc_microseconds(self):
        assert self.row() == (
            '{"action":"case.saved","at":"2026-01-02T03:04:05.000000Z",'
            '"case_id":"12345678-1234-5678-1234-567812345678","client_ip":"0000:0000:0000:0000:0000:0000:0000:0001",'
            '"data":{"a":{"x":"é","y":null},"b":1},"object_id":"7","object_type":"referrals.case","user_id":3}'
        ).encode()

    def test_equal_values_give_equal_bytes_whatever_their_python_form(self):
        amsterdam = datetime.timezone(datetime.timedelta(hours=1))
        assert self.row(at=datetime.datetime(2026, 1, 2, 4, 4, 5, tzinfo=amsterdam),
                        case_id="12345678123456781234567812345678", client_ip="0:0:0:0:0:0:0:1") == self.row()

    def test_a_naive_datetime_is_refused(self):
        with pytest.raises(ValueError, match="aware"):
            self.row(at=datetime.datetime(2026, 1, 2))  # noqa: DTZ001 - the point of the test

    def test_the_link_is_sha256_of_the_previous_hash_and_the_row(self):
        import hashlib

        assert chain.link(chain.GENESIS, b"{}") == hashlib.sha256(b"0" * 64 + b"\n{}").hexdigest()

    @pytest.mark.parametrize("model", [AccessLog, Event])
    def test_every_column_is_hashed_or_deliberately_left_out(self, model):
        # A new column must be added to chain.SPECS knowingly (it changes nothing for old rows).
        columns = {f.attname for f in model._meta.concrete_fields} - set(chain.EXCLUDED)
        assert columns == {name for name, _convert in chain.fields(model)}


class TestVerifyAudit:
    def test_an_intact_chain_passes(self, logged):
        status, out = verify()
        assert status == 0, out
        assert f"audit.accesslog: {AccessLog.objects.count()} rows, chain intact" in out
        assert f"audit.event: {Event.objects.count()} rows, chain intact" in out
        assert ChainHead.objects.get(log="audit.accesslog").count == AccessLog.objects.count()

    def test_an_empty_database_passes(self, db):
        assert verify()[0] == 0

    def test_a_changed_row_is_named(self, logged):
        row = AccessLog.objects.order_by("id")[3]
        raw("UPDATE audit_accesslog SET username = %s WHERE id = %s", ["iemand-anders", row.pk])
        status, out = verify()
        assert status == 1
        assert f"audit.accesslog: chain broken at row id {row.pk}: its hash does not follow" in out
        assert "audit.event:" in out and "audit.event: chain broken" not in out

    def test_a_changed_json_value_of_an_event_is_named(self, logged):
        row = Event.objects.order_by("id")[1]
        data = '{"z": 1, "a": ["é", null], "m": {"b": 3}}'
        raw("UPDATE audit_event SET data = %s WHERE id = %s", [data, row.pk])
        status, out = verify()
        assert status == 1 and f"audit.event: chain broken at row id {row.pk}" in out

    def test_a_row_removed_in_the_middle_is_named_by_the_row_after_it(self, logged):
        ids = list(AccessLog.objects.order_by("id").values_list("id", flat=True))
        raw("DELETE FROM audit_accesslog WHERE id = %s", [ids[4]])
        status, out = verify()
        assert status == 1
        assert f"chain broken at row id {ids[5]}" in out
        assert f"previous row (id {ids[3]})" in out and f"ids {ids[4]} to {ids[4]} are absent" in out

    def test_rows_removed_at_the_end_are_found_by_the_chain_head(self, logged):
        last = AccessLog.objects.order_by("-id").first()
        raw("DELETE FROM audit_accesslog WHERE id = %s", [last.pk])
        status, out = verify()
        assert status == 1
        assert "the last 1 rows" in out and "were removed" in out

    def test_a_rewritten_chain_does_not_match_the_head(self, logged):
        # The owner changes a row and recomputes every hash after it, but not the head.
        rows = list(AccessLog.objects.order_by("id"))
        raw("UPDATE audit_accesslog SET username = 'x' WHERE id = %s", [rows[0].pk])
        previous = chain.GENESIS
        spec = chain.fields(AccessLog)
        for row in AccessLog.objects.order_by("id").values_list("id", *[n for n, _c in spec]):
            previous = chain.link(previous, chain.canonical(spec, row[1:]))
            raw("UPDATE audit_accesslog SET chain_hash = %s WHERE id = %s", [previous, row[0]])
        status, out = verify()
        assert status == 1 and "the head records another hash" in out

    def test_a_row_written_without_the_chain_is_named(self, logged, referrer):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_event (at, action, object_type, object_id, data, chain_hash) "
                           "VALUES (%s, 'x', '', '', '{}', '')", [datetime.datetime.now(datetime.UTC)])
        status, out = verify()
        assert status == 1 and "it has no chain hash" in out


def test_the_migration_chains_the_rows_written_before_the_chain(logged):
    from django.apps import apps

    migration = importlib.import_module("audit.migrations.0006_chain_existing_rows")
    raw("UPDATE audit_accesslog SET chain_hash = ''")
    raw("UPDATE audit_event SET chain_hash = ''")
    ChainHead.objects.all().delete()
    assert verify()[0] == 1
    migration.forwards(apps, SimpleNamespace(connection=connection))  # all it uses of the schema editor
    status, out = verify()
    assert status == 0, out
    assert ChainHead.objects.get(log="audit.event").count == Event.objects.count()


@on_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_one_chain(referrer):
    writers, rows = 4, 50
    case = CaseFactory(referring_physician=referrer)
    barrier = threading.Barrier(writers)
    errors = []

    def write(index):
        try:
            actor = Actor(user=referrer, ip=f"10.0.0.{index}")
            barrier.wait(timeout=30)
            for n in range(rows):
                if n % 10 == 9:
                    access_record_many(actor=actor, action=AccessAction.LIST, object_type="case", cases=[case] * 3)
                elif n % 2:
                    with transaction.atomic():  # a service: an event and its access row in one transaction
                        event_record(actor=actor, action="case.saved", case=case, data={"writer": index, "n": n})
                else:
                    access_record(actor=actor, action=AccessAction.READ, object_type="case", case=case)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung (deadlock?)"
    assert not errors, errors
    status, out = verify()
    assert status == 0, out
    for model in (AccessLog, Event):
        hashes = list(model.objects.values_list("chain_hash", flat=True))
        assert len(set(hashes)) == len(hashes)  # no fork: no two rows after the same one
        assert ChainHead.objects.get(log=model._meta.label_lower).count == len(hashes)
    assert Event.objects.count() == writers * 20


@on_postgresql
@pytest.mark.postgres
def test_postgresql_the_trigger_still_refuses_the_change_itself(logged):
    from django.db import DatabaseError

    row = AccessLog.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET chain_hash = '' WHERE id = %s", [row.pk])
