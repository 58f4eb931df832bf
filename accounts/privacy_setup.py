"""Wires the privacy features in, from AccountsConfig.ready(): navigation, retention rules,
and a system check that refuses a consent retention under the legal minimum."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import navigation, privacy, retention
from .roles import Cap


def consent_retention_check(app_configs, **kwargs):
    try:
        retention.consent_years()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="accounts.E001")]
    return []


def setup() -> None:
    navigation.register(
        navigation.NavItem(92, "Business data", "portal:business-data", Cap.MANAGE_BUSINESS)
    )
    navigation.register(navigation.NavItem(95, "My account", "portal:my-account"))
    retention.register("usage log deleted after RETENTION_USAGE_LOG_DAYS", privacy.usage_log_purge)
    retention.register(
        "closed businesses anonymised after RETENTION_CLOSED_BUSINESS_DAYS",
        privacy.closed_businesses_purge,
    )
    checks.register(consent_retention_check)
