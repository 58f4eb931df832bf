"""URLs of the privacy pages: public ones here (config/urls.py), portal ones under /app/."""

from django.urls import path

from . import views

# Public: included from config/urls.py at "".
urlpatterns = [
    path("cookies/", views.CookieSettingsView.as_view(), name="cookie-settings"),
    path("cookies/consent/", views.CookieConsentView.as_view(), name="cookie-consent"),
    path(
        "account/email/confirm/<str:token>/",
        views.EmailChangeConfirmView.as_view(),
        name="email-change-confirm",
    ),
    path(
        "email/unsubscribe/<str:token>/",
        views.MarketingUnsubscribeView.as_view(),
        name="marketing-unsubscribe",
    ),
]

# Portal: appended to accounts/urls.py (namespace "portal").
portal_urlpatterns = [
    path("account/", views.MyAccountView.as_view(), name="my-account"),
    path("account/email/", views.EmailChangeView.as_view(), name="my-account-email"),
    path(
        "account/marketing/", views.MarketingPreferenceView.as_view(), name="my-account-marketing"
    ),
    path("account/export/", views.AccountExportView.as_view(), name="my-account-export"),
    path("account/delete/", views.AccountDeleteView.as_view(), name="my-account-delete"),
    path("business/data/", views.BusinessDataView.as_view(), name="business-data"),
    path("business/data/export/", views.BusinessExportView.as_view(), name="business-export"),
    path("business/data/close/", views.BusinessCloseView.as_view(), name="business-close"),
]
