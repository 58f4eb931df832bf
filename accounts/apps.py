from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tenancy"

    def ready(self) -> None:
        # The public site and privacy may not import each other (import-linter contract
        # accounts-sub-apps): their tenant base puts visitors' requests into privacy's
        # registries. Imports here: both import models, ready only after the app registry.
        from .privacy import exports, inventory, retention
        from .public import services as public

        retention.register(public.RETENTION_RULE, public.visitor_requests_purge)
        exports.register_user("public_requests", public.member_requests_export)
        for entry in public.PERSONAL_DATA:
            inventory.declare(**entry)
