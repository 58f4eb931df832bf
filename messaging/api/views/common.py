"""What the messaging API's views share: the message's output shape and its examples, the
wall-clock time field, and resolving a number or a contact named in a request."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from accounts.api.base import PrototypeFields
from accounts.errors import NotFound, ValidationFailed
from messaging import selectors
from messaging.media import selectors as media_selectors
from messaging.media import services as media_services


class WallClockDateTimeField(serializers.DateTimeField):
    """Keeps a time without an offset naive, so the caller's chosen zone can read it (DRF
    would read it in UTC)."""

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            return value
        return super().enforce_timezone(value)


# --- shared output shapes -------------------------------------------------------------------------


class ReasonSerializer(PrototypeFields, serializers.Serializer):
    gate = serializers.CharField(help_text="number, consent, policy, quiet_hours, review, ...")
    code = serializers.CharField(help_text="Machine-readable reason, e.g. no_consent.")
    message = serializers.CharField(allow_blank=True)
    detail = serializers.DictField(required=False)


class MessageMediaSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="A signed, expiring download link.")

    def get_url(self, obj) -> str:
        return media_selectors.media_signed_url(obj)


class MessageSerializer(PrototypeFields, serializers.Serializer):
    uuid = serializers.UUIDField()
    direction = serializers.CharField()
    status = serializers.CharField(help_text="QUEUED, SCHEDULED, HELD, BLOCKED, SENT, ...")
    reasons = ReasonSerializer(many=True, help_text="Why it is BLOCKED / HELD / deferred.")
    outcome = serializers.SerializerMethodField(help_text="The fate in words.")
    kind = serializers.CharField()
    purpose = serializers.CharField()
    body = serializers.CharField()
    to = serializers.CharField(source="to_phone", help_text="The other party's phone.")
    from_number = serializers.CharField(source="from_number.e164", default=None, allow_null=True)
    contact = serializers.UUIDField(source="contact.uuid", default=None, allow_null=True)
    broadcast = serializers.UUIDField(source="broadcast.uuid", default=None, allow_null=True)
    encoding = serializers.CharField()
    segments = serializers.IntegerField(help_text="1 for an MMS, whatever the caption's length.")
    media = serializers.SerializerMethodField(
        help_text="The files it carries (an MMS): pictures or contact cards, in order."
    )
    automated = serializers.BooleanField(
        help_text=(
            "Decided by where the message comes from, never by the request: every API, "
            "scheduled, broadcast and keyword message is automated (it needs a campaign "
            "registered as automated); only a person pressing send in the portal is not. "
            "An `automated` field in a request is ignored."
        )
    )
    idempotency_key = serializers.CharField(allow_null=True)
    provider_id = serializers.CharField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    attempts = serializers.IntegerField()
    send_after = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    status_changed_at = serializers.DateTimeField()

    def get_outcome(self, obj) -> dict:
        return _outcome(obj)

    @extend_schema_field(MessageMediaSerializer(many=True))
    def get_media(self, obj) -> list[dict]:
        if not obj.media_count:
            return []
        files = getattr(obj, "media_files", None)
        if files is None:
            files = selectors.messages_with_media([obj])[0].media_files
        return list(MessageMediaSerializer(files, many=True).data)


def _outcome(message) -> dict:
    outcome = selectors.message_outcome(message)
    return {"label": outcome.label, "reason": outcome.reason}


# MessageSerializer's fields by how they are written (checked against its declared fields
# at import): text, counts, times; the rest below by name
_TEXT = ("direction", "status", "kind", "purpose", "body", "encoding")
_PLAIN = ("provider_id", "error_code", "error_message")
_COUNTS = ("segments", "attempts")
_TIMES = ("send_after", "expires_at", "created_at", "queued_at", "sent_at", "delivered_at")
_ORDER = (
    "uuid", *_TEXT[:2], "reasons", "outcome", *_TEXT[2:5], "to", "from_number", "contact",
    "broadcast", "encoding", "segments", "media", "automated", "idempotency_key", *_PLAIN,
    "attempts", *_TIMES, "status_changed_at",
)  # fmt: skip
assert tuple(MessageSerializer._declared_fields) == _ORDER, "MessageSerializer changed"
_TIME = serializers.DateTimeField()  # its to_representation: the API's one time format
_REASON_KEYS = ("gate", "code", "message")


def _text(value):
    return None if value is None else str(value)


def _time_zone():
    """The zone ``_TIME`` writes every time of one answer in, looked up once for them all
    (DRF asks the current zone again for each: a third of the answer's CPU); None when
    the API's format is not ISO 8601 or times are naive (the field writes them)."""
    output = api_settings.DATETIME_FORMAT
    if output is None or output.lower() != ISO_8601:
        return None
    return _TIME.default_timezone()


def _time(value, zone):
    """``_TIME.to_representation(value)``, written here for an aware datetime in ``zone``."""
    if value is None:
        return None
    if zone is not None and isinstance(value, datetime) and value.utcoffset() is not None:
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return _TIME.to_representation(value)  # the field words it
        return f"{text[:-6]}Z" if text.endswith("+00:00") else text
    return _TIME.to_representation(value)


def _reasons(reasons) -> list[dict] | None:
    """``ReasonSerializer(many=True)``'s output, or None for a reason it would not write as
    plain text (then the serializer does)."""
    out = []
    for reason in reasons:
        if type(reason) is not dict or any(k not in reason for k in _REASON_KEYS):
            return None
        item = {k: _text(reason[k]) for k in _REASON_KEYS}
        if "detail" in reason:
            detail = reason["detail"]
            if type(detail) is not dict:
                return None
            item["detail"] = {str(k): v for k, v in detail.items()}
        out.append(item)
    return out


def message_data(message) -> dict:
    """``MessageSerializer(message).data``, the same JSON, written directly: the send API
    answers every send with it, and the serializer's per-instance fields, binding and
    attribute walk were a tenth of a send's CPU (bench_send_paths). A message with media, or
    reasons of another shape, goes through the serializer
    (``tests/messaging/test_message_data.py`` compares the two)."""
    reasons = _reasons(message.reasons or [])
    if message.media_count or reasons is None or message.direction is None:
        return dict(MessageSerializer(message).data)
    number, contact, broadcast = message.from_number, message.contact, message.broadcast
    data = {
        "uuid": str(message.uuid),
        "direction": _text(message.direction),
        "status": _text(message.status),
        "reasons": reasons,
        "outcome": _outcome(message),
        "kind": _text(message.kind),
        "purpose": _text(message.purpose),
        "body": _text(message.body),
        "to": _text(message.to_phone),
        "from_number": None if number is None else _text(number.e164),
        "contact": None if contact is None else _text(contact.uuid),
        "broadcast": None if broadcast is None else _text(broadcast.uuid),
        "encoding": _text(message.encoding),
        "segments": None if message.segments is None else int(message.segments),
        "media": [],
        "automated": None if message.automated is None else bool(message.automated),
        "idempotency_key": _text(message.idempotency_key),
    }
    for name in _PLAIN:
        data[name] = _text(getattr(message, name))
    data["attempts"] = None if message.attempts is None else int(message.attempts)
    zone = _time_zone()
    for name in _TIMES:
        data[name] = _time(getattr(message, name), zone)
    data["status_changed_at"] = _time(message.status_changed_at, zone)
    return data


MESSAGE_EXAMPLE: dict[str, Any] = {
    "uuid": "3f1c2a9e-8d7b-4c1e-9a53-2b6f0e4d7c11",
    "direction": "outbound",
    "status": "QUEUED",
    "reasons": [],
    "outcome": {"label": "waiting", "reason": ""},
    "kind": "informational",
    "purpose": "",
    "body": "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out.",
    "to": "+16465550123",
    "from_number": "+13125550100",
    "contact": "9b2d7f41-2c55-4a8e-b1f3-5e7d0c9a8b22",
    "broadcast": None,
    "encoding": "GSM-7",
    "segments": 1,
    "media": [],
    "automated": True,
    "idempotency_key": "order-1234-reminder",
    "provider_id": "",
    "error_code": "",
    "error_message": "",
    "attempts": 0,
    "send_after": "2026-11-28T15:00:00Z",
    "expires_at": "2026-11-29T15:00:00Z",
    "created_at": "2026-11-28T15:00:00Z",
    "queued_at": "2026-11-28T15:00:00Z",
    "sent_at": None,
    "delivered_at": None,
    "status_changed_at": "2026-11-28T15:00:00Z",
}
BLOCKED_EXAMPLE = {
    **MESSAGE_EXAMPLE,
    "status": "BLOCKED",
    "reasons": [
        {
            "gate": "consent",
            "code": "no_consent",
            "message": "The contact has not consented to this kind of message.",
        }
    ],
    "outcome": {
        "label": "skipped",
        "reason": "The contact has not consented to this kind of message.",
    },
    "send_after": None,
    "expires_at": None,
    "queued_at": None,
}


def _zone_for(business, basis: str, contact=None, phone: str = ""):
    if basis == "business":
        return selectors.business_zone(business)
    return selectors.recipient_zone(business=business, contact=contact, phone=phone)


def _number(business, number_uuid):
    if not number_uuid:
        return None
    try:
        return selectors.sending_number_get(business=business, number_uuid=number_uuid)
    except (NotFound, ValueError):  # a malformed id or not ours: the same field error
        raise ValidationFailed(fields={"from_number": ["Not one of your numbers."]}) from None


UNKNOWN_CONTACT = "Unknown contact."


def _contact(business, contact_uuid):
    from consent.selectors import contact_get

    if not contact_uuid:
        return None
    try:
        return contact_get(business=business, contact_uuid=contact_uuid)
    except (NotFound, ValueError):
        raise ValidationFailed(fields={"contact": [UNKNOWN_CONTACT]}) from None


def _media(business, data: dict) -> list:
    """The files a send names: stored ones by uuid, then URLs fetched once."""
    if data.get("media") and data.get("media_url"):
        raise ValidationFailed(fields={"media": ["Give `media` or `media_url`, not both."]})
    if data.get("media"):
        try:
            return media_selectors.media_get_many(business=business, media_uuids=data["media"])
        except NotFound as exc:
            raise ValidationFailed(
                fields={"media": [f"Unknown media: {', '.join(exc.detail.get('media', []))}."]}
            ) from exc
    return [
        media_services.media_from_url(business=business, url=url, field="media_url")
        for url in data.get("media_url") or []
    ]
