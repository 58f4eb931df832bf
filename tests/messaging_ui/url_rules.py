"""Sweep rules for the messaging interfaces (portal pages and API)."""

from accounts.roles import Cap
from tests.sweep import Rule

BODY = "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out."


def _message(business):
    from tests.factories.messaging import MessageFactory

    return {"message_uuid": MessageFactory(business=business).uuid}


def _broadcast(business):
    from messaging.models import Broadcast
    from tests.factories.messaging import sending_number

    broadcast = Broadcast.objects.create(
        business=business,
        name="sweep",
        body=BODY,
        from_number=sending_number(business=business),
        tags=["sweep"],
    )
    return {"broadcast_uuid": broadcast.uuid}


def _contact(business):
    from tests.factories.consent import ContactFactory

    return {"contact_uuid": ContactFactory(business=business).uuid}


def _quick_reply(business):
    from messaging.models import QuickReply

    return {"reply_uuid": QuickReply.objects.create(business=business, title="t", body="b").uuid}


def _endpoint(business):
    from accounts.events.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        business=business,
        url="https://hooks.example.com/cyc",
        events=["message.status"],
        secret="whsec_sweep",
    )
    return {"endpoint_uuid": endpoint.uuid}


def _delivery(business):
    from accounts.events.models import WebhookDelivery

    kwargs = _endpoint(business)
    delivery = WebhookDelivery.objects.create(
        business=business,
        endpoint_id=business.webhook_endpoints.get(uuid=kwargs["endpoint_uuid"]).pk,
        event="message.status",
        status=WebhookDelivery.Status.FAILED,
    )
    return {**kwargs, "delivery_uuid": delivery.uuid}


def _reply(business, kwargs):
    return {"body": "Thanks, see you Tuesday!"}


RULES = {
    # portal
    "messaging:compose": Rule("portal", cap=Cap.SEND),
    "messaging:compose-check": Rule(
        "portal",
        cap=Cap.SEND,
        method="post",
        data=lambda b, kw: {"to": "+16465550100", "body": BODY, "kind": "transactional"},
    ),
    "messaging:compose-contacts": Rule("portal", cap=Cap.SEND),
    "messaging:message-list": Rule("portal", cap=Cap.VIEW),
    "messaging:message-detail": Rule("portal", cap=Cap.VIEW, kwargs=_message),
    "messaging:message-cancel": Rule("portal", cap=Cap.SEND, method="post", kwargs=_message),
    "messaging:broadcast-list": Rule("portal", cap=Cap.VIEW),
    "messaging:broadcast-create": Rule("portal", cap=Cap.SEND),
    "messaging:broadcast-detail": Rule("portal", cap=Cap.VIEW, kwargs=_broadcast),
    "messaging:broadcast-progress": Rule("portal", cap=Cap.VIEW, kwargs=_broadcast),
    "messaging:broadcast-start": Rule("portal", cap=Cap.SEND, method="post", kwargs=_broadcast),
    "messaging:broadcast-cancel": Rule("portal", cap=Cap.SEND, method="post", kwargs=_broadcast),
    "messaging:inbox": Rule("portal", cap=Cap.VIEW),
    "messaging:thread": Rule("portal", cap=Cap.VIEW, kwargs=_contact),
    "messaging:thread-reply": Rule(
        "portal", cap=Cap.SEND, method="post", kwargs=_contact, data=_reply
    ),
    "messaging:thread-assign": Rule("portal", cap=Cap.SEND, method="post", kwargs=_contact),
    "messaging:quick-reply-create": Rule(
        "portal",
        cap=Cap.SEND,
        method="post",
        data=lambda b, kw: {"qr-title": "Hours", "qr-body": "We open at 9."},
    ),
    "messaging:quick-reply-delete": Rule(
        "portal", cap=Cap.SEND, method="post", kwargs=_quick_reply
    ),
    "messaging:webhooks": Rule("portal", cap=Cap.MANAGE_CAMPAIGNS),
    "messaging:webhook-detail": Rule("portal", cap=Cap.MANAGE_CAMPAIGNS, kwargs=_endpoint),
    "messaging:webhook-toggle": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_endpoint
    ),
    "messaging:webhook-rotate": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_endpoint
    ),
    "messaging:webhook-test": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_endpoint
    ),
    "messaging:webhook-delete": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_endpoint
    ),
    "messaging:webhook-events": Rule(
        "portal",
        cap=Cap.MANAGE_CAMPAIGNS,
        method="post",
        kwargs=_endpoint,
        data=lambda b, kw: {"events": ["message.status"]},
    ),
    "messaging:webhook-resend": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_delivery
    ),
    # API
    "api-messages": Rule("api", cap=Cap.VIEW),
    "api-message": Rule("api", cap=Cap.VIEW, kwargs=_message),
    "api-message-cancel": Rule("api", cap=Cap.SEND, method="post", kwargs=_message),
    "api-inbound": Rule("api", cap=Cap.VIEW),
    "api-broadcasts": Rule("api", cap=Cap.VIEW),
    "api-broadcast-estimate": Rule(
        "api",
        cap=Cap.SEND,
        method="post",
        data=lambda b, kw: {"body": BODY, "tags": ["sweep"]},
        allowed_extra=(400,),  # no sending number in a fresh business: says what to do
    ),
    "api-broadcast": Rule("api", cap=Cap.VIEW, kwargs=_broadcast),
    "api-broadcast-start": Rule("api", cap=Cap.SEND, method="post", kwargs=_broadcast),
    "api-broadcast-cancel": Rule("api", cap=Cap.SEND, method="post", kwargs=_broadcast),
    "api-broadcast-recipients": Rule("api", cap=Cap.VIEW, kwargs=_broadcast),
    "api-webhooks": Rule("api", cap=Cap.MANAGE_CAMPAIGNS),
    "api-webhook": Rule("api", cap=Cap.MANAGE_CAMPAIGNS, method="delete", kwargs=_endpoint),
    "api-webhook-deliveries": Rule("api", cap=Cap.MANAGE_CAMPAIGNS, kwargs=_endpoint),
}
