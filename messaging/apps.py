from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from . import metrics, privacy

        privacy.register()
        metrics.register()  # /metrics: queue depth, sends, callbacks (accounts.metrics)
