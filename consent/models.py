"""Contacts, the consent ledger, the current consent state, suppressions, opt-in forms, imports.

The ledger (ConsentEvent) is append-only: the model refuses update and delete, and a
PostgreSQL trigger (migration 0002) refuses them too. Each event carries the hash of the
previous event of the same business, so a changed or removed row breaks the chain
(``manage.py consent_verify``). Personal evidence (IP, user agent, the submitted fields)
lives in ConsentEvidence, whose digest is in the chained hash: erasure blanks the evidence
row, the chain still verifies, and the proof that consent existed stays.
"""

import uuid

import phonenumbers
from django.conf import settings
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from accounts.hygiene import refuse_bidi_controls
from accounts.models import Business

KIND_CHOICES = [("marketing", "Marketing"), ("informational", "Informational")]
LANGUAGE_CHOICES = [("en", "English"), ("es", "Spanish")]
# the policy documents an opt-in form links to: their versions in force join its evidence
POLICY_KINDS = ("privacy", "terms")


class Contact(models.Model):
    """A person a business may text. Unique per business and phone.

    Erasure anonymises the row (phone, name, email, tags, fields blanked; ``erased_at``
    set) instead of deleting it, so the ledger keeps pointing at something.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # indexes starting with business cover the FK (fewer indexes: faster imports)
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    phone = PhoneNumberField(null=True, blank=True)
    # The suppression list's hash of ``phone`` (consent.selectors.suppression_hash), so that
    # the send API's first statement can ask the suppression list (SQL cannot compute the
    # keyed hash). A cache, never trusted alone: consent_check uses what the statement found
    # with it only when it is the hash of the phone read in the same row; written by the
    # send path when it is not (consent.services.contact_phone_hash_store), blanked on erasure.
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    # refused with text-direction controls, as every way in does (accounts/hygiene.py)
    name = models.CharField(max_length=200, blank=True, validators=[refuse_bidi_controls])
    email = models.EmailField(blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # compliance replies (HELP, STOP, opt-in confirmations) use it; set from the language of
    # the person's keyword, or by staff; empty: English
    language = models.CharField(
        max_length=8, blank=True, default="", db_default="", choices=LANGUAGE_CHOICES
    )
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, blank=True)  # form, import, api, portal, inbound
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "phone"],
                condition=models.Q(phone__isnull=False),
                name="contact_business_phone_unique",
            ),
        ]
        indexes = [
            # contacts list: newest first within a business
            models.Index(fields=["business", "-created_at"], name="contact_biz_created"),
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return f"erased contact {self.uuid}"
        return f"{self.name or 'Contact'} {self.phone}"

    @property
    def phone_e164(self) -> str:
        # Not ``if self.phone``: phonenumber-field's truth test formats and re-validates the
        # number against the metadata (~0.2 ms), and dispatch asks this for every message.
        phone = self.phone
        if not isinstance(phone, phonenumbers.PhoneNumber) or not phone.national_number:
            return ""
        return phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164)


class EventKind(models.TextChoices):
    OPT_IN = "OPT_IN", "Opt-in (pending confirmation)"
    OPT_IN_CONFIRMED = "OPT_IN_CONFIRMED", "Opt-in confirmed"
    OPT_OUT = "OPT_OUT", "Opt-out"


class Method(models.TextChoices):
    WEB_FORM = "WEB_FORM", "Web form"
    DOUBLE_OPT_IN_REPLY = "DOUBLE_OPT_IN_REPLY", "Double opt-in reply"
    KEYWORD = "KEYWORD", "Keyword"
    API = "API", "API with evidence"
    IMPORT_ATTESTED = "IMPORT_ATTESTED", "Attested import"
    VERBAL_SCRIPT = "VERBAL_SCRIPT", "Verbal script"
    REPLY_TO_INBOUND = "REPLY_TO_INBOUND", "Reply to inbound"
    PORTAL = "PORTAL", "Recorded in the portal"
    SIGNED_RECORD = "SIGNED_RECORD", "Uploaded signed record"


class SignedRecord(models.Model):
    """A signed consent record someone uploaded (a scanned paper form, an e-signature
    export): the file as received and its SHA-256, which the consent event names in its
    chained ``source``. Erasure blanks the file and keeps the hash."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="signed_records", db_index=False
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # the consent service checks the record it is given: (business, contact, sha256)
            models.Index(fields=["business", "contact", "sha256"], name="signedrecord_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:12]})"


class FormSnapshot(models.Model):
    """The opt-in form exactly as served (HTML), stored once per distinct rendering."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(max_length=64)
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "sha256"], name="formsnapshot_unique")
        ]

    def __str__(self) -> str:
        return self.sha256[:12]


class OptInForm(models.Model):
    """An embeddable opt-in form. ``version`` rises on every edit (part of the evidence)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="optin_forms")
    name = models.CharField(max_length=120)
    headline = models.CharField(max_length=200, default="Get texts from us")
    campaigns = models.ManyToManyField("campaigns.Campaign", blank=True, related_name="+")
    scope_kind = models.CharField(
        max_length=20,
        choices=KIND_CHOICES,
        default="marketing",
        help_text="What the texts are, when no campaign is chosen.",
    )
    collect_name = models.BooleanField(default=True)
    collect_email = models.BooleanField(default=False)
    program_name = models.CharField(max_length=120)
    message_description = models.CharField(max_length=300)
    frequency = models.CharField(max_length=120, default="Up to 4 msgs/month")
    terms_url = models.URLField(max_length=500)
    privacy_url = models.URLField(max_length=500)
    disclosure_extra = models.TextField(blank=True)
    allowed_origins = models.JSONField("sites allowed", default=list, blank=True)
    double_opt_in = models.BooleanField(default=True)
    success_message = models.CharField(
        max_length=300, default="Thanks! Check your phone and reply YES to confirm."
    )
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def policy_version(self) -> str:
        """The form's own version and the privacy policy and terms in effect, which the
        disclosure links to: what the person was shown, for the ledger."""
        from policies.documents import current_versions

        # the public form's read (selectors.optin_form_public) brings them along
        versions = vars(self).get("policy_versions_in_force")
        if versions is None:
            versions = current_versions(*POLICY_KINDS)
        shown = [f"form:{self.uuid}:v{self.version}"]
        shown += [v for v in versions if v]
        return ";".join(shown)


class ConsentEvent(models.Model):
    """One entry of the ledger. Append-only; chained by ``prev_hash`` per business.

    Scope: a campaign (``campaign`` set, ``scope_kind`` empty), a message kind
    (``scope_kind`` "marketing"/"informational"), or everything (both empty: only opt-outs
    and re-subscriptions use it).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Ledger rows are never deleted, so FK indexes only for lookups the composite
    # indexes below don't serve; each index less is a faster import.
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="consent_events", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    method = models.CharField(max_length=24, choices=Method.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    scope_kind = models.CharField(max_length=20, blank=True)
    disclosure_text = models.TextField(blank=True)
    policy_version = models.CharField(max_length=120, blank=True)
    form = models.ForeignKey(
        OptInForm, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    form_snapshot_sha256 = models.CharField(max_length=64, blank=True)
    page_url = models.URLField(max_length=1000, blank=True)
    source = models.CharField(max_length=300, blank=True)  # e.g. import name, keyword text
    consented_at = models.DateTimeField(null=True, blank=True)  # when the person consented
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    recorded_by_label = models.CharField(max_length=255, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    # Not a column: consent_record_opt_in sets it on the event it returns (appended or not).
    was_created: bool

    class Meta:
        ordering = ["-seq"]
        constraints = [
            models.UniqueConstraint(fields=["business", "seq"], name="consentevent_biz_seq"),
        ]
        indexes = [
            # a contact's timeline
            models.Index(fields=["business", "contact", "-seq"], name="consentevent_contact"),
            # proof for carriers: a campaign's events in a date range
            models.Index(fields=["business", "campaign", "created_at"], name="consentevent_camp"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.method}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Consent events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent events are append-only.")

    @property
    def scope_label(self) -> str:
        if self.campaign_id:
            return f"campaign {self.campaign}"
        return self.scope_kind or "all messages"


class ConsentEvidence(models.Model):
    """The personal part of an event's evidence. Its digest is chained; erasure blanks it."""

    event = models.OneToOneField(ConsentEvent, on_delete=models.PROTECT, related_name="evidence")
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"evidence of {self.event_id}"


class ChainHead(models.Model):
    """The last hash and sequence of a business's ledger; locked while appending."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.business_id}#{self.seq}"


class ChainCheckpoint(models.Model):
    """The chain head as it stood, signed: HMAC-SHA256 with ``CONSENT_CHECKPOINT_KEY``
    (not in the database) over business, seq and hash. Written by a periodic task, also
    into the audit trail; ``consent_verify`` finds a ledger that ends before its last
    checkpoint (a cut tail, the chain head rolled back with it). Append-only."""

    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # consent_verify and the task read a business's latest checkpoint
            models.Index(fields=["business", "-seq"], name="chaincheckpoint_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.business_id}#{self.seq}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Chain checkpoints are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Chain checkpoints are append-only.")


class ConsentState(models.Model):
    """The current consent per contact and scope, written with each event.

    ``scope_key`` is "all", "c:<campaign uuid>" or "k:<kind>". Dispatch reads the rows of
    one contact for the scopes that matter in one query on the unique index.

        (none) --OPT_IN--> PENDING --OPT_IN_CONFIRMED--> OPTED_IN --OPT_OUT--> OPTED_OUT
        OPTED_OUT --OPT_IN (web form, DOI)--> PENDING;  --START (if confirmed before)--> OPTED_IN
    The "all" row only ever revokes: OPTED_IN there means "an earlier STOPALL was lifted".
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending double opt-in"
        OPTED_IN = "OPTED_IN", "Opted in"
        OPTED_OUT = "OPTED_OUT", "Opted out"

    # the unique (business, contact, scope_key) index serves every read; no FK indexes
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consent_states", db_index=False
    )
    scope_key = models.CharField(max_length=64)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    scope_kind = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_event = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    event_seq = models.PositiveBigIntegerField()  # the later event wins between scopes
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # consent_check: one query on (business, contact, scope_key IN (...))
            models.UniqueConstraint(
                fields=["business", "contact", "scope_key"], name="consentstate_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.scope_key} {self.status}"


class Suppression(models.Model):
    """A salted hash of an opted-out phone; survives erasure. No campaign: whole business."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=64)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    opted_out_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=40, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "phone_hash"],
                condition=models.Q(campaign__isnull=True),
                name="suppression_business_unique",
            ),
            models.UniqueConstraint(
                fields=["business", "phone_hash", "campaign"],
                condition=models.Q(campaign__isnull=False),
                name="suppression_campaign_unique",
            ),
        ]
        indexes = [models.Index(fields=["business", "phone_hash"], name="suppression_lookup")]

    def __str__(self) -> str:
        return f"{self.phone_hash[:12]} ({self.reason})"


class ContactImport(models.Model):
    """A CSV import: uploaded, mapped, attested, then run (in Celery when large).

    UPLOADED --map+attest--> QUEUED --> RUNNING --> DONE | FAILED
    """

    class Status(models.TextChoices):
        UPLOADED = "UPLOADED", "Waiting for column mapping"
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        DONE = "DONE", "Done"
        FAILED = "FAILED", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    encoding = models.CharField(max_length=20, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_kind = models.CharField(max_length=20, blank=True)
    tags = models.JSONField(default=list, blank=True)
    attestation_text = models.TextField(blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    attested_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    consented_count = models.PositiveIntegerField(default=0)
    no_evidence_count = models.PositiveIntegerField(default=0)
    suppressed_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="contactimport_biz")]

    def __str__(self) -> str:
        return self.filename

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))
