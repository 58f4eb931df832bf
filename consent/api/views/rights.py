"""Data-subject rights: export and erase, by contact or by phone."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, api_actor
from accounts.errors import NotFound
from accounts.roles import Cap
from consent import selectors, services, subject

from .common import ContactOut, _ip


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
