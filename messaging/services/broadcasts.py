"""Broadcasts: one text to an audience, fanned out through ``message_enqueue_many`` (every
gate, 500 recipients a batch), resumable, cancelable, completed when nothing is on its way."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.events.selectors import event_subscribed
from accounts.models import Business
from accounts.services import audit_record

from ..errors import BroadcastStateConflict, ValidationFailed
from ..media import selectors as media_selectors
from ..media import services as media_services
from ..models import KINDS, Broadcast, Message
from ..segments import segment_info
from ..selectors import (
    broadcast_audience,
    broadcast_estimate,
    broadcast_progress,
    broadcast_renderings,
)
from ..templating.selectors import render_many, template_parse
from ..tenant_webhooks import broadcast_event, event_emit_many, message_events
from .enqueue import MAX_BODY, Outgoing, message_enqueue_many

S = Message.Status


def broadcast_create(
    *,
    business: Business,
    name: str,
    body: str,
    kind: str,
    from_number,
    tags: list[str] | None = None,
    contact_uuids: list | None = None,
    segment=None,
    send_at: datetime | None = None,
    actor=None,
    media=(),
) -> Broadcast:
    """A DRAFT broadcast with its audience size and duration estimate. ``media``: the
    business's files every recipient's message carries (an MMS). ``body`` may hold merge
    fields (messaging.templating): each recipient gets their rendering, and the estimate
    counts the longest one."""
    errors = {}
    media = list(media or ())
    if kind not in KINDS:
        errors["kind"] = ["Unknown kind."]
    if media:
        try:
            media_services.media_check_set(media=media)
        except ValidationFailed as exc:
            errors.update(exc.fields)
        if any(m.business_id != business.pk for m in media):
            errors["media"] = ["Unknown media."]
        if len(body or "") > MAX_BODY:
            errors["body"] = [f"At most {MAX_BODY} characters."]
    elif not body or not body.strip():
        errors["body"] = ["The message is empty."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    if from_number is None or from_number.business_id != business.pk:
        errors["from_number"] = ["Choose one of your numbers."]
    if segment is not None and segment.business_id != business.pk:
        errors["segment"] = ["Choose one of your segments."]
    elif not tags and not contact_uuids and segment is None:
        errors["audience"] = ["Choose a segment, tags or contacts."]
    if errors:
        raise ValidationFailed(fields=errors)
    template_parse(body)  # a merge-field syntax error is the body's error, now
    audience = broadcast_audience(
        business=business, tags=tags, contact_uuids=contact_uuids, segment=segment
    )
    count = audience.count()
    longest = broadcast_renderings(business=business, body=body, audience=audience)["longest"]
    if len(longest) > MAX_BODY:
        raise ValidationFailed(
            fields={"body": [f"The longest recipient's text is over {MAX_BODY} characters."]}
        )
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
        segment=segment,
        send_at=send_at,
        recipient_count=count,
        estimate_seconds=broadcast_estimate(
            recipients=count,
            segments=1 if media else segment_info(longest).segments,  # an MMS is one message
            backlog_segments=backlog,
            number=from_number,
        ),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if media:
        media_services.media_attach(business=business, media=media, broadcast=broadcast)
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
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status not in (Broadcast.Status.DRAFT, Broadcast.Status.RUNNING):
            raise BroadcastStateConflict(f"A {locked.status.lower()} broadcast cannot start.")
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
        if first:
            _emit(locked, "broadcast.started")
    audience = broadcast_audience(
        business=locked.business,
        tags=locked.tags,
        contact_uuids=locked.contact_uuids,
        segment=locked.segment,
    ).filter(pk__gt=locked.fanout_cursor)
    media = tuple(media_selectors.media_for_broadcast(broadcast=locked))
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
            # each recipient's own text: the gates judge what is sent (a merged value
            # cannot carry a link or a refused word past the policy engine)
            bodies = render_many(business=locked.business, body=locked.body, contacts=chunk)
            message_enqueue_many(
                business=locked.business,
                actor=actor,
                items=[
                    Outgoing(
                        contact=contact,
                        body=body,
                        kind=locked.kind,
                        from_number=locked.from_number,
                        channel="broadcast",
                        send_at=locked.send_at,
                        idempotency_key=f"broadcast:{locked.uuid}:{contact.uuid}",
                        broadcast=locked,
                        media=media,
                    )
                    for contact, body in zip(chunk, bodies, strict=True)
                ],
            )
            Broadcast.objects.filter(pk=locked.pk).update(
                fanout_cursor=chunk[-1].pk, fanout_at=timezone.now()
            )
            _emit(locked, "broadcast.progress")
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
    from ..tasks import broadcast_start as fan_out  # not at the top: the task calls this

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
    with transaction.atomic():
        now = timezone.now()
        Broadcast.objects.filter(pk=broadcast.pk).update(
            status=Broadcast.Status.CANCELED, finished_at=now
        )
        waiting = list(
            Message.objects.select_for_update()
            .filter(
                business=broadcast.business,
                broadcast=broadcast,
                status__in=[*Message.WAITING, S.HELD],
            )
            .only("id", "uuid", "business_id", "kind", "to_phone", "error_code", "reasons")
        )
        n = Message.objects.filter(pk__in=[m.pk for m in waiting]).update(
            status=S.CANCELED, status_changed_at=now
        )
        for m in waiting:
            m.status, m.status_changed_at = S.CANCELED, now
        event_emit_many(events=message_events(waiting))
        broadcast.refresh_from_db()
        _emit(broadcast, "broadcast.finished")
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
        with transaction.atomic():
            done = Broadcast.objects.filter(
                pk=broadcast.pk, status=Broadcast.Status.RUNNING
            ).update(status=Broadcast.Status.COMPLETED, finished_at=timezone.now())
            broadcast.refresh_from_db()
            if done:  # this call completed it: the event is sent once
                _emit(broadcast, "broadcast.finished")
    return broadcast


def broadcasts_complete(*, limit: int = 100) -> int:
    """RUNNING broadcasts fanned out whose messages are all settled become COMPLETED (and
    their "broadcast.finished" event goes out) without waiting for someone to look at
    them; for the recovery beat task."""
    running = Broadcast.objects.filter(
        status=Broadcast.Status.RUNNING, fanned_out_at__isnull=False
    ).order_by("fanned_out_at")[:limit]
    completed = 0
    for broadcast in running:
        if broadcast_refresh(broadcast=broadcast).status == Broadcast.Status.COMPLETED:
            completed += 1
    return completed


def _emit(broadcast: Broadcast, type_: str) -> None:
    if not event_subscribed(business_id=broadcast.business_id, type=type_):
        return  # no endpoint wants it: skip counting the progress
    event_emit_many(
        events=[broadcast_event(broadcast, type_, broadcast_progress(broadcast=broadcast))]
    )


def broadcast_launch(*, broadcast: Broadcast, actor=None) -> Broadcast:
    """Start a DRAFT broadcast. Small audiences fan out in this request (every outcome is
    visible at once); larger ones are marked RUNNING and fanned out by the send path's
    Celery task, so a page or API call never waits for thousands of enqueues. The fan-out
    is idempotent per recipient, so a redelivered task never sends twice."""
    from ..tasks import broadcast_start as fan_out  # not at the top: the task calls this

    inline_max = int(getattr(settings, "MESSAGING_BROADCAST_INLINE_MAX", 200))
    if broadcast.recipient_count <= inline_max:
        if broadcast.status != Broadcast.Status.DRAFT:
            raise BroadcastStateConflict(
                f"This broadcast is {broadcast.get_status_display().lower()}; only a draft starts.",
                detail={"status": broadcast.status},
            )
        return broadcast_start(broadcast=broadcast, actor=actor)
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if locked.status != Broadcast.Status.DRAFT:
            raise BroadcastStateConflict(
                f"This broadcast is {locked.get_status_display().lower()}; only a draft starts.",
                detail={"status": locked.status},
            )
        locked.status = Broadcast.Status.RUNNING
        locked.started_at = timezone.now()
        locked.save(update_fields=["status", "started_at"])
        _emit(locked, "broadcast.started")
        audit_record(
            action="broadcast.queue",
            obj=locked,
            actor=actor,
            business=locked.business,
            detail={"recipients": locked.recipient_count},
        )
        pk = locked.pk
        transaction.on_commit(lambda: fan_out.apply_async((pk,)))
    return locked
