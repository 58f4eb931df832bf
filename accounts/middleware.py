"""Sets request.business and request.membership from the member's session."""

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
        return self.get_response(request)
