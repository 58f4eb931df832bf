from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public site: legal pages, the glossary, booking a call, support requests
    (README.md). The landing page is ``home`` (accounts.views, mounted in config/urls.py)."""

    name = "accounts.public"
    label = "public"
    verbose_name = "Public site"
