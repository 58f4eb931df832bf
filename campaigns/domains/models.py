"""A domain a business links to in its texts, and the proof that it controls it."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business, User


class BrandDomain(models.Model):
    """One domain of ``Business.brand_domains`` and its verification.

    Status (moves only in ``services``):

        PENDING --DNS TXT record or well-known file holds the token--> VERIFIED
        PENDING --staff, with a reason--> VERIFIED
        VERIFIED --staff revoke, with a reason--> PENDING (a new token)

    Only VERIFIED domains that the business still lists count as its own in links
    (``selectors.verified_domains``).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Not verified"
        VERIFIED = "VERIFIED", "Verified"

    class Method(models.TextChoices):
        DNS = "dns", "DNS TXT record"
        FILE = "file", "File on the website"
        STAFF = "staff", "Checked by our compliance team"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="link_domains")
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_reason = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_result = models.TextField(blank=True, help_text="What the last check found.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["business", "domain"], name="branddomain_biz_domain"),
            models.CheckConstraint(
                condition=Q(status="PENDING") | Q(verified_at__isnull=False),
                name="branddomain_verified_has_time",
            ),
        ]
        # the link check's query: a business's verified domains
        indexes = [models.Index(fields=["business", "status"], name="branddomain_biz_status")]

    def __str__(self) -> str:
        return f"{self.domain} ({self.get_status_display()})"

    @property
    def dns_name(self) -> str:
        return f"_cyc-verify.{self.domain}"

    @property
    def dns_value(self) -> str:
        return f"cyc-verify={self.token}"

    @property
    def file_url(self) -> str:
        return f"https://{self.domain}/.well-known/cyc-verify.txt"
