"""The inbox: read markers, assignment of a thread to a member, quick replies. Replies
themselves are sent with ``message_enqueue``."""

from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Business
from accounts.selectors import membership_get
from accounts.services import audit_record

from ..errors import ValidationFailed
from ..models import Conversation, QuickReply


def conversation_mark_read(*, business: Business, contact) -> Conversation:
    conversation, _ = Conversation.objects.update_or_create(
        business=business,
        contact=contact,
        defaults={"last_read_at": timezone.now(), "updated_at": timezone.now()},
    )
    return conversation


def conversation_assign(*, business: Business, contact, member_uuid, actor=None) -> Conversation:
    """Assign the thread to a member of the business (None: unassign)."""
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
    audit_record(
        action="quick_reply.delete",
        obj=reply,
        actor=actor,
        business=reply.business,
        detail={"title": reply.title},
    )
    reply.delete()
