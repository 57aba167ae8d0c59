from django.db import migrations, models


def mark_discussed(apps, schema_editor):
    """Items whose advice is recorded were discussed (at the time of that advice's first record)."""
    AgendaItem = apps.get_model("meetings", "AgendaItem")
    MeetingAdvice = apps.get_model("meetings", "MeetingAdvice")
    for advice in MeetingAdvice.objects.all().only("item_id", "recorded_at").iterator():
        AgendaItem.objects.filter(pk=advice.item_id, discussed_at__isnull=True).update(
            discussed_at=advice.recorded_at)


class Migration(migrations.Migration):

    dependencies = [
        ("meetings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="agendaitem",
            name="discussed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="discussed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_discussed, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="agendaitem",
            name="case_on_one_agenda",
        ),
        migrations.AddConstraint(
            model_name="agendaitem",
            constraint=models.UniqueConstraint(
                condition=models.Q(("discussed_at__isnull", True), ("removed_at__isnull", True)),
                fields=("case",), name="case_on_one_agenda"),
        ),
    ]
