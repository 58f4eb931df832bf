"""Opt-in forms."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView, api_actor
from accounts.roles import Cap
from consent import selectors, services

from .common import _campaign


class FormOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    headline = serializers.CharField()
    campaigns = serializers.SerializerMethodField()
    scope_kind = serializers.CharField()
    program_name = serializers.CharField()
    message_description = serializers.CharField()
    frequency = serializers.CharField()
    terms_url = serializers.CharField()
    privacy_url = serializers.CharField()
    disclosure_extra = serializers.CharField()
    collect_name = serializers.BooleanField()
    collect_email = serializers.BooleanField()
    allowed_origins = serializers.ListField(child=serializers.CharField())
    double_opt_in = serializers.BooleanField()
    success_message = serializers.CharField()
    is_active = serializers.BooleanField()
    version = serializers.IntegerField()
    disclosure_text = serializers.SerializerMethodField()

    def get_campaigns(self, obj) -> list[str]:
        return [str(c.uuid) for c in obj.campaigns.all()]

    def get_disclosure_text(self, obj) -> str:
        from consent import disclosure

        return disclosure.for_form(obj).text


class FormIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    headline = serializers.CharField(max_length=200, required=False)
    campaigns = serializers.ListField(child=serializers.UUIDField(), required=False)
    scope_kind = serializers.ChoiceField(choices=["marketing", "informational"], required=False)
    program_name = serializers.CharField(max_length=120)
    message_description = serializers.CharField(max_length=300)
    frequency = serializers.CharField(max_length=120, required=False)
    terms_url = serializers.URLField(max_length=500)
    privacy_url = serializers.URLField(max_length=500)
    disclosure_extra = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    collect_name = serializers.BooleanField(required=False)
    collect_email = serializers.BooleanField(required=False)
    allowed_origins = serializers.ListField(child=serializers.CharField(), required=False)
    double_opt_in = serializers.BooleanField(required=False)
    success_message = serializers.CharField(max_length=300, required=False)
    is_active = serializers.BooleanField(required=False)


class FormListApi(TenantListAPIView):
    required_cap = Cap.MANAGE_CONTACTS
    serializer_class = FormOut

    def get_queryset(self):
        return selectors.optin_form_list(business=self.business)

    @extend_schema(
        operation_id="optin_forms_list", responses={200: FormOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="optin_forms_create",
        request=FormIn,
        responses={201: FormOut, **ERROR_RESPONSES},
    )
    def post(self, request):
        data = FormIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        campaigns = [_campaign(self.business, u) for u in fields.pop("campaigns", [])]
        form = services.optin_form_create(
            business=self.business, actor=api_actor(request), campaigns=campaigns, **fields
        )
        return Response(FormOut(form).data, status=201)


class FormDetailApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(operation_id="optin_forms_get", responses={200: FormOut, **ERROR_RESPONSES})
    def get(self, request, form_uuid):
        form = selectors.optin_form_get(business=self.business, form_uuid=form_uuid)
        return Response(FormOut(form).data)

    @extend_schema(
        operation_id="optin_forms_update",
        request=FormIn,
        responses={200: FormOut, **ERROR_RESPONSES},
    )
    def patch(self, request, form_uuid):
        form = selectors.optin_form_get(business=self.business, form_uuid=form_uuid)
        data = FormIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        campaigns = None
        if "campaigns" in fields:
            campaigns = [_campaign(self.business, u) for u in fields.pop("campaigns")]
        form = services.optin_form_update(
            business=self.business,
            form=form,
            actor=api_actor(request),
            campaigns=campaigns,
            **fields,
        )
        return Response(FormOut(form).data)
