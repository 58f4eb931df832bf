"""Writes of the messaging interfaces that the send path does not own: inbox state
(read markers, assignment) and quick replies. Sending itself goes through
messaging.services."""

from django.utils import timezone

from accounts.errors import NotFound, ValidationFailed
from accounts.models import Business

from .models import Conversation, QuickReply


def conversation_mark_read(*, business: Business, contact) -> Conversation:
    conversation, _ = Conversation.objects.update_or_create(
        business=business,
        contact=contact,
        defaults={"last_read_at": timezone.now(), "updated_at": timezone.now()},
    )
    return conversation


def conversation_assign(*, business: Business, contact, member_uuid, actor=None) -> Conversation:
    """Assign the thread to a member of the business (None: unassign)."""
    from accounts.selectors import membership_get
    from accounts.services import audit_record

    user = None
    if member_uuid:
        try:
            user = membership_get(business=business, membership_uuid=member_uuid).user
        except NotFound:
            raise ValidationFailed(
                fields={"member": ["Choose a member of this business."]}
            ) from None
    conversation, _ = Conversation.objects.update_or_create(
        business=business,
        contact=contact,
        defaults={"assigned_to": user, "updated_at": timezone.now()},
    )
    audit_record(
        action="conversation.assign",
        obj=contact,
        actor=actor,
        business=business,
        detail={"assigned_to": user.email if user else None},
    )
    return conversation


def quick_reply_create(*, business: Business, title: str, body: str, actor=None) -> QuickReply:
    from accounts.services import audit_record

    errors = {}
    if not (title or "").strip():
        errors["title"] = ["Give it a short name."]
    if not (body or "").strip():
        errors["body"] = ["Write the reply."]
    elif len(body) > 640:
        errors["body"] = ["At most 640 characters."]
    if errors:
        raise ValidationFailed(fields=errors)
    reply = QuickReply.objects.create(
        business=business, title=title.strip()[:60], body=body.strip()
    )
    audit_record(action="quick_reply.create", obj=reply, actor=actor, business=business)
    return reply


def quick_reply_delete(*, reply: QuickReply, actor=None) -> None:
    from accounts.services import audit_record

    audit_record(
        action="quick_reply.delete",
        obj=reply,
        actor=actor,
        business=reply.business,
        detail={"title": reply.title},
    )
    reply.delete()


def broadcast_launch(*, broadcast, actor=None):
    """Start a DRAFT broadcast. Small audiences fan out in this request (every outcome is
    visible at once); larger ones are marked RUNNING and fanned out by the send path's
    Celery task, so a page or API call never waits for thousands of enqueues. The fan-out
    is idempotent per recipient, so a redelivered task never sends twice."""
    from django.conf import settings
    from django.db import transaction

    from accounts.errors import Conflict
    from accounts.services import audit_record

    from . import services
    from .models import Broadcast

    inline_max = int(getattr(settings, "MESSAGING_BROADCAST_INLINE_MAX", 200))
    if broadcast.recipient_count <= inline_max:
        if broadcast.status != Broadcast.Status.DRAFT:
            raise Conflict(
                f"This broadcast is {broadcast.get_status_display().lower()}; only a draft starts.",
                detail={"status": broadcast.status},
            )
        return services.broadcast_start(broadcast=broadcast, actor=actor)
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status != Broadcast.Status.DRAFT:
            raise Conflict(
                f"This broadcast is {locked.get_status_display().lower()}; only a draft starts.",
                detail={"status": locked.status},
            )
        locked.status = Broadcast.Status.RUNNING
        locked.started_at = timezone.now()
        locked.save(update_fields=["status", "started_at"])
        audit_record(
            action="broadcast.queue",
            obj=locked,
            actor=actor,
            business=locked.business,
            detail={"recipients": locked.recipient_count},
        )
        from .tasks import broadcast_start as fan_out

        pk = locked.pk
        transaction.on_commit(lambda: fan_out.apply_async((pk,)))
    return locked
