# The queue's first page sorts urgent cases first (meetings.views.preconsult.SORTS): the index
# follows, so the page is read in index order again instead of sorting the centre's whole queue.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('referrals', '0014_implemented_reentry'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_queue_waiting',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['submitted', 'info_requested', 'accepted'])), fields=['mdo_centre', '-urgent', 'submitted_at', 'id'], name='case_queue_waiting'),
        ),
    ]
