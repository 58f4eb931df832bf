"""What the consent API's views share: the contact, event and evidence shapes, and reading
the client's address, a uuid parameter or a campaign named in a request."""

import base64
import binascii
import uuid

from rest_framework import serializers

from accounts.client_ip import client_ip
from accounts.errors import ValidationFailed
from consent import selectors, subject


def _ip(request):
    return client_ip(request)


def _uuid_param(value, name: str):
    """A query parameter that must be a uuid: a malformed one is a 400 naming it."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed(fields={name: ["Not a valid UUID."]}) from None


def _campaign(business, value):
    if not value:
        return None
    return selectors.campaign_for_business(
        business=business, campaign_uuid=_uuid_param(value, "campaign")
    )


# --- serializers ---------------------------------------------------------------------------


class ContactOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    phone = serializers.CharField(source="phone_e164")
    name = serializers.CharField()
    email = serializers.CharField()
    time_zone = serializers.CharField()
    language = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    custom_fields = serializers.DictField()
    # DRF's metaclass takes declared fields off the class: this does not shadow Field.source
    source = serializers.CharField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    erased_at = serializers.DateTimeField(allow_null=True)


class ContactIn(serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    # compliance replies (HELP, STOP confirmations) are sent in it: en or es
    language = serializers.ChoiceField(choices=["en", "es"], required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    custom_fields = serializers.DictField(required=False)


class ContactPatch(ContactIn):
    phone = None  # type: ignore[assignment]  # None removes an inherited field (DRF, Django)


class EventOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    seq = serializers.IntegerField()
    contact = serializers.UUIDField()
    kind = serializers.CharField()
    method = serializers.CharField()
    scope = serializers.CharField()
    campaign = serializers.UUIDField(allow_null=True)
    scope_kind = serializers.CharField()
    disclosure_text = serializers.CharField()
    policy_version = serializers.CharField()
    form = serializers.UUIDField(allow_null=True)
    form_snapshot_sha256 = serializers.CharField()
    page_url = serializers.CharField()
    # DRF's metaclass takes declared fields off the class: this does not shadow Field.source
    source = serializers.CharField()  # type: ignore[assignment]
    consented_at = serializers.CharField(allow_null=True)
    recorded_at = serializers.CharField()
    recorded_by = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()
    evidence = serializers.DictField()
    evidence_erased = serializers.BooleanField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()

    def to_representation(self, instance):
        return subject.event_record(instance)


class EvidenceIn(serializers.Serializer):
    disclosure_text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    page_url = serializers.URLField(required=False, allow_blank=True, max_length=1000)
    # DRF's metaclass takes declared fields off the class: `source` and `data` do not shadow
    # Field.source and Serializer.data
    source = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, max_length=300
    )
    consented_at = serializers.DateTimeField(required=False)
    ip = serializers.IPAddressField(required=False)
    user_agent = serializers.CharField(required=False, allow_blank=True, max_length=500)
    policy_version = serializers.CharField(required=False, allow_blank=True, max_length=120)
    data = serializers.DictField(required=False)  # type: ignore[assignment]


class SignedRecordIn(serializers.Serializer):
    """An uploaded signed consent record, base64 in JSON (the API speaks JSON)."""

    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    content_base64 = serializers.CharField()

    def validate(self, attrs):
        try:
            attrs["content"] = base64.b64decode(attrs.pop("content_base64"), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError({"content_base64": ["Not base64."]}) from exc
        return attrs
