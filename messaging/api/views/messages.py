"""Messages: send (the DRF view and the lean path), list, get, cancel; inbound texts.

A message that fails a gate is still created (201) with ``status`` BLOCKED or HELD and its
``reasons``: nothing is hidden.
"""

import contextlib
import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, PrototypeFields, TenantAPIView, TenantListAPIView
from accounts.api.errors import ErrorSerializer
from accounts.api.idempotency import (
    IDEMPOTENCY_META,
    IDEMPOTENCY_PARAMETER,
    idempotent,
    request_key,
)
from accounts.api.lean import lean_post
from accounts.errors import ValidationFailed
from accounts.roles import Cap
from accounts.services import api_key_authenticate
from messaging import selectors, services
from messaging.models import KINDS, Message

from .common import (
    BLOCKED_EXAMPLE,
    MESSAGE_EXAMPLE,
    UNKNOWN_CONTACT,
    MessageSerializer,
    WallClockDateTimeField,
    _contact,
    _media,
    _number,
    _zone_for,
    message_data,
)


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


def _send(business, data: dict, *, idempotency_key: str = "", found=None) -> Response:
    """The send of validated input (the InputSerializer's ``validated_data``), for the DRF
    view and the lean path alike. ``found``: the contact and the number, read already
    (with the key: ``_plain_authenticate``)."""
    number = None
    if found is not None:
        contact, number = found
        if contact is None:
            raise ValidationFailed(fields={"contact": [UNKNOWN_CONTACT]})
    elif data.get("contact") and data.get("from_number"):
        # both named (the usual API send): one statement reads them; each refusal is
        # raised where the one-by-one reads raise it (the contact's first, the number's
        # after the media's)
        contact, number = selectors.contact_and_number_find(
            business=business, contact_uuid=data["contact"], number_uuid=data["from_number"]
        )
        if contact is None:
            raise ValidationFailed(fields={"contact": [UNKNOWN_CONTACT]})
    else:
        contact = _contact(business, data.get("contact"))
    send_at = data.get("send_at")
    if send_at is not None:
        zone = _zone_for(business, data["time_zone_basis"], contact, data.get("to", ""))
        send_at = selectors.localize(send_at, zone)
    media = _media(business, data)
    if number is None:
        number = _number(business, data.get("from_number"))
    message = services.message_enqueue(
        business=business,
        body=data["body"],
        kind=data["kind"],
        contact=contact,
        to_phone=None if contact else data.get("to"),
        from_number=number,
        send_at=send_at,
        expires_at=data.get("expires_at"),
        idempotency_key=idempotency_key or None,
        channel="api",  # automated, whatever the request says
        media=media,
    )
    # the row as written, with the contact and number already in hand: reading it back
    # would be one more round trip on every send
    return Response(message_data(message), status=status.HTTP_201_CREATED)


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


def _plain_authenticate(secret: str, data: dict) -> tuple:
    """The key of a plain send (``api_key_authenticate`` decides) and, when the send names
    a contact and a number, those two read in the key's statement, on the key's business
    (one round trip less: the usual API send)."""
    if not (data.get("contact") and data.get("from_number")):
        return api_key_authenticate(secret=secret), None
    found: list = []

    def read(*, prefix: str):
        key, *found[:] = selectors.api_key_contact_and_number_find(
            prefix=prefix, contact_uuid=data["contact"], number_uuid=data["from_number"]
        )
        return key

    key = api_key_authenticate(secret=secret, read=read)
    return key, (tuple(found) if key is not None else None)


def _plain_send(request, api_key, data: dict, found) -> Response:
    return _send(api_key.business, data, found=found)


# POST /api/v1/messages/ (and GET: the list, through the DRF view)
message_list_send = lean_post(
    MessageListCreateApi,
    accept=plain_send_input,
    handle=_plain_send,
    authenticate=_plain_authenticate,
)


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
