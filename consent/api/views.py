"""REST API of consent: contacts, consent events, opt-in forms, imports, proof, data rights.

Thin: parse, call one service or selector, serialize. Errors (ApplicationError, DRF
validation) come out in the one error shape.
"""

import base64
import binascii
import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView, api_actor
from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.client_ip import client_ip
from accounts.errors import NotFound, ValidationFailed
from accounts.roles import Cap
from accounts.services import audit_record
from consent import import_file, selectors, services, subject
from consent.models import EventKind, Method
from messaging.services import double_opt_in_send_for_event


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


# --- contacts ------------------------------------------------------------------------------


class ContactListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS
    serializer_class = ContactOut

    def get_queryset(self):
        params = self.request.query_params
        return selectors.contact_list(
            business=self.business,
            search=params.get("search", ""),
            tag=params.get("tag", ""),
            status=params.get("status", ""),
        )

    @extend_schema(
        operation_id="contacts_list",
        summary="Contacts (filters: search, tag, status=opted_in|pending|opted_out|none)",
        parameters=[
            OpenApiParameter("search", str),
            OpenApiParameter("tag", str),
            OpenApiParameter("status", str),
        ],
        responses={200: ContactOut(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="contacts_create",
        summary="Add a contact (consent is recorded separately, with evidence)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ContactIn,
        responses={201: ContactOut, 409: ERROR_RESPONSES[400], **ERROR_RESPONSES},
    )
    @idempotent("contacts_create", resource="contact")
    def post(self, request):
        data = ContactIn(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_create(
            business=self.business, actor=api_actor(request), source="api", **data.validated_data
        )
        return Response(ContactOut(contact).data, status=201)


class ContactDetailApi(TenantAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS

    @extend_schema(operation_id="contacts_get", responses={200: ContactOut, **ERROR_RESPONSES})
    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        return Response(ContactOut(contact).data)

    @extend_schema(
        operation_id="contacts_update",
        request=ContactPatch,
        responses={200: ContactOut, **ERROR_RESPONSES},
    )
    def patch(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        data = ContactPatch(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        contact = services.contact_update(
            business=self.business, contact=contact, actor=api_actor(request), **data.validated_data
        )
        return Response(ContactOut(contact).data)


class ContactConsentApi(TenantAPIView):
    """A contact's ledger entries; POST records an opt-in or an opt-out with evidence."""

    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["opt_in", "opt_out"])
        # KEYWORD is recorded by the inbound webhook only (the person's own text is the
        # evidence); SIGNED_RECORD carries the file in ``signed_record``
        method = serializers.ChoiceField(
            choices=[Method.API, Method.VERBAL_SCRIPT, Method.WEB_FORM, Method.SIGNED_RECORD],
            default=Method.API,
        )
        campaign = serializers.UUIDField(required=False, allow_null=True)
        kind = serializers.ChoiceField(
            choices=["marketing", "informational"], required=False, allow_null=True
        )
        double_opt_in = serializers.BooleanField(default=True)
        scope_all = serializers.BooleanField(default=False)
        evidence = EvidenceIn(required=False)
        signed_record = SignedRecordIn(required=False)

    @extend_schema(
        operation_id="contacts_consent_list",
        responses={200: EventOut(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        events = selectors.consent_events(business=self.business, contact=contact)
        return Response(EventOut(events, many=True).data)

    @extend_schema(
        operation_id="contacts_consent_record",
        summary="Record an opt-in (with evidence; double opt-in by default) or an opt-out",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=InputSerializer,
        responses={201: EventOut, 200: EventOut, **ERROR_RESPONSES},
    )
    @idempotent("contacts_consent_record", resource="consent_event")
    def post(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        campaign = _campaign(self.business, d.get("campaign"))
        evidence = dict(d.get("evidence") or {})
        evidence.setdefault("ip", None)
        evidence["recorded_by_label"] = str(request.user)
        if d["action"] == "opt_out":
            event = services.consent_record_opt_out(
                business=self.business,
                contact=contact,
                method=d["method"],
                scope_all=d["scope_all"] or campaign is None,
                campaign=campaign,
                evidence=evidence,
                actor=api_actor(request),
            )
            created = True
        elif d["method"] == Method.SIGNED_RECORD:
            record = d.get("signed_record")
            if not record:
                raise ValidationFailed(
                    "A signed record needs its file.",
                    fields={"signed_record": ["Send filename and content_base64."]},
                )
            event = services.consent_record_signed(
                business=self.business,
                contact=contact,
                campaign=campaign,
                kind=d.get("kind"),
                filename=record["filename"],
                content=record["content"],
                content_type=record.get("content_type", ""),
                disclosure_text=evidence.get("disclosure_text", ""),
                consented_at=evidence.get("consented_at"),
                source=evidence.get("source", ""),
                recorded_by_label=evidence["recorded_by_label"],
                actor=api_actor(request),
            )
            created = event.was_created
        else:
            event = services.consent_record_opt_in(
                business=self.business,
                contact=contact,
                method=d["method"],
                campaign=campaign,
                kind=d.get("kind"),
                evidence=evidence,
                double_opt_in=d["double_opt_in"],
                actor=api_actor(request),
            )
            created = event.was_created
            if created and event.kind == EventKind.OPT_IN:
                double_opt_in_send_for_event(business=self.business, contact=contact, event=event)
        audit_record(
            action=f"consent.{d['action']}_record",
            obj=contact,
            actor=api_actor(request),
            business=self.business,
            ip=_ip(request),
            detail={"event": str(event.uuid), "via": str(request.user), "created": created},
        )
        event = selectors.consent_event_get(business=self.business, event_uuid=event.uuid)
        return Response(EventOut(event).data, status=201 if created else 200)


class ConsentEventListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    serializer_class = EventOut

    def get_queryset(self):
        params = self.request.query_params
        campaign = _campaign(self.business, params.get("campaign"))
        since = _when(params.get("since"), "since")
        until = _when(params.get("until"), "until")
        return selectors.consent_events(
            business=self.business, campaign=campaign, since=since, until=until
        )

    @extend_schema(
        operation_id="consent_events_list",
        summary="The consent ledger (filters: campaign, since, until as ISO dates)",
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.UUID),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ],
        responses={200: EventOut(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _when(value, name):
    if not value:
        return None
    field = serializers.DateTimeField()
    try:
        return field.to_internal_value(value)
    except serializers.ValidationError as exc:
        raise ValidationFailed(fields={name: ["Give an ISO 8601 date and time."]}) from exc


class ConsentProofApi(TenantAPIView):
    """Consent evidence for carriers: JSON (default) or CSV."""

    required_cap = Cap.VIEW

    @extend_schema(
        operation_id="consent_proof",
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.UUID),
            OpenApiParameter("contact", OpenApiTypes.UUID),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
            # not "format": DRF keeps that name for its renderer choice
            OpenApiParameter("export", str, enum=["json", "csv"]),
        ],
        responses={
            (200, "application/json"): EventOut(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            **ERROR_RESPONSES,
        },
    )
    def get(self, request):
        params = request.query_params
        contact = None
        if params.get("contact"):
            contact = selectors.contact_get(
                business=self.business, contact_uuid=_uuid_param(params["contact"], "contact")
            )
        events = list(
            selectors.consent_events(
                business=self.business,
                contact=contact,
                campaign=_campaign(self.business, params.get("campaign")),
                since=_when(params.get("since"), "since"),
                until=_when(params.get("until"), "until"),
            )[:20000]
        )
        audit_record(
            action="consent.proof_export",
            actor=api_actor(request),
            business=self.business,
            ip=_ip(request),
            object_type="consent.ConsentEvent",
            object_id="api",
            detail={"events": len(events), "via": str(request.user)},
        )
        if params.get("export") == "csv":
            response = HttpResponse(subject.events_csv(events), content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="consent-proof.csv"'
            return response
        return Response([subject.event_record(e) for e in events])


# --- data-subject rights -------------------------------------------------------------------


class ContactExportApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(
        operation_id="contacts_export",
        summary="Everything held about the contact (contact, consents, messages)",
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        services.contact_export_record(
            business=self.business, contact=contact, actor=api_actor(request), ip=_ip(request)
        )
        return Response(subject.export_bundle(business=self.business, contact=contact))


class ContactEraseApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(
        operation_id="contacts_erase",
        summary="Erase the person (anonymised; the suppression hash is kept)",
        request=None,
        responses={200: ContactOut, **ERROR_RESPONSES},
    )
    def post(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        contact = services.contact_erase(
            business=self.business, contact=contact, actor=api_actor(request), ip=_ip(request)
        )
        return Response(ContactOut(contact).data)


class PhoneIn(serializers.Serializer):
    phone = serializers.CharField(max_length=40)


def _contact_by_phone(business, phone):
    contact = selectors.contact_for_phone(business=business, phone=phone)
    if contact is None:
        raise NotFound("No contact holds this number.")
    return contact


class SubjectExportApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(
        operation_id="data_subject_export",
        summary="Everything held about a phone number",
        request=PhoneIn,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def post(self, request):
        data = PhoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        contact = _contact_by_phone(self.business, data.validated_data["phone"])
        services.contact_export_record(
            business=self.business, contact=contact, actor=api_actor(request), ip=_ip(request)
        )
        return Response(subject.export_bundle(business=self.business, contact=contact))


class SubjectEraseApi(TenantAPIView):
    required_cap = Cap.MANAGE_CONTACTS

    @extend_schema(
        operation_id="data_subject_erase",
        summary="Erase everything about a phone number (the suppression hash is kept)",
        request=PhoneIn,
        responses={200: ContactOut, **ERROR_RESPONSES},
    )
    def post(self, request):
        data = PhoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        contact = _contact_by_phone(self.business, data.validated_data["phone"])
        contact = services.contact_erase(
            business=self.business, contact=contact, actor=api_actor(request), ip=_ip(request)
        )
        return Response(ContactOut(contact).data)


# --- opt-in forms --------------------------------------------------------------------------


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


# --- imports -------------------------------------------------------------------------------


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
