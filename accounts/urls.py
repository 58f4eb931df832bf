from django.urls import path

from . import views
from .privacy import urls as privacy_urls
from .security import urls as security_urls

app_name = "portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("no-business/", views.NoBusinessView.as_view(), name="no-business"),
    path("switch/", views.SwitchBusinessView.as_view(), name="switch-business"),
    path("business/", views.BusinessProfileView.as_view(), name="business"),
    path("team/", views.TeamView.as_view(), name="team"),
    path("team/<uuid:membership_uuid>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path(
        "team/<uuid:membership_uuid>/remove/",
        views.MemberRemoveView.as_view(),
        name="member-remove",
    ),
    path(
        "team/invitations/<uuid:invitation_uuid>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("api-keys/", views.ApiKeysView.as_view(), name="api-keys"),
    path(
        "api-keys/<uuid:key_uuid>/revoke/", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"
    ),
    path("api-keys/twilio/token/", views.TwilioTokenView.as_view(), name="twilio-token"),
    path("api-keys/twilio/inbound/", views.TwilioInboundView.as_view(), name="twilio-inbound"),
]

urlpatterns += privacy_urls.portal_urlpatterns  # my account, business export/close (privacy)
urlpatterns += security_urls.portal_urlpatterns  # second factor (accounts.security)
