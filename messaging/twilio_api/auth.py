"""HTTP Basic as Twilio's clients send it: ``AccountSid:AuthToken`` (the admin role) or
``ApiKeySid:Secret`` (the key's role); mapped to our tenancy by accounts.services."""

import base64
import binascii

from rest_framework import authentication, exceptions

from accounts.services import twilio_authenticate

REALM = 'Basic realm="Twilio API"'


class TwilioPrincipal:
    """The caller: acts for one business with a role, like an API key."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    pk = None

    def __init__(self, business, role: str, label: str) -> None:
        self.business = business
        self.role = role
        self.label = label

    def __str__(self) -> str:
        return f"twilio:{self.label}"


class TwilioCredential:
    """``request.auth``: what the per-key throttle counts by (its ``prefix``)."""

    def __init__(self, label: str) -> None:
        self.prefix = label


class TwilioBasicAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        scheme, _, encoded = header.partition(b" ")
        if scheme.lower() != b"basic":
            raise exceptions.AuthenticationFailed(
                "Use HTTP Basic: your account SID and auth token, or an API key SID and secret."
            )
        try:
            username, _, password = (
                base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("The Basic credentials are malformed.") from None
        found = twilio_authenticate(username=username, password=password)
        if found is None:
            raise exceptions.AuthenticationFailed(
                "Authenticate: these credentials are not valid or were revoked."
            )
        business, role, label = found
        return TwilioPrincipal(business, role, label), TwilioCredential(label)

    def authenticate_header(self, request):
        return REALM
