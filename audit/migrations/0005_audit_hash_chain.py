"""Each audit row carries a hash chained to the previous row's; the chain heads (audit/chain.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_append_only_base_manager_and_truncate'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChainHead',
            fields=[
                ('log', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                ('count', models.BigIntegerField(default=0)),
                ('anchor', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name='accesslog',
            name='chain_hash',
            field=models.CharField(default='', editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='event',
            name='chain_hash',
            field=models.CharField(default='', editable=False, max_length=64),
        ),
    ]
