from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portal import navigation, readiness
        from accounts.roles import Cap

        from . import panels
        from . import readiness as steps

        readiness.register(steps.brand_step)
        readiness.register(steps.campaign_step)
        readiness.register(steps.number_step)
        navigation.register(navigation.NavItem(50, "Campaigns", "campaigns:index", Cap.VIEW))
        navigation.register(navigation.NavItem(52, "Numbers", "campaigns:numbers", Cap.VIEW))
        panels.register()  # dashboard: rejected or suspended campaigns

        from . import privacy

        privacy.register()  # its fields in the register of personal data

        from . import webhook_events

        webhook_events.register()  # campaign and number events (accounts.events' catalog)
