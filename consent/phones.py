"""Phones of contacts: E.164 (fast for US numbers, phonenumbers for the rest), their time
zone, and the keyed hash the suppression list stores. Pure, no ORM.

``normalize`` is the one normalisation of a recipient's number: only US numbers that can
receive texts pass (no premium-rate, no toll-free unless allowed, no other country, no
vanity letters, no ``tel:`` link), each refusal with its reason. ``recipient=False`` only
parses (a sender's number on an inbound text, a look-up).
"""

import re
from functools import lru_cache

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as pn_timezone

from accounts.errors import ValidationFailed

from . import hashing

# NANP: area code and exchange start 2-9. The fast path keeps 100k-row imports cheap.
_NANP = re.compile(r"^\+1[2-9]\d{2}[2-9]\d{6}$")
_NOT_DIGITS = re.compile(r"[^\d+]")
_LETTERS = re.compile(r"[^\W\d_]")  # any letter, any script
# The US and its territories: one numbering plan, US carriers, 10DLC registration.
US_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})


class InvalidPhone(ValueError):
    pass


def _parse(raw: str | None, region: str) -> str:
    if raw is None:
        raise InvalidPhone("A phone number is required.")
    text = str(raw).strip()
    if not text:
        raise InvalidPhone("A phone number is required.")
    compact = _NOT_DIGITS.sub("", text)
    if compact.startswith("+"):
        candidate = compact
    elif len(compact) == 10:
        candidate = "+1" + compact
    elif len(compact) == 11 and compact.startswith("1"):
        candidate = "+" + compact
    else:
        candidate = ""
    if candidate and _NANP.match(candidate):
        return candidate
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"Not a phone number: {text[:40]!r}.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"Not a valid phone number: {text[:40]!r}.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def _area_kind(prefix: str) -> tuple[str | None, int]:
    """(region, number type) of a NANP area code, from a valid number in it. Both are
    decided by the area code in NANP, so imports pay phonenumbers once per area code."""
    parsed = phonenumbers.parse(prefix + "2345678")
    return phonenumbers.region_code_for_number(parsed), phonenumbers.number_type(parsed)


def _kind(e164: str) -> tuple[str | None, int]:
    if _NANP.match(e164):
        region, kind = _area_kind(e164[:5])
        if region is not None:
            return region, kind
    parsed = phonenumbers.parse(e164)
    return phonenumbers.region_code_for_number(parsed), phonenumbers.number_type(parsed)


def recipient_refusal(e164: str, *, allow_toll_free: bool) -> str | None:
    """Why a parsed number cannot be texted, or None when it can."""
    region, kind = _kind(e164)
    if kind == PhoneNumberType.PREMIUM_RATE:
        return "Premium-rate numbers (+1 900) cannot receive texts."
    if kind == PhoneNumberType.TOLL_FREE and not allow_toll_free:
        return "Toll-free numbers cannot be recipients: enter the person's mobile number."
    if region not in US_REGIONS:
        return "Only US mobile numbers can receive texts from us."
    if kind in (
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
        PhoneNumberType.PAGER,
    ):
        return "This kind of number cannot receive texts: enter a mobile number."
    return None


def normalize(
    raw: str | None,
    region: str = "US",
    *,
    recipient: bool = True,
    allow_toll_free: bool | None = None,
) -> str:
    """Return the E.164 form of ``raw`` or raise InvalidPhone with the reason.

    As a recipient (the default) the number must be one we may text; ``allow_toll_free``
    defaults to the CONSENT_TOLL_FREE_RECIPIENTS setting."""
    if raw is not None and recipient:
        text = str(raw).strip()
        if text[:4].lower() == "tel:":
            raise InvalidPhone("Enter the number itself, not a tel: link.")
        if _LETTERS.search(text):
            raise InvalidPhone(
                "Enter the number in digits: letters (as in 1-800-FLOWERS) are not allowed."
            )
    e164 = _parse(raw, region)
    if recipient:
        if allow_toll_free is None:
            allow_toll_free = getattr(settings, "CONSENT_TOLL_FREE_RECIPIENTS", False)
        refusal = recipient_refusal(e164, allow_toll_free=bool(allow_toll_free))
        if refusal:
            raise InvalidPhone(refusal)
    return e164


_ZONES: dict[str, str] = {}


def time_zone_for(e164: str) -> str:
    """The number's time zone when its prefix has exactly one, else ""."""
    # Area codes decide NANP zones; caching by area code keeps imports fast.
    key = e164[:5] if e164.startswith("+1") else e164
    if key not in _ZONES:
        try:
            parsed = phonenumbers.parse(e164)
            zones = [z for z in pn_timezone.time_zones_for_number(parsed) if "/" in z]
        except phonenumbers.NumberParseException:
            zones = []
        zone = zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else ""
        if len(_ZONES) < 20000:
            _ZONES[key] = zone
        return zone
    return _ZONES[key]


def phone_normalize(phone: str) -> str:
    """``normalize`` for services and forms: a bad number is a field error on ``phone``."""
    try:
        return normalize(phone)
    except InvalidPhone as exc:
        raise ValidationFailed(str(exc), fields={"phone": [str(exc)]}) from exc


def phone_hash(*, business, e164: str) -> str:
    """The number's entry on the business's suppression list (keyed, not reversible)."""
    return hashing.phone_hash(hashing.suppression_key(), str(business.uuid), e164)
