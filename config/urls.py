from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from accounts import views as account_views
from accounts.security import views as security_views
from config import observability

# Staff sign in to the admin with a password and a TOTP code (django-otp).
admin.site.__class__ = OTPAdminSite

# Django tries patterns in order: the send API (the hottest path, bench_load) first; no two
# of these includes share a first path segment, so the order changes nothing else.
api_v1: list[URLPattern | URLResolver] = [
    path("", include("messaging.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("campaigns.api.urls")),
    path("", include("consent.api.urls")),
    path("", include("consent.audiences.api_urls")),
    path("", include("messaging.media.api_urls")),
    path("", include("messaging.templating.api_urls")),
    path("", include("messaging.reminders.api_urls")),
    path("", include("policies.api.urls")),
    # The schema and its docs page are public, like every public API's reference.
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="api-docs",
    ),
]

urlpatterns = [
    # first: no other pattern starts with api/, and each request walks the list in order
    path("api/v1/", include(api_v1)),
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    # the public opt-in form's submit is the hottest page outside the API (bench_load): its
    # app early, so a submission does not walk every include above it (no two patterns
    # match the same path: tests/test_url_shadowing.py; the order decides nothing else)
    path("", include("consent.urls")),  # /f/<uuid>/ (embeds), /app/contacts/…
    path("", account_views.HomeView.as_view(), name="home"),
    path("signup/", account_views.SignupView.as_view(), name="signup"),
    path(
        "invitations/<str:token>/",
        account_views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        security_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("app/", include("accounts.urls")),
    # The apps below share the root: their paths were published before each app had a
    # prefix of its own (opt-in embeds /f/<uuid>/ on businesses' sites, links in emails,
    # bookmarks) and must not change. No two patterns anywhere may match the same path
    # (tests/test_url_shadowing.py::test_no_url_pattern_shadows_another), so the order of these
    # lines decides nothing.
    path("", include("accounts.privacy.urls")),  # /cookies/, /account/email/…, /email/…
    path("", include("policies.governance_urls")),  # /legal/<policy>/…, /app/compliance/…
    path("", include("accounts.public.urls")),  # /legal/, /legal/plain/…, /help/, /book/, …
    path("", include("policies.urls")),  # /app/policy/…
    path("", include("campaigns.urls")),  # /app/campaigns/…, /app/numbers/…
    path("", include("campaigns.domains.urls")),  # /app/domains/…
    path("", include("consent.audiences.urls")),  # /app/segments/…, /app/contacts/<uuid>/fields/
    path("", include("messaging.urls")),  # /app/messages/…, provider webhooks
    path("", include("messaging.media.urls")),  # /media/s/<signed>/…, /app/media/<uuid>/
    path("", include("messaging.templating.urls")),  # /app/templates/…
    path("", include("accounts.billing.urls")),  # /app/billing/…, /webhooks/processor/
    path("", include("messaging.reminders.urls")),  # /app/reminders/…
    # The Twilio-compatible API where Twilio's clients look for it (messaging/twilio_api).
    path("2010-04-01/", include("messaging.twilio_api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"
handler404 = "config.error_views.not_found"
handler500 = "config.error_views.server_error"
