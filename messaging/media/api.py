"""REST API of media: upload a file (multipart ``file``, JSON base64, or a ``url`` the product
fetches once), read one. A message then carries it by id (``media`` on POST /messages/)."""

import base64
import binascii

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView
from accounts.errors import ValidationFailed
from accounts.roles import Cap

from . import selectors, services


class MediaSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(help_text="Give it in `media` when sending a message.")
    origin = serializers.CharField(
        source="source", help_text="upload, url or inbound (a client's picture)."
    )
    content_type = serializers.CharField(help_text="Decided by the content, not the name.")
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes as stored and sent (after resizing).")
    original_size = serializers.IntegerField()
    sha256 = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    had_location = serializers.BooleanField(
        help_text="The original carried GPS coordinates; they were removed."
    )
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(
        help_text="A signed link to download the file, valid for MEDIA_URL_MAX_AGE seconds."
    )

    def get_url(self, obj) -> str:
        return selectors.media_signed_url(obj)


MEDIA_EXAMPLE = {
    "uuid": "5d0c3b5e-2f6a-4d1b-9c8e-7a1f2e3d4c5b",
    "origin": "upload",
    "content_type": "image/jpeg",
    "name": "smile.jpg",
    "size": 183402,
    "original_size": 2811034,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "width": 1280,
    "height": 960,
    "had_location": True,
    "created_at": "2026-11-28T15:00:00Z",
    "url": "https://portal.example.com/media/s/eyJtIjoiNWQwYz…/5d0c3b5e2f6a.jpg",
}


class MediaCreateApi(TenantAPIView):
    """POST a file: multipart ``file``; or JSON ``{"url"}`` (fetched once) or
    ``{"name", "content_base64"}``."""

    required_cap = Cap.SEND
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        operation_id="media_upload",
        summary="Store a picture (JPEG, PNG, GIF) or a contact card for an MMS",
        description=(
            "The type is decided by the file's content (the allow-list staff keep); pictures "
            "lose their EXIF and location data and are resized and recompressed to "
            f"{settings.MEDIA_IMAGE_TARGET_BYTES:,} bytes when larger. A `url` is fetched "
            "once, over the public internet only (no private, loopback or link-local "
            "addresses), with a time-out and a size limit. Send the returned `uuid` in "
            "`media` of POST /messages/."
        ),
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "application/json": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "name": {"type": "string"},
                    "content_base64": {"type": "string"},
                },
            },
        },
        responses={201: MediaSerializer, **ERROR_RESPONSES},
        examples=[OpenApiExample("Stored", value=MEDIA_EXAMPLE, response_only=True)],
    )
    def post(self, request):
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            media = services.media_create(
                business=self.business,
                data=upload.read(settings.MEDIA_UPLOAD_MAX_BYTES + 1),
                name=upload.name or "",
            )
            return Response(MediaSerializer(media).data, status=201)
        if not isinstance(request.data, dict):
            raise ValidationFailed("Send a file, or a JSON object with url or content_base64.")
        url = request.data.get("url")
        if url:
            media = services.media_from_url(business=self.business, url=str(url), field="url")
            return Response(MediaSerializer(media).data, status=201)
        try:
            data = base64.b64decode(str(request.data.get("content_base64", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(fields={"content_base64": ["Not base64."]}) from exc
        if not data:
            raise ValidationFailed(fields={"file": ["Send a file, a url or content_base64."]})
        media = services.media_create(
            business=self.business,
            data=data,
            name=str(request.data.get("name", "")),
            field="content_base64",
        )
        return Response(MediaSerializer(media).data, status=201)


class MediaDetailApi(TenantAPIView):
    required_cap = Cap.VIEW

    @extend_schema(operation_id="media_get", responses={200: MediaSerializer, **ERROR_RESPONSES})
    def get(self, request, media_uuid):
        media = selectors.media_get(business=self.business, media_uuid=media_uuid)
        return Response(MediaSerializer(media).data)
