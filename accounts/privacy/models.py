"""Privacy's records: cookie choices (append-only), the usage log, retention runs.

Moved from accounts with their tables (``db_table``), so the data and the append-only
trigger on ``accounts_cookieconsentrecord`` (accounts.db) stay where they were.
"""

import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Business, User


class CookieConsentRecord(models.Model):
    """One cookie choice made in a browser. Append-only (code and database): the record kept.

    ``browser_id`` is the id in the consent cookie, so later changes in one browser link up.
    The IP is stored anonymised (IPv4 /24, IPv6 /48); the user link is detached on erasure.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    browser_id = models.UUIDField(db_index=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="cookie_consents"
    )
    policy_version = models.CharField(max_length=40)
    choices = models.JSONField(help_text="Category -> allowed; essential is always true.")
    method = models.CharField(max_length=20)  # accept_all | reject_all | customise
    ip_anonymised = models.CharField(max_length=64, blank=True)
    user_agent_family = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_cookieconsentrecord"  # from before the privacy split
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="cookieconsent_user_time")]

    def __str__(self) -> str:
        allowed = ", ".join(k for k, v in sorted(self.choices.items()) if v)
        return f"{self.created_at:%Y-%m-%d %H:%M} v{self.policy_version}: {allowed}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Cookie consent records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Cookie consent records are append-only.")


class UsageLogEntry(models.Model):
    """A page view of a logged-in member, kept only with performance/analytics consent.

    Non-personal detail only: browser and device family, IP truncated. Purged after
    RETENTION_USAGE_LOG_DAYS by the retention run.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="usage_log")
    business = models.ForeignKey(
        Business, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    path = models.CharField(max_length=300)
    browser = models.CharField(max_length=60, blank=True)
    os = models.CharField(max_length=60, blank=True)
    device = models.CharField(max_length=20, blank=True)
    ip_truncated = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_usagelogentry"  # from before the privacy split
        ordering = ["-created_at", "-id"]
        indexes = [
            # the account export reads one user's log; the retention purge scans by age
            models.Index(fields=["user", "-created_at"], name="usagelog_user_time"),
            models.Index(fields=["created_at"], name="usagelog_time"),
        ]
        verbose_name_plural = "usage log entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.path}"


class RetentionRun(models.Model):
    """One run of the retention rules (Celery beat, the command or staff): what each removed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, default="command")  # beat | command | admin
    results = models.JSONField(default=dict, blank=True, help_text="rule name -> counts")
    errors = models.JSONField(default=dict, blank=True, help_text="rule name -> error")
    settings_snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "accounts_retentionrun"  # from before the privacy split
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        kind = "dry run" if self.dry_run else "run"
        return f"Retention {kind} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return not self.errors
