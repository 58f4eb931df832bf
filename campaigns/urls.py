"""Portal pages of campaigns (under /app/) and the registry's webhook."""

from django.urls import path

from . import views, webhooks

app_name = "campaigns"

urlpatterns = [
    path("app/campaigns/", views.CampaignIndexView.as_view(), name="index"),
    path("app/campaigns/brands/new/", views.BrandCreateView.as_view(), name="brand-new"),
    path("app/campaigns/brands/<uuid:brand_uuid>/", views.BrandDetailView.as_view(), name="brand"),
    path(
        "app/campaigns/brands/<uuid:brand_uuid>/register/",
        views.BrandRegisterView.as_view(),
        name="brand-register",
    ),
    path("app/campaigns/new/", views.CampaignCreateView.as_view(), name="campaign-new"),
    path("app/campaigns/validate/", views.CampaignValidateView.as_view(), name="campaign-validate"),
    path(
        "app/campaigns/<uuid:campaign_uuid>/", views.CampaignDetailView.as_view(), name="campaign"
    ),
    path(
        "app/campaigns/<uuid:campaign_uuid>/edit/",
        views.CampaignEditView.as_view(),
        name="campaign-edit",
    ),
    path(
        "app/campaigns/<uuid:campaign_uuid>/submit/",
        views.CampaignSubmitView.as_view(),
        name="campaign-submit",
    ),
    path(
        "app/campaigns/<uuid:campaign_uuid>/retry/",
        views.CampaignRetryView.as_view(),
        name="campaign-retry",
    ),
    path(
        "app/campaigns/<uuid:campaign_uuid>/appeal/",
        views.CampaignAppealView.as_view(),
        name="campaign-appeal",
    ),
    path(
        "app/campaigns/<uuid:campaign_uuid>/deactivate/",
        views.CampaignDeactivateView.as_view(),
        name="campaign-deactivate",
    ),
    path("app/numbers/", views.NumbersView.as_view(), name="numbers"),
    path("app/numbers/provision/", views.NumberProvisionView.as_view(), name="number-provision"),
    path(
        "app/numbers/<uuid:number_uuid>/assign/",
        views.NumberAssignView.as_view(),
        name="number-assign",
    ),
    path(
        "app/numbers/<uuid:number_uuid>/release/",
        views.NumberReleaseView.as_view(),
        name="number-release",
    ),
    path("webhooks/registry/", webhooks.RegistryWebhookView.as_view(), name="registry-webhook"),
]
