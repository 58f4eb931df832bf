"""The carriers' own throughput limits, as data: AT&T's messages per minute per campaign
(by message class) and T-Mobile's daily cap per brand (by brand tier). Pure; no ORM.

The figures and their sources are in ``data/carrier_limits.json`` (shown to staff in the
admin on every brand and campaign). A value the registrar reported (``Campaign.att_tpm``,
``Brand.tmobile_daily_cap``) replaces the default read from that table.
"""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent / "data" / "carrier_limits.json"
MIXED_USECASES = frozenset({"MIXED", "MARKETING"})


@cache
def table() -> dict:
    return json.loads(DATA.read_text())


@dataclass(frozen=True)
class Limits:
    """What a campaign may send: ``campaign_tpm`` segments in any 60 s (AT&T) and
    ``brand_daily`` segments per day for its whole brand (T-Mobile); ``*_source`` is
    ``registrar`` or ``default`` (from the table)."""

    message_class: str
    campaign_tpm: int
    campaign_source: str
    brand_tier: str
    brand_daily: int
    brand_source: str

    def as_dict(self) -> dict:
        return {
            "message_class": self.message_class,
            "campaign_tpm": self.campaign_tpm,
            "campaign_source": self.campaign_source,
            "brand_tier": self.brand_tier,
            "brand_daily": self.brand_daily,
            "brand_source": self.brand_source,
        }


def att_default(
    *, usecase: str, sole_proprietor: bool, vetting_score: int | None
) -> tuple[str, int]:
    """AT&T's message class and SMS TPM for a campaign nobody reported a figure for."""
    att = table()["att_tpm"]
    if sole_proprietor:
        return att["sole_proprietor"]["class"], att["sole_proprietor"]["sms_tpm"]
    kind = (
        "low_volume"
        if usecase == "LOW_VOLUME"
        else ("mixed" if usecase in MIXED_USECASES else "dedicated")
    )
    score = vetting_score or 0
    for row in att["classes"]:
        if row["type"] == kind and row["min_score"] <= score <= row["max_score"]:
            return row["class"], row["sms_tpm"]
    row = att["classes"][-1]  # unreachable with the shipped table: the lowest class
    return row["class"], row["sms_tpm"]


def tmobile_default(*, sole_proprietor: bool, vetting_score: int | None) -> tuple[str, int]:
    """T-Mobile's brand tier and daily cap for a brand nobody reported a figure for."""
    tmo = table()["tmobile_daily"]
    if sole_proprietor:
        return tmo["sole_proprietor"]["tier"], tmo["sole_proprietor"]["daily"]
    if not vetting_score:
        return tmo["unvetted"]["tier"], tmo["unvetted"]["daily"]
    for row in tmo["tiers"]:
        if row["min_score"] <= vetting_score <= row["max_score"]:
            return row["tier"], row["daily"]
    return tmo["unvetted"]["tier"], tmo["unvetted"]["daily"]


def limits_for(
    *,
    usecase: str,
    sole_proprietor: bool,
    vetting_score: int | None,
    reported_class: str = "",
    reported_tpm: int | None = None,
    reported_tier: str = "",
    reported_daily: int | None = None,
) -> Limits:
    message_class, tpm = att_default(
        usecase=usecase, sole_proprietor=sole_proprietor, vetting_score=vetting_score
    )
    tier, daily = tmobile_default(sole_proprietor=sole_proprietor, vetting_score=vetting_score)
    return Limits(
        message_class=reported_class or message_class,
        campaign_tpm=reported_tpm if reported_tpm is not None else tpm,
        campaign_source="registrar" if reported_tpm is not None else "default",
        brand_tier=reported_tier or tier,
        brand_daily=reported_daily if reported_daily is not None else daily,
        brand_source="registrar" if reported_daily is not None else "default",
    )


def period_bounds(now: float, *, period: float = 0.0, tz: str | None = None) -> tuple[float, float]:
    """The daily cap's current period [start, end) in Unix seconds: the calendar day in
    ``tz`` (T-Mobile resets at midnight Pacific), or, when ``period`` > 0, fixed periods of
    that many seconds from the epoch (benchmarks and tests cannot wait a day)."""
    if period > 0:
        start = math.floor(now / period) * period
        return start, start + period
    zone = ZoneInfo(tz or table()["tmobile_daily"]["reset_time_zone"])
    local = datetime.fromtimestamp(now, tz=UTC).astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # wall-clock arithmetic: the next midnight, whether the day had 23, 24 or 25 hours
    following = midnight + timedelta(days=1)
    return midnight.timestamp(), following.timestamp()
