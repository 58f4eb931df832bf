"""Security headers for every response: a strict Content-Security-Policy by default.

A view that needs another policy (the embeddable opt-in form sets its own
frame-ancestors) sets the header itself; this middleware never overwrites it.
"""

DEFAULT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI (served from our own static files) styles itself inline.
DOCS_CSP = DEFAULT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# Django's admin uses a few inline styles too.
ADMIN_CSP = DOCS_CSP


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            path = request.path
            if path.startswith("/api/v1/docs"):
                policy = DOCS_CSP
            elif path.startswith("/admin/"):
                policy = ADMIN_CSP
            else:
                policy = DEFAULT_CSP
            response["Content-Security-Policy"] = policy
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
