"""Run the simulated payment processor (a real HTTP service on loopback)."""

from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand

from devtools.processor import serve


class Command(BaseCommand):
    requires_system_checks: list = []  # a stand-alone service; starts faster without them
    help = "Run the simulated payment processor (see devtools/processor.py for its endpoints)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=urlparse(settings.STRIPE_API_BASE).port)
        parser.add_argument(
            "--webhook-url",
            default=f"{settings.SITE_URL}/webhooks/processor/",
            help="Where its signed webhooks go (our /webhooks/processor/).",
        )

    def handle(self, *args, port, webhook_url, **options):
        self.stdout.write(f"payment processor on http://127.0.0.1:{port} webhooks to {webhook_url}")
        serve(
            port=port,
            secret_key=settings.STRIPE_SECRET_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            webhook_url=webhook_url,
        )
