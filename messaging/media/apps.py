from django.apps import AppConfig


class MediaConfig(AppConfig):
    """MMS media: pictures and contact cards carried by messages (messaging/media/README.md)."""

    name = "messaging.media"
    label = "media"
    verbose_name = "MMS media"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import privacy

        privacy.register()  # erasure, export and retention delete / include the files
