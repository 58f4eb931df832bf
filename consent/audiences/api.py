"""REST API of contact field definitions and saved segments (thin)."""

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

from . import filters as segment_filters
from . import selectors, services


class FieldOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    kind = serializers.CharField()


class FieldIn(serializers.Serializer):
    key = serializers.CharField(max_length=40)
    label = serializers.CharField(  # type: ignore[assignment]  # a field named label
        max_length=80, required=False, allow_blank=True
    )
    kind = serializers.ChoiceField(choices=["text", "number", "date"], default="text")


class ContactFieldListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS
    serializer_class = FieldOut

    def get_queryset(self):
        return selectors.contact_field_list(business=self.business)

    @extend_schema(
        operation_id="contact_fields_list", responses={200: FieldOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="contact_fields_create",
        request=FieldIn,
        responses={201: FieldOut, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request):
        data = FieldIn(data=request.data)
        data.is_valid(raise_exception=True)
        field = services.contact_field_create(
            business=self.business, actor=api_actor(request), **data.validated_data
        )
        return Response(FieldOut(field).data, status=201)


class ContactFieldDetailApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(operation_id="contact_fields_delete", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request, field_uuid):
        field = selectors.contact_field_get(business=self.business, field_uuid=field_uuid)
        services.contact_field_delete(field=field, actor=api_actor(request))
        return Response(status=204)


class SegmentOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    filters = serializers.JSONField()
    description = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_description(self, segment) -> str:
        return segment_filters.describe(segment.filters)


class SegmentDetailOut(SegmentOut):
    contacts = serializers.IntegerField(help_text="How many contacts match now.")


class SegmentIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    filters = serializers.JSONField(
        help_text="tags, fields [{key, op, value}], consent, active_within_days, inactive_days"
    )


class SegmentListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS
    serializer_class = SegmentOut

    def get_queryset(self):
        return selectors.segment_list(business=self.business)

    @extend_schema(
        operation_id="segments_list", responses={200: SegmentOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="segments_create",
        request=SegmentIn,
        responses={201: SegmentDetailOut, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request):
        data = SegmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        segment = services.segment_create(
            business=self.business, actor=api_actor(request), **data.validated_data
        )
        return Response(_detail(segment), status=201)


def _detail(segment) -> dict:
    segment.contacts = selectors.segment_members(segment=segment).count()
    return dict(SegmentDetailOut(segment).data)


class SegmentDetailApi(TenantAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS

    @extend_schema(
        operation_id="segments_get", responses={200: SegmentDetailOut, **ERROR_RESPONSES}
    )
    def get(self, request, segment_uuid):
        segment = selectors.segment_get(business=self.business, segment_uuid=segment_uuid)
        return Response(_detail(segment))

    @extend_schema(
        operation_id="segments_update",
        request=SegmentIn(partial=True),
        responses={200: SegmentDetailOut, **ERRORS_WITH_CONFLICT},
    )
    def patch(self, request, segment_uuid):
        segment = selectors.segment_get(business=self.business, segment_uuid=segment_uuid)
        data = SegmentIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        segment = services.segment_update(
            segment=segment, actor=api_actor(request), **data.validated_data
        )
        return Response(_detail(segment))

    @extend_schema(operation_id="segments_delete", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request, segment_uuid):
        segment = selectors.segment_get(business=self.business, segment_uuid=segment_uuid)
        services.segment_delete(segment=segment, actor=api_actor(request))
        return Response(status=204)
