"""On PostgreSQL the database itself keeps the audit tables append-only.

UPDATE is always refused; DELETE is refused for rows younger than five years (NEN 7513
retention). The application never deletes them at all; this guards against everything else
that can reach the table (a script, a console, a bug). TRUNCATE is a privilege the
application's database role should not have in production (see README).
"""

from django.db import migrations

TABLES = ("audit_accesslog", "audit_event")

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION USING
            MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': UPDATE refused',
            ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.at > now() - interval '5 years' THEN
        RAISE EXCEPTION USING
            MESSAGE = 'append-only table ' || TG_TABLE_NAME || ': DELETE of a row younger than five years refused',
            ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
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
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        cursor.execute("DROP FUNCTION IF EXISTS audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
