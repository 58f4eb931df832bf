"""Serving files: to the carrier through a signed, expiring URL (no login: the signature
is the key), and to the business's members in the portal (tenant-scoped)."""

from django.http import FileResponse, Http404, HttpRequest
from django.views import View
from django.views.decorators.http import require_safe

from accounts.roles import Cap
from accounts.tenancy import TenantMixin

from . import selectors
from .models import MediaObject


def _file_response(media: MediaObject, *, thumbnail: bool = False) -> FileResponse:
    field = media.thumbnail if thumbnail and media.thumbnail else media.file
    try:
        handle = field.open("rb")
    except (OSError, FileNotFoundError) as exc:  # erased from storage: gone for everyone
        raise Http404("No such media.") from exc
    response = FileResponse(
        handle,
        content_type="image/jpeg" if field is media.thumbnail else media.content_type,
    )
    ext = (field.name or "").rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="{media.uuid.hex[:12]}.{ext}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # nothing in a file may run or load anything (the browser's own image viewer styles
    # the page inline, hence style-src)
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response


@require_safe
def signed_media(request: HttpRequest, token: str, name: str) -> FileResponse:
    """GET or HEAD (Twilio asks both) of a file by its signed token; a wrong or expired
    signature is a 404 like a missing file."""
    media = selectors.media_from_token(token)
    if media is None:
        raise Http404("No such media.")
    return _file_response(media)


class MediaView(TenantMixin, View):
    """A file of the business, for its members (the inbox, the composer's preview)."""

    required_cap = Cap.VIEW
    thumbnail = False

    def get(self, request, media_uuid):
        media = selectors.media_get(business=self.business, media_uuid=media_uuid)
        return _file_response(media, thumbnail=self.thumbnail)
