"""Every write of messaging: enqueue (all the gates), cancel, broadcasts, inbound texts
and keywords, delivery statuses. The drain itself is in messaging.dispatch."""

import logging
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import Business

from . import keywords, quiet_hours
from .models import (
    KINDS,
    PRIORITY_BULK,
    PRIORITY_REPLY,
    PRIORITY_SYSTEM,
    PRIORITY_TRANSACTIONAL,
    PURPOSES,
    Broadcast,
    Message,
    SendLane,
)
from .segments import segment_info

log = logging.getLogger(__name__)

MAX_BODY = 1600
SYSTEM_PURPOSES = frozenset({"opt_out_confirmation", "help_reply", "opt_in_confirmation"})
S = Message.Status


@dataclass
class Gate:
    gate: str  # "input", "number", "consent", "policy", "quiet_hours", ...
    ok: bool
    code: str
    message: str
    verdict: str = "allow"  # allow / review / block / defer
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        data: dict[str, Any] = {"gate": self.gate, "code": self.code, "message": self.message}
        if self.detail:
            data["detail"] = self.detail
        return data


def _default_priority(kind: str, purpose: str, is_reply: bool) -> int:
    if purpose in SYSTEM_PURPOSES or purpose == "double_opt_in":
        return PRIORITY_SYSTEM
    if is_reply or kind == "conversational":
        return PRIORITY_REPLY
    if kind == "transactional":
        return PRIORITY_TRANSACTIONAL
    return PRIORITY_BULK


def quiet_hours_defer(*, business: Business, message: Message, contact, now: datetime):
    """None if the message may go now, else the moment quiet hours end for its recipient."""
    if message.kind not in quiet_hours.QUIET_KINDS or message.purpose:
        return None
    window = quiet_hours.window_for(
        message.to_phone, business_window=(business.quiet_hours_start, business.quiet_hours_end)
    )
    zones = quiet_hours.zones_for(message.to_phone, getattr(contact, "time_zone", "") or "")
    return quiet_hours.next_allowed(now, zones=zones, window=window)


def send_at_local(*, business: Business, local: datetime, contact=None, zone: str = "recipient"):
    """A wall-clock time (naive) in the recipient's zone (contact.time_zone, else the
    business's) or the business's zone, as an aware datetime for ``send_at``."""
    from zoneinfo import ZoneInfo

    if local.tzinfo is not None:
        return local
    name = business.time_zone
    recipient = getattr(contact, "time_zone", None) if contact is not None else None
    # a zone saved before zones were validated may not load: the business's then
    if zone == "recipient" and recipient and quiet_hours.zone_loadable(recipient):
        name = recipient
    return local.replace(tzinfo=ZoneInfo(name))


def _pick_number(*, business: Business, reply_to: Message | None, contact):
    from campaigns.selectors import phone_numbers_for_sending

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


def _number_gate(perm) -> Gate:
    return Gate(
        "number", perm.allowed, perm.code, perm.message, "allow" if perm.allowed else "block"
    )


def _consent_gate(decision) -> Gate:
    return Gate(
        "consent",
        decision.allowed,
        decision.code,
        decision.message,
        "allow" if decision.allowed else "block",
    )


def _policy_gate(*, business, body, kind, campaign, from_number, purpose) -> Gate:
    from policies.services import message_check

    if purpose in SYSTEM_PURPOSES:
        # Keyword answers are the campaign's own registered texts; the content gate would
        # only be able to delay a legally required confirmation.
        return Gate("policy", True, "allow", "System reply.", "allow")
    policy = message_check(
        business=business,
        body=body,
        kind=kind,
        campaign=campaign,
        from_number=from_number.e164 if from_number is not None else None,
    )
    message = "; ".join(r.message for r in policy.reasons) or "Content passes the policy."
    return Gate(
        "policy",
        policy.allowed,
        policy.decision,
        message,
        policy.decision,
        {"categories": policy.categories, "reasons": [r.as_dict() for r in policy.reasons]},
    )


def message_gates(
    *,
    business: Business,
    body: str,
    kind: str,
    contact,
    from_number,
    automated: bool = False,
    purpose: str = "",
    is_reply: bool = False,
) -> tuple[list[Gate], Any]:
    """Run every send gate of DESIGN step 1 without writing; returns (gates, campaign).
    The compose page shows these before sending; message_enqueue records them."""
    from campaigns.selectors import number_send_permission
    from consent.selectors import consent_check

    gates: list[Gate] = []
    campaign = None
    if from_number is None:
        gates.append(Gate("number", False, "no_number", "No sending number is available.", "block"))
    else:
        perm = number_send_permission(
            business=business, number=from_number, kind=kind, automated=automated
        )
        campaign = perm.campaign
        gates.append(_number_gate(perm))
    decision = consent_check(
        business=business,
        contact=contact,
        kind=kind,
        campaign=campaign,
        is_reply=is_reply,
        purpose=purpose,
    )
    gates.append(_consent_gate(decision))
    gates.append(
        _policy_gate(
            business=business,
            body=body,
            kind=kind,
            campaign=campaign,
            from_number=from_number,
            purpose=purpose,
        )
    )
    return gates, campaign


def _validate(*, business, body, kind, purpose, contact, to_phone) -> tuple[str, Any]:
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [f"Unknown kind; use one of {', '.join(KINDS)}."]
    if purpose not in PURPOSES:
        errors["purpose"] = ["Unknown purpose."]
    if not body or not body.strip():
        errors["body"] = ["The message is empty."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    elif segment_info(body).segments > settings.MESSAGING_RATE_LIMIT:
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
        from consent.phones import InvalidPhone, normalize

        try:
            phone = normalize(to_phone)
        except InvalidPhone as exc:
            errors["to_phone"] = [str(exc)]
    else:
        errors["to"] = ["A contact or a phone number is required."]
    if errors:
        raise ValidationFailed(fields=errors)
    return phone, contact


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
    send_at,
    expires_at,
    idempotency_key,
    actor,
    broadcast,
    gates,
    now,
) -> Message:
    """The Message row for a decided enqueue (not saved): status and reasons from the gates,
    quiet hours, validity. Shared by message_enqueue and message_enqueue_many."""
    is_reply = reply_to is not None
    info = segment_info(body)
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
        segments=info.segments,
        idempotency_key=idempotency_key or None,
        reply_to=reply_to,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        broadcast=broadcast,
        created_at=now,
        status_changed_at=now,
    )
    failed = [g for g in gates if not g.ok]
    if any(g.verdict == "block" for g in failed):
        message.status = S.BLOCKED
        message.reasons = [g.as_dict() for g in failed]
    elif failed:  # policy "review"
        message.status = S.HELD
        message.reasons = [g.as_dict() for g in failed]
    else:
        due = max(send_at, now) if send_at else now
        deferred = quiet_hours_defer(business=business, message=message, contact=contact, now=due)
        if deferred is not None:
            message.reasons = [
                {
                    "gate": "quiet_hours",
                    "code": "quiet_hours_deferred",
                    "message": "Deferred to the end of quiet hours in the recipient's time zone.",
                    "detail": {"until": deferred.isoformat()},
                }
            ]
            due = deferred
        message.status = S.SCHEDULED if due > now else S.QUEUED
        message.send_after = due
        message.queued_at = now
        validity = timedelta(hours=settings.MESSAGING_VALIDITY_HOURS)
        message.expires_at = expires_at or (due + validity)
    return message


def message_enqueue(
    *,
    business: Business,
    body: str,
    kind: str,
    contact=None,
    to_phone: str | None = None,
    from_number=None,
    automated: bool = False,
    purpose: str = "",
    reply_to: Message | None = None,
    priority: int | None = None,
    send_at: datetime | None = None,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    actor=None,
    broadcast: Broadcast | None = None,
) -> Message:
    """Create an outbound message after every gate; returns it whatever the decision
    (QUEUED, SCHEDULED, HELD or BLOCKED with reasons). Raises only for invalid input."""
    if idempotency_key:
        existing = Message.objects.filter(
            business=business, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return existing
    phone, contact = _validate(
        business=business, body=body, kind=kind, purpose=purpose, contact=contact, to_phone=to_phone
    )
    if contact is None:
        from consent.services import contact_get_or_create

        contact, _ = contact_get_or_create(business=business, phone=phone)
    is_reply = reply_to is not None
    if from_number is None:
        from_number = _pick_number(business=business, reply_to=reply_to, contact=contact)
    gates, _campaign = message_gates(
        business=business,
        body=body,
        kind=kind,
        contact=contact,
        from_number=from_number,
        automated=automated,
        purpose=purpose,
        is_reply=is_reply,
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
        send_at=send_at,
        expires_at=expires_at,
        idempotency_key=idempotency_key,
        actor=actor,
        broadcast=broadcast,
        gates=gates,
        now=timezone.now(),
    )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except Exception:
        if idempotency_key:
            existing = Message.objects.filter(
                business=business, idempotency_key=idempotency_key
            ).first()
            if existing is not None:  # a concurrent request with the same key won
                return existing
        raise
    if message.status == S.BLOCKED:
        _report(business, "blocked", {"message": str(message.uuid), "reasons": message.reasons})
    if message.status in Message.WAITING:
        number_id, due = message.from_number_id, message.send_after
        assert number_id is not None  # waiting: it passed the number gate
        transaction.on_commit(
            lambda: lane_kick(business_id=business.pk, number_id=number_id, due_at=due)
        )
    return message


@dataclass
class Outgoing:
    """One message of ``message_enqueue_many`` (the arguments of ``message_enqueue`` that a
    bulk send has: a known contact and a chosen number)."""

    contact: Any
    body: str
    kind: str
    from_number: Any
    automated: bool = False
    purpose: str = ""
    priority: int | None = None
    send_at: datetime | None = None
    expires_at: datetime | None = None
    idempotency_key: str | None = None
    broadcast: Broadcast | None = None


def message_enqueue_many(*, business: Business, items: list[Outgoing], actor=None) -> list[Message]:
    """``message_enqueue`` for many messages at once (broadcasts, bulk API, benchmarks):
    the same gates in the same order with the same decisions, but each asked once per
    batch — number permission once per (number, kind, automated), consent for every
    contact in two queries (``consent_check_many``), the policy engine once per distinct
    (body, kind, campaign, number) — and one INSERT for all rows. Returns the messages in
    ``items`` order (an existing idempotency key returns the first message). Raises
    ``ValidationFailed`` naming the item (``items[i].field``) for bad input; nothing is
    written then."""
    from campaigns.selectors import number_send_permission
    from consent.selectors import ConsentQuery, consent_check_many

    errors: dict[str, list[str]] = {}
    phones: list[str] = []
    for i, it in enumerate(items):
        try:
            phone, _ = _validate(
                business=business,
                body=it.body,
                kind=it.kind,
                purpose=it.purpose,
                contact=it.contact,
                to_phone=None,
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
    perms: dict[tuple[int, str, bool], Any] = {}
    for _, it in fresh:
        key = (it.from_number.pk, it.kind, it.automated)
        if key not in perms:
            perms[key] = number_send_permission(
                business=business, number=it.from_number, kind=it.kind, automated=it.automated
            )
    decisions = consent_check_many(
        business=business,
        queries=[
            ConsentQuery(
                it.contact,
                it.kind,
                perms[(it.from_number.pk, it.kind, it.automated)].campaign,
                False,
                it.purpose,
            )
            for _, it in fresh
        ],
    )
    policy: dict[tuple, Gate] = {}
    now = timezone.now()
    built: dict[int, Message] = {}
    for (i, it), decision in zip(fresh, decisions, strict=True):
        perm = perms[(it.from_number.pk, it.kind, it.automated)]
        # The content check depends on the number only through the snowshoe rule
        # (marketing / informational outside a number pool); elsewhere once per content.
        per_number = it.kind in ("marketing", "informational") and not getattr(
            perm.campaign, "number_pool", False
        )
        pkey = (
            it.body,
            it.kind,
            getattr(perm.campaign, "pk", None),
            it.from_number.pk if per_number else None,
            it.purpose,
        )
        if pkey not in policy:
            policy[pkey] = _policy_gate(
                business=business,
                body=it.body,
                kind=it.kind,
                campaign=perm.campaign,
                from_number=it.from_number,
                purpose=it.purpose,
            )
        built[i] = _build(
            business=business,
            contact=it.contact,
            phone=phones[i],
            body=it.body,
            kind=it.kind,
            from_number=it.from_number,
            automated=it.automated,
            purpose=it.purpose,
            reply_to=None,
            priority=it.priority,
            send_at=it.send_at,
            expires_at=it.expires_at,
            idempotency_key=it.idempotency_key,
            actor=actor,
            broadcast=it.broadcast,
            gates=[_number_gate(perm), _consent_gate(decision), policy[pkey]],
            now=now,
        )
    rows = list(built.values())
    try:
        with transaction.atomic():
            Message.objects.bulk_create(rows, batch_size=1000)
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
        _report(
            business,
            "blocked",
            {
                "count": len(blocked),
                "items": [{"message": str(m.uuid), "reasons": m.reasons} for m in blocked[:100]],
            },
        )
    due: dict[int, datetime] = {}
    for m in rows:
        if m.status in Message.WAITING:
            # waiting: it passed the number gate and _build gave it its send time
            number_id, send_after = m.from_number_id, m.send_after
            assert number_id is not None and send_after is not None
            due[number_id] = min(due.get(number_id, send_after), send_after)
    if due:
        # robust: a broker that cannot be reached must not undo or stop a bulk enqueue; the
        # lanes are marked due by then, and the recovery task re-kicks overdue lanes
        transaction.on_commit(
            lambda: lane_kick_many(business_id=business.pk, dues=due), robust=True
        )
    return [
        existing[it.idempotency_key] if i not in built else built[i] for i, it in enumerate(items)
    ]


def _report(business, event: str, detail: dict | None = None) -> None:
    from policies.services import message_outcome_report

    try:
        message_outcome_report(business=business, event=event, detail=detail)
    except Exception:  # a risk signal must never break the send path
        log.exception("message_outcome_report failed for %s", event)


# --- lanes: telling a drainer there is work --------------------------------------------------


def lane_kick(
    *, business_id: int, number_id: int, due_at: datetime | None = None, urgent: bool = True
) -> bool:
    """Make sure a drain of ``number_id`` runs at ``due_at`` (now if None). Cheap and
    idempotent: one UPDATE; a task is sent only if no drain is already expected by then."""
    from .tasks import drain_number

    now = timezone.now()
    due_at = max(due_at or now, now)
    horizon = now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    stale = now - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    will_send = due_at <= horizon
    lanes = SendLane.objects.filter(number_id=number_id).filter(
        Q(drain_at__isnull=True) | Q(drain_at__gt=due_at) | Q(drain_at__lt=stale)
    )
    updated = lanes.update(drain_at=due_at, task_eta=due_at if will_send else None)
    if not updated:
        if SendLane.objects.filter(number_id=number_id).exists():
            return False  # a drain is already expected in time
        SendLane.objects.bulk_create(
            [SendLane(business_id=business_id, number_id=number_id)], ignore_conflicts=True
        )
        updated = lanes.update(drain_at=due_at, task_eta=due_at if will_send else None)
        if not updated:
            return False
    if will_send:
        # A single send's kick (one message waiting on a number with no drain expected)
        # goes to the urgent queue, so it never waits behind the drains of bulk backlogs;
        # bulk enqueues (broadcasts, imports) kick on the default queue.
        drain_number.apply_async(
            (number_id,),
            eta=due_at if due_at > now else None,
            **({"queue": settings.MESSAGING_URGENT_QUEUE} if urgent else {}),
        )
    return True


def lane_kick_many(*, business_id: int, dues: dict[int, datetime]) -> int:
    """``lane_kick`` (non-urgent) for many numbers of one business at once: one INSERT of
    the missing lanes and one UPDATE … FROM unnest(…) with the same condition, then a task
    for each lane that needed one; a bulk enqueue over 1,000 numbers costs two
    statements, not 3,000. Returns how many drains were kicked."""
    from django.db import connection

    from .tasks import drain_number

    if not dues:
        return 0
    now = timezone.now()
    horizon = now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    stale = now - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    SendLane.objects.bulk_create(
        [SendLane(business_id=business_id, number_id=n) for n in dues], ignore_conflicts=True
    )
    numbers = list(dues)
    when = [max(dues[n], now) for n in numbers]
    table = connection.ops.quote_name(SendLane._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS l SET drain_at = v.due, "  # noqa: S608 - our table name only
            "task_eta = CASE WHEN v.due <= %s THEN v.due END "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(number_id, due) "
            "WHERE l.number_id = v.number_id "
            "AND (l.drain_at IS NULL OR l.drain_at > v.due OR l.drain_at < %s) "
            "RETURNING l.number_id, v.due",
            [horizon, numbers, when, stale],
        )
        kicked = cursor.fetchall()
    for number_id, due in kicked:
        if due <= horizon:
            drain_number.apply_async((number_id,), eta=due if due > now else None)
    return len(kicked)


# --- cancel, hold -----------------------------------------------------------------------------


def message_cancel(*, business: Business, message: Message, actor=None) -> Message:
    """Cancel a message that has not been handed to the carrier yet."""
    from accounts.services import audit_record

    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk, business=business)
        if locked.status not in (S.QUEUED, S.SCHEDULED, S.HELD):
            raise Conflict(
                f"A {locked.get_status_display().lower()} message can no longer be canceled.",
                detail={"status": locked.status},
            )
        locked.status = S.CANCELED
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        audit_record(action="message.cancel", obj=locked, actor=actor, business=business)
    return locked


def message_review(*, message: Message, release: bool, actor=None, note: str = "") -> Message:
    """Compliance staff decide on a HELD message: release it to the queue or block it."""
    from accounts.services import audit_record

    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status != S.HELD:
            raise Conflict("Only held messages can be reviewed.")
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
        if release:
            business_id, number_id = locked.business_id, locked.from_number_id
            assert number_id is not None  # held, not blocked: it passed the number gate
            transaction.on_commit(lambda: lane_kick(business_id=business_id, number_id=number_id))
    return locked


# --- broadcasts --------------------------------------------------------------------------------


def broadcast_estimate(*, recipients: int, segments: int, backlog_segments: int = 0) -> float:
    """Seconds a broadcast needs on one number under the cap (after what is queued there)."""
    limit, window = settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW
    total = recipients * segments + backlog_segments
    if total <= limit:
        return 0.0
    # The first `limit` segments go at once, then `limit` more every window.
    return ((total - 1) // limit) * window


def broadcast_create(
    *,
    business: Business,
    name: str,
    body: str,
    kind: str,
    from_number,
    tags: list[str] | None = None,
    contact_uuids: list | None = None,
    send_at: datetime | None = None,
    actor=None,
) -> Broadcast:
    """A DRAFT broadcast with its audience size and duration estimate."""
    from accounts.services import audit_record
    from consent.selectors import contacts_for_audience

    errors = {}
    if kind not in KINDS:
        errors["kind"] = ["Unknown kind."]
    if not body or not body.strip():
        errors["body"] = ["The message is empty."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    if from_number is None or from_number.business_id != business.pk:
        errors["from_number"] = ["Choose one of your numbers."]
    if not tags and not contact_uuids:
        errors["audience"] = ["Choose tags or contacts."]
    if errors:
        raise ValidationFailed(fields=errors)
    audience = contacts_for_audience(
        business=business, tags=tags or None, contact_uuids=contact_uuids
    )
    count = audience.count()
    backlog = sum(
        Message.objects.filter(
            business=business, from_number=from_number, status__in=Message.WAITING
        ).values_list("segments", flat=True)
    )
    broadcast = Broadcast.objects.create(
        business=business,
        name=name[:120] or "Broadcast",
        body=body,
        kind=kind,
        from_number=from_number,
        tags=list(tags or []),
        contact_uuids=[str(u) for u in (contact_uuids or [])],
        send_at=send_at,
        recipient_count=count,
        estimate_seconds=broadcast_estimate(
            recipients=count, segments=segment_info(body).segments, backlog_segments=backlog
        ),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(action="broadcast.create", obj=broadcast, actor=actor, business=business)
    return broadcast


FANOUT_BATCH = 500


def broadcast_start(*, broadcast: Broadcast, actor=None) -> Broadcast:
    """Fan out: one message per recipient through message_enqueue_many (every gate, 500
    recipients a batch), so each recipient's outcome (queued, deferred for quiet hours,
    blocked with its reason) is recorded. Idempotent per recipient (idempotency key
    broadcast+contact) and resumable: each batch commits with the fan-out's cursor (the last
    contact id), so a fan-out cut off by a killed worker or a lost broker or database
    continues where it stopped when started again (the recovery task does that for a
    RUNNING fan-out idle past the grace); a canceled broadcast stops at the next batch."""
    from accounts.services import audit_record
    from consent.selectors import contacts_for_audience

    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status not in (Broadcast.Status.DRAFT, Broadcast.Status.RUNNING):
            raise Conflict(f"A {locked.status.lower()} broadcast cannot start.")
        if locked.fanned_out_at is not None:
            return locked  # every recipient already has their message
        first = locked.status == Broadcast.Status.DRAFT
        locked.status = Broadcast.Status.RUNNING
        locked.started_at = locked.started_at or timezone.now()
        locked.fanout_at = timezone.now()
        locked.save(update_fields=["status", "started_at", "fanout_at"])
        audit_record(
            action="broadcast.start" if first else "broadcast.resume",
            obj=locked,
            actor=actor,
            business=locked.business,
            detail={} if first else {"after_contact": locked.fanout_cursor},
        )
    audience = contacts_for_audience(
        business=locked.business,
        tags=locked.tags or None,
        contact_uuids=locked.contact_uuids or None,
    ).filter(pk__gt=locked.fanout_cursor)
    chunk: list = []

    def flush() -> bool:
        """One batch and the cursor in one transaction; False once the broadcast stopped."""
        with transaction.atomic():
            running = (
                Broadcast.objects.select_for_update()
                .filter(pk=locked.pk, status=Broadcast.Status.RUNNING)
                .exists()
            )
            if not running:  # canceled meanwhile: enqueue nothing more
                return False
            message_enqueue_many(
                business=locked.business,
                actor=actor,
                items=[
                    Outgoing(
                        contact=contact,
                        body=locked.body,
                        kind=locked.kind,
                        from_number=locked.from_number,
                        automated=True,
                        send_at=locked.send_at,
                        idempotency_key=f"broadcast:{locked.uuid}:{contact.uuid}",
                        broadcast=locked,
                    )
                    for contact in chunk
                ],
            )
            Broadcast.objects.filter(pk=locked.pk).update(
                fanout_cursor=chunk[-1].pk, fanout_at=timezone.now()
            )
        chunk.clear()
        return True

    for contact in audience.iterator(chunk_size=FANOUT_BATCH):
        chunk.append(contact)
        if len(chunk) >= FANOUT_BATCH and not flush():
            return Broadcast.objects.get(pk=locked.pk)
    if chunk and not flush():
        return Broadcast.objects.get(pk=locked.pk)
    count = Message.objects.filter(business=locked.business, broadcast=locked).count()
    Broadcast.objects.filter(pk=locked.pk, status=Broadcast.Status.RUNNING).update(
        recipient_count=count, fanned_out_at=timezone.now()
    )
    return Broadcast.objects.get(pk=locked.pk)


def broadcast_fanouts_resume(*, now: datetime | None = None) -> int:
    """RUNNING broadcasts whose fan-out made no progress for the recovery grace (its worker
    died, the broker or the database went away): start their fan-out again, from the cursor.
    Each is claimed with one UPDATE, so two recovery passes do not both resume it."""
    from .tasks import broadcast_start as fan_out

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    resumed = 0
    for pk in Broadcast.objects.filter(
        status=Broadcast.Status.RUNNING, fanned_out_at=None, fanout_at__lt=stale
    ).values_list("pk", flat=True)[:100]:
        claimed = Broadcast.objects.filter(
            pk=pk, status=Broadcast.Status.RUNNING, fanned_out_at=None, fanout_at__lt=stale
        ).update(fanout_at=now)
        if claimed:
            fan_out.delay(pk)
            resumed += 1
    return resumed


def broadcast_cancel(*, broadcast: Broadcast, actor=None) -> int:
    """Cancel a broadcast and every message of it still waiting; returns how many."""
    from accounts.services import audit_record

    with transaction.atomic():
        Broadcast.objects.filter(pk=broadcast.pk).update(
            status=Broadcast.Status.CANCELED, finished_at=timezone.now()
        )
        n = Message.objects.filter(
            business=broadcast.business, broadcast=broadcast, status__in=[*Message.WAITING, S.HELD]
        ).update(status=S.CANCELED, status_changed_at=timezone.now())
        audit_record(
            action="broadcast.cancel",
            obj=broadcast,
            actor=actor,
            business=broadcast.business,
            detail={"canceled": n},
        )
    return n


def broadcast_refresh(*, broadcast: Broadcast) -> Broadcast:
    """Mark a RUNNING broadcast COMPLETED once none of its messages is still on the way."""
    if broadcast.status != Broadcast.Status.RUNNING or broadcast.fanned_out_at is None:
        return broadcast  # not every recipient has their message yet
    pending = Message.objects.filter(
        business=broadcast.business,
        broadcast=broadcast,
        status__in=[*Message.WAITING, S.SENDING, S.HELD],
    ).exists()
    if not pending:
        Broadcast.objects.filter(pk=broadcast.pk, status=Broadcast.Status.RUNNING).update(
            status=Broadcast.Status.COMPLETED, finished_at=timezone.now()
        )
        broadcast.refresh_from_db()
    return broadcast


# --- inbound ----------------------------------------------------------------------------------


def inbound_receive(
    *, to_number: str, from_phone: str, body: str, provider: str, provider_id: str = ""
) -> Message | None:
    """An inbound text: stored, then STOP family first (opt-out recorded before anything
    else, one confirmation), START/UNSTOP/YES, HELP/INFO; anything else is the inbox.
    Returns None when the number is not ours (the webhook answers 200 anyway)."""
    from campaigns.selectors import phone_number_for_e164
    from consent import services as consent_services
    from consent.phones import InvalidPhone, normalize

    number = phone_number_for_e164(e164=to_number)
    if number is None:
        log.warning("inbound to unknown number %s", to_number)
        return None
    business = number.business
    try:
        phone = normalize(from_phone)
    except InvalidPhone:
        log.warning("inbound from invalid phone %r", from_phone)
        return None
    if provider_id:
        dup = Message.objects.filter(
            business=business, provider_id=provider_id, direction=Message.Direction.INBOUND
        ).first()
        if dup is not None:  # provider retried its webhook
            return dup
    campaign = number.campaign
    match = keywords.classify(
        body,
        optout_keywords=getattr(campaign, "optout_keywords", None),
        optin_keywords=getattr(campaign, "optin_keywords", None),
        help_keywords=getattr(campaign, "help_keywords", None),
    )
    now = timezone.now()
    with transaction.atomic():
        contact, _ = consent_services.contact_get_or_create(business=business, phone=phone)
        evidence = {
            "source": f"SMS to {to_number}: {body[:200]}",
            "keyword": match.keyword,
            "text": body[:500],
            "to": to_number,
            "provider_id": provider_id,
        }
        reasons: list[dict] = []
        # The opt-out is written before the message row or anything else can fail.
        if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
            first = not Message.objects.filter(
                business=business,
                contact=contact,
                direction=Message.Direction.OUTBOUND,
                status__in=[S.SENT, S.DELIVERED],
            ).exists()
            consent_services.consent_record_opt_out(
                business=business,
                contact=contact,
                method="KEYWORD",
                scope_all=match.action == keywords.OPT_OUT_ALL or campaign is None,
                campaign=campaign,
                evidence=evidence,
            )
            reasons.append({"gate": "keyword", "code": match.action, "message": match.keyword})
        elif match.action == keywords.CONFIRM:
            event = consent_services.consent_confirm_double_opt_in(
                business=business, contact=contact, evidence=evidence
            )
            if event is None:
                event = consent_services.consent_record_reply_opt_in(
                    business=business, contact=contact, evidence=evidence, campaign=campaign
                )
            reasons.append(
                {
                    "gate": "keyword",
                    "code": "opt_in" if event else "confirm_noop",
                    "message": match.keyword,
                }
            )
        elif match.action == keywords.OPT_IN:
            event = consent_services.consent_record_reply_opt_in(
                business=business, contact=contact, evidence=evidence, campaign=campaign
            )
            reasons.append(
                {
                    "gate": "keyword",
                    "code": "opt_in" if event else "opt_in_noop",
                    "message": match.keyword,
                }
            )
        elif match.action == keywords.HELP:
            reasons.append({"gate": "keyword", "code": "help", "message": match.keyword})
        if hasattr(consent_services, "contact_record_inbound"):
            consent_services.contact_record_inbound(business=business, contact=contact)
        inbound = Message.objects.create(
            business=business,
            contact=contact,
            direction=Message.Direction.INBOUND,
            from_number=number,
            to_phone=phone,
            body=body,
            kind="conversational",
            status=S.RECEIVED,
            reasons=reasons,
            provider=provider,
            provider_id=provider_id,
            encoding=segment_info(body).encoding,
            segments=segment_info(body).segments,
            created_at=now,
            status_changed_at=now,
        )
        from .tenant_webhooks import message_inbound_event, webhook_emit_many

        webhook_emit_many(events=[message_inbound_event(inbound, keyword=match.action or "")])
        reply_body, purpose = "", ""
        if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
            reply_body = getattr(campaign, "optout_message", "") or (
                f"{business.display_name}: You are unsubscribed and will receive no more messages."
            )
            purpose = "opt_out_confirmation"
        elif match.action == keywords.HELP:
            reply_body = getattr(campaign, "help_message", "") or (
                f"{business.display_name}: reply STOP to opt out."
            )
            purpose = "help_reply"
        elif (
            match.action in (keywords.OPT_IN, keywords.CONFIRM) and reasons[-1]["code"] == "opt_in"
        ):
            reply_body = getattr(campaign, "optin_message", "")
            purpose = "opt_in_confirmation"
        if reply_body:
            message_enqueue(
                business=business,
                body=reply_body,
                kind="transactional",
                contact=contact,
                from_number=number,
                automated=False,
                purpose=purpose,
                reply_to=inbound,
                idempotency_key=f"reply:{inbound.uuid}",
            )
    if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
        _report(business, "opt_out", {"contact": str(contact.uuid), "keyword": match.keyword})
        if first:
            _report(business, "opt_out_after_first_message", {"contact": str(contact.uuid)})
    return inbound


# --- delivery status ----------------------------------------------------------------------------


def status_callback_store(
    *, provider: str, status: str, message_uuid=None, provider_id: str = "", error_code: str = ""
) -> None:
    """One raw receipt (the Twilio form); many at once: ``receipts.receipts_store``."""
    from .receipts import Receipt, receipts_store

    receipts_store(
        provider=provider,
        receipts=[Receipt(status, message_uuid, provider_id, error_code)],
    )


def status_callbacks_apply(*, limit: int = 2000) -> int:
    """Apply one batch of stored receipts (``receipts.receipts_apply``); returns how many
    applied."""
    from .receipts import receipts_apply

    return receipts_apply(limit=limit).applied


def outcomes_report(events: list[tuple[int, str, dict]]) -> None:
    """One outcome report per business and event, with the count and the message ids."""
    if not events:
        return
    grouped: dict[tuple[int, str], list[dict]] = {}
    for business_id, event, detail in events:
        grouped.setdefault((business_id, event), []).append(detail)
    businesses = Business.objects.in_bulk({b for b, _ in grouped})
    for (business_id, event), details in grouped.items():
        _report(businesses[business_id], event, {"count": len(details), "items": details[:100]})
