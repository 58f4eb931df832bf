from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    """Who a business texts: typed contact fields and saved segments
    (consent/audiences/README.md)."""

    name = "consent.audiences"
    label = "audiences"
    verbose_name = "Contact fields and segments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portal import navigation
        from accounts.privacy import inventory
        from accounts.roles import Cap
        from consent import selectors as consent_selectors

        from . import selectors

        # consent's contact writes (portal, API, CSV import) store typed values: they ask
        # this app for the definitions through the source registered here.
        consent_selectors.custom_field_types_source_register(selectors.field_types)
        navigation.register(navigation.NavItem(46, "Segments", "audiences:index", Cap.VIEW))
        inventory.not_personal(
            "audiences.ContactField",
            ["label"],
            reason="the business's name for a field (values live in Contact.custom_fields)",
        )
        inventory.not_personal(
            "audiences.Segment",
            ["name", "filters"],
            reason="the business's saved filter: tags, field conditions, day counts",
        )
