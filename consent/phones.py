"""Phones of contacts: E.164 (fast for US numbers, phonenumbers for the rest), their time
zone, and the keyed hash the suppression list stores. Pure, no ORM."""

import re

import phonenumbers
from phonenumbers import timezone as pn_timezone

from accounts.errors import ValidationFailed

from . import hashing

# NANP: area code and exchange start 2-9. The fast path keeps 100k-row imports cheap.
_NANP = re.compile(r"^\+1[2-9]\d{2}[2-9]\d{6}$")
_NOT_DIGITS = re.compile(r"[^\d+]")


class InvalidPhone(ValueError):
    pass


def normalize(raw: str, region: str = "US") -> str:
    """Return the E.164 form of ``raw`` or raise InvalidPhone."""
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
