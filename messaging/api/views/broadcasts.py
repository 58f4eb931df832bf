"""Broadcasts: estimate, create, start, progress, per-recipient outcomes, cancel."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView
from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.errors import Conflict, ValidationFailed
from accounts.roles import Cap
from consent.audiences.selectors import segment_get
from messaging import selectors, services
from messaging.models import KINDS, Broadcast, Message

from .common import ReasonSerializer, _media, _number


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
