"""Policy rules as data (edited by compliance staff), and what the gates decided.

Rules: Category, Term (content terms, industry descriptors and marketing phrases),
ShortenerDomain, ProhibitedUseCase, Pattern; RuleSet holds the revision the engine
compares to recompile; RuleChange is the edit history. Behaviour: PolicyDecision (every
non-allow decision, shown to the business), BusinessScreening (sign-up screening, the
review queue), Strike, RiskCounter, ContentFingerprint, PolicyHold.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

VERDICTS = [("block", "Block"), ("review", "Review")]


class RuleSet(models.Model):
    """One row: the rules' version (from the fixture) and a revision bumped by every edit."""

    version = models.CharField(max_length=40, help_text="Version of the last fixture loaded.")
    revision = models.PositiveIntegerField(default=1)
    fuzzy_stoplist = models.JSONField(
        default=list, blank=True, help_text="Real words a misspelling match must never flag."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"rules {self.version} r{self.revision}"


class Category(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    explain = models.CharField(
        max_length=300, help_text="The sentence a business owner reads when this category fires."
    )

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.slug


class Term(models.Model):
    """A word or phrase of a category, with the phrases around it that make it harmless."""

    class Scope(models.TextChoices):
        CONTENT = "content", "Message content"
        INDUSTRY = "industry", "Industry descriptor (sign-up)"
        MARKETING = "marketing", "Marketing phrase (campaign conformance)"
        VOCABULARY = "vocabulary", "Trade vocabulary (learned layer)"

    rule_id = models.CharField(max_length=120, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="terms")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.CONTENT)
    phrase = models.CharField(max_length=200)
    verdict = models.CharField(max_length=6, choices=VERDICTS, default="block")
    fuzzy = models.BooleanField(
        default=True, help_text="Also catch misspellings (words of 5+ letters)."
    )
    exceptions = models.TextField(
        blank=True,
        help_text="One phrase per line that contains the term and makes it harmless "
        "(e.g. 'cooking pot' for 'pot').",
    )
    explain = models.CharField(
        max_length=300, blank=True, help_text="Overrides the category's sentence."
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scope", "category__slug", "phrase"]
        indexes = [models.Index(fields=["scope", "category"], name="term_scope_cat")]

    def __str__(self) -> str:
        return self.phrase


class IndustryDescriptor(Term):
    """The industry-scope terms, listed on their own in the admin."""

    class Meta:
        proxy = True
        verbose_name = "industry descriptor"


class TradeVocabulary(Term):
    """How an industry describes itself (trade words, euphemisms, product code names):
    the vocabulary-scope terms, listed on their own in the admin. They refuse nothing on
    their own; each is a feature of the learned layer for its category."""

    class Meta:
        proxy = True
        verbose_name = "trade vocabulary word"
        verbose_name_plural = "trade vocabularies"


class ShortenerDomain(models.Model):
    domain = models.CharField(max_length=120, unique=True)
    note = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class ProhibitedUseCase(models.Model):
    rule_id = models.CharField(max_length=120, unique=True)
    usecase = models.CharField(max_length=40, unique=True, help_text="TCR use-case code.")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=6, choices=VERDICTS, default="block")
    explain = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["usecase"]

    def __str__(self) -> str:
        return self.usecase


class Pattern(models.Model):
    """A regular expression rule for what words cannot say ("earn $500 a day")."""

    class Scope(models.TextChoices):
        CONTENT = "content", "Message content"
        MARKETING = "marketing", "Marketing (campaign conformance)"

    rule_id = models.CharField(max_length=120, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.CONTENT)
    label = models.CharField(max_length=120, blank=True)
    regex = models.TextField()
    needs = models.CharField(
        max_length=10, blank=True, help_text="A literal the text must contain (speed)."
    )
    verdict = models.CharField(max_length=6, choices=VERDICTS, default="block")
    explain = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.rule_id


class RuleChange(models.Model):
    """History of rule edits: who changed which rule, from what to what. Append-only."""

    kind = models.CharField(max_length=40)  # model name
    rule = models.CharField(max_length=160)
    action = models.CharField(max_length=10)  # create / update / delete / load
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.rule}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Rule history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Rule history is append-only.")


# --- what the gates decided --------------------------------------------------------------


class PolicyDecision(models.Model):
    """A review or block decision of a gate, with its reasons, shown to the business."""

    class Gate(models.TextChoices):
        MESSAGE = "message", "Message"
        CAMPAIGN = "campaign", "Campaign"
        SIGNUP = "signup", "Sign-up"
        BEHAVIOUR = "behaviour", "Sending behaviour"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="policy_decisions"
    )
    gate = models.CharField(max_length=10, choices=Gate.choices)
    decision = models.CharField(max_length=6)
    categories = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    excerpt = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    from_number = models.CharField(max_length=20, blank=True)
    rules_version = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # the business's policy page: its decisions, newest first
        indexes = [models.Index(fields=["business", "-created_at"], name="policydec_biz_time")]

    def __str__(self) -> str:
        return f"{self.gate} {self.decision} {self.categories}"


class BusinessScreening(models.Model):
    """The sign-up screening of a business. Flagged ones wait in the admin review queue.

    status: OPEN (flagged, waiting) -> APPROVED | REJECTED (by staff, with a reason);
    CLEAR for a screening that found nothing.
    """

    class Status(models.TextChoices):
        CLEAR = "CLEAR", "Clear"
        OPEN = "OPEN", "Waiting for review"
        APPROVED = "APPROVED", "Approved by staff"
        REJECTED = "REJECTED", "Rejected by staff"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="screenings"
    )
    # the names screened: a brand screens its legal and display names together (2 x 255)
    name = models.TextField()
    industry_description = models.TextField()
    website = models.CharField(max_length=500)
    decision = models.CharField(max_length=6)
    categories = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    staff_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rules_version = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="screening_biz_time")]

    def __str__(self) -> str:
        return f"{self.name}: {self.decision} ({self.status})"


class Strike(models.Model):
    """A risk signal that crossed its threshold, explained to the business."""

    class Signal(models.TextChoices):
        OPT_OUT_RATE = "opt_out_rate", "High opt-out rate"
        STOP_AFTER_FIRST = "stop_after_first", "STOP right after the first message"
        CARRIER_FILTERED = "carrier_filtered", "Messages filtered by carriers"
        BLOCKED_RATE = "blocked_rate", "Many messages blocked by the content policy"
        SNOWSHOEING = "snowshoeing", "Same content spread across many numbers"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="strikes"
    )
    signal = models.CharField(max_length=20, choices=Signal.choices)
    explanation = models.TextField()
    detail = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # active strikes of a business (thresholds, dashboard), newest first
        indexes = [
            models.Index(fields=["business", "active", "-created_at"], name="strike_biz_active")
        ]

    def __str__(self) -> str:
        return f"{self.business}: {self.get_signal_display()}"


class PolicyHold(models.Model):
    """Sending held for staff review (strikes reached POLICY_STRIKES_HOLD). While held,
    message_check answers "review", so messages wait as HELD instead of going out."""

    business = models.OneToOneField(
        "accounts.Business", on_delete=models.CASCADE, related_name="policy_hold"
    )
    reason = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"hold {self.business} ({'active' if self.active else 'released'})"


class RiskCounter(models.Model):
    """Outcome counts per business and day: the denominators and numerators of the rates."""

    business = models.ForeignKey("accounts.Business", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    opt_out = models.PositiveIntegerField(default=0)
    opt_out_after_first_message = models.PositiveIntegerField(default=0)
    carrier_filtered = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "day"], name="riskcounter_biz_day")
        ]
        # today's rows of every business: the outcome counters of /metrics (policies/metrics.py)
        indexes = [models.Index(fields=["day"], name="riskcounter_day")]

    def __str__(self) -> str:
        return f"{self.business} {self.day}"


class ContentFingerprint(models.Model):
    """Normalised content fingerprints per sending number, for snowshoeing detection."""

    business = models.ForeignKey("accounts.Business", on_delete=models.CASCADE, related_name="+")
    from_number = models.CharField(max_length=20)
    fingerprint = models.CharField(max_length=16)
    simhash = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # recent fingerprints of a business (the snowshoeing window)
        indexes = [models.Index(fields=["business", "-created_at"], name="fingerprint_biz_time")]

    def __str__(self) -> str:
        return f"{self.from_number} {self.fingerprint}"


from .documents_models import *  # noqa: E402, F403
from .penalty_models import *  # noqa: E402, F403
