# The quality dashboard's law figures read two columns instead of matching text in every advice's
# JSON (docs/performance.md, issue 17): whether the advice includes radiotherapy and whether the
# legal quorum was present. Existing advices (and their history rows) are filled in here.

from django.conf import settings
from django.db import migrations, models

# As in triage.quorum (Regeling bijzondere neurochirurgie), written out: a migration stays as it was.
RADIOTHERAPY_DECISIONS = {"srt", "resection_srt", "wbrt"}
REQUIRED_DISCIPLINES = {"neurosurgery", "radiation_oncology", "neurology", "neuroradiology"}


def fill(apps, schema_editor):
    for name in ("MeetingAdvice", "HistoricalMeetingAdvice"):
        model = apps.get_model("meetings", name)
        changed = []
        for row in model.objects.only("pk", "decisions", "present_disciplines").iterator(chunk_size=2000):
            row.includes_radiotherapy = bool(RADIOTHERAPY_DECISIONS.intersection(row.decisions or ()))
            row.quorum_present = REQUIRED_DISCIPLINES <= set(row.present_disciplines or ())
            if row.includes_radiotherapy or row.quorum_present:
                changed.append(row)
        model.objects.bulk_update(changed, ["includes_radiotherapy", "quorum_present"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0006_stored_pdfs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalmeetingadvice',
            name='includes_radiotherapy',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='historicalmeetingadvice',
            name='quorum_present',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='meetingadvice',
            name='includes_radiotherapy',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='meetingadvice',
            name='quorum_present',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='meetingadvice',
            index=models.Index(condition=models.Q(('includes_radiotherapy', True), ('quorum_present', False)), fields=['item'], name='advice_radiotherapy_no_quorum'),
        ),
    ]
