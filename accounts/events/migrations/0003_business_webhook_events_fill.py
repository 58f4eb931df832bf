# Business.webhook_events (accounts 0010) for the endpoints that exist already.

from django.db import migrations


def fill(apps, schema_editor):
    Business = apps.get_model("accounts", "Business")
    WebhookEndpoint = apps.get_model("events", "WebhookEndpoint")
    wanted: dict[int, set[str]] = {}
    for business_id, events in WebhookEndpoint.objects.filter(is_active=True).values_list(
        "business_id", "events"
    ):
        wanted.setdefault(business_id, set()).update(events or [])
    for business_id, events in wanted.items():
        Business.objects.filter(pk=business_id).update(webhook_events=sorted(events))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0010_business_webhook_events'),
        ('events', '0002_delivery_event_id_test_resend'),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
