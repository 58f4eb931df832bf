"""Run the simulated carrier (a real HTTP service on loopback)."""

from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand

from devtools.carrier import serve
from messaging.providers.signing import carrier_secret


class Command(BaseCommand):
    requires_system_checks: list = []  # a stand-alone service; starts faster without them
    help = "Run the simulated carrier on 127.0.0.1 (see devtools/carrier.py for its endpoints)."

    def add_arguments(self, parser):
        default_port = urlparse(settings.CARRIER_URL).port or 8025
        parser.add_argument("--port", type=int, default=default_port)
        parser.add_argument("--audit-log", default=settings.CARRIER_AUDIT_LOG)
        parser.add_argument(
            "--webhook-base",
            default=settings.MESSAGING_WEBHOOK_BASE_URL,
            help="Our base URL, where inbound texts are posted (/webhooks/carrier/inbound/).",
        )

    def handle(self, *args, port, audit_log, webhook_base, **options):
        self.stdout.write(f"carrier on http://127.0.0.1:{port} audit log {audit_log}")
        serve(
            host="127.0.0.1",
            port=port,
            audit_log=audit_log,
            secret=carrier_secret(),
            webhook_base=webhook_base,
        )
