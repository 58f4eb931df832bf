from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self) -> None:
        from .privacy_setup import setup

        setup()  # privacy: navigation, retention rules, the consent-retention check
