"""Delivery receipts through the services: one raw receipt stored (the Twilio form) and a
batch applied. The batched machinery itself is ``messaging.receipts``."""

# the module, not its names: receipts reports outcomes through this package
from .. import receipts


def status_callback_store(
    *, provider: str, status: str, message_uuid=None, provider_id: str = "", error_code: str = ""
) -> None:
    """One raw receipt (the Twilio form); many at once: ``receipts.receipts_store``."""
    receipts.receipts_store(
        provider=provider,
        receipts=[receipts.Receipt(status, message_uuid, provider_id, error_code)],
    )


def status_callbacks_apply(*, limit: int = 2000) -> int:
    """Apply one batch of stored receipts (``receipts.receipts_apply``); returns how many
    applied."""
    return receipts.receipts_apply(limit=limit).applied
