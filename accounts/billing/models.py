"""Billing data. Money is integer minor units (cents) with a currency code, never floats:

- every amount billed (a fee, an invoice line, a total, a credit note, a cap) is an integer
  number of cents, so sums are exact and match the processor's own integer ``amount``;
- a unit price may be a fraction of a cent (carriers price an SMS segment at $0.0079), so
  unit prices are integer **hundredths of a cent** (``SUBCENTS``); a line is rounded to
  cents once, half up (``money.line_amount``), never per unit.

We chose plain integers over py-moneyed / django-money: one currency per account, no
conversion, the processor speaks integer minor units, and PostgreSQL sums integers exactly;
a money library would add a dependency and a Decimal column for nothing we need.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business

SUBCENTS = 100  # unit prices are hundredths of a cent


class Plan(models.Model):
    """A plan businesses subscribe to; its prices live in versions (``PriceVersion``)."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class PriceVersion(models.Model):
    """A plan's prices from the period starting ``effective_from`` on (the first day of a
    month). The version in force at a period's start prices that whole period, so a change
    staff make applies from the next period, never retroactively; a version whose period
    has started is never edited (services.price_version_create refuses past dates and the
    admin shows started versions read-only)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField(help_text="The first day of the first period it prices.")
    monthly_fee_cents = models.PositiveIntegerField()
    included_segments = models.PositiveIntegerField(help_text="SMS segments in the fee.")
    sms_segment_subcents = models.PositiveIntegerField(help_text="Per SMS segment, in 1/100 ¢.")
    mms_subcents = models.PositiveIntegerField(help_text="Per MMS, in 1/100 ¢.")
    number_month_subcents = models.PositiveIntegerField(
        help_text="Per number and month, in 1/100 ¢ (billed per day held)."
    )
    # 10DLC pass-through fees, charged at cost and named as such on the invoice.
    brand_registration_cents = models.PositiveIntegerField()
    campaign_vetting_cents = models.PositiveIntegerField()
    campaign_monthly_cents = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["plan", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "effective_from"], name="billing_price_one_per_start"
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="billing_price_starts_a_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} from {self.effective_from:%Y-%m}"


class BillingAccount(models.Model):
    """A business's billing: plan, the processor's ids (never card data), standing, cap.

    Standing (transitions only in services):

        ACTIVE --payment fails--> PAST_DUE (retries on a schedule, owner emailed)
        PAST_DUE --grace period over, still unpaid--> PAUSED (sending refused, 402)
        PAST_DUE / PAUSED --every overdue invoice paid--> ACTIVE (at once)
    """

    class Standing(models.TextChoices):
        ACTIVE = "ACTIVE", "In good standing"
        PAST_DUE = "PAST_DUE", "Payment overdue (grace period)"
        PAUSED = "PAUSED", "Sending paused for non-payment"

    business = models.OneToOneField(
        Business, on_delete=models.PROTECT, related_name="billing_account"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    currency = models.CharField(max_length=3, default="USD")
    billing_email = models.EmailField(blank=True, help_text="Invoices go here (else the owners).")
    # The processor's ids: the card itself stays on the processor's side.
    processor_customer_id = models.CharField(max_length=64, blank=True)
    processor_payment_method_id = models.CharField(max_length=64, blank=True)
    standing = models.CharField(max_length=10, choices=Standing.choices, default=Standing.ACTIVE)
    past_due_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    monthly_cap_cents = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most that messages may add to a month's bill; empty: none.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"billing of {self.business}"


class SpendMonth(models.Model):
    """The durable spending-cap counter of one business and period: what dispatch reserved
    (``SpendReservation``), in segments and MMS. The cap's check and the increment happen
    under this row's lock, in the transaction that claims the messages, so concurrent
    drains can never push the month past the cap."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    segments = models.PositiveBigIntegerField(default=0)
    mms = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "period"], name="billing_spend_month")
        ]

    def __str__(self) -> str:
        return f"{self.business_id} {self.period:%Y-%m}: {self.segments} segments, {self.mms} MMS"


class SpendReservation(models.Model):
    """What one message reserved against its month's cap (keyed by the message, so a
    re-claim reserves nothing twice). Released when it ends without the carrier taking it."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    key = models.CharField(max_length=80)
    segments = models.PositiveIntegerField(default=0)
    mms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "key"], name="billing_reservation_key")
        ]
        indexes = [
            # the release sweep: open reservations by age
            models.Index(
                fields=["created_at"],
                condition=Q(released_at__isnull=True),
                name="billing_res_open",
            )
        ]

    def __str__(self) -> str:
        return self.key


class UsageKind(models.TextChoices):
    SMS_SEGMENT = "SMS_SEGMENT", "SMS segments"
    MMS = "MMS", "MMS"
    NUMBER_DAY = "NUMBER_DAY", "Number-days"
    BRAND_REGISTRATION = "BRAND_REGISTRATION", "10DLC brand registration (pass-through)"
    CAMPAIGN_VETTING = "CAMPAIGN_VETTING", "10DLC campaign vetting (pass-through)"
    CAMPAIGN_MONTHLY = "CAMPAIGN_MONTHLY", "10DLC campaign monthly fee (pass-through)"
    CARRIER_FINE = "CARRIER_FINE", "Carrier fine (pass-through)"


AT_COST_KINDS = frozenset(
    {
        UsageKind.BRAND_REGISTRATION,
        UsageKind.CAMPAIGN_VETTING,
        UsageKind.CAMPAIGN_MONTHLY,
        UsageKind.CARRIER_FINE,
    }
)


class UsageRecord(models.Model):
    """One metered event, recorded once: ``source_key`` names its source (the message, the
    number and day, the registration, the fine), and (business, source_key) is unique, so a
    retry or a duplicate receipt records nothing twice. Quantities are priced when the
    period closes (the version in force at its start); at-cost kinds carry their amount."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=UsageKind.choices)
    quantity = models.PositiveIntegerField(default=1)
    amount_cents = models.IntegerField(null=True, blank=True, help_text="At-cost kinds only.")
    currency = models.CharField(max_length=3, default="USD")
    description = models.CharField(max_length=200, blank=True)
    source_key = models.CharField(max_length=120)
    occurred_at = models.DateTimeField()
    period = models.DateField()
    invoice = models.ForeignKey(
        "Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="usage"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "source_key"], name="billing_usage_once")
        ]
        indexes = [
            # the period close and the usage page: one business's period by kind
            models.Index(fields=["business", "period", "kind"], name="billing_usage_period"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ×{self.quantity} ({self.source_key})"


class InvoiceSequence(models.Model):
    """The next number of a series ("INV", "CN"), taken under a row lock in the transaction
    that issues the document: a rolled-back issue takes no number, so there are no gaps."""

    series = models.CharField(max_length=8, primary_key=True)
    next_value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.series} next {self.next_value}"


class Invoice(models.Model):
    """One invoice per business and period. Issued with its number and lines at once and
    immutable from then on (PostgreSQL refuses changes to its amounts and number; lines and
    credit notes are append-only); corrections are credit notes.

    Status (transitions only in services):

        ISSUED --processor webhook: payment_intent.succeeded--> PAID
        ISSUED --payment_intent.payment_failed--> FAILED --retry / owner pays--> PAID
        PAID --charge.refunded (in full)--> REFUNDED
        ISSUED / FAILED --credit notes cover the total--> PAID (nothing left to charge)
    """

    class Status(models.TextChoices):
        ISSUED = "ISSUED", "Issued"
        PAID = "PAID", "Paid"
        FAILED = "FAILED", "Payment failed"
        REFUNDED = "REFUNDED", "Refunded"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, unique=True)
    period_start = models.DateField()
    period_end = models.DateField(help_text="The last day of the period.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    currency = models.CharField(max_length=3)
    total_cents = models.IntegerField()
    credited_cents = models.PositiveIntegerField(default=0)
    refunded_cents = models.PositiveIntegerField(default=0)
    # Who it was billed to, as it was then (anonymised after the legal retention period).
    billed_to_name = models.CharField(max_length=200)
    billed_to_email = models.EmailField(blank=True)
    issued_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    processor_payment_intent_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "period_start"], name="billing_invoice_one_per_period"
            )
        ]
        indexes = [
            # dunning: failed invoices whose next retry is due
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="FAILED"), name="billing_inv_retry"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance_cents(self) -> int:
        """What is left to pay: the total less credit notes (never below zero)."""
        return max(0, self.total_cents - self.credited_cents)


class InvoiceLine(models.Model):
    """One line of an issued invoice (append-only)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    included = models.PositiveIntegerField(default=0, help_text="Quantity in the plan's fee.")
    unit_subcents = models.PositiveIntegerField(null=True, blank=True)
    amount_cents = models.IntegerField()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "invoice", "position"], name="billing_line_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.position} {self.kind}"


class CreditNote(models.Model):
    """A correction of an issued invoice: its own gapless number, a reason, who issued it
    (append-only and audited). Unpaid: it lowers what is charged; paid: it is refunded
    through the processor."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=20, unique=True)
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    processor_refund_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["issued_at", "id"]
        indexes = [models.Index(fields=["business", "invoice"], name="billing_cn_invoice")]

    def __str__(self) -> str:
        return self.number


class ProcessorEvent(models.Model):
    """A processor webhook event we handled: its id is unique, so a redelivery does
    nothing twice. Only the id, type and object id are kept, never the payload."""

    event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=80, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
