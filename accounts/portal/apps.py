from django.apps import AppConfig

from accounts.roles import Cap

from . import dashboard, navigation


class PortalConfig(AppConfig):
    """The portal shell: navigation, the dashboard's panels and readiness steps (registries
    the feature apps plug into), charts and help terms. Knows no feature (README.md)."""

    name = "accounts.portal"
    label = "portal"
    verbose_name = "Portal shell"

    def ready(self) -> None:
        from . import readiness  # it imports accounts.models: after the app registry

        # The tenant base's own pages and step (accounts sits below the shell).
        navigation.register(navigation.NavItem(10, "Dashboard", "portal:dashboard"))
        navigation.register(navigation.NavItem(80, "Team", "portal:team"))
        navigation.register(
            navigation.NavItem(72, "API keys", "portal:api-keys", Cap.MANAGE_API_KEYS)
        )
        navigation.register(navigation.NavItem(90, "Business", "portal:business"))
        readiness.register(readiness.vetting_step)
        dashboard.register(
            dashboard.Panel(
                10,
                "accounts/panels/attention.html",
                dashboard.attention_context,
                "What needs attention",
            )
        )
