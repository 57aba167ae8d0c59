"""The audit tables refuse TRUNCATE as well (PostgreSQL).

Row triggers (migration 0003) do not fire on TRUNCATE, so `manage.py flush` or a stray
TRUNCATE would empty the access log in one statement. A statement trigger refuses it. The only
exception is Django's own test run, which empties every table between tests with TRUNCATE: it is
allowed in a database whose name starts with "test_" on a connection that sets
`mdo.audit_truncate = 'test-run'` (mdo/settings_test.py). Both are needed, so a production
database never allows it. (The table's owner can still drop the trigger; the README says how to
run the application with a role that does not own the tables.)

The base manager change makes Django's internal paths (deletion collector, related lookups)
use the append-only queryset too.
"""

from django.db import migrations

TABLES = ("audit_accesslog", "audit_event")

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_database() LIKE 'test\\_%' AND current_setting('mdo.audit_truncate', true) = 'test-run' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': TRUNCATE refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        for table in TABLES:
            cursor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        cursor.execute("DROP FUNCTION IF EXISTS audit_refuse_truncate()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_triggers")]

    operations = [
        migrations.AlterModelOptions(
            name="accesslog",
            options={"base_manager_name": "objects", "ordering": ["-at", "-id"],
                     "verbose_name": "access log entry", "verbose_name_plural": "access log"},
        ),
        migrations.AlterModelOptions(
            name="event",
            options={"base_manager_name": "objects", "ordering": ["at", "id"],
                     "verbose_name": "event", "verbose_name_plural": "events"},
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
