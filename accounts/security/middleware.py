"""Portal pages ask for the second factor: a member who set one up types a code after the
password; a member of a business that requires one and has none is sent to set it up."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from . import services

# Every page a signed-in member uses, the password change included: with the password
# alone, a new password would lock the owner out of the account.
GUARDED = ("/app/", "/account/", "/business/", "/accounts/password/change/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith(GUARDED)
            and not request.path.startswith("/app/security/")
            and not user.is_verified()
        ):
            if services.has_second_factor(user=user):
                target = reverse("portal:second-factor-verify")
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
            if services.business_requires_second_factor(business=request.business):
                return redirect("portal:second-factor-setup")
        return self.get_response(request)
