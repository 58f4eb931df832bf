# The endpoint and delivery models moved here from messaging (messaging 0006 drops them
# from its state): the tables stay as they are, only Django's state changes hands.

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_privacy_and_public_split'),
        ('messaging', '0005_keyword_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('url', models.URLField(max_length=500)),
                        ('events', models.JSONField(default=list)),
                        ('description', models.CharField(blank=True, max_length=200)),
                        ('secret', models.CharField(max_length=80)),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('secret_rotated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('business', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_endpoints', to='accounts.business')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'messaging_webhookendpoint',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['business', 'is_active'], name='webhookendpoint_biz')],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('event', models.CharField(max_length=40)),
                        ('payload', models.JSONField(default=dict)),
                        ('status', models.CharField(choices=[('PENDING', 'Pending'), ('RETRYING', 'Retrying'), ('SUCCEEDED', 'Delivered'), ('FAILED', 'Failed')], default='PENDING', max_length=10)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('response_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=300)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('business', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.business')),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='events.webhookendpoint')),
                    ],
                    options={
                        'db_table': 'messaging_webhookdelivery',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [
                            models.Index(fields=['business', 'endpoint', '-created_at'], name='webhookdelivery_log'),
                            models.Index(condition=models.Q(('status__in', ['PENDING', 'RETRYING'])), fields=['next_attempt_at'], name='webhookdelivery_due'),
                        ],
                    },
                ),
            ],
        ),
    ]
