"""Contact imports: upload, progress, start."""

import base64
import binascii

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView, api_actor
from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.errors import ValidationFailed
from accounts.roles import Cap
from consent import import_file, selectors, services

from .common import _campaign, _ip


class ImportOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    filename = serializers.CharField()
    status = serializers.CharField()
    encoding = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    mapping = serializers.DictField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    consented_count = serializers.IntegerField()
    no_evidence_count = serializers.IntegerField()
    suppressed_count = serializers.IntegerField()
    rejected_count = serializers.IntegerField()
    report = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField()
    attestation_text = serializers.CharField()
    attested_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ImportListApi(TenantListAPIView):
    """GET the imports; POST a CSV (multipart ``file``, or JSON with ``content_base64``)."""

    required_cap = Cap.MANAGE_CONTACTS
    serializer_class = ImportOut
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self):
        return selectors.contact_import_list(business=self.business).defer(None)

    @extend_schema(
        operation_id="imports_list", responses={200: ImportOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="imports_upload",
        summary="Upload a CSV; then confirm the mapping and attestation with imports_start",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "application/json": {
                "type": "object",
                "properties": {
                    "filename": {"type": "string"},
                    "content_base64": {"type": "string"},
                },
            },
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: ImportOut, **ERROR_RESPONSES},
    )
    @idempotent("imports_upload", resource="import")
    def post(self, request):
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            filename, content = upload.name, upload.read()
        else:
            if not isinstance(request.data, dict):
                raise ValidationFailed("Send a JSON object with filename and content_base64.")
            try:
                content = base64.b64decode(
                    str(request.data.get("content_base64", "")), validate=True
                )
            except (binascii.Error, ValueError) as exc:
                raise ValidationFailed(fields={"content_base64": ["Not base64."]}) from exc
            filename = str(request.data.get("filename", "contacts.csv"))
        imp = services.contact_import_create(
            business=self.business, filename=filename, content=content, actor=api_actor(request)
        )
        return Response(ImportOut(imp).data, status=201)


class ImportDetailApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(operation_id="imports_get", responses={200: ImportOut, **ERROR_RESPONSES})
    def get(self, request, import_uuid):
        imp = selectors.contact_import_get(business=self.business, import_uuid=import_uuid)
        data = ImportOut(imp).data
        data["processed_rows"] = services.contact_import_progress(imp=imp)
        return Response(data)


class ImportStartApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    class InputSerializer(serializers.Serializer):
        mapping = serializers.DictField(
            child=serializers.CharField(allow_blank=True),
            help_text=f"field -> column; fields: {', '.join(import_file.TARGETS)}",
        )
        custom_columns = serializers.ListField(child=serializers.CharField(), required=False)
        campaign = serializers.UUIDField(required=False, allow_null=True)
        scope_kind = serializers.ChoiceField(
            choices=["", "marketing", "informational"], required=False, default=""
        )
        tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
        attest = serializers.BooleanField(help_text="You attest: " + import_file.ATTESTATION)

    @extend_schema(
        operation_id="imports_start",
        summary="Confirm the column mapping and sign the attestation; runs (Celery when large)",
        request=InputSerializer,
        responses={200: ImportOut, **ERROR_RESPONSES},
    )
    def post(self, request, import_uuid):
        imp = selectors.contact_import_get(business=self.business, import_uuid=import_uuid)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        imp = services.contact_import_start(
            business=self.business,
            imp=imp,
            mapping=d["mapping"],
            custom_columns=d.get("custom_columns"),
            campaign=_campaign(self.business, d.get("campaign")),
            scope_kind=d.get("scope_kind", ""),
            tags=d.get("tags"),
            attest=d["attest"],
            actor=api_actor(request),
            ip=_ip(request),
        )
        return Response(ImportOut(imp).data)
