"""Every write of messaging, by subject; the public names are re-exported here, so callers
import ``messaging.services``:

- ``enqueue`` — ``message_enqueue`` / ``message_enqueue_many`` (every gate decided by
  ``messaging.gates.message_gates``), cancel, staff review;
- ``lanes`` — telling a drainer there is work;
- ``broadcasts`` — create, start (fan-out), launch, cancel, refresh, resume;
- ``inbound`` — inbound texts and keywords;
- ``inbox`` — read markers, assignment, quick replies;
- ``double_opt_in`` — the "Reply YES" text;
- ``records`` — redacting and deleting a message that is done with (the Twilio-compatible API);
- ``statuses`` — delivery receipts; ``outcomes`` — risk signals reported to policies;
- ``billing`` — spending-cap reservations of messages that ended unsent, given back.

The drain itself is ``messaging.dispatch``; outbound webhooks to tenants are
``messaging.tenant_webhooks``."""

from .billing import billing_release_unsent
from .broadcasts import (
    FANOUT_BATCH,
    broadcast_cancel,
    broadcast_create,
    broadcast_fanouts_resume,
    broadcast_launch,
    broadcast_refresh,
    broadcast_start,
    broadcasts_complete,
)
from .double_opt_in import double_opt_in_send, double_opt_in_send_for_event
from .enqueue import (
    MAX_BODY,
    Outgoing,
    message_cancel,
    message_enqueue,
    message_enqueue_many,
    message_review,
)
from .inbound import (
    inbound_handler_register,
    inbound_receive,
    keyword_table,
    keyword_table_reset,
)
from .inbox import (
    conversation_assign,
    conversation_mark_read,
    quick_reply_create,
    quick_reply_delete,
)
from .lanes import lane_kick, lane_kick_many
from .outcomes import outcome_report, outcomes_report
from .records import message_delete, message_redact
from .statuses import status_callback_store, status_callbacks_apply

__all__ = [
    "FANOUT_BATCH",
    "MAX_BODY",
    "Outgoing",
    "billing_release_unsent",
    "broadcast_cancel",
    "broadcast_create",
    "broadcast_fanouts_resume",
    "broadcast_launch",
    "broadcast_refresh",
    "broadcast_start",
    "broadcasts_complete",
    "conversation_assign",
    "conversation_mark_read",
    "double_opt_in_send",
    "double_opt_in_send_for_event",
    "inbound_handler_register",
    "inbound_receive",
    "keyword_table",
    "keyword_table_reset",
    "lane_kick",
    "lane_kick_many",
    "message_cancel",
    "message_delete",
    "message_enqueue",
    "message_enqueue_many",
    "message_redact",
    "message_review",
    "outcome_report",
    "outcomes_report",
    "quick_reply_create",
    "quick_reply_delete",
    "status_callback_store",
    "status_callbacks_apply",
]
