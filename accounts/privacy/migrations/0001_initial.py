"""Privacy's models, moved from accounts with their tables (``db_table``): created in the
migration state only (accounts 0005 removed them from its state), so an existing database
keeps its tables and rows, and the append-only trigger on accounts_cookieconsentrecord
stays on it. Their content types (and so staff permissions) move with them.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


MODELS = ['cookieconsentrecord', 'usagelogentry', 'retentionrun']


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="accounts", model__in=MODELS).update(app_label="privacy")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="privacy", model__in=MODELS).update(app_label="accounts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('accounts', '0005_privacy_and_public_split'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RetentionRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('dry_run', models.BooleanField(default=False)),
                        ('trigger', models.CharField(default='command', max_length=20)),
                        ('results', models.JSONField(blank=True, default=dict, help_text='rule name -> counts')),
                        ('errors', models.JSONField(blank=True, default=dict, help_text='rule name -> error')),
                        ('settings_snapshot', models.JSONField(blank=True, default=dict)),
                    ],
                    options={
                        'db_table': 'accounts_retentionrun',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='CookieConsentRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('browser_id', models.UUIDField(db_index=True)),
                        ('policy_version', models.CharField(max_length=40)),
                        ('choices', models.JSONField(help_text='Category -> allowed; essential is always true.')),
                        ('method', models.CharField(max_length=20)),
                        ('ip_anonymised', models.CharField(blank=True, max_length=64)),
                        ('user_agent_family', models.CharField(blank=True, max_length=100)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='cookie_consents', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_cookieconsentrecord',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['user', '-created_at'], name='cookieconsent_user_time')],
                    },
                ),
                migrations.CreateModel(
                    name='UsageLogEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('path', models.CharField(max_length=300)),
                        ('browser', models.CharField(blank=True, max_length=60)),
                        ('os', models.CharField(blank=True, max_length=60)),
                        ('device', models.CharField(blank=True, max_length=20)),
                        ('ip_truncated', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('business', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.business')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='usage_log', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'usage log entries',
                        'db_table': 'accounts_usagelogentry',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['user', '-created_at'], name='usagelog_user_time'), models.Index(fields=['created_at'], name='usagelog_time')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
