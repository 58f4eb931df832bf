from django.apps import AppConfig


class DomainsConfig(AppConfig):
    """Verified link domains: a business proves it controls a domain before links to it
    count as its own (campaigns/domains/README.md)."""

    name = "campaigns.domains"
    label = "domains"
    verbose_name = "Link domains"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from policies import services as policies

        from . import selectors

        # policies sits below campaigns: the link check asks this app which domains are
        # proven through the source it registers here.
        policies.verified_domains_source_register(selectors.verified_domains)
