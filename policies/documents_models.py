"""Versioned policy documents (privacy policy, SMS/MMS content policy, terms of service)
and the members' acceptances of them.

A document version is a draft until staff publish it (``published_at``); once published
its text, version and effective date never change (a correction is a new version). The
version in effect for a kind is the newest published one whose ``effective_at`` has come.
``PolicyAcceptance`` is append-only (code and PostgreSQL): who accepted which version,
when and from which IP.
"""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

__all__ = ["PolicyAcceptance", "PolicyDocument"]


class PolicyDocument(models.Model):
    """One version of one policy document. Draft -> published (immutable)."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", "Privacy policy"
        SMS = "sms-policy", "SMS/MMS content policy"
        TERMS = "terms", "Terms of service"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    version = models.CharField(
        max_length=20,
        validators=[RegexValidator(r"^[0-9A-Za-z][0-9A-Za-z.\-]*$", "Letters, digits, . and -")],
        help_text="Shown in the URL /legal/<kind>/v/<version>/, e.g. 2026-12 or 1.1.",
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(
        blank=True, help_text="What changed, in a few sentences (shown in the notice)."
    )
    body = models.TextField(
        help_text="Plain text. A blank line starts a paragraph; a line starting with '# ' "
        "is a heading; lines starting with '- ' are a list."
    )
    effective_at = models.DateTimeField(help_text="When this version takes effect.")
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    notified_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "-effective_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="policydoc_kind_version")
        ]
        # the version in effect: newest published of a kind with effective_at <= now
        indexes = [models.Index(fields=["kind", "-effective_at"], name="policydoc_kind_eff")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            old = (
                type(self)
                .objects.filter(pk=self.pk)
                .values(
                    "published_at", "kind", "version", "title", "body", "effective_at", "summary"
                )[0]
            )
            if old["published_at"] is not None and any(
                old[f] != getattr(self, f)
                for f in ("kind", "version", "title", "body", "effective_at", "summary")
            ):
                raise ValueError("A published policy version cannot change; publish a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.published_at is not None:
            raise ValueError("A published policy version cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PolicyAcceptance(models.Model):
    """A member accepted one version of one document. Append-only (code and database)."""

    class Method(models.TextChoices):
        SIGNUP = "signup", "At sign-up"
        PORTAL = "portal", "In the portal"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="policy_acceptances",
    )
    document = models.ForeignKey(
        PolicyDocument, on_delete=models.PROTECT, related_name="acceptances"
    )
    business = models.ForeignKey(
        "accounts.Business", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="policyacc_user_doc")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.document}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Policy acceptances are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Policy acceptances are append-only.")
