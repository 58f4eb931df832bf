from django.urls import path

from . import views

urlpatterns = [
    path("brands/", views.BrandListApi.as_view(), name="api-brands"),
    path("brands/<uuid:brand_uuid>/", views.BrandDetailApi.as_view(), name="api-brand"),
    path(
        "brands/<uuid:brand_uuid>/register/",
        views.BrandRegisterApi.as_view(),
        name="api-brand-register",
    ),
    path("campaigns/", views.CampaignListApi.as_view(), name="api-campaigns"),
    path("campaigns/<uuid:campaign_uuid>/", views.CampaignDetailApi.as_view(), name="api-campaign"),
    path(
        "campaigns/<uuid:campaign_uuid>/submit/",
        views.CampaignSubmitApi.as_view(),
        name="api-campaign-submit",
    ),
    path(
        "campaigns/<uuid:campaign_uuid>/retry/",
        views.CampaignRetryApi.as_view(),
        name="api-campaign-retry",
    ),
    path(
        "campaigns/<uuid:campaign_uuid>/appeal/",
        views.CampaignAppealApi.as_view(),
        name="api-campaign-appeal",
    ),
    path(
        "campaigns/<uuid:campaign_uuid>/status/",
        views.CampaignStatusApi.as_view(),
        name="api-campaign-status",
    ),
    path("numbers/", views.NumberListApi.as_view(), name="api-numbers"),
    path("numbers/available/", views.NumberAvailableApi.as_view(), name="api-numbers-available"),
    path("numbers/<uuid:number_uuid>/", views.NumberDetailApi.as_view(), name="api-number"),
    path(
        "numbers/<uuid:number_uuid>/assign/",
        views.NumberAssignApi.as_view(),
        name="api-number-assign",
    ),
    path(
        "numbers/<uuid:number_uuid>/release/",
        views.NumberReleaseApi.as_view(),
        name="api-number-release",
    ),
]
