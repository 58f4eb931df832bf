"""messaging on the dashboard (registered from MessagingConfig.ready()): held and
quiet-hours messages under "What needs attention", the activity charts (sends, deliveries,
failures, and consent's opt-outs) and each number's queue against the cap."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.portal import charts, dashboard
from campaigns.models import PhoneNumber
from consent.models import ConsentEvent

from .models import Message, SendLane

DAYS = dashboard.DAYS


# --- what needs attention --------------------------------------------------------------


def attention_items(business) -> list[dict]:
    items = []
    list_url = dashboard.url_or_blank("messaging:message-list")
    held = Message.objects.filter(business=business, status="HELD").count()
    if held:
        items.append(
            {
                "level": "warn",
                "title": f"{held} message{'s' if held != 1 else ''} held for review",
                "help": "Our compliance team checks messages the content policy was unsure "
                "about; they are sent or blocked after review. You need do nothing.",
                "url": list_url + "?status=HELD" if list_url else "",
                "term": "",
            }
        )
    deferred = Message.objects.filter(
        business=business,
        status="SCHEDULED",
        reasons__contains=[{"code": "quiet_hours_deferred"}],
    ).count()
    if deferred:
        items.append(
            {
                "level": "info",
                "title": f"{deferred} message{'s' if deferred != 1 else ''} waiting for "
                "quiet hours to end",
                "help": "They go out automatically when it is daytime again where the "
                "recipient lives.",
                "url": list_url + "?status=SCHEDULED" if list_url else "",
                "term": "quiet_hours",
            }
        )
    items += carrier_limit_items(business, list_url)
    return items


def carrier_limit_items(business, list_url: str = "") -> list[dict]:
    """Queues held back by the carriers' own limits: the brand's daily limit (T-Mobile)
    or a campaign's per-minute limit (AT&T), with how many wait and until when."""
    now = timezone.now()
    waits = {
        reason: (lanes, until)
        for reason, lanes, until in SendLane.objects.filter(
            business=business, waiting_for__in=("brand_day", "campaign"), waiting_until__gt=now
        )
        .values_list("waiting_for")
        .annotate(n=Count("id"), until=Max("waiting_until"))
        .values_list("waiting_for", "n", "until")
    }
    items = []
    zone = dashboard.business_zone(business)
    for reason, (_lanes, until) in sorted(waits.items()):
        numbers = SendLane.objects.filter(
            business=business, waiting_for=reason, waiting_until__gt=now
        ).values_list("number_id", flat=True)
        queued = Message.objects.filter(
            business=business, from_number_id__in=numbers, status="QUEUED"
        ).count()
        if not queued:
            continue
        plural = "s" if queued != 1 else ""
        if reason == "brand_day":
            title = f"{queued} message{plural} waiting for the brand's daily limit"
            help_text = (
                "T-Mobile allows each brand a number of texts a day across all its numbers; "
                f"today's are used. They go out when the day resets, at "
                f"{until.astimezone(zone):%b %d %H:%M}."
            )
        else:
            title = f"{queued} message{plural} waiting for a campaign's per-minute limit"
            help_text = (
                "AT&T allows each campaign a number of texts a minute across its numbers; "
                "they go out as that allowance frees, within minutes."
            )
        items.append(
            {
                "level": "info",
                "title": title,
                "help": help_text,
                "url": list_url + "?status=QUEUED" if list_url else "",
                "term": "",
            }
        )
    return items


# --- activity over time ----------------------------------------------------------------


def activity_series(business, *, now: datetime | None = None, days: int = DAYS) -> dict:
    """Per local day: sends, deliveries, failures, opt-outs and the opt-out rate (%)."""
    zone = dashboard.business_zone(business)
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    since = datetime.combine(day_list[0], datetime.min.time(), tzinfo=zone)
    daily = dashboard.daily_counts
    out = Message.objects.filter(business=business, direction="outbound")
    sends = daily(out.filter(sent_at__isnull=False), "sent_at", zone, since)
    deliveries = daily(out.filter(delivered_at__isnull=False), "delivered_at", zone, since)
    failures = daily(
        out.filter(status__in=["FAILED", "UNDELIVERED"]), "status_changed_at", zone, since
    )
    optouts = daily(
        ConsentEvent.objects.filter(business=business, kind="OPT_OUT"), "created_at", zone, since
    )

    def col(d):
        return [d.get(day, 0) for day in day_list]

    s, dl, f, o = col(sends), col(deliveries), col(failures), col(optouts)
    rate = [round(100.0 * oo / dd, 1) if dd else 0.0 for oo, dd in zip(o, dl, strict=True)]
    return {
        "labels": [d.strftime("%b %-d") for d in day_list],
        "sends": s,
        "deliveries": dl,
        "failures": f,
        "optouts": o,
        "optout_rate": rate,
        "totals": {
            "sends": sum(s),
            "deliveries": sum(dl),
            "failures": sum(f),
            "optouts": sum(o),
            "optout_rate": round(100.0 * sum(o) / sum(dl), 1) if sum(dl) else 0.0,
        },
    }


def activity_context(business) -> dict:
    data = activity_series(business)
    labels = data["labels"]
    volume = charts.bar_chart(
        title=f"Sends, deliveries and failures, last {DAYS} days",
        labels=labels,
        series=[
            charts.Series("Sent", data["sends"]),
            charts.Series("Delivered", data["deliveries"]),
            charts.Series("Failed", data["failures"], color=charts.PALETTE[2]),
        ],
    )
    optouts = charts.bar_chart(
        title=f"Opt-outs per day, last {DAYS} days",
        labels=labels,
        series=[charts.Series("Opt-outs", data["optouts"], color=charts.PALETTE[3])],
    )
    rate = charts.line_chart(
        title=f"Opt-out rate (opt-outs per 100 delivered), last {DAYS} days",
        labels=labels,
        series=[charts.Series("Opt-out rate", data["optout_rate"], color=charts.PALETTE[4])],
        unit="%",
    )
    return {
        "totals": data["totals"],
        "days": DAYS,
        "has_data": any(data["totals"][k] for k in ("sends", "deliveries", "optouts")),
        # charts.* escape every text they draw.
        "volume_chart": mark_safe(volume),  # noqa: S308
        "optout_chart": mark_safe(optouts),  # noqa: S308
        "rate_chart": mark_safe(rate),  # noqa: S308
        "compose_url": dashboard.url_or_blank("messaging:compose"),
    }


# --- each number's queue against the cap ----------------------------------------------


def number_rows(business, *, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    limit = int(getattr(settings, "MESSAGING_RATE_LIMIT", 50))
    window = float(getattr(settings, "MESSAGING_RATE_WINDOW", 60.0))
    numbers = list(
        PhoneNumber.objects.filter(business=business)
        .exclude(status="RELEASED")
        .select_related("campaign")
        .order_by("e164")
    )
    stats: dict[int, Any] = {}  # from_number id -> its counts
    if numbers:
        since = now - timedelta(seconds=window)
        rows = (
            Message.objects.filter(business=business, direction="outbound", from_number__in=numbers)
            .values("from_number")
            .annotate(
                queued=Count("id", filter=Q(status__in=["QUEUED", "SCHEDULED", "SENDING"])),
                recent=Count("id", filter=Q(sent_at__gte=since)),
            )
        )
        stats = {r["from_number"]: r for r in rows}
    out = []
    for n in numbers:
        st = stats.get(n.pk, {})
        recent, queued = st.get("recent", 0), st.get("queued", 0)
        campaign = n.campaign
        out.append(
            {
                "e164": n.e164,
                "status": n.get_status_display(),
                "campaign": campaign,
                "campaign_ok": campaign is not None and campaign.status == "APPROVED",
                "queued": queued,
                "recent": recent,
                "limit": limit,
                "window": int(window),
                "drain_minutes": -(-queued // limit) * window / 60 if queued else 0,
                "meter": mark_safe(  # noqa: S308 - charts.meter escapes its text
                    charts.meter(
                        title=f"{n.e164}: {recent} of {limit} this minute",
                        value=recent,
                        limit=limit,
                    )
                ),
            }
        )
    return out


def numbers_context(business) -> dict:
    return {
        "numbers": number_rows(business),
        "numbers_url": dashboard.url_or_blank("campaigns:numbers"),
        "limit": int(getattr(settings, "MESSAGING_RATE_LIMIT", 50)),
    }


def register() -> None:
    dashboard.register_attention(dashboard.AttentionSource(20, attention_items))
    dashboard.register(
        dashboard.Panel(20, "accounts/panels/activity.html", activity_context, "Activity")
    )
    dashboard.register(
        dashboard.Panel(30, "accounts/panels/numbers.html", numbers_context, "Your numbers")
    )
