"""Recompute every business's consent ledger chain and name the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Business
from consent.selectors import ledger_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the consent ledger (all businesses or --business UUID)."

    def add_arguments(self, parser):
        parser.add_argument("--business", help="UUID of one business")

    def handle(self, *args, **options):
        businesses = Business.objects.order_by("id")
        if options["business"]:
            businesses = businesses.filter(uuid=options["business"])
            if not businesses.exists():
                raise CommandError("No such business.")
        failures = 0
        for business in businesses:
            report = ledger_verify(business=business)
            if report.ok:
                self.stdout.write(f"OK {business.uuid} {business}: {report.checked} events")
            else:
                failures += 1
                self.stdout.write(
                    f"BROKEN {business.uuid} {business}: first broken link is event "
                    f"#{report.first_broken_seq} {report.first_broken_uuid}: {report.reason} "
                    f"({report.checked} events fine before it)"
                )
        if failures:
            raise CommandError(f"{failures} ledger(s) broken.")
