"""Creating outbound messages: one (``message_enqueue``) or many (``message_enqueue_many``),
every gate decided by ``gates.message_gates``; cancelling; staff review of held ones."""

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.billing import selectors as billing_selectors
from accounts.db import row_insert, row_insert_with
from accounts.events.services import events_wanted
from accounts.models import Business
from accounts.services import audit_record
from campaigns.selectors import phone_numbers_for_sending
from consent import selectors as consent_selectors
from consent.phones import InvalidPhone, normalize
from consent.services import contact_get_or_create, contact_phone_hash_store

from ..errors import MessageStateConflict, ValidationFailed
from ..gates import (
    CHANNELS,
    SYSTEM_PURPOSES,
    Candidate,
    Decision,
    automated_for,
    message_gates,
)
from ..media import services as media_services
from ..models import (
    KINDS,
    PRIORITY_BULK,
    PRIORITY_REPLY,
    PRIORITY_SYSTEM,
    PRIORITY_TRANSACTIONAL,
    PURPOSES,
    Broadcast,
    Message,
)
from ..segments import SegmentInfo, segment_info
from ..tenant_webhooks import MESSAGE_EVENT_TYPES, event_emit_many, message_events
from .lanes import kick_finish, kick_plan, kick_statement, lane_kick, lane_kick_many
from .outcomes import outcome_report

MAX_BODY = 1600
S = Message.Status


def _default_priority(kind: str, purpose: str, is_reply: bool) -> int:
    if purpose in SYSTEM_PURPOSES or purpose == "double_opt_in":
        return PRIORITY_SYSTEM
    if is_reply or kind == "conversational":
        return PRIORITY_REPLY
    if kind == "transactional":
        return PRIORITY_TRANSACTIONAL
    return PRIORITY_BULK


def _pick_number(*, business: Business, reply_to: Message | None, contact):
    if reply_to is not None and reply_to.from_number_id:
        return reply_to.from_number
    if contact is not None:
        last = (
            Message.objects.filter(business=business, contact=contact, from_number__isnull=False)
            .select_related("from_number")
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            return last.from_number
    return phone_numbers_for_sending(business=business).order_by("e164").first()


def _reply_to_at(reply_to: Message | None, contact) -> datetime | None:
    """When the contact's own text that this reply answers arrived; None when ``reply_to``
    is not an inbound text of this contact (then the message is no reply for consent)."""
    if (
        reply_to is None
        or reply_to.direction != Message.Direction.INBOUND
        or contact is None
        or reply_to.contact_id != contact.pk
    ):
        return None
    return reply_to.created_at


def _validate(
    *, business, body, kind, purpose, contact, to_phone, channel, media=()
) -> tuple[str, Any, SegmentInfo]:
    """The recipient's number and contact, and the body's segments (counted once: the
    row's encoding and size are these); raises ``ValidationFailed`` for bad input."""
    errors: dict[str, list[str]] = {}
    info = None
    if channel not in CHANNELS:
        errors["channel"] = [f"Unknown channel; use one of {', '.join(CHANNELS)}."]
    if kind not in KINDS:
        errors["kind"] = [f"Unknown kind; use one of {', '.join(KINDS)}."]
    if purpose not in PURPOSES:
        errors["purpose"] = ["Unknown purpose."]
    if media:
        # An MMS: the caption may be empty; it is one message whatever its length.
        try:
            media_services.media_check_set(media=list(media))
        except ValidationFailed as exc:
            errors.update(exc.fields or {})
        if any(m.business_id != business.pk for m in media):
            errors["media"] = ["Unknown media."]
        if len(body or "") > MAX_BODY:
            errors["body"] = [f"At most {MAX_BODY} characters."]
    elif not body or not body.strip():
        errors["body"] = ["The message is empty."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    else:
        info = segment_info(body)
        if info.segments > settings.MESSAGING_RATE_LIMIT:
            errors["body"] = ["Too many segments to ever fit the per-number cap."]
    phone = ""
    if contact is not None:
        if contact.business_id != business.pk:
            errors["contact"] = ["Unknown contact."]
        else:
            phone = contact.phone_e164
            if not phone:
                errors["contact"] = ["This contact has no phone number (erased?)."]
    elif to_phone:
        try:
            phone = normalize(to_phone)
        except InvalidPhone as exc:
            errors["to_phone"] = [str(exc)]
    else:
        errors["to"] = ["A contact or a phone number is required."]
    if errors:
        raise ValidationFailed(fields=errors)
    return phone, contact, info or segment_info(body or "")  # an MMS: its caption's


def _build(
    *,
    business,
    contact,
    phone,
    body,
    kind,
    from_number,
    automated,
    purpose,
    reply_to,
    priority,
    expires_at,
    idempotency_key,
    actor,
    broadcast,
    due,
    decision: Decision,
    now,
    info: SegmentInfo,
    media=(),
) -> Message:
    """The Message row for a decided enqueue (not saved): status and reasons from the
    decision, the kind the gates judged (marketing when the content reads so), its send
    time (``due``, or the end of quiet hours) and validity."""
    is_reply = reply_to is not None
    kind = decision.kind or kind
    message = Message(
        business=business,
        contact=contact,
        direction=Message.Direction.OUTBOUND,
        from_number=from_number,
        to_phone=phone,
        body=body,
        kind=kind,
        purpose=purpose,
        automated=automated,
        priority=_default_priority(kind, purpose, is_reply) if priority is None else priority,
        encoding=info.encoding,
        # an MMS is one message against every cap, whatever its caption's length
        segments=1 if media else info.segments,
        media_count=len(media),
        idempotency_key=idempotency_key or None,
        reply_to=reply_to,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        broadcast=broadcast,
        created_at=now,
        status_changed_at=now,
        reasons=decision.reasons,
    )
    verdict = decision.verdict
    if verdict == "block":
        message.status = S.BLOCKED
    elif verdict == "review":
        message.status = S.HELD
    else:
        due = decision.defer_until or due
        message.status = S.SCHEDULED if due > now else S.QUEUED
        message.send_after = due
        message.queued_at = now
        validity = timedelta(hours=settings.MESSAGING_VALIDITY_HOURS)
        message.expires_at = expires_at or (due + validity)
    return message


def _insert(message: Message, *, business: Business, media: list) -> bool:
    """INSERT the row (and attach its media and write its events, in the same transaction).
    Inside a caller's transaction under a savepoint, so that a clash of idempotency keys
    leaves it usable; a text alone outside one, with no endpoint listening, is a lone
    statement, atomic by itself: a BEGIN and a COMMIT would be two more round trips on every
    send. Returns whether the number's lane was kicked already (in that lone statement:
    ``_kick_with_insert``); otherwise the caller kicks it once the row is committed."""
    # the events' outbox rows must commit with the message: a transaction when an endpoint
    # listens (the business row says so), the lone INSERT otherwise
    listened = events_wanted(business=business, types=MESSAGE_EVENT_TYPES)
    if media or listened or transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            row_insert(message)
            if media:
                media_services.media_attach(business=business, media=media, messages=[message])
            if listened:
                event_emit_many(events=message_events([message]))
        return False
    if message.status in Message.WAITING:
        _kick_with_insert(message, business=business)
        return True
    row_insert(message)  # written once per process: the ORM's compile is most of a send
    return False


def _kick_with_insert(message: Message, *, business: Business) -> None:
    """The lone INSERT of a waiting message and its lane's kick in one statement (one round
    trip less on every send: bench_load): the kick's UPDATE commits with the row, as
    ``lane_kick`` after the commit would have; a drain task, if one is needed, is sent after
    the statement, that is after the commit."""
    number_id = message.from_number_id
    assert number_id is not None  # waiting: it passed the number gate
    kick = kick_plan(business_id=business.pk, number_id=number_id, due_at=message.send_after)
    ctes, select, params = kick_statement(kick)
    updated, exists = row_insert_with(message, ctes=ctes, select=select, params=params)
    kick_finish(kick, updated=updated, exists=exists)


def _refuse_unpaid(*, business: Business, purposes: list[str]) -> None:
    """402 (``PaymentRequired``) while the business is paused for non-payment or its
    monthly spending cap is reached; keyword answers (STOP, HELP) always go."""
    if all(p in SYSTEM_PURPOSES for p in purposes):
        return
    refusal = billing_selectors.send_refusal(business=business)
    if refusal is not None:
        raise refusal


def message_enqueue(
    *,
    business: Business,
    body: str,
    kind: str,
    contact=None,
    to_phone: str | None = None,
    from_number=None,
    channel: str = "api",
    automated: bool = False,
    purpose: str = "",
    reply_to: Message | None = None,
    priority: int | None = None,
    send_at: datetime | None = None,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    actor=None,
    broadcast: Broadcast | None = None,
    media=(),
) -> Message:
    """Create an outbound message after every gate; returns it whatever the decision
    (QUEUED, SCHEDULED, HELD or BLOCKED with reasons). Raises only for invalid input.

    ``channel`` (``gates.CHANNELS``) decides whether it is automated: everything but a
    person's send-now in the portal or the inbox. ``automated=True`` can only add to that
    (a caller that knows better), never take it away. ``media``: the business's files
    (``messaging.media``) it carries, in order — an MMS."""
    media = list(media or ())
    # A repeated idempotency key is found by the INSERT (unique per business), not by a
    # SELECT before it: a repeat is rare, the extra round trip would be on every send.
    _refuse_unpaid(business=business, purposes=[purpose])
    phone, contact, info = _validate(
        business=business,
        body=body,
        kind=kind,
        purpose=purpose,
        contact=contact,
        to_phone=to_phone,
        channel=channel,
        media=media,
    )
    automated = automated or automated_for(
        channel=channel, scheduled=send_at is not None, purpose=purpose
    )
    if contact is None:
        contact, _ = contact_get_or_create(business=business, phone=phone)
    if from_number is None:
        from_number = _pick_number(business=business, reply_to=reply_to, contact=contact)
    now = timezone.now()
    due = max(send_at, now) if send_at else now
    (decision,) = message_gates(
        business=business,
        items=[
            Candidate(
                contact=contact,
                body=body,
                kind=kind,
                from_number=from_number,
                automated=automated,
                purpose=purpose,
                reply_to_at=_reply_to_at(reply_to, contact),
                to_phone=phone,
                due=due,
                media_count=len(media),
                media_text=_media_text(media),
            )
        ],
        now=now,
    )
    message = _build(
        business=business,
        contact=contact,
        phone=phone,
        body=body,
        kind=kind,
        from_number=from_number,
        automated=automated,
        purpose=purpose,
        reply_to=reply_to,
        priority=priority,
        expires_at=expires_at,
        idempotency_key=idempotency_key,
        actor=actor,
        broadcast=broadcast,
        due=due,
        decision=decision,
        now=now,
        info=info,
        media=media,
    )
    try:
        kicked = _insert(message, business=business, media=media)
    except Exception:
        if idempotency_key:
            existing = Message.objects.filter(
                business=business, idempotency_key=idempotency_key
            ).first()
            if existing is not None:  # a repeat, or a concurrent request that won
                return existing
        raise
    if contact is not None:
        digest = consent_selectors.contact_phone_hash_due(contact=contact)
        if digest is not None:  # once per contact and phone: the next send asks by it
            contact_phone_hash_store(business=business, contact=contact, digest=digest)
    if message.status == S.BLOCKED:
        outcome_report(
            business, "blocked", {"message": str(message.uuid), "reasons": message.reasons}
        )
    if message.status in Message.WAITING and not kicked:
        number_id, send_after = message.from_number_id, message.send_after
        assert number_id is not None  # waiting: it passed the number gate
        transaction.on_commit(
            lambda: lane_kick(business_id=business.pk, number_id=number_id, due_at=send_after)
        )
    return message


def _media_text(media) -> str:
    """The files' names and metadata text, for the content policy."""
    return " ".join(t for t in (m.text_for_policy for m in media) if t)


@dataclass
class Outgoing:
    """One message of ``message_enqueue_many`` (the arguments of ``message_enqueue`` that a
    bulk send has: a known contact and a chosen number)."""

    contact: Any
    body: str
    kind: str
    from_number: Any
    channel: str = "api"
    automated: bool = False  # can only add to what the channel says
    purpose: str = ""
    priority: int | None = None
    send_at: datetime | None = None
    expires_at: datetime | None = None
    idempotency_key: str | None = None
    broadcast: Broadcast | None = None
    media: tuple = ()  # the business's files it carries (messaging.media), in order


def message_enqueue_many(*, business: Business, items: list[Outgoing], actor=None) -> list[Message]:
    """``message_enqueue`` for many messages at once (broadcasts, bulk API, benchmarks):
    the same gates (``message_gates`` for the whole batch) and one INSERT for all rows.
    Returns the messages in ``items`` order (an existing idempotency key returns the first
    message). Raises ``ValidationFailed`` naming the item (``items[i].field``) for bad
    input; nothing is written then."""
    errors: dict[str, list[str]] = {}
    phones: list[str] = []
    infos: dict[int, SegmentInfo] = {}  # a valid item's body, counted once
    for i, it in enumerate(items):
        try:
            phone, _, infos[i] = _validate(
                business=business,
                body=it.body,
                kind=it.kind,
                purpose=it.purpose,
                contact=it.contact,
                to_phone=None,
                channel=it.channel,
                media=it.media,
            )
        except ValidationFailed as exc:
            for name, msgs in (exc.fields or {}).items():
                errors[f"items[{i}].{name}"] = msgs
            phone = ""
        if it.from_number is None or it.from_number.business_id != business.pk:
            errors[f"items[{i}].from_number"] = ["Choose one of your numbers."]
        phones.append(phone)
    if errors:
        raise ValidationFailed(fields=errors)
    _refuse_unpaid(business=business, purposes=[it.purpose for it in items])
    keys = [it.idempotency_key for it in items if it.idempotency_key]
    existing = (
        {
            m.idempotency_key: m
            for m in Message.objects.filter(business=business, idempotency_key__in=keys)
        }
        if keys
        else {}
    )
    fresh = [
        (i, it)
        for i, it in enumerate(items)
        if not (it.idempotency_key and it.idempotency_key in existing)
    ]
    now = timezone.now()
    dues = [max(it.send_at, now) if it.send_at else now for _, it in fresh]
    automated = [
        it.automated
        or automated_for(channel=it.channel, scheduled=it.send_at is not None, purpose=it.purpose)
        for _, it in fresh
    ]
    texts = {i: _media_text(it.media) if it.media else "" for i, it in fresh}
    decisions = message_gates(
        business=business,
        items=[
            Candidate(
                contact=it.contact,
                body=it.body,
                kind=it.kind,
                from_number=it.from_number,
                automated=auto,
                purpose=it.purpose,
                to_phone=phones[i],
                due=due,
                media_count=len(it.media),
                media_text=texts[i],
            )
            for (i, it), due, auto in zip(fresh, dues, automated, strict=True)
        ],
        now=now,
    )
    built: dict[int, Message] = {}
    for (i, it), due, auto, decision in zip(fresh, dues, automated, decisions, strict=True):
        built[i] = _build(
            business=business,
            contact=it.contact,
            phone=phones[i],
            body=it.body,
            kind=it.kind,
            from_number=it.from_number,
            automated=auto,
            purpose=it.purpose,
            reply_to=None,
            priority=it.priority,
            expires_at=it.expires_at,
            idempotency_key=it.idempotency_key,
            actor=actor,
            broadcast=it.broadcast,
            due=due,
            decision=decision,
            now=now,
            info=infos[i],
            media=it.media,
        )
    rows = list(built.values())
    try:
        with transaction.atomic():
            Message.objects.bulk_create(rows, batch_size=1000)
            # one INSERT per set of files (a broadcast's messages all carry the same)
            carried: dict[tuple, list[Message]] = {}
            for i, message in built.items():
                if items[i].media:
                    carried.setdefault(tuple(items[i].media), []).append(message)
            for files, messages in carried.items():
                media_services.media_attach(business=business, media=list(files), messages=messages)
            if events_wanted(business=business, types=MESSAGE_EVENT_TYPES):
                event_emit_many(events=message_events(rows))
    except IntegrityError:
        # a concurrent request took one of the idempotency keys: one by one, so each key
        # resolves to its first message as message_enqueue does
        # (Outgoing's fields are message_enqueue's own argument names)
        return [
            message_enqueue(
                business=business,
                actor=actor,
                **{f.name: getattr(it, f.name) for f in dataclass_fields(it)},
            )
            for it in items
        ]
    blocked = [m for m in rows if m.status == S.BLOCKED]
    if blocked:
        outcome_report(
            business,
            "blocked",
            {
                "count": len(blocked),
                "items": [{"message": str(m.uuid), "reasons": m.reasons} for m in blocked[:100]],
            },
        )
    lane_dues: dict[int, datetime] = {}
    for m in rows:
        if m.status in Message.WAITING:
            # waiting: it passed the number gate and _build gave it its send time
            number_id, send_after = m.from_number_id, m.send_after
            assert number_id is not None and send_after is not None
            lane_dues[number_id] = min(lane_dues.get(number_id, send_after), send_after)
    if lane_dues:
        # robust: a broker that cannot be reached must not undo or stop a bulk enqueue; the
        # lanes are marked due by then, and the recovery task re-kicks overdue lanes
        transaction.on_commit(
            lambda: lane_kick_many(business_id=business.pk, dues=lane_dues), robust=True
        )
    return [
        existing[it.idempotency_key] if i not in built else built[i] for i, it in enumerate(items)
    ]


# --- cancel, hold -----------------------------------------------------------------------------


def message_cancel(*, business: Business, message: Message, actor=None) -> Message:
    """Cancel a message that has not been handed to the carrier yet."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk, business=business)
        if locked.status not in (S.QUEUED, S.SCHEDULED, S.HELD):
            raise MessageStateConflict(
                f"A {locked.get_status_display().lower()} message can no longer be canceled.",
                detail={"status": locked.status},
            )
        locked.status = S.CANCELED
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        audit_record(action="message.cancel", obj=locked, actor=actor, business=business)
        event_emit_many(events=message_events([locked]))
    return locked


def message_review(*, message: Message, release: bool, actor=None, note: str = "") -> Message:
    """Compliance staff decide on a HELD message: release it to the queue or block it."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != S.HELD:
            raise MessageStateConflict("Only held messages can be reviewed.")
        now = timezone.now()
        locked.reasons = [
            *locked.reasons,
            {
                "gate": "review",
                "code": "released" if release else "rejected",
                "message": note or "",
            },
        ]
        locked.status_changed_at = now
        if release:
            locked.status = S.QUEUED
            locked.send_after = now
            locked.queued_at = now
            locked.expires_at = now + timedelta(hours=settings.MESSAGING_VALIDITY_HOURS)
        else:
            locked.status = S.BLOCKED
        locked.save()
        audit_record(
            action="message.release" if release else "message.reject",
            obj=locked,
            actor=actor,
            business=locked.business,
            detail={"note": note},
        )
        event_emit_many(events=message_events([locked]))
        if release:
            business_id, number_id = locked.business_id, locked.from_number_id
            assert number_id is not None  # held, not blocked: it passed the number gate
            transaction.on_commit(lambda: lane_kick(business_id=business_id, number_id=number_id))
    return locked
