"""Brands and campaigns as The Campaign Registry (TCR) knows them, and originating numbers.

Field names are TCR's camelCase names in snake_case (``messageFlow`` -> ``message_flow``).
Rules that span rows (content rules, immutability, assignment) live in ``services``.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business, User

from . import tcr


class Registrar(models.TextChoices):
    MANUAL = "manual", "Manual review by our compliance team"
    TCR = "tcr", "The Campaign Registry through our CSP"


class Brand(models.Model):
    """The company behind the texts, registered with TCR.

    Status (TCR brand status as CSPs report it; moves only in services):

        DRAFT --register--> REGISTRATION_PENDING --registry--> OK | REGISTRATION_FAILED
        REGISTRATION_FAILED --fix and register again--> REGISTRATION_PENDING
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        REGISTRATION_PENDING = "REGISTRATION_PENDING", "Registration pending"
        OK = "OK", "Registered"
        REGISTRATION_FAILED = "REGISTRATION_FAILED", "Registration failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="brands")
    entity_type = models.CharField(max_length=20, choices=tcr.ENTITY_TYPES)
    display_name = models.CharField(max_length=255)
    company_name = models.CharField(max_length=255, blank=True)
    ein = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    email = models.EmailField()
    business_contact_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20)
    mobile_phone = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    street = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    website = models.URLField(max_length=500, blank=True)
    vertical = models.CharField(max_length=20, choices=tcr.VERTICALS)
    stock_symbol = models.CharField(max_length=10, blank=True)
    stock_exchange = models.CharField(max_length=10, choices=tcr.STOCK_EXCHANGES, blank=True)
    alt_business_id = models.CharField(max_length=50, blank=True)
    alt_business_id_type = models.CharField(
        max_length=10, choices=tcr.ALT_BUSINESS_ID_TYPES, blank=True
    )
    identity_status = models.CharField(
        max_length=20, choices=tcr.IDENTITY_STATUSES, default="UNVERIFIED"
    )
    vetting_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # T-Mobile's daily cap for this brand as the registrar reported it (blank / null: the
    # default of campaigns/data/carrier_limits.json for the vetting score applies)
    tmobile_tier = models.CharField(max_length=20, blank=True)
    tmobile_daily_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Segments per day to T-Mobile, as the registrar reported."
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    failure_reasons = models.JSONField(default=list, blank=True)
    reference_id = models.CharField(max_length=64, unique=True, editable=False)
    registrar = models.CharField(max_length=10, choices=Registrar.choices, blank=True)
    registry_brand_id = models.CharField(max_length=64, blank=True)
    registry_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="brand_biz_time")]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        if not self.reference_id:
            self.reference_id = f"brand-{self.uuid}"
        super().save(*args, **kwargs)

    @property
    def is_sole_proprietor(self) -> bool:
        return self.entity_type == "SOLE_PROPRIETOR"


class Campaign(models.Model):
    """What a brand texts, why, and how people opt in and out: TCR's campaign.

    Status (transitions only in ``services``; each one is a CampaignStatusChange):

        DRAFT --submit--> SUBMITTED --> REVIEW --> APPROVED | REJECTED
                          SUBMITTED ----------> APPROVED | REJECTED
        REJECTED --appeal--> APPEALED --> REVIEW | APPROVED | REJECTED
        APPROVED --> SUSPENDED | EXPIRED | DEACTIVATED
        SUSPENDED --> APPROVED (reinstated) | EXPIRED | DEACTIVATED
        EXPIRED and DEACTIVATED are final.

    ``submission`` tracks the hand-off to the registry separately: a time-out leaves it
    PENDING (the registry may or may not have it) and an error FAILED; both are retried
    with the same ``reference_id`` so the registry never gets the campaign twice.
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        SUBMITTED = "SUBMITTED", "Submitted"
        REVIEW = "REVIEW", "In review"
        APPROVED = "APPROVED", "Approved"
        REJECTED = "REJECTED", "Rejected"
        APPEALED = "APPEALED", "Appealed"
        SUSPENDED = "SUSPENDED", "Suspended"
        EXPIRED = "EXPIRED", "Expired"
        DEACTIVATED = "DEACTIVATED", "Deactivated"

    class Submission(models.TextChoices):
        NONE = "", "Not sent"
        PENDING = "PENDING", "Waiting for the registry"
        CREATED = "CREATED", "Registered"
        FAILED = "FAILED", "Registry error"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="campaigns")
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=100, blank=True, help_text="Your own label.")
    usecase = models.CharField(max_length=30, choices=tcr.USECASE_CHOICES)
    sub_usecases = models.JSONField(default=list, blank=True)
    description = models.TextField()
    message_flow = models.TextField()
    sample1 = models.TextField(blank=True)
    sample2 = models.TextField(blank=True)
    sample3 = models.TextField(blank=True)
    sample4 = models.TextField(blank=True)
    sample5 = models.TextField(blank=True)
    help_message = models.TextField(blank=True)
    optin_message = models.TextField(blank=True)
    optout_message = models.TextField(blank=True)
    help_keywords = models.CharField(max_length=255, default="HELP,INFO")
    optin_keywords = models.CharField(max_length=255, default="START,YES,UNSTOP")
    optout_keywords = models.CharField(
        max_length=255, default="STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT,REVOKE,OPTOUT"
    )
    subscriber_optin = models.BooleanField(default=True)
    subscriber_optout = models.BooleanField(default=True)
    subscriber_help = models.BooleanField(default=True)
    number_pool = models.BooleanField(default=False)
    direct_lending = models.BooleanField(default=False)
    embedded_link = models.BooleanField(default=False)
    embedded_link_sample = models.CharField(max_length=500, blank=True)
    embedded_phone = models.BooleanField(default=False)
    # MMS: the campaign's messages may carry pictures or contact cards (the send gate
    # refuses media on a campaign that did not declare it; messaging/media/README.md).
    mms = models.BooleanField(default=False, help_text="Messages carry pictures or contact cards.")
    age_gated = models.BooleanField(default=False)
    affiliate_marketing = models.BooleanField(default=False)
    auto_renewal = models.BooleanField(default=True)
    terms_and_conditions = models.BooleanField(default=False)
    terms_and_conditions_link = models.URLField(max_length=500, blank=True)
    privacy_policy_link = models.URLField(max_length=500, blank=True)
    automated = models.BooleanField(
        default=False, help_text="Registered for automated (non-person-to-person) messaging."
    )
    # Keyword opt-in (text-to-join): ours, not TCR's (the message flow names the keyword).
    join_keywords = models.CharField(
        max_length=255,
        blank=True,
        help_text="Words people text to your number to sign up, comma-separated (e.g. JOIN).",
    )
    join_double_opt_in = models.BooleanField(
        default=False, help_text="Ask people who text a join word to reply YES first."
    )
    join_frequency = models.CharField(
        max_length=120,
        default="Msg frequency varies",
        help_text="How often you text, for the sign-up confirmation (e.g. Up to 4 msgs/month).",
    )

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField(blank=True)
    failure_reasons = models.JSONField(default=list, blank=True)
    policy_decision = models.JSONField(default=dict, blank=True)
    registrar = models.CharField(max_length=10, choices=Registrar.choices, blank=True)
    reference_id = models.CharField(max_length=64, unique=True, editable=False)
    submission = models.CharField(
        max_length=8, choices=Submission.choices, default=Submission.NONE, blank=True
    )
    registry_campaign_id = models.CharField(max_length=64, blank=True)
    registry_status = models.CharField(max_length=40, blank=True)
    registry_error = models.TextField(blank=True)
    registry_attempts = models.PositiveIntegerField(default=0)
    # AT&T's throughput for this campaign as the registrar reported it (blank / null: the
    # default of campaigns/data/carrier_limits.json for the use case and vetting score)
    att_message_class = models.CharField(max_length=4, blank=True)
    att_tpm = models.PositiveIntegerField(
        null=True, blank=True, help_text="Messages per minute to AT&T, as the registrar reported."
    )
    # The provider's messaging service the campaign's numbers join (Twilio: MG…)
    messaging_service_sid = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["business", "-created_at"], name="campaign_biz_time"),
            # the staff review queue and the registry poller
            models.Index(fields=["status", "registrar"], name="campaign_status_registrar"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.brand.display_name} {self.usecase}"

    def save(self, *args, **kwargs):
        if not self.reference_id:
            self.reference_id = f"campaign-{self.uuid}"
        super().save(*args, **kwargs)

    def get_sub_usecases_display(self) -> str:
        """The sub use cases as people read them, as get_usecase_display() does the use case."""
        return ", ".join(tcr.usecase_label(code) for code in self.sub_usecases or [])

    @property
    def samples(self) -> list[str]:
        values = [self.sample1, self.sample2, self.sample3, self.sample4, self.sample5]
        return [s for s in values if s]

    @property
    def kinds(self) -> frozenset[str]:
        return tcr.kinds_for(self.usecase, self.sub_usecases)

    @property
    def is_marketing(self) -> bool:
        return tcr.is_marketing(self.usecase, self.sub_usecases)


class CampaignReview(Campaign):
    """The staff review queue in the admin (a view of Campaign, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "campaign review"
        verbose_name_plural = "campaign review queue"


class CampaignStatusChange(models.Model):
    """Every campaign transition: from, to, who (a user, or the registry) and why."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, choices=Campaign.Status.choices)
    to_status = models.CharField(max_length=12, choices=Campaign.Status.choices)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=20, default="user")  # user, staff, registry, system
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "campaign"], name="campstatus_biz_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.from_status} -> {self.to_status}"


class PhoneNumber(models.Model):
    """An originating number: rented from a provider, sending for at most one campaign.

    Status: ACTIVE (can send once on an approved campaign) <-> SUSPENDED; RELEASED is final
    (the number went back to the provider; the row stays for the message history).
    """

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        SUSPENDED = "SUSPENDED", "Suspended"
        RELEASED = "RELEASED", "Released"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="phone_numbers")
    e164 = models.CharField(max_length=16)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="numbers"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    provider = models.CharField(max_length=20, default="simulated")
    provider_id = models.CharField(max_length=64, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["e164"]
        constraints = [
            # One live row per number; released rows stay for history.
            models.UniqueConstraint(
                fields=["e164"], condition=~Q(status="RELEASED"), name="phonenumber_e164_live"
            ),
        ]
        indexes = [
            models.Index(fields=["business", "status"], name="phonenumber_biz_status"),
            models.Index(fields=["e164"], name="phonenumber_e164"),  # inbound routing
        ]

    def __str__(self) -> str:
        return self.e164
