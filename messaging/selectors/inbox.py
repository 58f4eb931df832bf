"""The inbox: threads, a thread's messages, quick replies, a contact's consent summary; staff
review labels."""

from collections.abc import Iterator

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Business
from consent.models import Contact
from consent.selectors import ConsentDecision, consent_check, contact_states

from ..errors import NotFound
from ..gates import reply_window
from ..models import Conversation, Message, QuickReply
from .messages import INBOUND, _uuid_or_404, messages_with_media
from .numbers import sending_numbers


def inbox_threads(*, business: Business, assigned: str = "", user=None) -> QuerySet:
    """One row per contact who texted in: last message time and text, unread inbound count
    (since the thread was last opened), assignee. ``assigned``: "me", "none" or ""."""
    conv = Conversation.objects.filter(business=business, contact=OuterRef("pk"))
    last = Message.objects.filter(business=business, contact=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    qs = (
        Contact.objects.filter(business=business)
        .filter(Exists(Message.objects.filter(contact=OuterRef("pk"), direction=INBOUND)))
        .annotate(
            read_at=Subquery(conv.values("last_read_at")[:1]),
            assignee_id=Subquery(conv.values("assigned_to")[:1]),
            assignee_email=Subquery(conv.values("assigned_to__email")[:1]),
        )
        .annotate(
            last_at=Max("messages__created_at"),
            unread=Count(
                "messages",
                filter=Q(messages__direction=INBOUND)
                & (Q(read_at__isnull=True) | Q(messages__created_at__gt=F("read_at"))),
            ),
            last_body=Subquery(last.values("body")[:1]),
            last_direction=Subquery(last.values("direction")[:1]),
        )
    )
    if assigned == "me" and user is not None:
        qs = qs.filter(assignee_id=user.pk)
    elif assigned == "none":
        qs = qs.filter(assignee_id__isnull=True)
    return qs.order_by("-last_at", "-id")


def thread_messages(*, business: Business, contact, limit: int = 200) -> list[Message]:
    rows = list(
        Message.objects.filter(business=business, contact=contact)
        .select_related("from_number", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )
    rows.reverse()
    return messages_with_media(rows)


def conversation_for(*, business: Business, contact) -> Conversation | None:
    return (
        Conversation.objects.select_related("assigned_to")
        .filter(business=business, contact=contact)
        .first()
    )


def quick_reply_list(*, business: Business) -> QuerySet[QuickReply]:
    return QuickReply.objects.filter(business=business).order_by("title", "id")


def quick_reply_get(*, business: Business, reply_uuid) -> QuickReply:
    reply = QuickReply.objects.filter(
        business=business, uuid=_uuid_or_404(reply_uuid, "Quick reply")
    ).first()
    if reply is None:
        raise NotFound("Quick reply not found.")
    return reply


def consent_summary(*, business: Business, contact) -> dict:
    """The person's consent beside the thread: per-scope states and what may be sent now."""
    states = contact_states(business=business, contact=contact)
    numbers = sending_numbers(business=business)
    number = numbers.first()
    campaign = number.campaign if number is not None else None
    marketing = consent_check(
        business=business, contact=contact, kind="marketing", campaign=campaign
    )
    last = contact.last_inbound_at  # a reply rests on the conversation only within the window
    reply = consent_check(
        business=business,
        contact=contact,
        kind="conversational",
        campaign=campaign,
        is_reply=last is not None and timezone.now() - last <= reply_window(),
    )
    if not reply.allowed and reply.code == "conversation_only":
        hours = reply_window().total_seconds() / 3600
        reply = ConsentDecision(
            False,
            "reply_window_closed",
            f"The contact last texted more than {hours:g} hours ago; without consent, a reply "
            "must answer their own text within that time.",
        )
    return {"states": states, "marketing": marketing, "reply": reply}


def reviewed_message_labels() -> Iterator[dict]:
    """Staff decisions on held messages as labelled rows in the training corpus's format
    (``manage.py policy_export_labels messages``): released is ``allow``, rejected is
    ``block`` with the category the content gate named. Erased bodies are left out."""
    reviewed = (
        Message.objects.filter(reasons__contains=[{"gate": "review"}])
        .exclude(body="")
        .select_related("business")
        .order_by("id")
    )
    for message in reviewed.iterator(chunk_size=500):
        reasons = message.reasons or []
        released = any(r.get("gate") == "review" and r.get("code") == "released" for r in reasons)
        category = next(
            (
                c
                for r in reasons
                if r.get("gate") == "policy"
                for c in (r.get("detail") or {}).get("categories", [])
            ),
            None,
        )
        yield {
            "id": f"staff-m-{message.uuid}",
            "body": message.body,
            "kind": message.kind,
            "brand_domains": list(message.business.brand_domains or []),
            "expected": "allow" if released else "block",
            "category": None if released else category,
            "evasive": False,
        }
