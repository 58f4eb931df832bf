"""The API base: every tenant endpoint inherits TenantAPIView.

``self.business`` is the API key's business; ids in URLs go through selectors that take
it. Errors from services (ApplicationError) become the one error shape.
"""

import copy
from typing import TYPE_CHECKING

from drf_spectacular.utils import OpenApiResponse
from rest_framework import generics
from rest_framework.views import APIView

from accounts.roles import Cap

from .errors import ErrorSerializer

ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorSerializer, description="Missing, wrong or revoked API key."),
    403: OpenApiResponse(ErrorSerializer, description="The key's role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or another business's)."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests for this key."),
}


def api_actor(request):
    """Audit "who" for API calls: the person who created the API key."""
    return getattr(request.auth, "created_by", None)


class PrototypeFields:
    """For a serializer on a hot path (the send API): its fields are copied from prototypes
    built once per class instead of deep-copied, that is re-constructed, for every instance
    (DRF's ``get_fields``: about a tenth of a send's CPU). A shallow copy is enough: what a
    field learns about its serializer (``bind``: name, parent, source) goes into the copy's
    own attributes. Put it before ``serializers.Serializer`` in the bases."""

    def get_fields(self):
        cls = type(self)
        prototypes = cls.__dict__.get("_prototype_fields")
        if prototypes is None:
            prototypes = super().get_fields()  # type: ignore[misc]
            cls._prototype_fields = prototypes  # type: ignore[attr-defined]
        return {name: copy.copy(field) for name, field in prototypes.items()}


# Creates and renames that can meet a name, key or record the business already has.
ERRORS_WITH_CONFLICT = {**ERROR_RESPONSES, 409: ERROR_RESPONSES[400]}


if TYPE_CHECKING:
    # The mixin's initial extends the view's; at run time the APIView it is mixed into
    # supplies it, later in the MRO.
    _APIViewBase = APIView
else:
    _APIViewBase = object


class TenantMixin(_APIViewBase):
    required_cap: Cap = Cap.VIEW
    write_cap: Cap | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.business = request.user.business
        self.api_key = request.auth


class TenantAPIView(TenantMixin, APIView):
    pass


class TenantListAPIView(TenantMixin, generics.ListAPIView):
    pass
