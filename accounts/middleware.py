"""Sets request.business and request.membership from the member's session, and shows the
portal's times in the business's time zone (a salon in Phoenix reads "9:00 AM" for its
9 a.m., not the server's UTC; a time typed in a form is read in that zone too)."""

import zoneinfo

from django.utils import timezone

from .selectors import membership_for

SESSION_KEY = "current_business"


class CurrentBusinessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.business = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = membership_for(user=user, business_uuid=request.session.get(SESSION_KEY))
            if membership is not None:
                request.membership = membership
                request.business = membership.business
                zone = _zone(membership.business.time_zone)
                if zone is not None:
                    with timezone.override(zone):
                        return self.get_response(request)
        return self.get_response(request)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # a zone saved before zones were validated: the server's
