from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Plans and prices, metered usage, invoices, payments through the processor, dunning
    and the spending cap (README.md). Knows no feature: the apps above report usage down
    to it through ``services`` and read standing through ``selectors``."""

    name = "accounts.billing"
    label = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imports here: the registries and this app's models are ready only now.
        from accounts.portal import navigation
        from accounts.privacy import exports, inventory, retention
        from accounts.roles import Cap

        from . import privacy

        navigation.register(
            navigation.NavItem(88, "Billing", "billing:overview", Cap.MANAGE_BILLING)
        )
        retention.register(privacy.RETENTION_RULE, privacy.billing_records_anonymise)
        exports.register("billing", privacy.business_export_section)
        exports.register_user("billing", privacy.user_export_section)
        for entry in privacy.PERSONAL_DATA:
            inventory.declare(**entry)
        for entry in privacy.NOT_PERSONAL:
            inventory.not_personal(**entry)
