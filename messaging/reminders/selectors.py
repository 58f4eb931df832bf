"""Reads of appointments, rules, feeds and the rates the dashboard shows."""

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Business

from .models import Appointment, CalendarFeed, Reminder, ReminderRule

A = Appointment.Status


def appointment_list(*, business: Business, upcoming: bool = False) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(business=business).select_related("contact")
    if upcoming:
        qs = qs.filter(starts_at__gte=timezone.now() - timedelta(hours=12))
    return qs.order_by("starts_at", "id")


def appointment_get(*, business: Business, appointment_uuid) -> Appointment:
    appointment = (
        Appointment.objects.filter(business=business, uuid=appointment_uuid)
        .select_related("contact")
        .first()
    )
    if appointment is None:
        raise NotFound("Appointment not found.")
    return appointment


def appointment_reminders(*, appointment: Appointment) -> QuerySet[Reminder]:
    return (
        Reminder.objects.filter(business=appointment.business, appointment=appointment)
        .select_related("rule", "message")
        .order_by("send_at", "id")
    )


def reminder_rule_list(*, business: Business) -> QuerySet[ReminderRule]:
    return ReminderRule.objects.filter(business=business).select_related("template")


def reminder_rule_get(*, business: Business, rule_uuid) -> ReminderRule:
    rule = ReminderRule.objects.filter(business=business, uuid=rule_uuid).first()
    if rule is None:
        raise NotFound("Reminder rule not found.")
    return rule


def calendar_feed_list(*, business: Business) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(business=business).order_by("name", "id")


def calendar_feed_get(*, business: Business, feed_uuid) -> CalendarFeed:
    feed = CalendarFeed.objects.filter(business=business, uuid=feed_uuid).first()
    if feed is None:
        raise NotFound("Calendar feed not found.")
    return feed


def appointment_rates(*, business: Business, since: datetime | None = None) -> dict:
    """Over appointments that had a reminder sent and whose time is past (since ``since``):
    how many the client confirmed, and how many were marked no-show out of those marked."""
    now = timezone.now()
    since = since or now - timedelta(days=30)
    qs = Appointment.objects.filter(
        business=business,
        starts_at__gte=since,
        starts_at__lt=now,
        reminders__status=Reminder.Status.SENT,
    ).distinct()
    counts = qs.aggregate(
        reminded=Count("id", distinct=True),
        confirmed=Count("id", filter=Q(confirmed_at__isnull=False), distinct=True),
        completed=Count("id", filter=Q(status=A.COMPLETED), distinct=True),
        no_show=Count("id", filter=Q(status=A.NO_SHOW), distinct=True),
    )
    marked = counts["completed"] + counts["no_show"]
    return {
        **counts,
        "confirmation_rate": counts["confirmed"] / counts["reminded"]
        if counts["reminded"]
        else None,
        "no_show_rate": counts["no_show"] / marked if marked else None,
    }
