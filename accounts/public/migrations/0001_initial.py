"""The public site's models, moved from accounts with their tables (``db_table``): created
in the migration state only (accounts 0005 removed them from its state), so an existing
database keeps its tables and rows. Their content types (and so staff permissions) move
with them.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


MODELS = ['appointmentrequest', 'supportrequest']


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="accounts", model__in=MODELS).update(app_label="public")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="public", model__in=MODELS).update(app_label="accounts")


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
                    name='AppointmentRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('topic', models.CharField(choices=[('DEMO', 'A demo of the product'), ('ONBOARDING', 'Help setting up my account')], default='DEMO', max_length=12)),
                        ('name', models.CharField(max_length=200)),
                        ('email', models.EmailField(max_length=254)),
                        ('phone', models.CharField(max_length=32)),
                        ('preferred_times', models.TextField(help_text='When the requester can talk, in their words')),
                        ('time_zone', models.CharField(blank=True, max_length=64)),
                        ('note', models.TextField(blank=True)),
                        ('status', models.CharField(choices=[('NEW', 'New'), ('SCHEDULED', 'Scheduled'), ('DONE', 'Done'), ('CANCELED', 'Canceled')], default='NEW', max_length=10)),
                        ('scheduled_for', models.DateTimeField(blank=True, null=True)),
                        ('staff_note', models.TextField(blank=True)),
                        ('ip', models.GenericIPAddressField(blank=True, null=True)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_appointmentrequest',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['status', '-created_at'], name='appt_status_time')],
                    },
                ),
                migrations.CreateModel(
                    name='SupportRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('name', models.CharField(max_length=200)),
                        ('email', models.EmailField(max_length=254)),
                        ('subject', models.CharField(max_length=200)),
                        ('body', models.TextField()),
                        ('status', models.CharField(choices=[('OPEN', 'Open'), ('ANSWERED', 'Answered'), ('CLOSED', 'Closed')], default='OPEN', max_length=10)),
                        ('answer', models.TextField(blank=True)),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('ip', models.GenericIPAddressField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('business', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.business')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_supportrequest',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['status', '-created_at'], name='support_status_time')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
