"""Indexes for the pre-consultation queue: its default order, and its search by name or number.

With 100,000 cases the queue's first page sorted all of a centre's queued cases (25 ms), and a
search by name read every patient (`UPPER(family_name) LIKE '%...%'`, 80-120 ms): see
docs/performance.md. The trigram index for that search exists on PostgreSQL only (extension
pg_trgm, "trusted" since PostgreSQL 13: the database owner may create it). Where the extension
cannot be created the migration goes on without that index; the search then stays correct,
only slower.
"""

import logging

import django.db.models.functions.text
from django.conf import settings
from django.db import DatabaseError, migrations, models, transaction

logger = logging.getLogger(__name__)

TRIGRAM_INDEX = (
    "CREATE INDEX IF NOT EXISTS patient_family_name_trgm ON referrals_patient "
    "USING gin (UPPER(family_name) gin_trgm_ops)"
)


def trigram_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning("pg_trgm not available (%s): no trigram index for the search by family name.", exc)
        return
    with connection.cursor() as cursor:
        cursor.execute(TRIGRAM_INDEX)


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS patient_family_name_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('referrals', '0003_case_meeting_gaps_case_meeting_ready_and_more'),
        ('triage', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['submitted', 'info_requested', 'accepted'])), fields=['mdo_centre', 'submitted_at', 'id'], name='case_queue_waiting'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(django.db.models.functions.text.Upper('patient_number'), name='patient_number_upper'),
        ),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
