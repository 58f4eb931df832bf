"""REST API of messaging, by subject; the views the URLconf names are re-exported here:

- ``messages`` — send (the DRF view and the lean path, ``message_list_send``), get, list and
  cancel messages; inbound texts;
- ``broadcasts`` — estimate, create, start, progress, per-recipient outcomes, cancel;
- ``webhooks`` — webhook endpoints and their deliveries;
- ``common`` — the message's output shape and examples, and what the views share.

Thin: parse, call one service or selector, serialize. A message that fails a gate is still
created (201) with ``status`` BLOCKED or HELD and its ``reasons``: nothing is hidden.
"""

from .broadcasts import (
    BroadcastCancelApi,
    BroadcastDetailApi,
    BroadcastEstimateApi,
    BroadcastListCreateApi,
    BroadcastRecipientsApi,
    BroadcastStartApi,
)
from .messages import (
    InboundListApi,
    MessageCancelApi,
    MessageDetailApi,
    MessageListCreateApi,
    message_list_send,
)
from .webhooks import WebhookDeliveryListApi, WebhookDetailApi, WebhookListCreateApi

__all__ = [
    "BroadcastCancelApi",
    "BroadcastDetailApi",
    "BroadcastEstimateApi",
    "BroadcastListCreateApi",
    "BroadcastRecipientsApi",
    "BroadcastStartApi",
    "InboundListApi",
    "MessageCancelApi",
    "MessageDetailApi",
    "MessageListCreateApi",
    "WebhookDeliveryListApi",
    "WebhookDetailApi",
    "WebhookListCreateApi",
    "message_list_send",
]
