"""Check the consent ledger of every business (or --business UUID): the hash chain (the
first broken link), the signed checkpoints of its head (a cut tail), the consent state and
suppression list derived again from it (every row that differs), and erased contacts'
evidence (blank). Exits non-zero when anything is wrong."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Business
from consent.selectors import ledger_verify
from consent.verify import checkpoint_problems, derived_differences, erasure_problems


class Command(BaseCommand):
    help = (
        "Verify the consent ledger: hash chain, signed checkpoints, the state and "
        "suppressions derived from it, erased evidence (all businesses or --business UUID)."
    )

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
            problems = []
            if not report.ok:
                problems.append(
                    f"first broken link is event #{report.first_broken_seq} "
                    f"{report.first_broken_uuid}: {report.reason} "
                    f"({report.checked} events fine before it)"
                )
            problems += checkpoint_problems(business=business)
            problems += derived_differences(business=business)
            problems += erasure_problems(business=business)
            if not problems:
                self.stdout.write(f"OK {business.uuid} {business}: {report.checked} events")
                continue
            failures += 1
            self.stdout.write(f"BROKEN {business.uuid} {business}: {len(problems)} problem(s)")
            for problem in problems:
                self.stdout.write(f"  - {problem}")
        if failures:
            raise CommandError(f"{failures} ledger(s) broken.")
