"""API of policies: the composer's pre-check."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView
from accounts.errors import ValidationFailed
from accounts.roles import Cap

from .. import services

KINDS = ("marketing", "informational", "transactional", "conversational")
MAX_BODY = 1600


def precheck_input(*, business, data: dict):
    """Validate a pre-check request; resolve the campaign within ``business`` (404 otherwise)."""
    errors: dict[str, list[str]] = {}
    body = data.get("body")
    kind = data.get("kind") or "marketing"
    if not isinstance(body, str) or not body.strip():
        errors["body"] = ["Write the message to check."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    if kind not in KINDS:
        errors["kind"] = [f"Use one of {', '.join(KINDS)}."]
    campaign_uuid = data.get("campaign")
    if campaign_uuid is not None:
        try:
            campaign_uuid = str(uuid.UUID(str(campaign_uuid)))
        except ValueError:
            errors["campaign"] = ["Give the campaign's id."]
    if errors:
        raise ValidationFailed(fields=errors)
    campaign = None
    if campaign_uuid:
        # interface layer: the campaign comes from the campaigns app's own selector
        from campaigns.selectors import campaign_get

        campaign = campaign_get(business=business, campaign_uuid=campaign_uuid)
    return body, kind, campaign


class PolicyCheckApi(TenantAPIView):
    required_cap = Cap.SEND

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=MAX_BODY, trim_whitespace=False)
        kind = serializers.ChoiceField(choices=KINDS, default="marketing")
        campaign = serializers.UUIDField(required=False, allow_null=True)

    class ReasonSerializer(serializers.Serializer):
        rule_id = serializers.CharField()
        category = serializers.CharField()
        verdict = serializers.ChoiceField(choices=["allow", "review", "block"])
        message = serializers.CharField()
        span = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
        matched = serializers.CharField(allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["allow", "review", "block"])
        categories = serializers.ListField(child=serializers.CharField())
        reasons = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        operation_id="policy_check",
        summary="Check a message against the content policy before sending (records nothing)",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERROR_RESPONSES},
    )
    def post(self, request):
        s = self.InputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = {**s.validated_data}
        if data.get("campaign"):
            data["campaign"] = str(data["campaign"])
        body, kind, campaign = precheck_input(business=self.business, data=data)
        decision = services.message_precheck(
            business=self.business, body=body, kind=kind, campaign=campaign
        )
        return Response(decision.as_dict())
