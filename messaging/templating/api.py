"""REST API of message templates: CRUD, a rendering preview and a send (thin)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import (
    ERROR_RESPONSES,
    ERRORS_WITH_CONFLICT,
    TenantAPIView,
    TenantListAPIView,
    api_actor,
)
from accounts.roles import Cap
from consent.selectors import contact_for_phone, contact_get
from messaging.api.views.common import MessageSerializer
from messaging.models import KINDS
from messaging.segments import segment_info
from messaging.selectors import sending_number_get

from . import merge, selectors, services


class TemplateOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.CharField()
    body = serializers.CharField()
    merge_fields = serializers.SerializerMethodField(help_text="The merge fields the body uses.")
    verdict = serializers.CharField(help_text="The content rules' verdict on the template.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_merge_fields(self, template) -> list[str]:
        return merge.names(merge.parse(template.body))


class TemplateIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=KINDS, default="informational")
    body = serializers.CharField(max_length=1600, trim_whitespace=False)


class TemplateListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.SEND
    serializer_class = TemplateOut

    def get_queryset(self):
        return selectors.template_list(business=self.business)

    @extend_schema(
        operation_id="templates_list", responses={200: TemplateOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="templates_create",
        description=(
            "Merge fields: {{ first_name }}, {{ last_name }}, {{ full_name }}, "
            "{{ business_name }}, {{ field.<contact field> }}, {{ var.<per-send variable> }}, "
            'each with an optional fallback: {{ first_name | default:"there" }}.'
        ),
        request=TemplateIn,
        responses={201: TemplateOut, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request):
        data = TemplateIn(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.template_create(
            business=self.business, actor=api_actor(request), **data.validated_data
        )
        return Response(TemplateOut(template).data, status=201)


class TemplateDetailApi(TenantAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    @extend_schema(operation_id="templates_get", responses={200: TemplateOut, **ERROR_RESPONSES})
    def get(self, request, template_uuid):
        template = selectors.template_get(business=self.business, template_uuid=template_uuid)
        return Response(TemplateOut(template).data)

    @extend_schema(
        operation_id="templates_update",
        request=TemplateIn(partial=True),
        responses={200: TemplateOut, **ERRORS_WITH_CONFLICT},
    )
    def patch(self, request, template_uuid):
        template = selectors.template_get(business=self.business, template_uuid=template_uuid)
        data = TemplateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        template = services.template_update(
            template=template, actor=api_actor(request), **data.validated_data
        )
        return Response(TemplateOut(template).data)

    @extend_schema(operation_id="templates_delete", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request, template_uuid):
        template = selectors.template_get(business=self.business, template_uuid=template_uuid)
        services.template_delete(template=template, actor=api_actor(request))
        return Response(status=204)


class RenderIn(serializers.Serializer):
    to = serializers.CharField(required=False, help_text="A phone number (its contact's values).")
    contact = serializers.UUIDField(required=False)
    variables = serializers.JSONField(required=False, help_text="Values for {{ var.<name> }}.")


class RenderOut(serializers.Serializer):
    body = serializers.CharField()
    segments = serializers.IntegerField()
    encoding = serializers.CharField()


def _recipient(business, data):
    if data.get("contact"):
        return contact_get(business=business, contact_uuid=data["contact"])
    if data.get("to"):
        return contact_for_phone(business=business, phone=data["to"])
    return None


class TemplateRenderApi(TenantAPIView):
    """What one recipient would get; sends nothing."""

    required_cap = Cap.VIEW

    @extend_schema(
        operation_id="templates_render",
        request=RenderIn,
        responses={200: RenderOut, **ERROR_RESPONSES},
    )
    def post(self, request, template_uuid):
        template = selectors.template_get(business=self.business, template_uuid=template_uuid)
        data = RenderIn(data=request.data)
        data.is_valid(raise_exception=True)
        body = selectors.render_one(
            business=self.business,
            body=template.body,
            contact=_recipient(self.business, data.validated_data),
            variables=selectors.clean_variables(data.validated_data.get("variables")),
        )
        info = segment_info(body)
        return Response({"body": body, "segments": info.segments, "encoding": info.encoding})


class SendIn(serializers.Serializer):
    to = serializers.CharField(required=False)
    contact = serializers.UUIDField(required=False)
    variables = serializers.JSONField(required=False)
    from_number = serializers.UUIDField(required=False)
    send_at = serializers.DateTimeField(required=False)
    idempotency_key = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs):
        if not attrs.get("to") and not attrs.get("contact"):
            raise serializers.ValidationError({"to": ["Give `to` or `contact`."]})
        return attrs


class TemplateSendApi(TenantAPIView):
    """Render for the recipient and send through every gate (like POST /messages/)."""

    required_cap = Cap.SEND

    @extend_schema(
        operation_id="templates_send",
        request=SendIn,
        responses={201: MessageSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, template_uuid):
        template = selectors.template_get(business=self.business, template_uuid=template_uuid)
        data = SendIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        contact = (
            contact_get(business=self.business, contact_uuid=values["contact"])
            if values.get("contact")
            else None
        )
        number = None
        if values.get("from_number"):
            number = sending_number_get(business=self.business, number_uuid=values["from_number"])
        message = services.template_send(
            business=self.business,
            template=template,
            contact=contact,
            to_phone=values.get("to"),
            variables=values.get("variables"),
            from_number=number,
            send_at=values.get("send_at"),
            idempotency_key=values.get("idempotency_key"),
            actor=api_actor(request),
        )
        return Response(MessageSerializer(message).data, status=201)
