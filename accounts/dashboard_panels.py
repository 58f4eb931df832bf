"""The dashboard's panels over campaigns, consent, messaging and policies.

An interface-layer module (like a view): it reads the apps above accounts, importing them
inside each callable so accounts' models and services never depend on them. Loaded by the
``dashboard`` template tag library, which registers these panels on first use.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from . import charts
from .dashboard import Panel, register

DAYS = 14


def _url(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def _model(label: str):
    # Reaches up into campaigns, messaging, consent and policies by name: removed by the
    # accounts split (each feature registers its own panel).
    try:
        return apps.get_model(label)  # noqa: TID251
    except LookupError:
        return None


def _zone(business) -> ZoneInfo:
    try:
        return ZoneInfo(business.time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# --- what needs attention --------------------------------------------------------------


def attention_items(business) -> list[dict]:
    """Things the owner should act on, worst first: each with what happened and what to do."""
    items: list[dict] = []
    Campaign = _model("campaigns.Campaign")
    if Campaign is not None:
        for c in Campaign.objects.filter(
            business=business, status__in=["REJECTED", "SUSPENDED"]
        ).order_by("-id")[:5]:
            items.append(
                {
                    "level": "bad",
                    "title": f"Campaign {c.get_status_display().lower()}: "
                    f"{getattr(c, 'name', '') or c.usecase}",
                    "help": "Read the reviewer's reasons on the campaign page, fix what they "
                    "name, then appeal or resubmit. Numbers on it cannot send meanwhile.",
                    "url": _url("campaigns:campaign", campaign_uuid=c.uuid),
                    "term": "tcr",
                }
            )
    Message = _model("messaging.Message")
    if Message is not None:
        held = Message.objects.filter(business=business, status="HELD").count()
        if held:
            items.append(
                {
                    "level": "warn",
                    "title": f"{held} message{'s' if held != 1 else ''} held for review",
                    "help": "Our compliance team checks messages the content policy was unsure "
                    "about; they are sent or blocked after review. You need do nothing.",
                    "url": _url("messaging:message-list") + "?status=HELD"
                    if _url("messaging:message-list")
                    else "",
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
                    "url": _url("messaging:message-list") + "?status=SCHEDULED"
                    if _url("messaging:message-list")
                    else "",
                    "term": "quiet_hours",
                }
            )
    if _model("policies.Strike") is not None:
        from policies import selectors as policy_selectors

        hold = policy_selectors.hold_current(business=business)
        if hold is not None:
            items.append(
                {
                    "level": "bad",
                    "title": "Sending is held for review by our compliance team",
                    "help": f"{hold.reason} New messages wait as held until staff release "
                    "them. Reply to our email or contact support to speed it up.",
                    "url": _url("policies:overview"),
                    "term": "held",
                }
            )
        strikes = list(policy_selectors.strike_list(business=business).filter(active=True)[:3])
        if strikes:
            n = policy_selectors.strike_list(business=business).filter(active=True).count()
            items.append(
                {
                    "level": "bad",
                    "title": f"{n} policy strike{'s' if n != 1 else ''} on your account",
                    "help": f"Latest: {strikes[0].explanation} More strikes hold or suspend "
                    "sending; contact support if you think one is wrong.",
                    "url": _url("policies:overview") or _url("public:support"),
                    "term": "opt_out_rate"
                    if "opt" in str(getattr(strikes[0], "signal", "")).lower()
                    else "",
                }
            )
    return items


def attention_context(business) -> dict:
    return {"items": attention_items(business)}


# --- activity over time ----------------------------------------------------------------


def _daily(qs, field: str, zone: ZoneInfo, since: datetime) -> dict[date, int]:
    rows = (
        qs.filter(**{f"{field}__gte": since})
        .annotate(day=TruncDate(field, tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {r["day"]: r["n"] for r in rows}


def activity_series(business, *, now: datetime | None = None, days: int = DAYS) -> dict:
    """Per local day: sends, deliveries, failures, opt-outs and the opt-out rate (%)."""
    zone = _zone(business)
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    day_list = [today - timedelta(days=days - 1 - i) for i in range(days)]
    since = datetime.combine(day_list[0], datetime.min.time(), tzinfo=zone)
    sends = deliveries = failures = optouts = {}
    Message = _model("messaging.Message")
    if Message is not None:
        out = Message.objects.filter(business=business, direction="outbound")
        sends = _daily(out.filter(sent_at__isnull=False), "sent_at", zone, since)
        deliveries = _daily(out.filter(delivered_at__isnull=False), "delivered_at", zone, since)
        failures = _daily(
            out.filter(status__in=["FAILED", "UNDELIVERED"]), "status_changed_at", zone, since
        )
    ConsentEvent = _model("consent.ConsentEvent")
    if ConsentEvent is not None:
        optouts = _daily(
            ConsentEvent.objects.filter(business=business, kind="OPT_OUT"),
            "created_at",
            zone,
            since,
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
        "compose_url": _url("messaging:compose"),
    }


# --- each number's queue against the cap ----------------------------------------------


def number_rows(business, *, now: datetime | None = None) -> list[dict]:
    PhoneNumber = _model("campaigns.PhoneNumber")
    Message = _model("messaging.Message")
    if PhoneNumber is None:
        return []
    now = now or timezone.now()
    limit = int(getattr(settings, "MESSAGING_RATE_LIMIT", 50))
    window = float(getattr(settings, "MESSAGING_RATE_WINDOW", 60.0))
    numbers = list(
        PhoneNumber.objects.filter(business=business)
        .exclude(status="RELEASED")
        .select_related("campaign")
        .order_by("e164")
    )
    stats: dict[int, dict] = {}
    if Message is not None and numbers:
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
        "numbers_url": _url("campaigns:numbers"),
        "limit": int(getattr(settings, "MESSAGING_RATE_LIMIT", 50)),
    }


def register_all() -> None:
    register(Panel(10, "accounts/panels/attention.html", attention_context, "What needs attention"))
    register(Panel(20, "accounts/panels/activity.html", activity_context, "Activity"))
    register(Panel(30, "accounts/panels/numbers.html", numbers_context, "Your numbers"))


register_all()
