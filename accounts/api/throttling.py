from rest_framework.throttling import SimpleRateThrottle

from accounts.client_ip import client_ip


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (not per IP), so one integration cannot starve the others."""

    scope = "api_key"

    def get_ident(self, request):
        # DRF's own reads X-Forwarded-For from any peer; ours trusts only TRUSTED_PROXIES.
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        key = getattr(request, "auth", None)
        if key is None or not hasattr(key, "prefix"):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}
