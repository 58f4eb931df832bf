from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts import selectors
from accounts.roles import Cap

from .base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView


class BusinessCurrentApi(TenantAPIView):
    required_cap = Cap.VIEW

    class OutputSerializer(serializers.Serializer):
        uuid = serializers.UUIDField()
        legal_name = serializers.CharField()
        display_name = serializers.CharField()
        website = serializers.URLField()
        brand_domains = serializers.ListField(child=serializers.CharField())
        industry_description = serializers.CharField()
        time_zone = serializers.CharField()
        vetting_status = serializers.CharField()
        vetting_reason = serializers.CharField()
        can_send = serializers.BooleanField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="business_current",
        summary="The business this API key belongs to",
        responses={200: OutputSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        return Response(self.OutputSerializer(self.business).data)


class MemberListApi(TenantListAPIView):
    required_cap = Cap.VIEW

    class OutputSerializer(serializers.Serializer):
        uuid = serializers.UUIDField()
        email = serializers.EmailField(source="user.email")
        full_name = serializers.CharField(source="user.full_name")
        role = serializers.CharField()
        created_at = serializers.DateTimeField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.membership_list(business=self.business)

    @extend_schema(
        operation_id="members_list",
        summary="Members of the business",
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
