"""Users, businesses (the tenants), memberships, invitations, API keys, the audit trail."""

import uuid
import zoneinfo
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from .hygiene import refuse_bidi_controls
from .roles import ROLE_CHOICES, Role

# every zone zoneinfo can load (read from disk once: available_timezones() scans tzdata)
TIME_ZONES = frozenset(zoneinfo.available_timezones())
TIME_ZONE_CHOICES = sorted((tz, tz) for tz in TIME_ZONES if "/" in tz)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Emails are stored in lower case: sign-in matches however the address is typed.
        return self.get(email__iexact=(username or "").strip())

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address. Staff are our compliance team."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    # the portal's forms and the admin refuse text-direction controls in names (hygiene.py)
    full_name = models.CharField(max_length=200, blank=True, validators=[refuse_bidi_controls])
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # privacy (accounts.privacy): marketing email from us is opt-out; erased accounts are
    # tombstones whose personal data is gone.
    marketing_email_opt_out = models.BooleanField(default=False)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Business(models.Model):
    """The tenant. Every tenant-owned row elsewhere points here.

    Vetting state machine (transitions only in accounts.services):

        PENDING_REVIEW --approve--> APPROVED --suspend--> SUSPENDED --reinstate--> APPROVED
              |                        |                      |
              +-------terminate--------+-------terminate------+--> TERMINATED (final)
              +--reject (industry screen)--> TERMINATED
    """

    class Vetting(models.TextChoices):
        PENDING_REVIEW = "PENDING_REVIEW", "Pending review"
        APPROVED = "APPROVED", "Approved"
        SUSPENDED = "SUSPENDED", "Suspended"
        TERMINATED = "TERMINATED", "Terminated"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # the portal's forms and the admin refuse text-direction controls in names (hygiene.py)
    legal_name = models.CharField(max_length=255, validators=[refuse_bidi_controls])
    display_name = models.CharField(max_length=255, validators=[refuse_bidi_controls])
    website = models.URLField(max_length=500)
    brand_domains = models.JSONField(
        default=list, blank=True, help_text="Domains this business may link to in messages."
    )
    industry = models.CharField(max_length=120, blank=True)
    industry_description = models.TextField()
    time_zone = models.CharField(max_length=64, default="America/New_York")
    quiet_hours_start = models.PositiveSmallIntegerField(default=8)
    quiet_hours_end = models.PositiveSmallIntegerField(default=21)
    vetting_status = models.CharField(
        max_length=20, choices=Vetting.choices, default=Vetting.PENDING_REVIEW, db_index=True
    )
    vetting_reason = models.TextField(blank=True)
    vetting_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    # set by the closed-business retention rule (accounts.privacy) once anonymised
    data_purged_at = models.DateTimeField(null=True, blank=True)
    # the event types its active webhook endpoints want, kept by accounts.events when an
    # endpoint changes: the send path and the consent ledger ask it without a query
    webhook_events = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "businesses"
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def can_send(self) -> bool:
        return self.vetting_status == self.Vetting.APPROVED


class BusinessStatusChange(models.Model):
    """History of vetting transitions, with who and why."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=20, choices=Business.Vetting.choices)
    to_status = models.CharField(max_length=20, choices=Business.Vetting.choices)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="bizstatus_biz_time")]

    def __str__(self) -> str:
        return f"{self.business}: {self.from_status} -> {self.to_status}"


class Membership(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ROLE_CHOICES, default=Role.VIEWER.value)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.business} ({self.role})"


class Invitation(models.Model):
    """An emailed link to join a business. Only the token's hash is stored."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=ROLE_CHOICES)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["business", "-created_at"], name="invitation_biz_time")]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class ApiKey(models.Model):
    """A per-business API key. Shown once; stored as SHA-256 of the secret with a prefix.

    The secret has 256 bits of entropy, so a fast hash is enough: nobody can guess
    their way through 2**256, and a slow hash would tax every API request.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=10, choices=ROLE_CHOICES, default=Role.AGENT.value)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    # A Twilio-style key (the Twilio-compatible API, messaging/twilio_api): "SK" + 32 hex,
    # used as the HTTP Basic user name with its secret as the password. Null for our own
    # "cyc_" keys. The secret is hashed in key_hash like any other.
    sid = models.CharField(max_length=34, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["business", "-created_at"], name="apikey_biz_time")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TwilioAccount(models.Model):
    """A business's Twilio-style account: its account SID ("AC" + 32 hex, from the
    business's uuid) and auth token, for the Twilio-compatible API (messaging/twilio_api).

    The auth token authenticates like an admin API key (HTTP Basic, account SID as the
    user name) and signs our callbacks (X-Twilio-Signature is an HMAC keyed with it), so
    it must stay readable, like webhook secrets; it is shown in full only when created or
    rotated, and rotating it is how it is revoked. ``inbound_url`` is where inbound texts
    are forwarded as Twilio posts them (empty: not forwarded).
    """

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="twilio_account"
    )
    account_sid = models.CharField(max_length=34, unique=True)
    auth_token = models.CharField(max_length=64)
    inbound_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    token_rotated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.account_sid

    @property
    def token_hint(self) -> str:
        return f"{self.auth_token[:4]}…"


class IdempotentRequest(models.Model):
    """A create request of the API made with an ``Idempotency-Key``: per business, key and
    endpoint, the request's fingerprint and the answer given, so a repeat gets the same
    answer and a different request under the same key is refused
    (``accounts.api.idempotency``). Deleted after ``IDEMPOTENCY_KEY_TTL_HOURS``."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=60)  # the API operation, e.g. "contacts_create"
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the canonical request
    response_status = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # one answer per key and endpoint; a concurrent repeat waits on this index
            models.UniqueConstraint(
                fields=["business", "key", "operation"], name="idempotentrequest_key"
            )
        ]
        # the retention purge: the oldest first
        indexes = [models.Index(fields=["created_at"], name="idempotentrequest_age")]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class AuditEvent(models.Model):
    """Who did what to which object, when, from where. Append-only (code and database)."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=255, blank=True)
    business = models.ForeignKey(
        Business, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["business", "-created_at"], name="audit_biz_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")
