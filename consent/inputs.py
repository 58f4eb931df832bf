"""Cleaning what callers hand the consent services (contact fields, evidence, opt-in form
settings): pure, no ORM. Errors are the ``ValidationFailed`` / ``NotFound`` the services
raise."""

import ipaddress
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import NotFound, ValidationFailed
from accounts.hygiene import BIDI_MESSAGE, has_bidi_controls
from accounts.models import TIME_ZONES

from .scopes import KINDS

# --- contacts -------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "email", "time_zone", "language", "tags", "custom_fields", "source")
LANGUAGES = ("en", "es")
EMAIL_MAX = 254


def email_fits(email: str) -> bool:
    """An address we can store: one @, no spaces, at most 254 characters (RFC 5321's limit,
    and the column's; Django's own validator lets 320 through)."""
    return "@" in email and " " not in email and len(email) <= EMAIL_MAX


def clean_custom_fields(value: Any) -> dict[str, str | int | float | bool | None]:
    """A contact's custom fields: an object of at most CONSENT_CUSTOM_FIELDS_MAX short text
    keys, each with a short scalar value (no nested objects)."""
    if not isinstance(value, dict):
        raise ValidationFailed(fields={"custom_fields": ["Must be an object."]})
    if len(value) > settings.CONSENT_CUSTOM_FIELDS_MAX:
        raise ValidationFailed(
            fields={"custom_fields": [f"At most {settings.CONSENT_CUSTOM_FIELDS_MAX} fields."]}
        )
    key_max = settings.CONSENT_CUSTOM_FIELD_KEY_MAX
    value_max = settings.CONSENT_CUSTOM_FIELD_VALUE_MAX
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > key_max:
            raise ValidationFailed(
                fields={"custom_fields": [f"Each name must be 1 to {key_max} characters."]}
            )
        if isinstance(item, dict | list):
            raise ValidationFailed(fields={f"custom_fields.{key}": ["Must be text or a number."]})
        if isinstance(item, str) and len(item) > value_max:
            raise ValidationFailed(
                fields={f"custom_fields.{key}": [f"At most {value_max} characters."]}
            )
    return dict(value)


FIELD_KINDS = ("text", "number", "date")
# a typed field's key: also its merge field name ({{ field.<key> }} in messaging's templates)
FIELD_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def coerce_custom_value(kind: str, value: Any) -> str | int | float:
    """A custom field's value as its type stores it (ValueError with the reason): numbers as
    JSON numbers, dates as ISO ``YYYY-MM-DD`` (also read from ``MM/DD/YYYY``), text as text,
    so saved segments compare them as numbers and dates, not as strings."""
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, int | float):
            number: float = value
        else:
            try:
                number = float(str(value).strip().replace(",", ""))
            except ValueError:
                raise ValueError("must be a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("must be a number")
        return int(number) if float(number).is_integer() else float(number)
    if kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = str(value).strip()
        for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                return datetime.strptime(text, pattern).date().isoformat()
            except ValueError:
                continue
        raise ValueError("must be a date (YYYY-MM-DD)")
    if isinstance(value, dict | list):
        raise ValueError("must be text")
    return str(value)


def type_custom_fields(
    values: dict[str, Any], kinds: dict[str, str], *, prefix: str = "custom_fields."
) -> dict[str, Any]:
    """``values`` with every field that has a type definition coerced to it; an empty value
    removes nothing here (it stays empty). ValidationFailed names each bad field."""
    out = dict(values)
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        kind = kinds.get(key)
        if kind is None or value in (None, ""):
            continue
        try:
            out[key] = coerce_custom_value(kind, value)
        except ValueError as exc:
            errors[f"{prefix}{key}"] = [f"{key} {exc}."]
    if errors:
        raise ValidationFailed(fields=errors)
    return out


def clean_contact_fields(fields: dict) -> dict:
    out = {k: v for k, v in fields.items() if k in CONTACT_FIELDS and v is not None}
    if "tags" in out:
        tags = out["tags"]
        if isinstance(tags, str):
            tags = [t for t in (p.strip() for p in tags.split(",")) if t]
        out["tags"] = sorted({str(t)[:50] for t in tags})
    if "custom_fields" in out:
        out["custom_fields"] = clean_custom_fields(out["custom_fields"])
    if "name" in out:
        if not isinstance(out["name"], str):
            raise ValidationFailed(fields={"name": ["Must be text."]})
        if has_bidi_controls(out["name"]):
            raise ValidationFailed(fields={"name": [BIDI_MESSAGE]})
        out["name"] = out["name"][:200]
    if out.get("email"):
        out["email"] = str(out["email"]).strip()
        if not email_fits(out["email"]):
            raise ValidationFailed(
                "Invalid email address.", fields={"email": ["Enter a valid email address."]}
            )
    if out.get("language"):
        out["language"] = str(out["language"]).strip().lower()
        if out["language"] not in LANGUAGES:
            raise ValidationFailed(
                "Unknown language.", fields={"language": ["Choose en (English) or es (Spanish)."]}
            )
    if out.get("time_zone"):
        out["time_zone"] = str(out["time_zone"]).strip()
        if out["time_zone"] not in TIME_ZONES:
            # quiet hours are computed in it: a name zoneinfo cannot load would stop sends
            raise ValidationFailed(
                "Unknown time zone.",
                fields={"time_zone": ["Not a time zone; use a name like America/Chicago."]},
            )
    return out


# --- evidence -------------------------------------------------------------------------------

EVIDENCE_KEYS = {
    "disclosure_text",
    "policy_version",
    "form",
    "form_snapshot_sha256",
    "page_url",
    "source",
    "consented_at",
    "ip",
    "user_agent",
    "data",
    "recorded_by_label",
}


def actor_label(actor) -> str:
    """How the ledger names who recorded an event: the signed-in user, else ""."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor)
    return ""


def check_campaign(business, campaign) -> None:
    """Another business's campaign is not found, like a missing one."""
    if campaign is not None and campaign.business_id != business.pk:
        raise NotFound("Campaign not found.")


def parse_when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    when: datetime | None
    if isinstance(value, datetime):
        when = value
    else:
        try:  # parse_datetime raises ValueError for no such day (2026-02-30T10:00)
            when = parse_datetime(str(value)) or datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationFailed(
                "consented_at is not a date.", fields={"consented_at": ["Not a date."]}
            ) from exc
    if timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    return when.astimezone(UTC)


def clean_evidence(evidence: dict | None) -> dict[str, Any]:
    evidence = dict(evidence or {})
    data = dict(evidence.pop("data", None) or {})
    for key in list(evidence):
        if key not in EVIDENCE_KEYS:
            data[key] = evidence.pop(key)
    return {
        "disclosure_text": str(evidence.get("disclosure_text") or "")[:5000],
        "policy_version": str(evidence.get("policy_version") or "")[:120],
        "form": evidence.get("form"),
        "form_snapshot_sha256": str(evidence.get("form_snapshot_sha256") or ""),
        "page_url": str(evidence.get("page_url") or "")[:1000],
        "source": str(evidence.get("source") or "")[:300],
        "consented_at": parse_when(evidence.get("consented_at")),
        "ip": evidence.get("ip") or None,
        "user_agent": str(evidence.get("user_agent") or "")[:500],
        "data": data,
        "recorded_by_label": str(evidence.get("recorded_by_label") or "")[:255],
    }


# --- opt-in forms ---------------------------------------------------------------------------

FORM_FIELDS = (
    "name",
    "headline",
    "scope_kind",
    "collect_name",
    "collect_email",
    "program_name",
    "message_description",
    "frequency",
    "terms_url",
    "privacy_url",
    "disclosure_extra",
    "allowed_origins",
    "double_opt_in",
    "success_message",
    "is_active",
)


# a DNS name (letters, digits, hyphens, dots; punycode for the rest)
_HOST_NAME = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def _origin_host(host: str) -> str:
    """``host`` as a browser writes it in an Origin header, or ValueError. The origins go
    into the form page's Content-Security-Policy verbatim: anything but a host name or an
    IP address could add directives (``a.example; script-src *``) or wildcards (``*``)."""
    try:
        return (
            f"[{ipaddress.IPv6Address(host)}]" if ":" in host else str(ipaddress.IPv4Address(host))
        )
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("not a host name") from exc
    if not _HOST_NAME.fullmatch(ascii_host):
        raise ValueError("not a host name")
    return ascii_host


def origin_normalize(value: str) -> str:
    """``scheme://host[:port]`` in lower case (punycode), or ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://www.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r}: give only the origin (scheme, host and port), no path")
    try:
        host = _origin_host(parts.hostname.lower())
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise ValueError(f"{value!r} is not an origin like https://www.example.com") from None
    return f"{parts.scheme}://{host}{port}"


def clean_form_fields(fields: dict) -> dict:
    out = {k: v for k, v in fields.items() if k in FORM_FIELDS}
    errors: dict[str, list[str]] = {}
    if "allowed_origins" in out:
        origins = out["allowed_origins"]
        if isinstance(origins, str):
            origins = [o for o in origins.replace(",", "\n").split() if o]
        cleaned = []
        for origin in origins:
            try:
                cleaned.append(origin_normalize(origin))
            except ValueError as exc:
                errors.setdefault("allowed_origins", []).append(str(exc))
        out["allowed_origins"] = sorted(set(cleaned))
    if "scope_kind" in out and out["scope_kind"] not in KINDS:
        errors["scope_kind"] = ["Choose marketing or informational."]
    for key in ("program_name", "message_description", "frequency", "terms_url", "privacy_url"):
        if key in out and not str(out[key]).strip():
            errors[key] = ["Required: carriers check the disclosure for it."]
    for key in ("terms_url", "privacy_url"):
        if out.get(key) and not str(out[key]).startswith(("https://", "http://")):
            errors[key] = ["Give a full link (https://…)."]
    if out.get("disclosure_extra"):
        out["disclosure_extra"] = str(out["disclosure_extra"])[:1000]
    if errors:
        raise ValidationFailed(fields=errors)
    return out
