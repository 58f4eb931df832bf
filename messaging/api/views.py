"""REST API of messaging: send, get, list and cancel messages; broadcasts (estimate, create,
start, progress, per-recipient outcomes, cancel); inbound texts; webhook endpoints.

Thin: parse, call one service or selector, serialize. A message that fails a gate is still
created (201) with ``status`` BLOCKED or HELD and its ``reasons``: nothing is hidden.
"""

import contextlib
import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import (
    ERROR_RESPONSES,
    PrototypeFields,
    TenantAPIView,
    TenantListAPIView,
)
from accounts.api.errors import ErrorSerializer
from accounts.api.idempotency import (
    IDEMPOTENCY_META,
    IDEMPOTENCY_PARAMETER,
    idempotent,
    request_key,
)
from accounts.api.lean import lean_post
from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.roles import Cap
from consent.audiences.selectors import segment_get
from messaging import selectors, services, tenant_webhooks
from messaging.media import selectors as media_selectors
from messaging.media import services as media_services
from messaging.models import KINDS, Broadcast, Message


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
        outcome = selectors.message_outcome(obj)
        return {"label": outcome.label, "reason": outcome.reason}

    @extend_schema_field(MessageMediaSerializer(many=True))
    def get_media(self, obj) -> list[dict]:
        if not obj.media_count:
            return []
        files = getattr(obj, "media_files", None)
        if files is None:
            files = selectors.messages_with_media([obj])[0].media_files
        return list(MessageMediaSerializer(files, many=True).data)


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


def _contact(business, contact_uuid):
    from consent.selectors import contact_get

    if not contact_uuid:
        return None
    try:
        return contact_get(business=business, contact_uuid=contact_uuid)
    except (NotFound, ValueError):
        raise ValidationFailed(fields={"contact": ["Unknown contact."]}) from None


# --- messages -------------------------------------------------------------------------------------


class MessageListFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="Comma-separated statuses.")
    kind = serializers.ChoiceField(choices=KINDS, required=False)
    direction = serializers.ChoiceField(choices=["outbound", "inbound"], required=False)
    contact = serializers.UUIDField(required=False)
    to = serializers.CharField(required=False, help_text="Digits of the other party's phone.")
    broadcast = serializers.UUIDField(required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    date = serializers.DateField(required=False, help_text="One day, in the business's zone.")

    def validate_status(self, value):
        statuses = [s.strip().upper() for s in value.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in Message.Status.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; use {', '.join(Message.Status.values)}."
            )
        return statuses


LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="Comma-separated, e.g. BLOCKED,HELD"),
    OpenApiParameter("kind", str, enum=list(KINDS)),
    OpenApiParameter("direction", str, enum=["outbound", "inbound"]),
    OpenApiParameter("contact", OpenApiTypes.UUID),
    OpenApiParameter("to", str),
    OpenApiParameter("broadcast", OpenApiTypes.UUID),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME),
    OpenApiParameter("date", OpenApiTypes.DATE),
]


def _filtered_messages(view, direction: str = ""):
    params = MessageListFilterSerializer(data=view.request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    broadcast = None
    if data.get("broadcast"):
        broadcast = selectors.broadcast_get(
            business=view.business, broadcast_uuid=data["broadcast"]
        )
    day = data.get("date")
    return selectors.message_list(
        business=view.business,
        direction=direction or data.get("direction", ""),
        statuses=data.get("status"),
        kind=data.get("kind", ""),
        contact=_contact(view.business, data.get("contact")),
        phone=data.get("to", ""),
        broadcast=broadcast,
        since=data.get("created_after") or day,
        until=data.get("created_before") or day,
    )


def _same_message(request) -> dict:
    """What makes two send requests the same message (for their idempotency key): the
    content and the recipient, with the phone normalised (two spellings, one person)."""
    from consent.phones import InvalidPhone, normalize

    data = dict(request.data) if isinstance(request.data, dict) else {}
    data.pop("idempotency_key", None)
    with contextlib.suppress(InvalidPhone):
        data["to"] = normalize(str(data.get("to") or "")) if data.get("to") else ""
    return data


class _PageWithMedia:
    """A page of messages with their files loaded at once (one query, only for MMS)."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        return None if page is None else selectors.messages_with_media(page)


class MessageListCreateApi(_PageWithMedia, TenantListAPIView):
    """GET lists messages (view); POST sends one (send)."""

    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    class InputSerializer(PrototypeFields, serializers.Serializer):
        to = serializers.CharField(required=False, help_text="Phone in E.164 (or US format).")
        contact = serializers.UUIDField(required=False, help_text="A contact instead of `to`.")
        body = serializers.CharField(
            max_length=1600,
            trim_whitespace=False,
            allow_blank=True,
            help_text="The text; with media, the caption (may be empty): up to 1,600 "
            "characters, one MMS whatever its length.",
        )
        kind = serializers.ChoiceField(choices=KINDS)
        from_number = serializers.UUIDField(
            required=False, help_text="One of your numbers; default: the contact's usual line."
        )
        media = serializers.ListField(
            child=serializers.UUIDField(),
            required=False,
            max_length=10,
            help_text="Files stored with POST /media/ (their uuid), in order: an MMS.",
        )
        media_url = serializers.ListField(
            child=serializers.URLField(max_length=1000),
            required=False,
            max_length=10,
            help_text="Or URLs the product fetches once (public addresses only; time-out and "
            "size limit) and stores like an upload.",
        )
        send_at = WallClockDateTimeField(
            required=False,
            help_text="Schedule. Without an offset it is read in `time_zone_basis`.",
        )
        time_zone_basis = serializers.ChoiceField(
            choices=["recipient", "business"], default="recipient"
        )
        expires_at = serializers.DateTimeField(required=False)
        idempotency_key = serializers.CharField(
            required=False, max_length=100, help_text="Or the Idempotency-Key header."
        )

        def validate(self, attrs):
            if not attrs.get("to") and not attrs.get("contact"):
                raise serializers.ValidationError({"to": ["Give `to` or `contact`."]})
            return attrs

    class OutputSerializer(MessageSerializer):
        pass

    serializer_class = OutputSerializer

    def get_queryset(self):
        return _filtered_messages(self)

    @extend_schema(
        operation_id="messages_list",
        summary="List messages (newest first, cursor pages)",
        parameters=LIST_PARAMETERS,
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="messages_send",
        summary="Send (or schedule) one message",
        description=(
            "Runs every gate (business vetted, number on an approved campaign, consent for "
            "the kind, suppression, content policy, quiet hours) and returns the message "
            "whatever the decision: QUEUED / SCHEDULED, or BLOCKED / HELD with `reasons`. "
            "With an idempotency key (header `Idempotency-Key` or field), a repeat returns "
            "the first message with 200 instead of 201; the same key with another body is 409."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Idempotency key reused."),
            **ERROR_RESPONSES,
        },
        examples=[
            OpenApiExample(
                "Reminder",
                request_only=True,
                value={
                    "to": "+16465550123",
                    "body": "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out.",
                    "kind": "informational",
                    "idempotency_key": "order-1234-reminder",
                },
            ),
            OpenApiExample(
                "Queued", response_only=True, status_codes=["201"], value=MESSAGE_EXAMPLE
            ),
            OpenApiExample(
                "Blocked: no consent",
                response_only=True,
                status_codes=["201"],
                value=BLOCKED_EXAMPLE,
            ),
        ],
    )
    @idempotent("messages_send", resource="message", body_field=True, canonical=_same_message)
    def post(self, request, *args, **kwargs):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request_key(request, body_field=True)
        return _send(self.business, serializer.validated_data, idempotency_key=key)


def _send(business, data: dict, *, idempotency_key: str = "") -> Response:
    """The send of validated input (the InputSerializer's ``validated_data``), for the DRF
    view and the lean path alike."""
    contact = _contact(business, data.get("contact"))
    send_at = data.get("send_at")
    if send_at is not None:
        zone = _zone_for(business, data["time_zone_basis"], contact, data.get("to", ""))
        send_at = selectors.localize(send_at, zone)
    media = _media(business, data)
    message = services.message_enqueue(
        business=business,
        body=data["body"],
        kind=data["kind"],
        contact=contact,
        to_phone=None if contact else data.get("to"),
        from_number=_number(business, data.get("from_number")),
        send_at=send_at,
        expires_at=data.get("expires_at"),
        idempotency_key=idempotency_key or None,
        channel="api",  # automated, whatever the request says
        media=media,
    )
    # the row as written, with the contact and number already in hand: reading it back
    # would be one more round trip on every send
    return Response(
        MessageListCreateApi.OutputSerializer(message).data, status=status.HTTP_201_CREATED
    )


# The plain send (a text now, to a phone or a contact, from a number or the default one; no
# media, schedule, validity or idempotency key): the lean path's input. Any other field the
# InputSerializer knows, or a value it would convert or refuse, sends the request to it.
_PLAIN_FIELDS = ("to", "contact", "body", "kind", "from_number")
_UUID_FIELDS = ("contact", "from_number")


def plain_send_input(request, data: dict) -> dict | None:
    """``data`` as ``MessageListCreateApi.InputSerializer`` would validate it, when it is a
    plain send that the serializer accepts as it is; None otherwise (the DRF view decides,
    and words any refusal). Read from the serializer's own fields: its limits live there."""
    fields = MessageListCreateApi.InputSerializer._declared_fields
    if IDEMPOTENCY_META in request.META or any(
        name in data for name in fields if name not in _PLAIN_FIELDS
    ):
        return None
    given: dict[str, Any] = {}
    for name in _PLAIN_FIELDS:
        if name in data:
            if type(data[name]) is not str:  # DRF would convert a number, refuse a null
                return None
            given[name] = data[name]
    body, kind = given.get("body"), given.get("kind")
    body_field, kind_field = fields["body"], fields["kind"]
    assert isinstance(body_field, serializers.CharField)
    assert isinstance(kind_field, serializers.ChoiceField)
    if body is None or len(body) > (body_field.max_length or 0) or kind not in kind_field.choices:
        return None
    if "to" in given:
        given["to"] = given["to"].strip()  # CharField's trim_whitespace
        if not given["to"]:
            return None
    for name in _UUID_FIELDS:
        if name in given:
            try:
                given[name] = uuid.UUID(hex=given[name])
            except ValueError:
                return None
    if not given.get("to") and not given.get("contact"):
        return None
    given["time_zone_basis"] = fields["time_zone_basis"].default
    return given


def _plain_send(request, api_key, data: dict) -> Response:
    return _send(api_key.business, data)


# POST /api/v1/messages/ (and GET: the list, through the DRF view)
message_list_send = lean_post(MessageListCreateApi, accept=plain_send_input, handle=_plain_send)


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


class MessageDetailApi(TenantAPIView):
    required_cap = Cap.VIEW

    class OutputSerializer(MessageSerializer):
        pass

    @extend_schema(
        operation_id="messages_get",
        summary="One message with its status and reasons",
        responses={200: OutputSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("Blocked", value=BLOCKED_EXAMPLE, response_only=True)],
    )
    def get(self, request, message_uuid):
        message = selectors.message_get(business=self.business, message_uuid=message_uuid)
        return Response(self.OutputSerializer(message).data)


class MessageCancelApi(TenantAPIView):
    required_cap = Cap.SEND

    class OutputSerializer(MessageSerializer):
        pass

    @extend_schema(
        operation_id="messages_cancel",
        summary="Cancel a message not yet handed to the carrier",
        request=None,
        responses={
            200: OutputSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Already sent or final."),
            **ERROR_RESPONSES,
        },
    )
    def post(self, request, message_uuid):
        message = selectors.message_get(business=self.business, message_uuid=message_uuid)
        services.message_cancel(business=self.business, message=message)
        message = selectors.message_get(business=self.business, message_uuid=message_uuid)
        return Response(self.OutputSerializer(message).data)


class InboundListApi(_PageWithMedia, TenantListAPIView):
    required_cap = Cap.VIEW

    class OutputSerializer(MessageSerializer):
        pass

    serializer_class = OutputSerializer

    def get_queryset(self):
        return _filtered_messages(self, direction="inbound")

    @extend_schema(
        operation_id="inbound_list",
        summary="Texts received (replies, keywords), newest first",
        parameters=[p for p in LIST_PARAMETERS if p.name not in ("direction", "kind")],
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- broadcasts -----------------------------------------------------------------------------------


class BroadcastSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    body = serializers.CharField()
    kind = serializers.CharField()
    from_number = serializers.CharField(source="from_number.e164")
    tags = serializers.ListField(child=serializers.CharField())
    contact_uuids = serializers.ListField(child=serializers.CharField())
    segment = serializers.UUIDField(source="segment.uuid", allow_null=True, default=None)
    status = serializers.CharField(help_text="DRAFT, RUNNING, COMPLETED, CANCELED")
    recipient_count = serializers.IntegerField()
    estimate_seconds = serializers.FloatField(
        allow_null=True, help_text="Time the sends take under the per-number cap."
    )
    send_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    recipients = serializers.IntegerField()
    created = serializers.IntegerField(help_text="Messages created so far.")
    pending = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Blocked (with a reason), canceled, expired.")
    failed = serializers.IntegerField()
    deferred = serializers.IntegerField(help_text="Scheduled, e.g. waiting for quiet hours.")
    held = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.FloatField()
    by_status = serializers.DictField(child=serializers.IntegerField())


class AudienceInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=1600, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=KINDS, default="marketing")
    from_number = serializers.UUIDField(required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    contact_uuids = serializers.ListField(child=serializers.UUIDField(), required=False)
    segment = serializers.UUIDField(required=False, help_text="A saved segment (/segments/).")

    def validate(self, attrs):
        if not attrs.get("tags") and not attrs.get("contact_uuids") and not attrs.get("segment"):
            raise serializers.ValidationError(
                {"audience": ["Give `segment`, `tags` or `contact_uuids`."]}
            )
        return attrs


def _segment(business, segment_uuid):
    if not segment_uuid:
        return None
    return segment_get(business=business, segment_uuid=segment_uuid)


def _broadcast_number(business, number_uuid):
    number = _number(business, number_uuid)
    if number is None:
        number = selectors.sending_numbers(business=business).first()
    if number is None:
        raise ValidationFailed(
            "No number can send yet: get a number on an approved campaign first.",
            fields={"from_number": ["No sending number available."]},
        )
    return number


class BroadcastListCreateApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    class InputSerializer(AudienceInputSerializer):
        name = serializers.CharField(max_length=120)
        send_at = serializers.DateTimeField(required=False, help_text="Start at this time.")
        media = serializers.ListField(
            child=serializers.UUIDField(),
            required=False,
            max_length=10,
            help_text="Files stored with POST /media/: every recipient gets them (an MMS).",
        )

    class OutputSerializer(BroadcastSerializer):
        pass

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.broadcast_list(business=self.business)

    @extend_schema(
        operation_id="broadcasts_list",
        summary="Broadcasts, newest first",
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="broadcasts_create",
        summary="Create a broadcast (DRAFT) with its audience and duration estimate",
        description="Nothing is sent until `start`. The audience is contacts with every tag "
        "given and/or the listed contacts; each recipient still goes through every gate.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=InputSerializer,
        responses={201: OutputSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "To a tag",
                request_only=True,
                value={
                    "name": "December whitening offer",
                    "body": "Bright Smile: 20% off whitening in December. Reply STOP to opt out.",
                    "kind": "marketing",
                    "tags": ["patients"],
                },
            )
        ],
    )
    @idempotent("broadcasts_create", resource="broadcast")
    def post(self, request, *args, **kwargs):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        broadcast = services.broadcast_create(
            business=self.business,
            name=data["name"],
            body=data["body"],
            kind=data["kind"],
            from_number=_broadcast_number(self.business, data.get("from_number")),
            tags=data.get("tags"),
            contact_uuids=data.get("contact_uuids"),
            segment=_segment(self.business, data.get("segment")),
            send_at=data.get("send_at"),
            media=_media(self.business, data),
        )
        return Response(self.OutputSerializer(broadcast).data, status=status.HTTP_201_CREATED)


class BroadcastEstimateApi(TenantAPIView):
    required_cap = Cap.SEND

    class InputSerializer(AudienceInputSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        recipients = serializers.IntegerField()
        segments_per_message = serializers.IntegerField()
        encoding = serializers.CharField()
        backlog_segments = serializers.IntegerField(help_text="Already queued on the number.")
        renderings = serializers.IntegerField(help_text="Distinct texts after merge fields.")
        longest = serializers.CharField(help_text="The longest rendering (segments counted).")
        estimate_seconds = serializers.FloatField()
        limited_by = serializers.ChoiceField(
            choices=["number", "campaign", "brand_day"],
            help_text="The limit that sets the pace: the number's cap, the campaign's "
            "per-minute limit (AT&T) or the brand's daily limit (T-Mobile).",
        )
        limited_by_words = serializers.CharField(help_text="The same, in a sentence.")

    @extend_schema(
        operation_id="broadcasts_estimate",
        summary="How many recipients and how long under the cap, without creating anything",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERROR_RESPONSES},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preview = selectors.broadcast_preview(
            business=self.business,
            body=data["body"],
            from_number=_broadcast_number(self.business, data.get("from_number")),
            tags=data.get("tags"),
            contact_uuids=data.get("contact_uuids"),
            segment=_segment(self.business, data.get("segment")),
        )
        return Response(self.OutputSerializer(preview).data)


class BroadcastDetailApi(TenantAPIView):
    required_cap = Cap.VIEW

    class OutputSerializer(BroadcastSerializer):
        progress = ProgressSerializer()

    @extend_schema(
        operation_id="broadcasts_get",
        summary="A broadcast with its progress",
        responses={200: OutputSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, broadcast_uuid):
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        broadcast = _refresh(broadcast)
        return Response(_with_progress(broadcast))


def _with_progress(broadcast: Broadcast) -> dict:
    """The broadcast and its progress, as the views' OutputSerializer documents them."""
    progress = selectors.broadcast_progress(broadcast=broadcast)
    return {**BroadcastSerializer(broadcast).data, "progress": ProgressSerializer(progress).data}


def _refresh(broadcast: Broadcast) -> Broadcast:
    # Completion is decided by the send path; ask it only once the fan-out is over (every
    # recipient has a message), so a poll during the fan-out cannot end it early.
    if broadcast.status == Broadcast.Status.RUNNING:
        created = Message.objects.filter(
            business_id=broadcast.business_id, broadcast=broadcast
        ).count()
        if created >= broadcast.recipient_count:
            return services.broadcast_refresh(broadcast=broadcast)
    return broadcast


class BroadcastStartApi(TenantAPIView):
    required_cap = Cap.SEND

    class OutputSerializer(BroadcastSerializer):
        progress = ProgressSerializer()

    @extend_schema(
        operation_id="broadcasts_start",
        summary="Start a DRAFT broadcast: one message per recipient through every gate",
        description="Small audiences are fanned out before the answer (outcomes included); "
        "large ones answer RUNNING at once and fill in as the fan-out proceeds: poll the "
        "broadcast for its progress.",
        request=None,
        responses={200: OutputSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, broadcast_uuid):
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        services.broadcast_launch(broadcast=broadcast)
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        return Response(_with_progress(broadcast))


class BroadcastCancelApi(TenantAPIView):
    required_cap = Cap.SEND

    class OutputSerializer(BroadcastSerializer):
        canceled_messages = serializers.IntegerField()

    @extend_schema(
        operation_id="broadcasts_cancel",
        summary="Cancel a broadcast and every message of it still waiting",
        request=None,
        responses={200: OutputSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, broadcast_uuid):
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        if broadcast.status not in (Broadcast.Status.DRAFT, Broadcast.Status.RUNNING):
            raise Conflict(
                f"This broadcast is already {broadcast.get_status_display().lower()}.",
                detail={"status": broadcast.status},
            )
        n = services.broadcast_cancel(broadcast=broadcast)
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        return Response({**BroadcastSerializer(broadcast).data, "canceled_messages": n})


class BroadcastRecipientsApi(TenantListAPIView):
    required_cap = Cap.VIEW

    class OutputSerializer(serializers.Serializer):
        message = serializers.UUIDField(source="uuid")
        contact = serializers.UUIDField(source="contact.uuid", default=None, allow_null=True)
        to = serializers.CharField(source="to_phone")
        status = serializers.CharField()
        outcome = serializers.SerializerMethodField()
        reasons = ReasonSerializer(many=True)
        created_at = serializers.DateTimeField()
        sent_at = serializers.DateTimeField(allow_null=True)

        def get_outcome(self, obj) -> dict:
            outcome = selectors.message_outcome(obj)
            return {"label": outcome.label, "reason": outcome.reason}

    serializer_class = OutputSerializer

    def get_queryset(self):
        broadcast = selectors.broadcast_get(
            business=self.business, broadcast_uuid=self.kwargs["broadcast_uuid"]
        )
        outcome = self.request.query_params.get("outcome", "")
        if outcome and outcome not in ("sent", "skipped", "failed", "pending"):
            raise ValidationFailed(fields={"outcome": ["Use sent, skipped, failed or pending."]})
        return selectors.broadcast_recipients(broadcast=broadcast, outcome=outcome)

    @extend_schema(
        operation_id="broadcasts_recipients",
        summary="Per-recipient outcome: sent, or skipped with the reason",
        parameters=[
            OpenApiParameter("outcome", str, enum=["sent", "skipped", "failed", "pending"])
        ],
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- webhook endpoints ----------------------------------------------------------------------------


class WebhookEndpointSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    secret_hint = serializers.CharField(help_text="The first characters of the secret.")
    created_at = serializers.DateTimeField()


class WebhookListCreateApi(TenantListAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=500)
        events = serializers.ListField(
            child=serializers.CharField(max_length=40),
            min_length=1,
            help_text="Event types to receive (the webhooks section of this document).",
        )
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class OutputSerializer(WebhookEndpointSerializer):
        pass

    class CreatedSerializer(WebhookEndpointSerializer):
        secret = serializers.CharField(help_text="Shown once: store it to verify signatures.")

    serializer_class = OutputSerializer

    def get_queryset(self):
        return tenant_webhooks.webhook_endpoint_list(business=self.business)

    @extend_schema(
        operation_id="webhooks_list",
        summary="Webhook endpoints",
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Add a webhook endpoint (the signing secret is in this answer only)",
        description=(
            "Each event is POSTed as JSON with headers Webhook-Id, Webhook-Event, "
            "Webhook-Timestamp and Webhook-Signature: `v1=` + hex HMAC-SHA256 of "
            "`<timestamp>.<raw body>` keyed with the secret. Non-2xx answers are retried "
            "with exponential backoff."
        ),
        request=InputSerializer,
        responses={201: CreatedSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, *args, **kwargs):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = tenant_webhooks.webhook_endpoint_create(
            business=self.business, **serializer.validated_data
        )
        return Response(self.CreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="webhooks_delete",
        summary="Remove a webhook endpoint",
        responses={204: None, **ERROR_RESPONSES},
    )
    def delete(self, request, endpoint_uuid):
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=endpoint_uuid
        )
        tenant_webhooks.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(TenantListAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    class OutputSerializer(serializers.Serializer):
        uuid = serializers.UUIDField(help_text="The event id (Webhook-Id).")
        event = serializers.CharField()
        status = serializers.CharField()
        attempts = serializers.IntegerField()
        response_status = serializers.IntegerField(allow_null=True)
        last_error = serializers.CharField()
        next_attempt_at = serializers.DateTimeField(allow_null=True)
        created_at = serializers.DateTimeField()
        delivered_at = serializers.DateTimeField(allow_null=True)

    serializer_class = OutputSerializer

    def get_queryset(self):
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=self.kwargs["endpoint_uuid"]
        )
        return tenant_webhooks.webhook_delivery_list(business=self.business, endpoint=endpoint)

    @extend_schema(
        operation_id="webhooks_deliveries",
        summary="The delivery log of an endpoint",
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
