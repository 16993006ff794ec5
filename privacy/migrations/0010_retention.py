# Retention: overrides, legal holds, recorded runs and dormant-account notices.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0009_staff_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DormantNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('inactive_since', models.DateTimeField(help_text='The last sign-in (or sign-up) the notice was based on.', verbose_name='inactive since')),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='notice sent')),
                ('erase_after', models.DateTimeField(db_index=True, verbose_name='erase after')),
                ('erasure_requested_at', models.DateTimeField(blank=True, null=True, verbose_name='erasure requested')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='dormant_notice', to=settings.AUTH_USER_MODEL, verbose_name='member')),
            ],
            options={
                'verbose_name': 'dormant-account notice',
                'verbose_name_plural': 'dormant-account notices',
                'ordering': ['erase_after'],
            },
        ),
        migrations.CreateModel(
            name='RetentionOverride',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rule', models.CharField(max_length=64, unique=True, verbose_name='rule')),
                ('period', models.DurationField(verbose_name='period')),
                ('reason', models.TextField(verbose_name='reason')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed at')),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
            ],
            options={
                'verbose_name': 'retention period override',
                'verbose_name_plural': 'retention period overrides',
                'ordering': ['rule'],
            },
        ),
        migrations.CreateModel(
            name='RetentionHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(help_text='Why the data must be kept, e.g. the dispute it belongs to.', verbose_name='reason')),
                ('reference', models.CharField(blank=True, help_text='A case or ticket number, never a name.', max_length=100, verbose_name='case reference')),
                ('placed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='placed at')),
                ('until', models.DateTimeField(blank=True, help_text='Leave empty to keep it until lifted.', null=True, verbose_name='until')),
                ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='lifted at')),
                ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted by')),
                ('placed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='placed by')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='retention_holds', to=settings.AUTH_USER_MODEL, verbose_name='member')),
            ],
            options={
                'verbose_name': 'legal hold',
                'verbose_name_plural': 'legal holds',
                'ordering': ['-placed_at'],
                'indexes': [models.Index(fields=['user', 'lifted_at'], name='privacy_hold_user_lifted')],
            },
        ),
        migrations.CreateModel(
            name='RetentionRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rule', models.CharField(max_length=64, verbose_name='rule')),
                ('action', models.CharField(choices=[('delete', 'delete'), ('anonymize', 'anonymize'), ('notify', 'send notice'), ('erase', 'schedule erasure')], max_length=16, verbose_name='action')),
                ('status', models.CharField(choices=[('running', 'Running'), ('done', 'Done'), ('failed', 'Failed'), ('interrupted', 'Interrupted (worker stopped)')], default='running', max_length=16, verbose_name='status')),
                ('trigger', models.CharField(blank=True, max_length=16, verbose_name='started by')),
                ('cutoff', models.DateTimeField(blank=True, null=True, verbose_name='cut-off')),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='started')),
                ('heartbeat_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last progress')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('rows', models.PositiveBigIntegerField(default=0, verbose_name='rows')),
                ('batches', models.PositiveIntegerField(default=0, verbose_name='batches')),
                ('longest_batch_ms', models.PositiveIntegerField(default=0, verbose_name='longest batch (ms)')),
                ('checkpoint', models.CharField(blank=True, help_text='Last primary key done.', max_length=255, verbose_name='checkpoint')),
                ('upper_bound', models.CharField(blank=True, help_text='Last primary key to visit.', max_length=255, verbose_name='upper bound')),
                ('error', models.CharField(blank=True, help_text='The kind of error; never row data.', max_length=300, verbose_name='error')),
                ('resumed_from', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='privacy.retentionrun', verbose_name='continues run')),
            ],
            options={
                'verbose_name': 'retention run',
                'verbose_name_plural': 'retention runs',
                'ordering': ['-started_at', '-pk'],
                'indexes': [models.Index(fields=['rule', '-started_at'], name='privacy_retrun_rule_started')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'running')), fields=('rule',), name='privacy_retrun_one_running')],
            },
        ),
    ]
