from django.apps import AppConfig


class TemplatingConfig(AppConfig):
    """Message templates with merge fields (messaging/templating/README.md)."""

    name = "messaging.templating"
    label = "templating"
    verbose_name = "Message templates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portal import navigation
        from accounts.privacy import inventory
        from accounts.roles import Cap

        navigation.register(navigation.NavItem(30, "Templates", "templating:list", Cap.VIEW))
        inventory.not_personal(
            "templating.MessageTemplate",
            ["name", "body", "reasons"],
            reason="the business's own text with merge fields (values are merged at send "
            "time, into the Message), and the content rules' verdict on it",
        )
