"""The plan every new account starts on, and its first prices: written by migration 0002
and, should the table be empty (a fresh test database after a flush), by
``services.account_get_or_create``. Staff change prices with new versions in the admin."""

import datetime
from typing import Any

PLAN: dict[str, Any] = {
    "slug": "standard",
    "name": "Standard",
    "description": "One business, its numbers and campaigns; pay as you send.",
    "currency": "USD",
}
FIRST_PRICES: dict[str, Any] = {
    "effective_from": datetime.date(2026, 1, 1),
    "monthly_fee_cents": 2500,  # $25.00 a month
    "included_segments": 500,
    "sms_segment_subcents": 150,  # $0.0150 per segment
    "mms_subcents": 400,  # $0.0400 per MMS
    "number_month_subcents": 15000,  # $1.50 per number and month
    # 10DLC pass-through at cost (the registry's and carriers' published fees)
    "brand_registration_cents": 400,  # $4.00 once per brand
    "campaign_vetting_cents": 1500,  # $15.00 per campaign
    "campaign_monthly_cents": 1000,  # $10.00 per campaign and month
}
