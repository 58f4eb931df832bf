"""REST API of campaigns: brands, campaigns (create, edit, submit, status, appeal, retry)
and originating numbers (search, provision, assign, release).

Thin: parse, call one service or selector, serialize. Field names are TCR's, in snake_case.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import (
    ERROR_RESPONSES,
    ERRORS_WITH_CONFLICT,
    TenantAPIView,
    TenantListAPIView,
    api_actor,
)
from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.client_ip import client_ip
from accounts.errors import ValidationFailed
from accounts.roles import Cap
from campaigns import selectors, services, tcr
from campaigns.models import Brand, Campaign, PhoneNumber

# --- brands -------------------------------------------------------------------------------


class BrandOutputSerializer(serializers.ModelSerializer):
    # Optional choices are "" when not given: documented as plain strings, not enums.
    stock_exchange = serializers.CharField(read_only=True)
    alt_business_id_type = serializers.CharField(read_only=True)
    registrar = serializers.CharField(read_only=True)
    business_contact_email = serializers.CharField(read_only=True)  # "" when not given

    class Meta:
        model = Brand
        fields = [
            "uuid", *tcr.BRAND_FIELDS, "identity_status", "vetting_score", "status",
            "failure_reasons", "reference_id", "registrar", "registry_brand_id",
            "registry_error", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class BrandInputSerializer(serializers.Serializer):
    entity_type = serializers.ChoiceField(choices=tcr.ENTITY_TYPES)
    display_name = serializers.CharField(max_length=255)
    company_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    ein = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, default="US")
    # 254: what the columns hold (DRF's validator would let longer ones through to a 500)
    email = serializers.EmailField(max_length=254)
    business_contact_email = serializers.EmailField(
        required=False, allow_blank=True, max_length=254
    )
    phone = serializers.CharField(max_length=20)
    mobile_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    street = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=2)
    postal_code = serializers.CharField(max_length=10)
    website = serializers.CharField(max_length=500, required=False, allow_blank=True)
    vertical = serializers.ChoiceField(choices=tcr.VERTICALS)
    stock_symbol = serializers.CharField(max_length=10, required=False, allow_blank=True)
    stock_exchange = serializers.ChoiceField(
        choices=tcr.STOCK_EXCHANGES, required=False, allow_blank=True
    )
    alt_business_id = serializers.CharField(max_length=50, required=False, allow_blank=True)
    alt_business_id_type = serializers.ChoiceField(
        choices=tcr.ALT_BUSINESS_ID_TYPES, required=False, allow_blank=True
    )


BRAND_EXAMPLE = OpenApiExample(
    "Private company",
    request_only=True,
    value={
        "entity_type": "PRIVATE_PROFIT", "display_name": "Bright Smile",
        "company_name": "Bright Smile Dental LLC", "ein": "12-3456789", "country": "US",
        "email": "support@brightsmile.com", "phone": "+12025550100", "street": "1 Main St",
        "city": "Springfield", "state": "IL", "postal_code": "62701",
        "website": "https://brightsmile.com", "vertical": "HEALTHCARE",
    },
)  # fmt: skip


class BrandListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS
    serializer_class = BrandOutputSerializer

    def get_queryset(self):
        return selectors.brand_list(business=self.business)

    @extend_schema(
        operation_id="brands_list",
        summary="Brands of the business",
        responses={200: BrandOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="brands_create",
        summary="Create a draft brand (TCR fields; every rule is checked now)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=BrandInputSerializer,
        responses={201: BrandOutputSerializer, **ERROR_RESPONSES},
        examples=[BRAND_EXAMPLE],
    )
    @idempotent("brands_create", resource="brand")
    def post(self, request):
        data = BrandInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        brand = services.brand_create(
            business=self.business, actor=api_actor(request), ip=client_ip(request),
            **data.validated_data,
        )  # fmt: skip
        return Response(BrandOutputSerializer(brand).data, status=status.HTTP_201_CREATED)


class BrandDetailApi(TenantAPIView):
    required_cap = Cap.VIEW

    @extend_schema(
        operation_id="brands_get",
        summary="One brand, with its registration status",
        responses={200: BrandOutputSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, brand_uuid):
        brand = selectors.brand_get(business=self.business, brand_uuid=brand_uuid)
        return Response(BrandOutputSerializer(brand).data)


class BrandRegisterApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="brands_register",
        summary="Register the brand with the registry (idempotent)",
        request=None,
        responses={200: BrandOutputSerializer, **ERROR_RESPONSES},
    )
    def post(self, request, brand_uuid):
        brand = selectors.brand_get(business=self.business, brand_uuid=brand_uuid)
        brand = services.brand_register(
            brand=brand, actor=api_actor(request), ip=client_ip(request)
        )
        return Response(BrandOutputSerializer(brand).data)


# --- campaigns ----------------------------------------------------------------------------


class CampaignOutputSerializer(serializers.ModelSerializer):
    brand = serializers.UUIDField(source="brand.uuid")
    registrar = serializers.CharField(read_only=True)  # "" until submitted
    kinds = serializers.SerializerMethodField(help_text="Message kinds the use case covers.")

    class Meta:
        model = Campaign
        fields = [
            "uuid", "brand", *tcr.CAMPAIGN_FIELDS, "kinds", "status", "status_reason",
            "failure_reasons", "policy_decision", "registrar", "reference_id", "submission",
            "registry_campaign_id", "registry_status", "registry_error", "submitted_at",
            "approved_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_kinds(self, obj) -> list[str]:
        return sorted(obj.kinds)


class CampaignFieldsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    usecase = serializers.ChoiceField(choices=tcr.USECASE_CHOICES, required=False)
    sub_usecases = serializers.ListField(
        child=serializers.ChoiceField(choices=tcr.SUB_USECASES), required=False, max_length=5
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=4096)
    message_flow = serializers.CharField(required=False, allow_blank=True, max_length=2048)
    sample1 = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    sample2 = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    sample3 = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    sample4 = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    sample5 = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    help_message = serializers.CharField(required=False, allow_blank=True, max_length=320)
    optin_message = serializers.CharField(required=False, allow_blank=True, max_length=320)
    optout_message = serializers.CharField(required=False, allow_blank=True, max_length=320)
    help_keywords = serializers.CharField(required=False, max_length=255)
    optin_keywords = serializers.CharField(required=False, allow_blank=True, max_length=255)
    optout_keywords = serializers.CharField(required=False, max_length=255)
    subscriber_optin = serializers.BooleanField(required=False)
    subscriber_optout = serializers.BooleanField(required=False)
    subscriber_help = serializers.BooleanField(required=False)
    number_pool = serializers.BooleanField(required=False)
    direct_lending = serializers.BooleanField(required=False)
    embedded_link = serializers.BooleanField(required=False)
    embedded_link_sample = serializers.CharField(required=False, allow_blank=True, max_length=500)
    embedded_phone = serializers.BooleanField(required=False)
    age_gated = serializers.BooleanField(required=False)
    affiliate_marketing = serializers.BooleanField(required=False)
    auto_renewal = serializers.BooleanField(required=False)
    terms_and_conditions = serializers.BooleanField(required=False)
    terms_and_conditions_link = serializers.CharField(
        required=False, allow_blank=True, max_length=500
    )
    privacy_policy_link = serializers.CharField(required=False, allow_blank=True, max_length=500)
    automated = serializers.BooleanField(required=False)


class CampaignInputSerializer(CampaignFieldsSerializer):
    brand = serializers.UUIDField(help_text="The brand's uuid.")
    usecase = serializers.ChoiceField(choices=tcr.USECASE_CHOICES)


CAMPAIGN_EXAMPLE = OpenApiExample(
    "Reminders and offers (MIXED)",
    request_only=True,
    value={
        "brand": "8f2b6f0e-3c1a-4d6e-9d7a-0c1e2f3a4b5c",
        "usecase": "MIXED",
        "sub_usecases": ["ACCOUNT_NOTIFICATION", "MARKETING"],
        "description": "Appointment reminders and monthly offers for patients of our clinic.",
        "message_flow": "Patients opt in on https://brightsmile.com/sms with an unticked box "
        "that states frequency, Msg & data rates may apply, HELP and STOP.",
        "sample1": "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out.",
        "sample2": "Bright Smile: 20% off whitening this month. Reply STOP to opt out.",
        "help_message": "Bright Smile: call 202-555-0100 for help. Reply STOP to opt out.",
        "optin_message": "Bright Smile: You are now subscribed to reminders and offers. Up to "
        "4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to opt out.",
        "optout_message": "Bright Smile: You are unsubscribed and will receive no more messages.",
        "automated": True,
    },
)


class CampaignListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS
    serializer_class = CampaignOutputSerializer

    def get_queryset(self):
        return selectors.campaign_list(business=self.business)

    @extend_schema(
        operation_id="campaigns_list",
        summary="Campaigns of the business",
        responses={200: CampaignOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="campaigns_create",
        summary="Create a draft campaign (field rules now; content rules and policy at submit)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=CampaignInputSerializer,
        responses={201: CampaignOutputSerializer, **ERROR_RESPONSES},
        examples=[CAMPAIGN_EXAMPLE],
    )
    @idempotent("campaigns_create", resource="campaign")
    def post(self, request):
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            brand = selectors.brand_get(business=self.business, brand_uuid=fields.pop("brand"))
        except Exception:
            raise ValidationFailed(fields={"brand": ["No such brand in this business."]}) from None
        campaign = services.campaign_create(
            business=self.business, brand=brand, actor=api_actor(request),
            ip=client_ip(request), **fields,
        )  # fmt: skip
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(TenantAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="campaigns_get",
        summary="One campaign",
        responses={200: CampaignOutputSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        return Response(CampaignOutputSerializer(campaign).data)

    @extend_schema(
        operation_id="campaigns_update",
        summary="Change a campaign (after submission only samples, HELP reply, message flow "
        "and auto-renewal)",
        request=CampaignFieldsSerializer,
        responses={200: CampaignOutputSerializer, **ERRORS_WITH_CONFLICT},
    )
    def patch(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        data = CampaignFieldsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_update(
            campaign=campaign, actor=api_actor(request), ip=client_ip(request),
            **data.validated_data,
        )  # fmt: skip
        return Response(CampaignOutputSerializer(campaign).data)


class CampaignSubmitApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="campaigns_submit",
        summary="Submit for registration: content rules, TCR eligibility and our policy gate",
        description="A refusal is a 400 `campaign_refused` with one message per field. "
        "Accepted: 200 with `status` SUBMITTED; `submission` says whether the registry has it "
        "(CREATED) or must be retried (PENDING after a time-out, FAILED after an error).",
        request=None,
        responses={200: CampaignOutputSerializer, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        campaign = services.campaign_submit(
            campaign=campaign, actor=api_actor(request), ip=client_ip(request)
        )
        return Response(CampaignOutputSerializer(campaign).data)


class CampaignRetryApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="campaigns_retry",
        summary="Retry a registry hand-off that timed out or failed (never registers twice)",
        request=None,
        responses={200: CampaignOutputSerializer, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        campaign = services.campaign_retry(
            campaign=campaign, actor=api_actor(request), ip=client_ip(request)
        )
        return Response(CampaignOutputSerializer(campaign).data)


class AppealInputSerializer(serializers.Serializer):
    explanation = serializers.CharField(max_length=2000)


class CampaignAppealApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="campaigns_appeal",
        summary="Appeal a rejection, saying what changed",
        request=AppealInputSerializer,
        responses={200: CampaignOutputSerializer, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        data = AppealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_appeal(
            campaign=campaign,
            explanation=data.validated_data["explanation"],
            actor=api_actor(request),
            ip=client_ip(request),
        )
        return Response(CampaignOutputSerializer(campaign).data)


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    # DRF's metaclass takes declared fields off the class: this does not shadow Field.source
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="user, staff or registry"
    )
    created_at = serializers.DateTimeField()


class CampaignStatusSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    failure_reasons = serializers.ListField(child=serializers.CharField())
    submission = serializers.CharField()
    registry_status = serializers.CharField()
    registry_error = serializers.CharField()
    history = StatusChangeSerializer(many=True)


class CampaignStatusApi(TenantAPIView):
    required_cap = Cap.VIEW

    @extend_schema(
        operation_id="campaigns_status",
        summary="Status, rejection reasons and the history of transitions",
        responses={200: CampaignStatusSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        body = {
            "uuid": campaign.uuid,
            "status": campaign.status,
            "status_reason": campaign.status_reason,
            "failure_reasons": campaign.failure_reasons,
            "submission": campaign.submission,
            "registry_status": campaign.registry_status,
            "registry_error": campaign.registry_error,
            "history": list(selectors.campaign_history(campaign=campaign)),
        }
        return Response(CampaignStatusSerializer(body).data)


# --- numbers ------------------------------------------------------------------------------


class NumberOutputSerializer(serializers.ModelSerializer):
    campaign = serializers.UUIDField(source="campaign.uuid", default=None, allow_null=True)

    class Meta:
        model = PhoneNumber
        fields = [
            "uuid", "e164", "status", "provider", "capabilities", "campaign", "assigned_at",
            "released_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ProvisionInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20, help_text="E.164, from numbers/available/.")


class NumberListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS
    serializer_class = NumberOutputSerializer

    def get_queryset(self):
        return selectors.phone_number_list(business=self.business)

    @extend_schema(
        operation_id="numbers_list",
        summary="Originating numbers of the business (released ones left out)",
        responses={200: NumberOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="numbers_provision",
        summary="Rent a number from the provider",
        request=ProvisionInputSerializer,
        responses={201: NumberOutputSerializer, **ERRORS_WITH_CONFLICT},
        examples=[OpenApiExample("Rent", request_only=True, value={"number": "+12125550100"})],
    )
    def post(self, request):
        data = ProvisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = services.phone_number_provision(
            business=self.business, e164=data.validated_data["number"], actor=api_actor(request),
            ip=client_ip(request),
        )  # fmt: skip
        return Response(NumberOutputSerializer(number).data, status=status.HTTP_201_CREATED)


class AvailableSerializer(serializers.Serializer):
    numbers = serializers.ListField(child=serializers.CharField())


class NumberAvailableApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="numbers_available",
        summary="Numbers free at the provider in an area code",
        parameters=[
            OpenApiParameter("area_code", OpenApiTypes.STR, required=True, description="e.g. 212"),
            OpenApiParameter("limit", OpenApiTypes.INT, required=False),
        ],
        responses={200: AvailableSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        try:
            limit = int(request.query_params.get("limit") or 10)
        except ValueError:
            raise ValidationFailed(fields={"limit": ["A whole number."]}) from None
        numbers = services.phone_number_search(
            business=self.business, area_code=request.query_params.get("area_code", ""),
            limit=limit,
        )  # fmt: skip
        return Response({"numbers": numbers})


class NumberDetailApi(TenantAPIView):
    required_cap = Cap.VIEW

    @extend_schema(
        operation_id="numbers_get",
        summary="One number",
        responses={200: NumberOutputSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, number_uuid):
        number = selectors.phone_number_get(business=self.business, number_uuid=number_uuid)
        return Response(NumberOutputSerializer(number).data)


class AssignInputSerializer(serializers.Serializer):
    campaign = serializers.UUIDField(
        allow_null=True, help_text="An APPROVED campaign of this business; null to take it off."
    )


class NumberAssignApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="numbers_assign",
        summary="Put the number on an approved campaign (or take it off with null)",
        request=AssignInputSerializer,
        responses={200: NumberOutputSerializer, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request, number_uuid):
        number = selectors.phone_number_get(business=self.business, number_uuid=number_uuid)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign_uuid = data.validated_data["campaign"]
        if campaign_uuid is None:
            number = services.phone_number_unassign(
                number=number, actor=api_actor(request), ip=client_ip(request)
            )
        else:
            try:
                campaign = selectors.campaign_get(
                    business=self.business, campaign_uuid=campaign_uuid
                )
            except Exception:
                raise ValidationFailed(
                    fields={"campaign": ["No such campaign in this business."]}
                ) from None
            number = services.phone_number_assign(
                number=number,
                campaign=campaign,
                actor=api_actor(request),
                ip=client_ip(request),
            )
        return Response(NumberOutputSerializer(number).data)


class NumberReleaseApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(
        operation_id="numbers_release",
        summary="Give the number back to the provider (it stops sending at once)",
        request=None,
        responses={200: NumberOutputSerializer, **ERRORS_WITH_CONFLICT},
    )
    def post(self, request, number_uuid):
        number = selectors.phone_number_get(business=self.business, number_uuid=number_uuid)
        number = services.phone_number_release(
            number=number, actor=api_actor(request), ip=client_ip(request)
        )
        return Response(NumberOutputSerializer(number).data)
