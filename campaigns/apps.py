from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import navigation, readiness
        from accounts.roles import Cap

        from . import readiness as steps

        readiness.register(steps.brand_step)
        readiness.register(steps.campaign_step)
        readiness.register(steps.number_step)
        navigation.register(navigation.NavItem(30, "Campaigns", "campaigns:index", Cap.VIEW))
        navigation.register(navigation.NavItem(35, "Numbers", "campaigns:numbers", Cap.VIEW))
