"""A business removing its own message records (the Twilio-compatible API's redact and
delete): only once a message is done with, so that nothing still on its way loses its text
and no send slot of the per-number cap is freed early (a deleted row would stop counting
against the cap while its send could still arrive inside the window)."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Business
from accounts.services import audit_record

from ..errors import MessageStateConflict
from ..models import Message

S = Message.Status
_IN_PROGRESS = (S.QUEUED, S.SCHEDULED, S.HELD, S.SENDING)


def _lock_done(*, business: Business, message: Message, action: str) -> Message:
    locked = Message.objects.select_for_update().get(pk=message.pk, business=business)
    if locked.status in _IN_PROGRESS:
        raise MessageStateConflict(
            f"A {locked.get_status_display().lower()} message cannot be {action} yet: "
            "wait until it is sent, canceled or final.",
            detail={"status": locked.status},
        )
    if locked.slot_frees_at is not None and locked.slot_frees_at > timezone.now():
        raise MessageStateConflict(
            f"This message still counts against its number's send cap until "
            f"{locked.slot_frees_at.isoformat()}: it cannot be {action} before then.",
            detail={"status": locked.status, "slot_frees_at": locked.slot_frees_at.isoformat()},
        )
    return locked


def message_redact(*, business: Business, message: Message, actor=None) -> Message:
    """Empty the body of a message that is done with (Twilio's "redact": Body="")."""
    with transaction.atomic():
        locked = _lock_done(business=business, message=message, action="redacted")
        if locked.body:
            locked.body = ""
            locked.save(update_fields=["body"])
            audit_record(action="message.redact", obj=locked, actor=actor, business=business)
    return locked


def message_delete(*, business: Business, message: Message, actor=None) -> None:
    """Delete the record of a message that is done with."""
    with transaction.atomic():
        locked = _lock_done(business=business, message=message, action="deleted")
        audit_record(
            action="message.delete",
            obj=locked,
            actor=actor,
            business=business,
            detail={"status": locked.status, "direction": locked.direction},
        )
        locked.delete()
