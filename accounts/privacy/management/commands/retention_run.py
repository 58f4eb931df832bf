"""Run every retention rule now and print what each removed (or, with --dry-run, would)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from accounts.privacy import retention


class Command(BaseCommand):
    help = "Apply the retention rules (RETENTION_* settings); --dry-run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run: bool = False, **options):
        try:
            run = retention.retention_run(dry_run=dry_run, trigger="command")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(f"Retention {'dry run' if dry_run else 'run'} {run.uuid}")
        for name, counts in run.results.items():
            detail = ", ".join(f"{k}={v}" for k, v in counts.items()) or "nothing"
            self.stdout.write(f"  {name}: {verb} {detail}")
        for name, error in run.errors.items():
            self.stderr.write(f"  {name}: FAILED {error}")
        if run.errors:
            raise CommandError(f"{len(run.errors)} retention rule(s) failed; see above.")
