"""The hash chain for the rows written before it existed, in id order (audit/chain.py).

On PostgreSQL the append-only trigger refuses UPDATE, so it is switched off for this one
migration (the migrating role owns the tables) and on again in the same transaction.
"""

from django.db import migrations

from audit import chain

LOGS = (("AccessLog", "audit_accesslog"), ("Event", "audit_event"))
CHUNK = 5000


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    ChainHead = apps.get_model("audit", "ChainHead")
    postgresql = connection.vendor == "postgresql"
    for name, table in LOGS:
        model = apps.get_model("audit", name)
        spec = chain.fields(model)
        names = [field for field, _convert in spec]
        previous, count, last_id = chain.GENESIS, 0, 0
        with connection.cursor() as cursor:
            if postgresql:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            while True:  # by id ranges: no open read cursor on the table while it is updated
                rows = list(model.objects.filter(id__gt=last_id).order_by("id").values_list("id", *names)[:CHUNK])
                if not rows:
                    break
                updates = []
                for row in rows:
                    previous = chain.link(previous, chain.canonical(spec, row[1:]))
                    updates.append((previous, row[0]))
                cursor.executemany(f"UPDATE {table} SET chain_hash = %s WHERE id = %s", updates)  # noqa: S608
                count += len(rows)
                last_id = rows[-1][0]
            if postgresql:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        ChainHead.objects.update_or_create(log=f"audit.{name.lower()}",
                                           defaults={"hash": previous, "count": count, "anchor": chain.GENESIS})


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_audit_hash_chain")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
