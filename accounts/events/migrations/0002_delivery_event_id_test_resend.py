# An event id apart from the delivery's (one event, several endpoints and resends), the
# test flag, and the link of a resend to what it resends.

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookdelivery',
            name='event_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        # deliveries made before: their event id was their own uuid (what receivers saw)
        migrations.RunSQL(
            "UPDATE messaging_webhookdelivery SET event_id = uuid",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='resent_from',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='events.webhookdelivery'),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='test',
            field=models.BooleanField(default=False),
        ),
    ]
