"""/media/s/<token>/<name> (signed, for the carrier) and /app/media/<uuid>/ (the portal)."""

from django.urls import path

from . import views

app_name = "media"

urlpatterns = [
    path("media/s/<str:token>/<str:name>", views.signed_media, name="signed"),
    path("app/media/<uuid:media_uuid>/", views.MediaView.as_view(), name="file"),
    path(
        "app/media/<uuid:media_uuid>/thumb/",
        views.MediaView.as_view(thumbnail=True),
        name="thumbnail",
    ),
]
