"""Celery tasks of privacy (thin: they call services)."""

from celery import shared_task

from . import retention


# The name from before the privacy split: beat's schedule and any queued call still use it.
@shared_task(name="accounts.tasks.retention_run_task")
def retention_run_task(dry_run: bool = False) -> str:
    """Beat's daily retention run; returns the RetentionRun uuid."""
    return str(retention.retention_run(dry_run=dry_run, trigger="beat").uuid)
