"""Portal pages ask for the second factor: a member who set one up types a code after the
password; a member of a business that requires one and has none is sent to set it up.

The password alone signs in to nothing: until the code is typed, a portal page sends the
member to the code, and every other page (support, booking, sign-in, the legal pages) sees a
visitor, so nothing there is filled in from the account or recorded under it."""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse

from . import services

# Every page a signed-in member uses, the password change included: with the password
# alone, a new password would lock the owner out of the account; an invitation link would
# add the account to another business.
GUARDED = ("/app/", "/account/", "/business/", "/accounts/password/change/", "/invitations/")
# Where the code is typed (and the second factor set up): reached with the password alone.
SECOND_FACTOR_PAGES = "/app/security/"


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(SECOND_FACTOR_PAGES)
            and not user.is_verified()
        ):
            guarded = request.path.startswith(GUARDED)
            if services.has_second_factor(user=user):
                if guarded:
                    target = reverse("portal:second-factor-verify")
                    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
                request.user = AnonymousUser()
                request.business = request.membership = None
            elif guarded and services.business_requires_second_factor(business=request.business):
                return redirect("portal:second-factor-setup")
        return self.get_response(request)
