"""Appointment reminders: appointments in (API, CSV, iCalendar feed), rules, the reminders
they plan, sending what is due through the one send path, and the client's C / R reply."""

import csv
import io
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import Conflict, ValidationFailed
from accounts.events.services import event_emit
from accounts.models import Business
from accounts.services import audit_record
from consent import services as consent_services
from messaging import keywords, quiet_hours
from messaging.services import keyword_table, message_cancel, message_enqueue
from messaging.templating.selectors import render_one

from . import feeds, timing
from .models import Appointment, CalendarFeed, Reminder, ReminderRule
from .webhook_events import REPLY_EVENT

log = logging.getLogger(__name__)
A = Appointment.Status
R = Reminder.Status
MAX_MINUTES_BEFORE = 60 * 24 * 30
CSV_MAX_ROWS = 5000


# --- rules ------------------------------------------------------------------------------


def _check_word(word: str, field: str) -> str:
    word = (word or "").strip()
    if not word or len(word) > 20:
        raise ValidationFailed(fields={field: ["1 to 20 characters."]})
    if keywords.classify(word, table=keyword_table()).action != keywords.NONE:
        raise ValidationFailed(
            fields={
                field: [f"{word} is a keyword (STOP, HELP, START and the like): choose another."]
            }
        )
    return word


def reminder_rule_create(
    *,
    business: Business,
    name: str,
    minutes_before: int,
    template,
    confirm_word: str = "C",
    reschedule_word: str = "R",
    actor=None,
) -> ReminderRule:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = ["Give the rule a name."]
    if not isinstance(minutes_before, int) or not 1 <= minutes_before <= MAX_MINUTES_BEFORE:
        errors["minutes_before"] = [f"Between 1 and {MAX_MINUTES_BEFORE} minutes."]
    if template is None or template.business_id != business.pk:
        errors["template"] = ["Choose one of your templates."]
    elif template.kind not in ("informational", "transactional"):
        errors["template"] = ["A reminder is informational: choose an informational template."]
    if errors:
        raise ValidationFailed(fields=errors)
    confirm = _check_word(confirm_word, "confirm_word")
    reschedule = _check_word(reschedule_word, "reschedule_word")
    if keywords.key(confirm) == keywords.key(reschedule):
        raise ValidationFailed(
            fields={"reschedule_word": ["Use a word other than the confirm word."]}
        )
    try:
        with transaction.atomic():
            rule = ReminderRule.objects.create(
                business=business, name=name.strip()[:120], minutes_before=minutes_before,
                template=template, confirm_word=confirm, reschedule_word=reschedule,
            )  # fmt: skip
    except IntegrityError:
        raise Conflict(
            "A rule at that time exists.",
            fields={"minutes_before": ["A rule at that time exists."]},
        ) from None
    audit_record(action="reminders.rule_create", obj=rule, actor=actor, business=business)
    for appointment in Appointment.objects.filter(
        business=business, status__in=Appointment.OPEN, starts_at__gt=timezone.now()
    ):
        reminders_plan(appointment=appointment)
    return rule


def reminder_rule_delete(*, rule: ReminderRule, actor=None) -> None:
    """The rule and its pending reminders go; sent ones keep their messages."""
    audit_record(action="reminders.rule_delete", obj=rule, actor=actor, business=rule.business)
    rule.delete()


# --- appointments -----------------------------------------------------------------------


def _zone_of(business: Business, contact) -> str:
    zone = getattr(contact, "time_zone", "") or business.time_zone
    return zone if quiet_hours.zone_loadable(zone) else "America/New_York"


def reminders_plan(*, appointment: Appointment, now: datetime | None = None) -> list[Reminder]:
    """Create or move the appointment's pending reminders, one per active rule; a reminder
    whose time has already passed is SKIPPED (never sent late)."""
    now = now or timezone.now()
    business, contact = appointment.business, appointment.contact
    zones = quiet_hours.zones_for(contact.phone_e164 or "", contact.time_zone)
    window = quiet_hours.window_for(
        contact.phone_e164 or "",
        business_window=(business.quiet_hours_start, business.quiet_hours_end),
    )
    out = []
    for rule in ReminderRule.objects.filter(business=business, is_active=True):
        send_at = timing.send_time(
            starts_at=appointment.starts_at,
            minutes_before=rule.minutes_before,
            zones=zones,
            window=window,
        )
        reminder = Reminder.objects.filter(
            business=business, appointment=appointment, rule=rule
        ).first()
        if reminder is not None and reminder.status not in (R.PENDING, R.SKIPPED):
            out.append(reminder)
            continue  # sent or canceled: history
        late = send_at <= now
        status, note = (
            (R.SKIPPED, "its time had passed when it was planned") if late else (R.PENDING, "")
        )
        if reminder is None:
            reminder = Reminder.objects.create(
                business=business, appointment=appointment, rule=rule, send_at=send_at,
                status=status, note=note,
            )  # fmt: skip
        else:
            reminder.send_at, reminder.status, reminder.note = send_at, status, note
            reminder.updated_at = now
            reminder.save(update_fields=["send_at", "status", "note", "updated_at"])
        out.append(reminder)
    return out


def _contact_for(business: Business, *, contact=None, phone: str = "", name: str = ""):
    if contact is not None:
        return contact
    if not phone:
        raise ValidationFailed(fields={"phone": ["Give the client's mobile number."]})
    found, _ = consent_services.contact_get_or_create(
        business=business, phone=phone, **({"name": name} if name else {})
    )
    return found


def appointment_create(
    *,
    business: Business,
    starts_at: datetime,
    contact=None,
    phone: str = "",
    name: str = "",
    title: str = "",
    location: str = "",
    external_id: str = "",
    source: str = "api",
    feed: CalendarFeed | None = None,
    actor=None,
) -> tuple[Appointment, bool]:
    """An appointment and its reminders; with an ``external_id`` the business already sent,
    the same appointment updated (moved, renamed) instead. Returns (appointment, created)."""
    if starts_at is None or timezone.is_naive(starts_at):
        raise ValidationFailed(fields={"starts_at": ["A date and time with its offset."]})
    external_id = (external_id or "").strip()[:255]
    if external_id:
        existing = Appointment.objects.filter(business=business, external_id=external_id).first()
        if existing is not None:
            return (
                appointment_update(
                    appointment=existing, starts_at=starts_at, title=title or None,
                    location=location or None, actor=actor,
                ),
                False,
            )  # fmt: skip
    contact = _contact_for(business, contact=contact, phone=phone, name=name)
    if contact.business_id != business.pk:
        raise ValidationFailed(fields={"contact": ["Not one of your contacts."]})
    with transaction.atomic():
        appointment = Appointment.objects.create(
            business=business, contact=contact, starts_at=starts_at, title=title[:200],
            location=location[:200], external_id=external_id, source=source, feed=feed,
        )  # fmt: skip
        reminders_plan(appointment=appointment)
    audit_record(
        action="reminders.appointment_create", obj=appointment, actor=actor, business=business
    )
    return appointment, True


def appointment_update(
    *,
    appointment: Appointment,
    starts_at: datetime | None = None,
    title: str | None = None,
    location: str | None = None,
    actor=None,
) -> Appointment:
    """Move or rename; a move re-plans its pending reminders (and a confirmation no longer
    holds for the new time)."""
    if appointment.status not in Appointment.OPEN:
        raise Conflict(f"A {appointment.get_status_display().lower()} appointment cannot change.")
    moved = starts_at is not None and starts_at != appointment.starts_at
    with transaction.atomic():
        if starts_at is not None and moved:
            if timezone.is_naive(starts_at):
                raise ValidationFailed(fields={"starts_at": ["A date and time with its offset."]})
            appointment.starts_at = starts_at
            appointment.status, appointment.confirmed_at = A.BOOKED, None
            _cancel_waiting_messages(appointment)
        if title is not None:
            appointment.title = title[:200]
        if location is not None:
            appointment.location = location[:200]
        appointment.updated_at = timezone.now()
        appointment.save()
        if moved:  # sent reminders stay as history; pending ones move
            reminders_plan(appointment=appointment)
    audit_record(
        action="reminders.appointment_update", obj=appointment, actor=actor,
        business=appointment.business, detail={"moved": moved},
    )  # fmt: skip
    return appointment


def _cancel_waiting_messages(appointment: Appointment) -> None:
    """Reminders sent to the queue but not yet to the carrier are canceled with it."""
    for reminder in Reminder.objects.filter(
        business=appointment.business, appointment=appointment, status=R.SENT
    ).select_related("message"):
        message = reminder.message
        if message is not None and message.status in ("QUEUED", "SCHEDULED", "HELD"):
            message_cancel(business=appointment.business, message=message, actor=None)


def appointment_cancel(*, appointment: Appointment, actor=None) -> Appointment:
    if appointment.status == A.CANCELED:
        return appointment
    with transaction.atomic():
        appointment.status = A.CANCELED
        appointment.updated_at = timezone.now()
        appointment.save(update_fields=["status", "updated_at"])
        Reminder.objects.filter(
            business=appointment.business, appointment=appointment, status=R.PENDING
        ).update(status=R.CANCELED, note="the appointment was canceled", updated_at=timezone.now())
        _cancel_waiting_messages(appointment)
    audit_record(
        action="reminders.appointment_cancel", obj=appointment, actor=actor,
        business=appointment.business,
    )  # fmt: skip
    return appointment


def appointment_mark(*, appointment: Appointment, status: str, actor=None) -> Appointment:
    """After the time: the client came (COMPLETED) or did not (NO_SHOW)."""
    if status not in (A.COMPLETED, A.NO_SHOW):
        raise ValidationFailed(fields={"status": ["COMPLETED or NO_SHOW."]})
    if appointment.status == A.CANCELED:
        raise Conflict("A canceled appointment cannot be marked.")
    appointment.status = status
    appointment.updated_at = timezone.now()
    appointment.save(update_fields=["status", "updated_at"])
    audit_record(
        action="reminders.appointment_mark", obj=appointment, actor=actor,
        business=appointment.business, detail={"status": status},
    )  # fmt: skip
    return appointment


# --- sending ----------------------------------------------------------------------------


def reminder_text(*, reminder: Reminder) -> str:
    appointment, rule = reminder.appointment, reminder.rule
    business, contact = appointment.business, appointment.contact
    variables: dict[str, Any] = {
        **timing.local_words(appointment.starts_at, _zone_of(business, contact)),
        "appointment_title": appointment.title,
        "location": appointment.location,
        "confirm_word": rule.confirm_word,
        "reschedule_word": rule.reschedule_word,
    }
    text = render_one(
        business=business, body=rule.template.body, contact=contact, variables=variables
    )
    words = {"confirm_word": rule.confirm_word, "reschedule_word": rule.reschedule_word}
    if not timing.shows_words(text, **words):
        text = f"{text.rstrip()} {timing.words_hint(**words)}"
    return text


def reminders_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every PENDING reminder whose time has come, through ``message_enqueue`` (every
    gate: consent for informational texts, suppression, content, quiet hours); each is
    claimed with SKIP LOCKED so two beat runs never send one twice (and the message's
    idempotency key holds even then). Returns how many were handed to the send path."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=R.PENDING, send_at__lte=now)
            .select_related("appointment__contact", "appointment__business", "rule__template")
            .order_by("send_at", "id")[:limit]
        )
        for reminder in due:
            appointment = reminder.appointment
            if appointment.status not in Appointment.OPEN or appointment.starts_at <= now:
                reminder.status, reminder.note = R.SKIPPED, "the appointment was not open any more"
            else:
                message = message_enqueue(
                    business=appointment.business,
                    body=reminder_text(reminder=reminder),
                    kind=reminder.rule.template.kind,
                    contact=appointment.contact,
                    channel="template",
                    purpose="",
                    idempotency_key=f"reminder:{reminder.uuid}",
                )
                reminder.status, reminder.message = R.SENT, message
                sent += 1
            reminder.updated_at = now
            reminder.save(update_fields=["status", "message", "note", "updated_at"])
    return sent


# --- the client's reply -----------------------------------------------------------------


def reminder_reply(*, business: Business, contact, inbound) -> dict | None:
    """The inbound handler (registered with messaging's inbound): a text that is not a
    keyword, from a contact with an open appointment whose reminder was sent, saying the
    rule's confirm or reschedule word, confirms the appointment or asks to reschedule it,
    tells the business (the inbox shows the reason; a signed ``appointment.reply`` webhook)
    and returns the reason stored on the inbound message. Anything else: None."""
    now = timezone.now()
    reminder = (
        Reminder.objects.filter(
            business=business,
            appointment__contact=contact,
            appointment__status__in=Appointment.OPEN,
            appointment__starts_at__gt=now - timedelta(hours=2),
            status=R.SENT,
        )
        .select_related("appointment", "rule")
        .order_by("-send_at", "-id")
        .first()
    )
    if reminder is None:
        return None
    rule, appointment = reminder.rule, reminder.appointment
    action = timing.reply_action(
        inbound.body, confirm_word=rule.confirm_word, reschedule_word=rule.reschedule_word
    )
    if not action:
        return None
    status = A.CONFIRMED if action == timing.CONFIRM else A.RESCHEDULE_REQUESTED
    Appointment.objects.filter(pk=appointment.pk).update(
        status=status, updated_at=now, **({"confirmed_at": now} if action == timing.CONFIRM else {})
    )
    when = timing.local_words(appointment.starts_at, _zone_of(business, contact))
    what = "confirmed" if action == timing.CONFIRM else "asked to reschedule"
    on = f"{when['appointment_date']} at {when['appointment_time']}"
    words = f"{what.capitalize()} the appointment on {on}"
    event_emit(
        business=business,
        type=REPLY_EVENT,
        data={
            "appointment": str(appointment.uuid),
            "contact": str(contact.uuid),
            "message": str(inbound.uuid),
            "action": action,
            "status": status,
            "starts_at": appointment.starts_at.isoformat(),
        },
    )
    return {
        "gate": "reminder",
        "code": "appointment_confirmed" if action == timing.CONFIRM else "appointment_reschedule",
        "message": words,
        "detail": {"appointment": str(appointment.uuid)},
    }


# --- CSV --------------------------------------------------------------------------------

CSV_COLUMNS = ("phone", "starts_at", "name", "title", "location", "external_id")


def _parse_when(value: str, zone: str) -> datetime | None:
    value = value.strip()
    try:
        when = parse_datetime(value.replace("/", "-")) if value else None
    except ValueError:  # the right shape, no such day or time (2026-02-30 10:00)
        return None
    if when is None:
        for pattern in ("%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %I:%M %p"):
            try:
                when = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if when is None:
        return None
    return when.replace(tzinfo=ZoneInfo(zone)) if timezone.is_naive(when) else when


def _csv_rows(reader: csv.DictReader):
    """The reader's rows, then ``None`` once if a row cannot be read (bad quoting)."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield None
            return


def appointments_import_csv(*, business: Business, content: bytes, actor=None) -> dict:
    """Rows ``phone, starts_at[, name, title, location, external_id]`` (a time without an
    offset is in the business's zone): each row an appointment (updated when its external_id
    is known); bad rows are reported with their line, the others kept."""
    if len(content) > settings.REMINDERS_CSV_MAX_BYTES:
        raise ValidationFailed(fields={"file": ["The file is too large."]})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    # newline="": the csv module reads line ends itself (a CR inside a field is data).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise ValidationFailed(
            fields={"file": [f"This is not a readable CSV file ({exc})."]}
        ) from exc
    if "phone" not in header or "starts_at" not in header:
        raise ValidationFailed(fields={"file": ["The header needs phone and starts_at columns."]})
    reader.fieldnames = header
    report: dict[str, Any] = {"created": 0, "updated": 0, "rejected": []}
    for line, row in enumerate(_csv_rows(reader), start=2):
        if row is None:  # the csv module could not read past this line
            report["rejected"].append({"line": line, "reason": "unreadable CSV from here on"})
            break
        if line - 1 > CSV_MAX_ROWS:
            report["rejected"].append({"line": line, "reason": f"more than {CSV_MAX_ROWS} rows"})
            break
        row = {k: (v or "").strip() for k, v in row.items() if k}
        when = _parse_when(row.get("starts_at", ""), business.time_zone)
        if when is None:
            report["rejected"].append({"line": line, "reason": "starts_at is not a date and time"})
            continue
        try:
            with transaction.atomic():
                _, created = appointment_create(
                    business=business, starts_at=when, phone=row.get("phone", ""),
                    name=row.get("name", ""), title=row.get("title", ""),
                    location=row.get("location", ""), external_id=row.get("external_id", ""),
                    source="csv", actor=actor,
                )  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            reason = (
                "; ".join(m for msgs in (exc.fields or {}).values() for m in msgs) or exc.message
            )
            report["rejected"].append({"line": line, "reason": reason})
            continue
        report["created" if created else "updated"] += 1
    audit_record(
        action="reminders.appointments_import", obj=None, actor=actor, business=business,
        detail={k: v if k != "rejected" else len(v) for k, v in report.items()},
    )  # fmt: skip
    return report


# --- iCalendar feeds --------------------------------------------------------------------


def calendar_feed_create(*, business: Business, name: str, url: str, actor=None) -> CalendarFeed:
    try:
        url = feeds.check_url(url)
    except feeds.FeedError as exc:
        raise ValidationFailed(fields={"url": [str(exc)]}) from None
    feed = CalendarFeed.objects.create(
        business=business, name=(name or "Calendar").strip()[:120], url=url
    )
    audit_record(action="reminders.feed_create", obj=feed, actor=actor, business=business)
    return feed


def calendar_feed_delete(*, feed: CalendarFeed, actor=None) -> None:
    audit_record(action="reminders.feed_delete", obj=feed, actor=actor, business=feed.business)
    feed.delete()


def calendar_feed_poll(*, feed: CalendarFeed, now: datetime | None = None) -> dict:
    """Fetch and read the feed: each future event with a phone becomes or updates an
    appointment (``external_id`` = the feed and the event's UID); a CANCELLED event, or a
    future appointment of this feed no longer in it, is canceled with its reminders."""
    now = now or timezone.now()
    outcome = {"created": 0, "updated": 0, "canceled": 0, "skipped": 0}
    try:
        content = feeds.fetch(
            feed.url,
            timeout=settings.REMINDERS_FEED_TIMEOUT,
            max_bytes=settings.REMINDERS_FEED_MAX_BYTES,
            allow_private=settings.REMINDERS_FEED_ALLOW_PRIVATE,
        )
        events = feeds.parse(content, zone=feed.business.time_zone)
    except feeds.FeedError as exc:
        CalendarFeed.objects.filter(pk=feed.pk).update(
            last_polled_at=now, last_result=str(exc)[:500]
        )
        return {**outcome, "error": str(exc)}
    seen = set()
    for event in events:
        external_id = f"ical:{feed.uuid}:{event.uid}"[:255]
        seen.add(external_id)
        existing = Appointment.objects.filter(
            business=feed.business, external_id=external_id
        ).first()
        if event.canceled:
            if existing is not None and existing.status != A.CANCELED:
                appointment_cancel(appointment=existing)
                outcome["canceled"] += 1
            continue
        if event.starts_at <= now or (
            existing is not None and existing.status not in Appointment.OPEN
        ):
            continue
        if existing is None and not event.phone:
            outcome["skipped"] += 1
            continue
        try:
            _, created = appointment_create(
                business=feed.business, starts_at=event.starts_at, phone=event.phone,
                name=event.name, title=event.title, location=event.location,
                external_id=external_id, source="ical", feed=feed,
            )  # fmt: skip
        except (ValidationFailed, Conflict):
            outcome["skipped"] += 1
            continue
        outcome["created" if created else "updated"] += 1
    for gone in Appointment.objects.filter(
        business=feed.business, feed=feed, status__in=Appointment.OPEN, starts_at__gt=now
    ).exclude(external_id__in=seen):
        appointment_cancel(appointment=gone)
        outcome["canceled"] += 1
    result = (
        f"{outcome['created']} new, {outcome['updated']} updated, {outcome['canceled']} canceled"
        + (f", {outcome['skipped']} without a usable phone" if outcome["skipped"] else "")
    )
    CalendarFeed.objects.filter(pk=feed.pk).update(last_polled_at=now, last_result=result)
    return outcome


def calendar_feeds_poll_due(*, now: datetime | None = None) -> int:
    """Poll every active feed not polled within REMINDERS_FEED_INTERVAL; one failing feed
    is recorded on it and never stops the others."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.REMINDERS_FEED_INTERVAL)
    polled = 0
    for feed in CalendarFeed.objects.filter(
        Q(last_polled_at=None) | Q(last_polled_at__lt=stale), is_active=True
    ).select_related("business")[:100]:
        try:
            calendar_feed_poll(feed=feed, now=now)
        except Exception:  # one feed's surprise must not stop the others
            log.exception("calendar feed %s failed", feed.pk)
        polled += 1
    return polled
