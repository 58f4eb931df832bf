"""Messages (the durable outbox and inbox), the per-number send lanes, broadcasts, raw
status callbacks, the inbox's threads and quick replies, and tenants' outbound webhook
endpoints with their delivery log. See messaging/README.md for the queue and the cap."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business

KINDS = ("marketing", "informational", "transactional", "conversational")
KIND_CHOICES = [(k, k.capitalize()) for k in KINDS]
PURPOSES = ("", "double_opt_in", "opt_out_confirmation", "help_reply", "opt_in_confirmation")

# Lower runs first: system replies and conversation before bulk.
PRIORITY_SYSTEM = 0  # opt-out / HELP / opt-in confirmations
PRIORITY_REPLY = 10  # replies in a conversation
PRIORITY_TRANSACTIONAL = 20
PRIORITY_BULK = 50  # marketing, informational, broadcasts


class Message(models.Model):
    """One text, outbound or inbound. For both directions ``from_number`` is OUR number
    (the line) and ``to_phone`` is the other party's phone.

    Outbound state machine (transitions only in messaging.services):

        enqueue --gates fail--> BLOCKED (final)      --policy "review"--> HELD
        enqueue --ok--> QUEUED, or SCHEDULED (send_at / quiet hours)
        HELD --staff release--> QUEUED;  HELD --staff reject--> BLOCKED
        SCHEDULED --due--> (claimed like QUEUED)
        QUEUED/SCHEDULED --claim + slot--> SENDING --carrier accepts--> SENT
        QUEUED/SCHEDULED --re-check: opted out / suppressed / campaign or business
            stopped--> BLOCKED;  --quiet hours--> SCHEDULED;  --past expires_at--> EXPIRED
        SENDING --transient error / 429--> QUEUED (send_after = backoff) ... at most
            MESSAGING_MAX_ATTEMPTS, then FAILED;  --permanent error--> FAILED (error_code)
        SENDING --worker died--> QUEUED again (recovery; the carrier dedups on our id)
        SENT --callback--> DELIVERED | UNDELIVERED | FAILED
        QUEUED/SCHEDULED/HELD --cancel--> CANCELED

    Inbound messages are RECEIVED.
    """

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        SCHEDULED = "SCHEDULED", "Scheduled"
        HELD = "HELD", "Held for review"
        BLOCKED = "BLOCKED", "Blocked"
        SENDING = "SENDING", "Sending"
        SENT = "SENT", "Sent"
        DELIVERED = "DELIVERED", "Delivered"
        UNDELIVERED = "UNDELIVERED", "Undelivered"
        FAILED = "FAILED", "Failed"
        CANCELED = "CANCELED", "Canceled"
        EXPIRED = "EXPIRED", "Expired"
        RECEIVED = "RECEIVED", "Received"

    WAITING = (Status.QUEUED, Status.SCHEDULED)
    # set by selectors.messages_with_media: the files it carries (messaging.media), in order
    media_files: list
    FINAL = (
        Status.BLOCKED,
        Status.DELIVERED,
        Status.UNDELIVERED,
        Status.FAILED,
        Status.CANCELED,
        Status.EXPIRED,
    )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="messages")
    contact = models.ForeignKey(
        "consent.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    from_number = models.ForeignKey(
        "campaigns.PhoneNumber",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    to_phone = models.CharField(max_length=16)
    body = models.TextField()
    kind = models.CharField(max_length=16, choices=KIND_CHOICES, default="conversational")
    purpose = models.CharField(max_length=24, blank=True, default="")
    automated = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=PRIORITY_BULK)
    encoding = models.CharField(max_length=8, default="GSM-7")
    segments = models.PositiveSmallIntegerField(default=1)
    # Files it carries (messaging.media; ``message.media`` lists them): an MMS when > 0, which
    # counts as one message against every cap (segments = 1) and is billed as one MMS.
    media_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, db_index=False)
    reasons = models.JSONField(default=list, blank=True)  # [{"gate", "code", "message", ...}]
    provider = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    send_after = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # The send slot this message holds on its number's cap (see ratecap.py); counted while
    # slot_frees_at > now, whatever the status.
    slot_frees_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The campaign it went out under (set when claimed): its slot counts against that
    # campaign's AT&T limit too, whichever campaign the number is on later.
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    broadcast = models.ForeignKey(
        "Broadcast", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="message_idempotency",
            ),
        ]
        indexes = [
            # The per-number ready query of the drain: waiting rows of one number in queue
            # order (priority, send_after, id). Partial, so sent history does not bloat it.
            models.Index(
                fields=["business", "from_number", "priority", "send_after", "id"],
                condition=Q(status__in=["QUEUED", "SCHEDULED"]),
                name="message_ready",
            ),
            # The cap: active slots of one number (slot_frees_at > now).
            models.Index(
                fields=["from_number", "slot_frees_at"],
                condition=Q(slot_frees_at__isnull=False),
                name="message_slots",
            ),
            # The carriers' per-campaign limit: active slots of one campaign.
            models.Index(
                fields=["campaign", "slot_frees_at"],
                condition=Q(slot_frees_at__isnull=False),
                name="message_campaign_slots",
            ),
            # Recovery: claims whose worker died.
            models.Index(
                fields=["claimed_at"], condition=Q(status="SENDING"), name="message_sending"
            ),
            # The message log and the inbox, newest first.
            models.Index(fields=["business", "-created_at"], name="message_biz_time"),
            models.Index(fields=["business", "to_phone", "-created_at"], name="message_biz_peer"),
            models.Index(fields=["business", "broadcast"], name="message_biz_broadcast"),
            # The staff review queue and /metrics' held count: HELD rows only, so tiny.
            models.Index(fields=["created_at"], condition=Q(status="HELD"), name="message_held"),
            # Status callbacks that carry only the provider's id (Twilio).
            models.Index(fields=["provider_id"], name="message_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.to_phone} {self.status}"

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING


WAITING_FOR = [
    ("", "nothing"),
    ("number", "the number's limit (50 a minute)"),
    ("campaign", "the campaign's per-minute limit (AT&T)"),
    ("brand_day", "the brand's daily limit (T-Mobile)"),
    ("throttled", "the carrier asked us to slow down"),
]


class SendLane(models.Model):
    """Per-number drain bookkeeping: when a drain is due, and carrier throttling.

    ``drain_at`` is when a drain task is expected to run for this number (null: idle, no
    backlog when the last drainer looked). Producers kick a drain only when it is null,
    later than their message is due, or stale; the recovery task re-kicks lanes whose
    drain_at is far in the past while rows wait. The cap itself is not here: it is the
    slots on the messages (Message.slot_frees_at), reserved under this row's lock.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    number = models.OneToOneField(
        "campaigns.PhoneNumber", on_delete=models.CASCADE, related_name="send_lane"
    )
    drain_at = models.DateTimeField(null=True, blank=True)
    # The ETA of the drain task last sent for drain_at (null: none outstanding).
    task_eta = models.DateTimeField(null=True, blank=True)
    throttled_until = models.DateTimeField(null=True, blank=True)
    throttle_count = models.PositiveIntegerField(default=0)
    last_drain_at = models.DateTimeField(null=True, blank=True)
    # Which limit the last drain stopped at while rows were due ("" when none did), and
    # until when: what the message log, the dashboard and broadcast estimates explain.
    waiting_for = models.CharField(max_length=16, blank=True, choices=WAITING_FOR, default="")
    waiting_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # recovery: lanes whose expected drain is overdue
            models.Index(fields=["drain_at"], name="sendlane_drain_at"),
        ]

    def __str__(self) -> str:
        return f"lane {self.number_id}"


class BrandDay(models.Model):
    """A brand's segments counted against its daily cap (T-Mobile) in one period (the
    calendar day in Pacific time). The row is also the lock under which claims of every
    number of the brand count and add: ``used`` rises in the claim transaction that
    reserves the messages, and falls only for messages the carrier refused (nothing
    landed). A retried message counts again (it may have landed the first time).
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    brand = models.ForeignKey("campaigns.Brand", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()
    used = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "brand", "period_start"], name="brandday_brand_period"
            )
        ]

    def __str__(self) -> str:
        return f"brand {self.brand_id} {self.period_start:%Y-%m-%d}: {self.used}"


class CampaignLane(models.Model):
    """The lock row of a campaign's per-minute limit (AT&T): claims of every number of the
    campaign count the campaign's active slots (Message.campaign + slot_frees_at) and add
    theirs under it."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="send_lane"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "campaign"], name="campaignlane_campaign")
        ]

    def __str__(self) -> str:
        return f"campaign lane {self.campaign_id}"


class Broadcast(models.Model):
    """One message to many contacts, fanned out through the same gates as a single send.

    DRAFT --start--> RUNNING --all recipients final--> COMPLETED;  DRAFT/RUNNING --cancel-->
    CANCELED (waiting messages are canceled). A scheduled broadcast starts at ``send_at``.
    Per-recipient outcome = the recipient's Message (blocked ones carry their reasons).
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        RUNNING = "RUNNING", "Running"
        COMPLETED = "COMPLETED", "Completed"
        CANCELED = "CANCELED", "Canceled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="broadcasts")
    name = models.CharField(max_length=120)
    body = models.TextField()
    kind = models.CharField(max_length=16, choices=KIND_CHOICES, default="marketing")
    from_number = models.ForeignKey(
        "campaigns.PhoneNumber", on_delete=models.PROTECT, related_name="broadcasts"
    )
    tags = models.JSONField(default=list, blank=True)
    contact_uuids = models.JSONField(default=list, blank=True)
    # a saved segment (consent.audiences): the audience is whoever matches when it fans out
    segment = models.ForeignKey(
        "audiences.Segment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    send_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    recipient_count = models.PositiveIntegerField(default=0)
    estimate_seconds = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The fan-out's progress, so an interrupted one (worker killed, broker or database gone)
    # resumes where it stopped: the last contact id enqueued, when it last made progress
    # (the recovery task restarts a RUNNING fan-out idle longer than the grace), and when it
    # reached the end of the audience (only then can the broadcast complete).
    fanout_cursor = models.BigIntegerField(default=0)
    fanout_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="broadcast_biz_time")]

    def __str__(self) -> str:
        return self.name


class StatusCallback(models.Model):
    """A provider's delivery receipt as it arrived: stored raw by the webhook (one INSERT),
    applied to messages in batches by a task. Not tenant data until applied."""

    provider = models.CharField(max_length=20)
    message_uuid = models.UUIDField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_id} {self.status}"


# --- the inbox -----------------------------------------------------------------------------------


class Conversation(models.Model):
    """Inbox state of the thread with one contact: who handles it and what was read."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "consent.Contact", on_delete=models.CASCADE, related_name="conversations"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "contact"], name="conversation_contact")
        ]

    def __str__(self) -> str:
        return f"conversation {self.contact_id}"


class QuickReply(models.Model):
    """A saved answer staff insert into a reply with one click."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=60)
    body = models.TextField(max_length=640)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["business", "title"], name="quickreply_biz")]

    def __str__(self) -> str:
        return self.title


class KeywordRule(models.Model):
    """One inbound keyword of the platform's table (``keywords.DEFAULTS`` seeds it): the word,
    what it does and its language, which the compliance reply answers in. Staff extend it in
    the admin; campaigns add their own words on top. Platform-wide, not a tenant's row."""

    class Action(models.TextChoices):
        OPT_OUT = "opt_out", "Opt out of the campaign (STOP)"
        OPT_OUT_ALL = "opt_out_all", "Opt out of everything (STOPALL)"
        OPT_IN = "opt_in", "Subscribe again (START)"
        CONFIRM = "confirm", "Confirm a double opt-in (YES)"
        HELP = "help", "Ask for help (HELP)"

    class Language(models.TextChoices):
        EN = "en", "English"
        ES = "es", "Spanish"

    word = models.CharField(
        max_length=40,
        unique=True,
        help_text="The whole text, e.g. STOP or NO MAS; case, spaces and accents are ignored.",
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["language", "action", "word"]

    def __str__(self) -> str:
        return f"{self.word} ({self.action}, {self.language})"
