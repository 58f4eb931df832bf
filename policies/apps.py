from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portal import navigation
        from accounts.roles import Cap

        from . import panels

        navigation.register(navigation.NavItem(60, "Policy", "policies:overview", Cap.VIEW))
        panels.register()  # dashboard: a sending hold, active strikes

        from .governance_views import register_hooks

        register_hooks()

        from . import metrics

        metrics.register()  # /metrics: today's send outcomes (accounts.metrics)

        from . import privacy

        privacy.register()  # its fields in the register of personal data
