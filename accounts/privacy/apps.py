from django.apps import AppConfig
from django.core import checks

from accounts.portal import navigation
from accounts.roles import Cap


class PrivacyConfig(AppConfig):
    """Cookies, data-subject rights (export, erasure, marketing opt-out), the usage log and
    retention: the registries every app plugs its data into (README.md)."""

    name = "accounts.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from . import personal_data, retention, services  # they import models: after the registry

        navigation.register(
            navigation.NavItem(92, "Business data", "portal:business-data", Cap.MANAGE_BUSINESS)
        )
        navigation.register(navigation.NavItem(95, "My account", "portal:my-account"))
        retention.register(
            "usage log deleted after RETENTION_USAGE_LOG_DAYS", services.usage_log_purge
        )
        retention.register(
            "closed businesses anonymised after RETENTION_CLOSED_BUSINESS_DAYS",
            services.closed_businesses_purge,
        )
        personal_data.register()  # the register of personal data (inventory.py)
        checks.register(retention.consent_retention_check)
