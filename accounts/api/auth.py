"""API key authentication: ``Authorization: Bearer cyc_<prefix>_<secret>``."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.services import api_key_authenticate


class ApiKeyPrincipal:
    """The caller behind a key: acts for one business with the key's role."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __init__(self, key):
        self.key = key
        self.business = key.business
        self.role = key.role
        self.pk = None

    def __str__(self) -> str:
        return f"api-key:{self.key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            raise exceptions.AuthenticationFailed(
                "Use the header 'Authorization: Bearer <api key>'."
            )
        key = api_key_authenticate(secret=parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or was revoked.")
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
