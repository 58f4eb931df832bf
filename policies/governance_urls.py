"""Public policy documents (/legal/...) and the portal's acceptance and Compliance pages.

Included in config/urls.py before the public site, so these addresses are served here.
"""

from django.urls import path

from . import governance_views as views

app_name = "governance"

urlpatterns = [
    path("legal/privacy/", views.LegalDocumentView.as_view(kind="privacy"), name="legal-privacy"),
    path("legal/sms-policy/", views.LegalDocumentView.as_view(kind="sms-policy"), name="legal-sms"),
    path("legal/terms/", views.LegalDocumentView.as_view(kind="terms"), name="legal-terms"),
    path(
        "legal/<slug:kind>/v/<str:version>/",
        views.LegalVersionView.as_view(),
        name="legal-version",
    ),
    path("app/legal/accept/", views.AcceptView.as_view(), name="accept"),
    path("app/compliance/", views.ComplianceView.as_view(), name="compliance"),
]
