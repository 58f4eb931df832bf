from django.urls import path

from . import views

# Mounted under /app/ in the portal's namespace (accounts/urls.py); the second-factor
# middleware lets /app/security/ through, each view guards itself.
portal_urlpatterns = [
    path("security/", views.SecurityView.as_view(), name="second-factor"),
    path("security/setup/", views.SetupView.as_view(), name="second-factor-setup"),
    path("security/verify/", views.VerifyView.as_view(), name="second-factor-verify"),
    path("security/recovery/", views.RecoveryCodesView.as_view(), name="second-factor-recovery"),
    path("security/disable/", views.DisableView.as_view(), name="second-factor-disable"),
    path("security/team/", views.TeamRequirementView.as_view(), name="second-factor-team"),
]
