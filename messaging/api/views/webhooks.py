"""Webhook endpoints of a business and their deliveries."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView
from accounts.roles import Cap
from messaging import tenant_webhooks


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
