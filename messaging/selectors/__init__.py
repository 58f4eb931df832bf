"""Reads of messaging, for the API, the portal and other apps, by subject; the public names
are re-exported here, so callers import ``messaging.selectors``:

- ``messages`` — one message, a page of them, their outcome in words, a lane's wait;
- ``broadcasts`` — one, the list, progress, recipients, estimate, pace, audience, preview;
- ``numbers`` — sending numbers and their queues, time zones;
- ``compose`` — the compose pre-check and the MMS price;
- ``inbox`` — threads, quick replies, a contact's consent summary; staff review labels.

Every selector takes the business; an id from a request that is missing or someone else's
is the same NotFound."""

from .broadcasts import (
    FAILED_STATUSES,
    PACE_WORDS,
    PENDING_STATUSES,
    SENT_STATUSES,
    SKIPPED_STATUSES,
    broadcast_audience,
    broadcast_estimate,
    broadcast_get,
    broadcast_list,
    broadcast_pace,
    broadcast_preview,
    broadcast_progress,
    broadcast_recipients,
    broadcast_renderings,
    duration_words,
)
from .compose import (
    MmsPrice,
    compose_precheck,
    mms_price,
)
from .inbox import (
    consent_summary,
    conversation_for,
    inbox_threads,
    quick_reply_get,
    quick_reply_list,
    reviewed_message_labels,
    thread_messages,
)
from .messages import (
    LaneWait,
    Outcome,
    lane_waits,
    message_by_idempotency_key,
    message_get,
    message_list,
    message_outcome,
    message_status_choices,
    messages_with_media,
)
from .numbers import (
    api_key_contact_and_number_find,
    business_zone,
    contact_and_number_find,
    localize,
    number_queue,
    recipient_zone,
    sending_number_get,
    sending_numbers,
)

__all__ = [
    "FAILED_STATUSES",
    "PACE_WORDS",
    "PENDING_STATUSES",
    "SENT_STATUSES",
    "SKIPPED_STATUSES",
    "LaneWait",
    "MmsPrice",
    "Outcome",
    "api_key_contact_and_number_find",
    "broadcast_audience",
    "broadcast_estimate",
    "broadcast_get",
    "broadcast_list",
    "broadcast_pace",
    "broadcast_preview",
    "broadcast_progress",
    "broadcast_recipients",
    "broadcast_renderings",
    "business_zone",
    "compose_precheck",
    "consent_summary",
    "contact_and_number_find",
    "conversation_for",
    "duration_words",
    "inbox_threads",
    "lane_waits",
    "localize",
    "message_by_idempotency_key",
    "message_get",
    "message_list",
    "message_outcome",
    "message_status_choices",
    "messages_with_media",
    "mms_price",
    "number_queue",
    "quick_reply_get",
    "quick_reply_list",
    "recipient_zone",
    "reviewed_message_labels",
    "sending_number_get",
    "sending_numbers",
    "thread_messages",
]
