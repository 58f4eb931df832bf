"""The usage log: page views of logged-in members, only with performance consent."""

import logging

from django.conf import settings

from accounts.client_ip import client_ip

from .cookies import PERFORMANCE, consent_allows
from .services import usage_log_record

logger = logging.getLogger(__name__)


class UsageLogMiddleware:
    """Records successful HTML page views; nothing without the browser's consent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and response.status_code == 200
            and user is not None
            and user.is_authenticated
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(settings.USAGE_LOG_SKIP_PREFIXES)
            and consent_allows(request, PERFORMANCE)
        ):
            try:
                usage_log_record(
                    user=user,
                    business=getattr(request, "business", None),
                    path=request.path,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    ip=client_ip(request),
                )
            except Exception:  # analytics must never break the page the member asked for
                logger.exception("Usage log write failed")
        return response
