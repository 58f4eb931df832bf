"""Contacts, their consent, consent events and consent proof."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView, api_actor
from accounts.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from accounts.errors import ValidationFailed
from accounts.roles import Cap
from accounts.services import audit_record
from consent import selectors, services, subject
from consent.models import EventKind, Method
from messaging.services import double_opt_in_send_for_event

from .common import (
    ContactIn,
    ContactOut,
    ContactPatch,
    EventOut,
    EvidenceIn,
    SignedRecordIn,
    _campaign,
    _ip,
    _uuid_param,
)


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
