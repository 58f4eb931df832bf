"""Whether an endpoint wants an event, answered without SQL in the common case
(accounts.events.subscriptions), and never stale: a subscription created, changed or
removed in another process is seen by the very next emit here."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.events import services
from accounts.events.models import WebhookDelivery
from accounts.events.selectors import event_subscribed
from devtools.processes import database_url

ROOT = Path(__file__).resolve().parent.parent.parent
URL = "https://hooks.brightsmile.example/events"
DATA = {"message": "m-1", "status": "QUEUED"}


def _emit(business) -> list[WebhookDelivery]:
    return services.event_emit(business=business, type="message.status", data=DATA)


def _another_process(business, code: str) -> subprocess.Popen:
    """Start ``code`` (``business`` bound to the test's business, ``services`` imported) in a
    new Python process on the test database and the same Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
    }
    script = (
        "import sys, django; django.setup()\n"
        "from django.conf import settings\n"
        "settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # no DNS look-up of the test host\n"
        "from accounts.models import Business\n"
        "from accounts.events import services\n"
        "from accounts.events.models import WebhookEndpoint\n"
        "business = Business.objects.get(pk=int(sys.argv[1]))\n" + code
    )
    return subprocess.Popen([sys.executable, "-c", script, str(business.pk)], cwd=ROOT, env=env)


def _in_another_process(business, code: str) -> None:
    assert _another_process(business, code).wait(120) == 0


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_made_in_another_process_gets_the_next_event(business, settings):
    assert _emit(business) == []  # nothing subscribed; the answer is now known here
    with CaptureQueriesContext(connection) as asked:
        assert _emit(business) == []
        assert not event_subscribed(business_id=business.pk, type="message.status")
    assert asked.captured_queries == []  # the common case costs no SQL

    _in_another_process(
        business,
        f"services.webhook_endpoint_create(business=business, url={URL!r},"
        " events=['message.status'])\n",
    )
    [delivery] = _emit(business)  # at once: the other process changed the version
    assert delivery.event == "message.status" and delivery.payload == DATA
    assert WebhookDelivery.objects.filter(business=business).count() == 1
    assert event_subscribed(business_id=business.pk, type="message.status")
    assert _emit(business)  # every emit while subscribed writes its outbox row
    assert not services.event_emit(business=business, type="message.inbound", data=DATA)

    _in_another_process(
        business,
        "endpoint = WebhookEndpoint.objects.get(business=business)\n"
        "services.webhook_endpoint_update(endpoint=endpoint, events=['message.inbound'])\n",
    )
    assert _emit(business) == []
    assert services.event_emit(business=business, type="message.inbound", data=DATA)

    _in_another_process(
        business,
        "endpoint = WebhookEndpoint.objects.get(business=business)\n"
        "services.webhook_endpoint_update(endpoint=endpoint, is_active=False)\n",
    )
    assert services.event_emit(business=business, type="message.inbound", data=DATA) == []

    _in_another_process(
        business,
        "endpoint = WebhookEndpoint.objects.get(business=business)\n"
        "services.webhook_endpoint_update(endpoint=endpoint, is_active=True)\n",
    )
    assert services.event_emit(business=business, type="message.inbound", data=DATA)

    _in_another_process(
        business,
        "services.webhook_endpoint_delete(endpoint=WebhookEndpoint.objects.get(business=business))\n",
    )
    assert services.event_emit(business=business, type="message.inbound", data=DATA) == []


@pytest.mark.django_db(transaction=True)
def test_changes_in_this_process_are_seen_at_once_and_a_rollback_is_forgotten(
    business, other_business, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert _emit(business) == []
    endpoint = services.webhook_endpoint_create(
        business=business, url=URL, events=["message.status"]
    )
    assert len(_emit(business)) == 1
    # a batch across businesses: only the one that listens writes a row
    batch = [(business.pk, "message.status", DATA), (other_business.pk, "message.status", DATA)]
    [delivery] = services.event_emit_many(events=batch)
    assert delivery.business_id == business.pk

    # disabled inside a transaction that rolls back: what was read there is not kept
    with pytest.raises(RuntimeError), transaction.atomic():
        services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
        assert _emit(business) == []
        raise RuntimeError("rolled back")
    assert len(_emit(business)) == 1

    with transaction.atomic():
        services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
    assert _emit(business) == []


@pytest.mark.django_db(transaction=True)
def test_two_endpoints_made_at_once_both_count(business, settings):
    # the business row is locked before the endpoints are read: the second change reads
    # after the first commits, so Business.webhook_events (the send path's answer) has both
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    with transaction.atomic():
        services.webhook_endpoint_create(business=business, url=URL, events=["message.status"])
        # another process creates one while this transaction holds the business row
        other = _another_process(
            business,
            f"services.webhook_endpoint_create(business=business, url={URL!r},"
            " events=['message.inbound'])\n",
        )
        deadline = time.monotonic() + 90
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:  # until it waits for this transaction
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # kept per transaction
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("the other process never waited for the lock")
    assert other.wait(120) == 0
    business.refresh_from_db()
    assert business.webhook_events == ["message.inbound", "message.status"]
