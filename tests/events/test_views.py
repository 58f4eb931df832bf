"""The webhooks settings page: the delivery log, "send test event", resend and the
subscription, through the portal's views, deliveries reaching a real loopback receiver."""

import json

import pytest
from django.urls import reverse

from accounts.events import services
from accounts.events.models import WebhookDelivery
from accounts.models import AuditEvent
from tests.factories.messaging import sending_number

pytestmark = pytest.mark.django_db


def _detail(endpoint):
    return reverse("messaging:webhook-detail", args=[endpoint.uuid])


def test_a_test_event_of_a_chosen_type_arrives_signed_and_shows_in_the_log(
    owner_client, hooks, django_capture_on_commit_callbacks
):
    endpoint = hooks.endpoint
    page = owner_client.get(_detail(endpoint))
    assert page.status_code == 200
    assert b"Nothing sent yet" in page.content and b"contact.opted_out" in page.content

    url = reverse("messaging:webhook-test", args=[endpoint.uuid])
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly
        response = owner_client.post(url, {"event": "contact.opted_out"})
    assert response.status_code == 302
    [envelope] = hooks.events("contact.opted_out")
    assert envelope["test"] is True and envelope["data"]["status"] == "OPTED_OUT"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.test
    assert AuditEvent.objects.filter(action="webhook.test").exists()

    log = owner_client.get(_detail(endpoint)).content.decode()
    assert str(delivery.event_id) in log and "Delivered" in log and ">test<" in log
    assert reverse("messaging:webhook-resend", args=[endpoint.uuid, delivery.uuid]) in log


def test_the_plain_test_event_is_the_default(owner_client, hooks):
    owner_client.post(reverse("messaging:webhook-test", args=[hooks.endpoint.uuid]), {})
    hooks.flush()
    [envelope] = hooks.events("webhook.test")
    assert envelope["test"] is True and "test event" in envelope["data"]["message"]


def test_an_unknown_test_event_is_a_form_error(owner_client, hooks):
    url = reverse("messaging:webhook-test", args=[hooks.endpoint.uuid])
    response = owner_client.post(url, {"event": "message.exploded"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not WebhookDelivery.objects.exists()


def test_resend_a_failed_delivery_with_the_same_event_id(owner_client, hooks, business):
    hooks.receiver.answers = [500]
    number = sending_number(business=business)
    [first] = services.event_emit(
        business=business,
        type="number.bought",
        data={"number": str(number.uuid), "e164": number.e164, "status": "ACTIVE", "at": None},
    )
    WebhookDelivery.objects.filter(pk=first.pk).update(attempts=7)  # the last attempt is next
    services.webhook_deliver(delivery_id=first.pk)
    first.refresh_from_db()
    assert first.status == WebhookDelivery.Status.FAILED and first.response_status == 500
    page = owner_client.get(_detail(hooks.endpoint)).content.decode()
    assert "HTTP 500" in page

    resend = reverse("messaging:webhook-resend", args=[hooks.endpoint.uuid, first.uuid])
    assert owner_client.post(resend).status_code == 302
    again = WebhookDelivery.objects.exclude(pk=first.pk).get()
    assert again.event_id == first.event_id and again.resent_from_id == first.pk
    hooks.flush()
    bodies = [json.loads(r["body"]) for r in hooks.receiver.requests]
    assert [b["id"] for b in bodies] == [str(first.event_id)] * 2  # the receiver can dedupe
    again.refresh_from_db()
    assert again.status == WebhookDelivery.Status.SUCCEEDED
    assert "resent" in owner_client.get(_detail(hooks.endpoint)).content.decode()


def test_a_pending_delivery_is_not_resent(owner_client, hooks, business):
    [pending] = services.event_emit(
        business=business,
        type="business.held",
        data={"business": str(business.uuid), "name": "x", "reason": "r", "at": None},
    )
    resend = reverse("messaging:webhook-resend", args=[hooks.endpoint.uuid, pending.uuid])
    response = owner_client.post(resend, follow=True)
    assert "still being attempted" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1


def test_another_business_delivery_is_not_found(owner_client, hooks, other_business):
    other = services.webhook_endpoint_create(
        business=other_business, url="https://hooks.example.org/x", events=["message.status"]
    )
    delivery = services.webhook_send_test(endpoint=other)
    # the other business's delivery under our endpoint, and their endpoint: both 404
    for endpoint_uuid in (hooks.endpoint.uuid, other.uuid):
        url = reverse("messaging:webhook-resend", args=[endpoint_uuid, delivery.uuid])
        assert owner_client.post(url).status_code == 404


def test_the_subscription_is_edited_and_followed(owner_client, hooks, business):
    url = reverse("messaging:webhook-events", args=[hooks.endpoint.uuid])
    assert owner_client.post(url, {"events": ["business.held"]}).status_code == 302
    hooks.endpoint.refresh_from_db()
    assert hooks.endpoint.events == ["business.held"]
    assert not services.event_emit(
        business=business, type="number.bought", data={"number": "x"}
    )  # not subscribed any more: nothing written
    response = owner_client.post(url, {"events": []})
    assert response.status_code == 400 and b"This field is required" in response.content
    response = owner_client.post(url, {"events": ["nope"]})
    assert response.status_code == 400


def test_a_new_endpoint_chooses_among_every_event(owner_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    page = owner_client.get(reverse("messaging:webhooks")).content.decode()
    for name in ("message.blocked", "broadcast.finished", "import.finished", "number.released"):
        assert f'value="{name}"' in page
    response = owner_client.post(
        reverse("messaging:webhooks"),
        {"url": "https://hooks.example.com/all", "events": ["message.blocked", "import.finished"]},
    )
    assert response.status_code == 302
