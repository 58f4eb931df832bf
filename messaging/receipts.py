"""Delivery receipts: parse a provider's webhook body, store many at once, apply in batches.

A receipt arrives once per message (833/s at full load), so the webhook does as little as it
can: verify the signature once per request, ``receipts_parse`` the body (one receipt, or a
batch ``{"receipts": [...]}`` as aggregators push them), ``receipts_store`` them raw with one
multi-row INSERT, answer. ``receipts_apply`` (the task ``apply_status_callbacks``) then
moves messages forward in batches of up to 2,000 receipts per transaction.

A batch is all or nothing: if any item is malformed, the request is refused (400, every bad
item named with its index) and nothing of it is stored, so a sender that fixes and resends
never leaves half a batch behind. Duplicates and late receipts are harmless: statuses only
move forward (``STATUS_MAP`` / ``RANK``).
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .errors import ValidationFailed
from .models import Message, StatusCallback
from .services.outcomes import outcomes_report
from .tenant_webhooks import event_emit_many, message_events

S = Message.Status
# a receipt's status (any provider, lower-cased) -> the message's
STATUS_MAP = {
    "sent": S.SENT,
    "delivered": S.DELIVERED,
    "undelivered": S.UNDELIVERED,
    "failed": S.FAILED,
}
# A later state never goes back: rank of each status a receipt can set.
RANK: dict[str, int] = {S.SENDING: 0, S.SENT: 1, S.DELIVERED: 2, S.UNDELIVERED: 2, S.FAILED: 2}
# error codes that mean the carrier filtered the message (Twilio's 30007; the simulator's)
CARRIER_FILTERED = {"30007", "filtered"}

MAX_RECEIPTS = 1000  # receipts in one request
MAX_BODY = 1024 * 1024  # bytes of one request (1,000 receipts are about 150 kB)
APPLY_LIMIT = 2000  # receipts per apply transaction
APPLY_KEY = "messaging:apply-status-scheduled"  # set while an apply task waits to start
APPLY_FLAG_TTL = 0.5  # s; a task lost on its way is replaced after this
APPLY_COUNTDOWN = 0.3  # s a task waits, so that one run takes many requests' receipts
_REPORTED_ERRORS = 50  # invalid items listed in one 400 answer


@dataclass(frozen=True, slots=True)
class Receipt:
    status: str
    message_uuid: uuid.UUID | None = None
    provider_id: str = ""
    error_code: str = ""


@dataclass(frozen=True, slots=True)
class Applied:
    taken: int  # receipts consumed (applied, stale, duplicate or unknown)
    applied: int  # messages moved forward


# --- parse (pure) -------------------------------------------------------------------------------


def _text(item: dict, key: str, limit: int) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a string")
    value = str(value)
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters")
    return value


def _receipt(item: Any) -> tuple[Receipt | None, list[tuple[str, str]]]:
    if not isinstance(item, dict):
        return None, [("", "A receipt is a JSON object.")]
    errors: list[tuple[str, str]] = []
    values: dict[str, str] = {}
    for key, limit in (("status", 20), ("id", 64), ("message_id", 36), ("error_code", 32)):
        try:
            values[key] = _text(item, key, limit)
        except ValueError as exc:
            errors.append((key, f"{key} {exc}."))
    if "status" not in [f for f, _ in errors] and not values["status"]:
        errors.append(("status", "status is required."))
    message_uuid = None
    if values.get("message_id"):
        try:
            message_uuid = uuid.UUID(values["message_id"])
        except ValueError:
            errors.append(("message_id", "message_id is not a UUID."))
    elif not errors and not values["id"]:
        errors.append(("id", "id or message_id is required."))
    if errors:
        return None, errors
    return (
        Receipt(
            status=values["status"],
            message_uuid=message_uuid,
            provider_id=values["id"],
            error_code=values["error_code"],
        ),
        [],
    )


def receipts_parse(data: Any) -> list[Receipt]:
    """One receipt ``{"id", "message_id", "status", "error_code"?}`` or a batch
    ``{"receipts": [...]}`` (1 to MAX_RECEIPTS). Raises ValidationFailed naming every bad
    item (``fields["receipts.3.message_id"]``, ``detail["invalid"]`` with the index)."""
    batch = isinstance(data, dict) and "receipts" in data
    items = data["receipts"] if batch else [data]
    if not isinstance(data, dict) or not isinstance(items, list):
        raise ValidationFailed(
            'A JSON object is required: one receipt, or {"receipts": [...]}.',
            fields={"receipts": ["Must be a list of receipts."]} if batch else {},
        )
    if not 0 < len(items) <= MAX_RECEIPTS:
        raise ValidationFailed(
            f"A batch holds 1 to {MAX_RECEIPTS} receipts.",
            fields={"receipts": [f"Between 1 and {MAX_RECEIPTS} receipts, got {len(items)}."]},
            detail={"count": len(items), "max": MAX_RECEIPTS},
        )
    receipts: list[Receipt] = []
    invalid: list[dict] = []
    fields: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        receipt, errors = _receipt(item)
        if receipt is not None:
            receipts.append(receipt)
            continue
        for field, message in errors:
            if len(invalid) >= _REPORTED_ERRORS:
                break
            # the API's field naming: "receipts.3.status" (a batch) or "status" (one receipt)
            name = ".".join(p for p in ("receipts", str(index), field) if p) if batch else field
            invalid.append({"index": index, "field": field, "message": message})
            fields.setdefault(name or "non_field_errors", []).append(message)
    if len(receipts) < len(items):
        bad = len(items) - len(receipts)
        raise ValidationFailed(
            f"{bad} of {len(items)} receipts are malformed; none was stored.",
            fields=fields,
            detail={"invalid": invalid, "malformed": bad, "received": len(items), "stored": 0},
        )
    return receipts


# --- store --------------------------------------------------------------------------------------


def receipts_store(*, provider: str, receipts: list[Receipt]) -> int:
    """Store raw receipts with one multi-row INSERT; returns how many."""
    now = timezone.now()
    StatusCallback.objects.bulk_create(
        [
            StatusCallback(
                provider=provider,
                status=r.status[:20],
                message_uuid=r.message_uuid,
                provider_id=r.provider_id[:64],
                error_code=r.error_code[:32],
                received_at=now,
            )
            for r in receipts
        ]
    )
    return len(receipts)


# --- apply --------------------------------------------------------------------------------------

_UPDATE = """
UPDATE {table} AS m
   SET status = v.status,
       status_changed_at = %s,
       delivered_at = COALESCE(v.delivered_at, m.delivered_at),
       error_code = v.error_code
  FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::text[])
       AS v(id, status, delivered_at, error_code)
 WHERE m.id = v.id
"""


def receipts_apply(*, limit: int = APPLY_LIMIT) -> Applied:
    """Apply up to ``limit`` stored receipts, oldest first, in one transaction: lock them
    (SKIP LOCKED, so several workers share the backlog), lock their messages in id order,
    move each message forward only, write every change with one UPDATE, emit the tenants'
    "message.status" webhooks, delete the receipts; then one outcome report per business
    and event."""
    with transaction.atomic():
        batch = list(
            StatusCallback.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "message_uuid", "provider_id", "status", "error_code")[:limit]
        )
        if not batch:
            return Applied(0, 0)
        uuids = {u for _, u, _, _, _ in batch if u}
        pids = {p for _, u, p, _, _ in batch if not u and p}
        q = Q(uuid__in=uuids) | Q(provider_id__in=pids) if pids else Q(uuid__in=uuids)
        messages: dict[Any, Message] = {}
        for row in (
            Message.objects.select_for_update()
            .filter(q, direction=Message.Direction.OUTBOUND)
            .only(
                "id",
                "uuid",
                "business_id",
                "kind",
                "provider_id",
                "status",
                "error_code",
                "to_phone",
                "reasons",
                "status_changed_at",
                "delivered_at",
            )
            .order_by("id")
        ):
            messages[row.uuid] = row
            if row.provider_id:
                messages[row.provider_id] = row
        changed: dict[int, Message] = {}
        events: list[tuple[int, str, dict]] = []
        applied = 0
        now = timezone.now()
        for _, message_uuid, provider_id, status, error_code in batch:
            m = messages.get(message_uuid) or messages.get(provider_id)
            new = STATUS_MAP.get(status.lower())
            if m is None or new is None:
                continue
            if RANK.get(new, 0) <= RANK.get(m.status, -1):
                continue  # a duplicate or a late receipt: statuses only move forward
            m.status = new
            m.status_changed_at = now
            if new == S.DELIVERED:
                m.delivered_at = now
                events.append((m.business_id, "delivered", {"message": str(m.uuid)}))
            elif new in (S.FAILED, S.UNDELIVERED):
                if error_code:
                    m.error_code = error_code
                ev = "carrier_filtered" if error_code in CARRIER_FILTERED else "failed"
                events.append((m.business_id, ev, {"message": str(m.uuid), "code": error_code}))
            changed[m.pk] = m
            applied += 1
        if changed:
            rows = list(changed.values())
            with connection.cursor() as cursor:
                cursor.execute(
                    _UPDATE.format(table=Message._meta.db_table),
                    [
                        now,
                        [m.pk for m in rows],
                        [m.status for m in rows],
                        [m.delivered_at if m.status == S.DELIVERED else None for m in rows],
                        [m.error_code for m in rows],
                    ],
                )
            event_emit_many(events=message_events(rows))
        StatusCallback.objects.filter(pk__in=[row[0] for row in batch]).delete()
    outcomes_report(events)
    return Applied(taken=len(batch), applied=applied)


def receipts_schedule_apply() -> None:
    """After storing: make sure an apply runs soon. At most one task is waiting at a time
    (the flag), however many requests arrive; the task clears the flag when it starts, so
    a receipt stored after that start schedules the next run and is never left behind."""
    if cache.add(APPLY_KEY, 1, timeout=APPLY_FLAG_TTL):
        from .tasks import apply_status_callbacks  # not at the top: the task calls this

        apply_status_callbacks.apply_async(countdown=APPLY_COUNTDOWN)


def receipts_apply_all(*, limit: int = APPLY_LIMIT) -> int:
    """Apply full batches while there are any; returns how many messages moved. A batch
    that is not full means the backlog is caught up: receipts stored later schedule their
    own run (``receipts_schedule_apply``, and beat every 2 s), so the task never spins on
    a trickle."""
    cache.delete(APPLY_KEY)
    total = 0
    while True:
        result = receipts_apply(limit=limit)
        total += result.applied
        if result.taken < limit:
            return total
