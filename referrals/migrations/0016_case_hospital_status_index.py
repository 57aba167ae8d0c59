# A referring hospital's cases in one status (the case list's status filter, its notice of advices
# without implementation): read from this index instead of every centre's cases in that status.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('referrals', '0015_queue_index_urgent_first'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['referring_hospital', 'status'], name='case_hospital_status'),
        ),
    ]
