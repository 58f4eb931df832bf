from django.urls import path

from . import api

urlpatterns = [
    path("media/", api.MediaCreateApi.as_view(), name="api-media"),
    path("media/<uuid:media_uuid>/", api.MediaDetailApi.as_view(), name="api-media-detail"),
]
