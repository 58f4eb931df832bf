# The tenants' webhook endpoints and deliveries moved to accounts.events (its 0001 takes
# them into its state); the tables stay, nothing is dropped.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0008_broadcast_segment'),
        ('events', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='WebhookDelivery'),
                migrations.DeleteModel(name='WebhookEndpoint'),
            ],
        ),
    ]
