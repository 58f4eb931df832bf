"""Portal pages of messaging, by page area; the views the URLconf names are re-exported here:

- ``compose`` — compose (with the live pre-check and the contact picker);
- ``messages`` — the message log;
- ``broadcasts`` — broadcasts with their progress;
- ``inbox`` — the conversations inbox and quick replies;
- ``webhooks`` — webhook endpoints;
- ``common`` — what they share.

Thin: forms check shape, services decide, selectors read. Every page is tenant-scoped
through accounts.tenancy.TenantMixin; ids in URLs go through selectors that take the
business (another business's object is a 404).
"""

from .broadcasts import (
    BroadcastCancelView,
    BroadcastCreateView,
    BroadcastDetailView,
    BroadcastListView,
    BroadcastProgressView,
    BroadcastStartView,
)
from .compose import ComposeCheckView, ComposeContactsView, ComposeView
from .inbox import (
    InboxView,
    QuickReplyCreateView,
    QuickReplyDeleteView,
    ThreadAssignView,
    ThreadReplyView,
    ThreadView,
)
from .messages import MessageCancelView, MessageDetailView, MessageListView
from .webhooks import (
    WebhookDeleteView,
    WebhookDetailView,
    WebhookEventsView,
    WebhookListView,
    WebhookResendView,
    WebhookRotateView,
    WebhookTestView,
    WebhookToggleView,
)

__all__ = [
    "BroadcastCancelView",
    "BroadcastCreateView",
    "BroadcastDetailView",
    "BroadcastListView",
    "BroadcastProgressView",
    "BroadcastStartView",
    "ComposeCheckView",
    "ComposeContactsView",
    "ComposeView",
    "InboxView",
    "MessageCancelView",
    "MessageDetailView",
    "MessageListView",
    "QuickReplyCreateView",
    "QuickReplyDeleteView",
    "ThreadAssignView",
    "ThreadReplyView",
    "ThreadView",
    "WebhookDeleteView",
    "WebhookDetailView",
    "WebhookEventsView",
    "WebhookListView",
    "WebhookResendView",
    "WebhookRotateView",
    "WebhookTestView",
    "WebhookToggleView",
]
