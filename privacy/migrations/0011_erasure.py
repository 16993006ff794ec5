# Account erasure: the job that erases one member, and the journal that outlives it.

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0010_retention'),
    ]

    operations = [
        migrations.CreateModel(
            name='ErasureJournal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tombstone', models.UUIDField(editable=False, unique=True, verbose_name='tombstone')),
                ('email_hash', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='email hash')),
                ('phone_hash', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='phone hash')),
                ('other_hashes', models.TextField(blank=True, help_text="Hashes of the member's further email addresses, separated by spaces.", verbose_name='other address hashes')),
                ('erased_at', models.DateTimeField(db_index=True, verbose_name='erased')),
            ],
            options={
                'verbose_name': 'erasure journal entry',
                'verbose_name_plural': 'erasure journal',
                'ordering': ['erased_at'],
            },
        ),
        migrations.CreateModel(
            name='ErasureJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tombstone', models.UUIDField(default=uuid.uuid4, editable=False, help_text='Random id that kept records (bookings) are linked to instead of the member.', unique=True, verbose_name='tombstone')),
                ('user_id', models.BigIntegerField(blank=True, db_index=True, help_text='Not a foreign key: the account row is deleted by the job.', null=True, verbose_name='account id')),
                ('source', models.CharField(choices=[('member', 'The member, in the privacy center'), ('staff', 'Staff, for a verified request'), ('dormant', 'Dormant-account sweep'), ('replay', 'Replay after a backup restore')], max_length=16, verbose_name='source')),
                ('status', models.CharField(choices=[('scheduled', 'Scheduled (grace period)'), ('cancelled', 'Cancelled'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='scheduled', max_length=16, verbose_name='status')),
                ('reason', models.CharField(blank=True, help_text='Why staff erased the account (no names or addresses).', max_length=300, verbose_name='reason')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested')),
                ('due_at', models.DateTimeField(help_text='End of the grace period.', verbose_name='erase after')),
                ('deadline', models.DateTimeField(help_text='When the erasure must be complete at the latest.', verbose_name='legal deadline')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started')),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True, verbose_name='last progress')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('phase', models.CharField(choices=[('prepare', 'Cancel bookings, add suppression hashes'), ('outside', 'Sessions, files, cache, buffered events'), ('walk', 'Declared models, batch by batch'), ('finish', 'Final email, account row, journal')], default='prepare', max_length=16, verbose_name='phase')),
                ('checkpoint_model', models.CharField(blank=True, max_length=100, verbose_name='checkpoint: model')),
                ('checkpoint_pk', models.CharField(blank=True, max_length=100, verbose_name='checkpoint: last key')),
                ('checkpoint_rows', models.PositiveBigIntegerField(default=0, help_text="Rows of the checkpoint's model done.", verbose_name='checkpoint: rows')),
                ('email_hashes', models.JSONField(blank=True, default=list, verbose_name='address hashes')),
                ('phone_hash', models.CharField(blank=True, max_length=64, verbose_name='phone hash')),
                ('state', models.JSONField(blank=True, default=dict, help_text='Storage names of files to remove; counts of the steps done.', verbose_name='work state')),
                ('report', models.JSONField(blank=True, default=dict, help_text='What was deleted, anonymized and kept, per model, with counts only.', verbose_name='report')),
                ('error', models.CharField(blank=True, max_length=300, verbose_name='last error')),
                ('request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='erasure_jobs', to='privacy.privacyrequest', verbose_name='privacy request')),
            ],
            options={
                'verbose_name': 'erasure job',
                'verbose_name_plural': 'erasure jobs',
                'ordering': ['-requested_at'],
                'permissions': [('erase_member', "Can erase a member's account")],
                'indexes': [models.Index(fields=['status', 'due_at'], name='privacy_erasure_status_due')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['scheduled', 'running', 'failed'])), fields=('user_id',), name='privacy_erasure_one_active_per_user')],
            },
        ),
    ]
