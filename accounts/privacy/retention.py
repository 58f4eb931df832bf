"""Retention: rules that remove or anonymise old data, run together and recorded.

Apps register their rules from ``AppConfig.ready()``:

    from accounts.privacy import retention
    retention.register("message bodies anonymised", purge_bodies)

A rule is called as ``rule(now=now, dry_run=dry_run)`` and returns a dict of counts
(what it removed, or with ``dry_run`` what it would remove, changing nothing). Each rule
runs in its own transaction; one failing rule is recorded and the others still run.
Celery beat runs them daily (``accounts.privacy.tasks.retention_run_task``); so does
``python manage.py retention_run [--dry-run]``. Every run is a ``RetentionRun`` row.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .models import RetentionRun

logger = logging.getLogger(__name__)

CONSENT_YEARS_MINIMUM = 5  # FTC TSR 16 CFR 310.5: consent records kept five years

Rule = Callable[..., dict]
_rules: dict[str, Rule] = {}


def register(name: str, rule: Rule) -> None:
    _rules[name] = rule


def rule_names() -> list[str]:
    return list(_rules)


def consent_years() -> int:
    """RETENTION_CONSENT_YEARS, refusing anything under the legal five years."""
    years = int(settings.RETENTION_CONSENT_YEARS)
    if years < CONSENT_YEARS_MINIMUM:
        raise ImproperlyConfigured(
            f"RETENTION_CONSENT_YEARS is {years}: consent records must be kept at least "
            f"{CONSENT_YEARS_MINIMUM} years (FTC Telemarketing Sales Rule)."
        )
    return years


def consent_retention_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """System check (registered by PrivacyConfig): a consent retention under the minimum."""
    try:
        consent_years()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="accounts.E001")]
    return []


def settings_snapshot() -> dict:
    """Every RETENTION_* setting, as the run used it."""
    return {k: getattr(settings, k) for k in sorted(dir(settings)) if k.startswith("RETENTION_")}


def retention_run(
    *, dry_run: bool = False, now: datetime | None = None, trigger: str = "command"
) -> RetentionRun:
    """Run every registered rule and record what each removed (or would remove)."""
    consent_years()  # refuse to run at all under a configuration below the legal minimum
    now = now or timezone.now()
    run = RetentionRun.objects.create(
        started_at=timezone.now(),
        dry_run=dry_run,
        trigger=trigger,
        settings_snapshot=settings_snapshot(),
    )
    results: dict[str, dict] = {}
    errors: dict[str, str] = {}
    for name, rule in list(_rules.items()):
        try:
            with transaction.atomic():
                counts = rule(now=now, dry_run=dry_run)
                if dry_run:
                    # belt and braces: whatever a rule did in a dry run is undone
                    transaction.set_rollback(True)
            results[name] = {k: int(v) for k, v in (counts or {}).items()}
        except Exception as exc:
            logger.exception("Retention rule %r failed", name)
            errors[name] = f"{type(exc).__name__}: {exc}"
    run.results = results
    run.errors = errors
    run.finished_at = timezone.now()
    run.save(update_fields=["results", "errors", "finished_at"])
    return run
