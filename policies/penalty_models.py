"""Carrier fines, fees and penalties against a business, and the restrictions staff apply.

``CarrierPenalty`` is a ledger: rows are only added (code and PostgreSQL refuse update
and delete); a waiver or refund is a CREDIT row pointing at the entry it offsets.

``Restriction``: what compliance staff applied to a business, with the reason and what
the business should do, shown on its Compliance page:

    active (lifted_at is NULL and ends_at not passed) --lift--> lifted

THROUGHPUT lowers the per-number cap (``limit`` segments per ``window`` seconds; read by
the send path through ``policies.penalties.rate_limit_for``); CAMPAIGN_SUSPENSION,
ACCOUNT_SUSPENSION and TERMINATION record the campaign or vetting move made through the
campaigns and accounts services. Transitions only in ``policies.penalties``.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

__all__ = ["CarrierPenalty", "Restriction"]


class CarrierPenalty(models.Model):
    """One entry of the carrier fines/fees/penalties ledger of a business."""

    class Kind(models.TextChoices):
        FINE = "FINE", "Fine"
        FEE = "FEE", "Fee"
        PENALTY = "PENALTY", "Penalty"
        CREDIT = "CREDIT", "Credit (waiver or refund of an entry)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.PROTECT, related_name="carrier_penalties"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    carrier = models.CharField(max_length=100, help_text="e.g. T-Mobile, AT&T, Verizon.")
    carrier_reference = models.CharField(
        max_length=120, help_text="The carrier's own reference (case, ticket or invoice line)."
    )
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "A three-letter ISO 4217 code, e.g. USD.")],
    )
    incurred_on = models.DateField(help_text="The date the carrier assessed it.")
    description = models.TextField(help_text="What happened, as the business will read it.")
    evidence = models.TextField(
        blank=True, help_text="The carrier's notice: quoted text, message ids, links to files."
    )
    offsets = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credits",
        help_text="For a credit: the entry it waives or refunds.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-incurred_on", "-id"]
        verbose_name = "carrier fine, fee or penalty"
        verbose_name_plural = "carrier fines, fees and penalties"
        # the business's ledger (compliance page, history), newest first
        indexes = [models.Index(fields=["business", "-incurred_on"], name="penalty_biz_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.carrier})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("The carrier penalty ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The carrier penalty ledger is append-only.")

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.CREDIT else self.amount


class Restriction(models.Model):
    """A restriction staff applied to a business (see the module docstring)."""

    class Kind(models.TextChoices):
        THROUGHPUT = "THROUGHPUT", "Reduced throughput"
        CAMPAIGN_SUSPENSION = "CAMPAIGN_SUSPENSION", "Campaign suspended"
        ACCOUNT_SUSPENSION = "ACCOUNT_SUSPENSION", "Account suspended"
        TERMINATION = "TERMINATION", "Account terminated"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.PROTECT, related_name="restrictions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Throughput: segments per number per window."
    )
    window = models.FloatField(null=True, blank=True, help_text="Throughput: window in seconds.")
    # policies never imports campaigns: the campaign is named by its uuid and a label
    campaign_uuid = models.UUIDField(null=True, blank=True)
    campaign_label = models.CharField(max_length=255, blank=True)
    penalty = models.ForeignKey(
        CarrierPenalty, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(help_text="Why, as the business will read it.")
    remedy = models.TextField(help_text="What the business should do about it.")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: until lifted.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        # restrictions in force for a business (the send path's rate_limit_for)
        indexes = [models.Index(fields=["business", "lifted_at"], name="restriction_biz_live")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="THROUGHPUT")
                | (models.Q(limit__gte=1) & models.Q(window__gt=0)),
                name="restriction_throughput_has_limit",
            )
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.THROUGHPUT:
            return f"{self.get_kind_display()}: {self.limit} per {self.window:g} s"
        if self.kind == self.Kind.CAMPAIGN_SUSPENSION:
            return f"{self.get_kind_display()}: {self.campaign_label}"
        return self.get_kind_display()

    def in_force(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.lifted_at is None
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )
