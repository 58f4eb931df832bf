"""The send gates, once: whether each of a list of outgoing messages may be sent, and why.

Its own module, below ``services`` and ``selectors``: the services record its decisions,
the compose page's dry run (``selectors.compose_precheck``) shows them, and the drain asks
it again at dispatch.

``message_gates`` is the one function that decides it (DESIGN "Every gate once"). Every
caller asks it for a batch: a single send (``message_enqueue``, the compose page's dry
run) is a batch of one; bulk sends and broadcasts (``message_enqueue_many``) ask once per
batch; the drain's re-check at dispatch asks for its whole claim with the gates that can
change while a message waits (``DISPATCH_GATES``).

Before any gate, the *kind* is read from the content: a message declared transactional,
informational or conversational whose text is promotional (``policies.promotional``) is
judged as marketing by every gate below, with a ``kind`` note in its reasons saying why
(asked with the ``policy`` gate: at enqueue and in the dry run; the message is stored with
the kind judged, which the re-check at dispatch takes as it is). Whether a message is
*automated* is the caller's channel (``automated_for``), never the sender's word.

The gates, in this order (the order is compliance-critical; README step 1 and step 4):

1. ``validity`` (dispatch only) — past ``expires_at``: the message expires, nothing else
   is asked;
2. ``number`` — ``campaigns.selectors.number_send_permission``: business standing (vetted
   and approved), the number active and on an APPROVED campaign of this business, automated
   only from an automated campaign, the kind inside the use case;
3. ``consent`` — ``consent.selectors.consent_check_many`` (a lone question at enqueue:
   ``consent_check``, which reads suppression only when its rules reach it); a reply counts
   as part of a conversation only when it is conversational and answers the contact's own
   text within ``MESSAGING_REPLY_WINDOW_HOURS``;
4. ``policy`` (enqueue) — ``policies.services.message_check`` (content, links, opt-out
   language, snowshoeing, a hold on the business), plus opt-out language on every automated
   message (``OPT_OUT_EXEMPT``); keyword answers skip it. At dispatch (``rules``) the same
   check is asked again of messages queued before the content rules last changed; one that
   now fails is held for staff;
5. ``quiet_hours`` — asked only when nothing above failed: a marketing or informational
   message due inside quiet hours is deferred to their end, never dropped;
6. ``billing`` (dispatch only) — business standing with the payment side
   (``accounts.billing``): while the business is paused for non-payment, or when the month's
   spending cap would be exceeded, the message waits (deferred by
   ``BILLING_RECHECK_SECONDS``, never dropped); what may go has its cost reserved against
   the cap (``billing.services.spend_reserve``, under the month's counter lock in the
   claim's transaction: the cap is never exceeded). Keyword answers (STOP, HELP) are never
   held for billing. At enqueue the same standing is a 402 (``PaymentRequired``), raised
   by the enqueue services before any gate.

Each question is asked once per batch where the answer cannot differ between messages:
number permission once per (number, kind, automated), consent for every contact in two
queries, the policy engine once per distinct (body, kind, campaign, purpose[, number when
the snowshoe rule applies]).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.billing import selectors as billing_selectors
from accounts.billing import services as billing_services
from accounts.models import Business
from accounts.text import sentences
from campaigns.selectors import number_send_permission
from consent import selectors as consent_selectors
from policies import promotional
from policies import selectors as policy_selectors
from policies import services as policy_services
from policies.engine.optout import has_opt_out

from . import quiet_hours

# Keyword answers the campaign registered (the first reply to STOP, HELP, START / YES or a
# join keyword); the content gate does not judge them, and they go out on any approved
# campaign: carriers and the FCC require them (47 CFR 64.1200(a)(12); CTIA 5.1.2.1, 5.1.3).
SYSTEM_PURPOSES = frozenset({"opt_out_confirmation", "help_reply", "opt_in_confirmation"})

SEND_GATES = ("number", "consent", "policy", "quiet_hours")  # at enqueue, every gate
# What can change while a message waits: its number, consent and quiet hours, and the
# content rules it was judged by ("rules": the policy gate again, only for messages queued
# before the rules last changed).
DISPATCH_GATES = ("validity", "number", "consent", "rules", "quiet_hours", "billing")

# --- automated by channel --------------------------------------------------------------------
# Where a message comes from. Only a person pressing send in the portal for now (compose
# without a schedule, a reply in the inbox) is not automated (TCPA "autodialer" traffic and
# the carriers' A2P registration: software-driven texts need a campaign registered as such).
CHANNELS = (
    "api",  # POST /api/v1/messages/ and any integration
    "schedule",  # a send time in the future, whoever set it
    "broadcast",
    "keyword",  # an answer to a keyword the contact texted
    "system",  # texts the platform sends itself (the "Reply YES" request)
    "template",  # texts a template or a rule produces
    "portal",  # a person pressing send on the compose page
    "inbox",  # a person replying in the inbox
)
PERSON_CHANNELS = frozenset({"portal", "inbox"})

KINDS_WITH_OWN_OPT_OUT_RULE = frozenset({"marketing", "informational"})  # the engine's check

DEFERRED_MESSAGE = "Deferred to the end of quiet hours in the recipient's time zone."
# A message with pictures or a contact card on a campaign that did not declare MMS (carriers
# vet MMS content against the registration like links and phone numbers).
NO_MMS_MESSAGE = (
    "The campaign is not registered for pictures or contact cards (MMS); declare MMS on the "
    "campaign, or send the text alone."
)
NOTED = ("defer", "reclassify")  # verdicts of passing gates that are still recorded


def _no_mms() -> "Gate":
    return Gate("number", False, "campaign_no_mms", NO_MMS_MESSAGE, "block")


def automated_for(*, channel: str, scheduled: bool = False, purpose: str = "") -> bool:
    """Is a message from ``channel`` automated? Everything but a person's send-now in the
    portal; a schedule or a system purpose makes even that automated."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return channel not in PERSON_CHANNELS or scheduled or bool(purpose)


def keyword_answer(item: "Candidate") -> bool:
    """The first reply to a keyword the contact texted: a system purpose, or the "Reply YES"
    request that answers their join keyword."""
    return item.purpose in SYSTEM_PURPOSES or (
        item.purpose == "double_opt_in" and item.reply_to_at is not None
    )


def reply_window() -> timedelta:
    return timedelta(hours=settings.MESSAGING_REPLY_WINDOW_HOURS)


@dataclass
class Gate:
    gate: str  # "kind", "validity", "number", "consent", "policy", "quiet_hours"
    ok: bool
    code: str
    message: str
    verdict: str = "allow"  # allow / review / block / defer / expire / reclassify
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        data: dict[str, Any] = {"gate": self.gate, "code": self.code, "message": self.message}
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass
class Candidate:
    """One outgoing message as the gates see it."""

    contact: Any
    body: str
    kind: str
    from_number: Any  # None: no sending number (the number gate blocks)
    automated: bool = True  # the caller's channel decides (automated_for); unsaid: automated
    purpose: str = ""
    # A reply: when the contact's own text that it answers arrived (None: not a reply).
    reply_to_at: datetime | None = None
    to_phone: str = ""  # the recipient's number: quiet hours presume the zone from it
    due: datetime | None = None  # when it would go (quiet hours are judged then); now if None
    # The number texted, for suppression, when the caller has it (a queued row's to_phone);
    # None: the contact's own number.
    phone: str | None = None
    expires_at: datetime | None = None
    queued_at: datetime | None = None  # dispatch: when its content was last judged
    # MMS: how many files it carries, and their file names and metadata text, which the
    # content policy reads with the caption (messaging.media)
    media_count: int = 0
    media_text: str = ""
    # dispatch: the message's id (its spending-cap reservation and usage key) and size
    key: str = ""
    segments: int = 1

    @property
    def policy_text(self) -> str:
        """What the content policy judges: the caption, and the files' names and metadata."""
        return f"{self.body}\n{self.media_text}" if self.media_text else self.body


@dataclass
class Decision:
    """The answer for one message: every gate asked, in order, and the campaign its number
    sends on (None without a number or when the number gate was not asked)."""

    gates: list[Gate] = field(default_factory=list)
    kind: str = ""  # the kind every gate judged: the declared one, or marketing from content
    campaign: Any = None
    defer_until: datetime | None = None  # the end of quiet hours, when it must wait for it
    passed: bool = True  # no gate failed so far
    expired: bool = False

    def add(self, gate: Gate) -> None:
        self.gates.append(gate)
        if not gate.ok:
            self.passed = False
            self.expired = self.expired or gate.verdict == "expire"

    @property
    def failed(self) -> list[Gate]:
        return [g for g in self.gates if not g.ok]

    @property
    def verdict(self) -> str:
        """expire, block, review (held for staff), defer (quiet hours) or allow."""
        if self.passed:
            return "allow" if self.defer_until is None else "defer"
        failed = self.failed
        for verdict in ("expire", "block"):
            if any(g.verdict == verdict for g in failed):
                return verdict
        return "review"

    @property
    def reasons(self) -> list[dict]:
        """What is recorded on the message: the failed gates, a deferral, a kind read from
        the content."""
        return [g.as_dict() for g in self.gates if not g.ok or g.verdict in NOTED]


def message_gates(
    *,
    business: Business,
    items: list[Candidate],
    gates: tuple[str, ...] = SEND_GATES,
    now: datetime | None = None,
    all_reasons: bool = True,
) -> list[Decision]:
    """Decide ``gates`` for every message of ``items`` (one business); returns one Decision
    per item, in order. Writes nothing but the policy engine's own decision log and, at
    dispatch (``billing``), the spending-cap reservations of what it lets go.

    ``all_reasons``: every failing gate is asked and recorded (enqueue, the compose page);
    False stops a message at its first failing gate (the re-check at dispatch, which blocks
    with that one reason and need not ask consent of a number that may no longer send).
    """
    now = now or timezone.now()
    decisions = [Decision() for _ in items]
    readings: dict[str, promotional.Reading] = {}  # one reading per distinct body
    for it, d in zip(items, decisions, strict=True):
        d.kind = it.kind
        # At dispatch the stored kind is already the one judged from this same content at
        # enqueue: reading it again would cost the drain ~0.2 ms of CPU per distinct body.
        if "policy" not in gates or it.kind == "marketing" or it.purpose:
            continue  # system texts are the campaign's registered ones
        if it.body not in readings:
            readings[it.body] = promotional.classify(it.body)
        reading = readings[it.body]
        if reading.promotional:
            d.kind = "marketing"
            d.add(
                Gate(
                    "kind",
                    True,
                    "reads_as_marketing",
                    f"Sent as {it.kind}, but {reading.explanation}, so every rule for "
                    "marketing applies: marketing consent, opt-out text, quiet hours and a "
                    "campaign that covers marketing.",
                    "reclassify",
                    {"declared": it.kind, "evidence": reading.evidence},
                )
            )

    def open_items(*, passing: bool = False) -> list[tuple[Candidate, Decision]]:
        """The messages a further gate must still judge."""
        return [
            (it, d)
            for it, d in zip(items, decisions, strict=True)
            if not d.expired and (d.passed or (all_reasons and not passing))
        ]

    if "validity" in gates:
        for it, d in open_items():
            if it.expires_at and it.expires_at <= now:
                d.add(
                    Gate(
                        "validity",
                        False,
                        "expired",
                        "Validity period ended before it could be sent.",
                        "expire",
                    )
                )
    if "number" in gates:
        permissions: dict[tuple[int, str, bool], tuple[Any, Gate]] = {}
        for it, d in open_items():
            if it.from_number is None:
                d.add(
                    Gate("number", False, "no_number", "No sending number is available.", "block")
                )
                continue
            # keyword answers go out on any approved campaign (see SYSTEM_PURPOSES)
            automated = it.automated and not keyword_answer(it)
            key = (it.from_number.pk, d.kind, automated)
            if key not in permissions:
                perm = number_send_permission(
                    business=business, number=it.from_number, kind=d.kind, automated=automated
                )
                permissions[key] = (perm.campaign, _answer("number", perm))
            d.campaign, gate = permissions[key]
            if gate.ok and it.media_count and not getattr(d.campaign, "mms", False):
                gate = _no_mms()
            d.add(gate)
    if "consent" in gates:
        asked = open_items()
        conversation = [_in_conversation(it, d.kind, now) for it, d in asked]
        answers = _consent(
            business=business,
            queries=[
                consent_selectors.ConsentQuery(
                    it.contact, d.kind, d.campaign, talk, it.purpose, it.phone
                )
                for (it, d), talk in zip(asked, conversation, strict=True)
            ],
        )
        said: dict[Any, Gate] = {}  # one Gate per distinct answer (gates are read-only)
        for (it, d), answer, talk in zip(asked, answers, conversation, strict=True):
            why = "" if answer.allowed or talk else _not_a_conversation(it, d.kind, now)
            if (answer, why) not in said:
                gate = _answer("consent", answer)
                if why:
                    gate.message = sentences([answer.message, why])
                    gate.detail = {"reply": why}
                said[(answer, why)] = gate
            d.add(said[(answer, why)])
    if "policy" in gates:
        checked: dict[tuple, Gate] = {}
        for it, d in open_items():
            # The content check depends on the number only through the snowshoe rule
            # (marketing / informational outside a number pool); elsewhere once per content.
            per_number = d.kind in ("marketing", "informational") and not getattr(
                d.campaign, "number_pool", False
            )
            content = (
                it.policy_text,
                d.kind,
                getattr(d.campaign, "pk", None),
                getattr(it.from_number, "pk", None) if per_number else None,
                it.purpose,
                it.automated,
            )
            if content not in checked:
                checked[content] = _policy(
                    business=business, item=it, kind=d.kind, campaign=d.campaign
                )
            d.add(checked[content])
    if "rules" in gates:
        changed_at = _rules_changed_at()
        rechecked: dict[tuple, Gate] = {}
        for it, d in open_items():
            if changed_at is None or it.queued_at is None or it.queued_at >= changed_at:
                continue
            judged = (
                it.policy_text,
                d.kind,
                getattr(d.campaign, "pk", None),
                it.purpose,
                it.automated,
            )
            if judged not in rechecked:
                rechecked[judged] = _recheck_policy(
                    business=business, item=it, kind=d.kind, campaign=d.campaign
                )
            d.add(rechecked[judged])
    if "quiet_hours" in gates:
        for it, d in open_items(passing=True):
            until = _quiet_hours_end(business=business, item=it, kind=d.kind, now=it.due or now)
            if until is not None:
                d.defer_until = until
                d.add(
                    Gate(
                        "quiet_hours",
                        True,
                        "quiet_hours_deferred",
                        DEFERRED_MESSAGE,
                        "defer",
                        {"until": until.isoformat()},
                    )
                )
    if "billing" in gates:
        _billing(business=business, asked=open_items(passing=True), now=now)
    return decisions


def _billing(*, business: Business, asked: list[tuple[Candidate, Decision]], now: datetime) -> None:
    """The billing gate at dispatch: wait while paused; reserve against the cap in queue
    order, and let wait what does not fit. Messages already waiting for quiet hours and
    keyword answers are not asked."""
    asked = [(it, d) for it, d in asked if d.defer_until is None and not keyword_answer(it)]
    if not asked:
        return
    until = now + timedelta(seconds=settings.BILLING_RECHECK_SECONDS)

    def wait(d: Decision, code: str, message: str) -> None:
        d.defer_until = until
        d.add(Gate("billing", True, code, message, "defer", {"until": until.isoformat()}))

    refusal = billing_selectors.send_refusal(business=business, now=now, cached=False)
    if refusal is not None and refusal.code == "billing_paused":
        for _it, d in asked:
            wait(d, refusal.code, refusal.message)
        return
    answers = billing_services.spend_reserve(
        business_id=business.pk,
        items=[
            billing_services.SpendItem(it.key, it.segments, mms=it.media_count > 0)
            for it, _d in asked
        ],
        now=now,
    )
    for (_it, d), fits in zip(asked, answers, strict=True):
        if not fits:
            wait(
                d,
                "spending_cap_reached",
                "Waiting: this month's spending cap would be exceeded. It goes when an owner "
                "raises the cap, or next month.",
            )


def _in_conversation(item: Candidate, kind: str, now: datetime) -> bool:
    """May consent rest on the conversation? Only a conversational reply to the contact's
    own text, sent within the reply window of it (judged at the message's send time)."""
    if item.reply_to_at is None or kind != "conversational":
        return False
    return (item.due or now) - item.reply_to_at <= reply_window()


def _not_a_conversation(item: Candidate, kind: str, now: datetime) -> str:
    """Why a reply cannot rest on the conversation ("" when it is not a reply)."""
    if item.reply_to_at is None:
        return ""
    hours = reply_window().total_seconds() / 3600
    if kind != "conversational":
        return f"A reply without other consent must be a conversational answer; this one is {kind}."
    age = (item.due or now) - item.reply_to_at
    return (
        f"A reply without other consent must answer the contact's own text within "
        f"{hours:g} hours; their text is {_age_words(age)} old."
    )


def _age_words(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{int(hours)} hours"
    return f"{int(hours // 24)} days"


def _answer(gate: str, answer) -> Gate:
    """A yes / no answer (a number permission, a consent decision) as its gate."""
    return Gate(
        gate, answer.allowed, answer.code, answer.message, "allow" if answer.allowed else "block"
    )


def _consent(*, business: Business, queries: list) -> list:
    if len(queries) == 1 and queries[0].phone is None:
        # One message at enqueue: the single form reads suppression only when its rules
        # reach it (the "Reply YES" text never does). Same rules, same answers.
        q = queries[0]
        return [
            consent_selectors.consent_check(
                business=business,
                contact=q.contact,
                kind=q.kind,
                campaign=q.campaign,
                is_reply=q.is_reply,
                purpose=q.purpose,
            )
        ]
    return consent_selectors.consent_check_many(business=business, queries=queries)


def _policy(
    *, business: Business, item: Candidate, kind: str, campaign, snowshoe: bool = True
) -> Gate:
    if item.purpose in SYSTEM_PURPOSES:
        # Keyword answers are the campaign's own registered texts; the content gate would
        # only be able to delay a legally required confirmation.
        return Gate("policy", True, "allow", "System reply.", "allow")
    policy = policy_services.message_check(
        business=business,
        body=item.policy_text,
        kind=kind,
        campaign=campaign,
        from_number=(item.from_number.e164 if item.from_number is not None and snowshoe else None),
    )
    messages = [r.message for r in policy.reasons]
    reasons = [r.as_dict() for r in policy.reasons]
    categories = list(policy.categories)
    decision: str = policy.decision
    missing = _automated_opt_out_missing(item, kind)
    if missing:
        messages.append(missing)
        reasons.append(
            {
                "rule_id": "opt_out.automated",
                "category": "missing_opt_out",
                "verdict": "block",
                "message": missing,
            }
        )
        if "missing_opt_out" not in categories:
            categories.append("missing_opt_out")
    code = decision
    if missing:
        code = decision if decision != "allow" else "missing_opt_out"
        decision = "block"
    return Gate(
        "policy",
        decision == "allow",
        code,
        sentences(messages) or "Content passes the policy.",
        decision,
        {"categories": categories, "reasons": reasons},
    )


def _automated_opt_out_missing(item: Candidate, kind: str) -> str:
    """Every automated message says how to stop (the seed's rule, CTIA 5.1.3), except the
    first reply to a keyword (``keyword_answer``: its text is the campaign's or the
    platform's own compliance reply, in the keyword's language) and a one-time passcode
    (a transactional text that holds nothing but the code). The engine already asks it of
    marketing and informational messages."""
    if (
        not item.automated
        or keyword_answer(item)
        or kind in KINDS_WITH_OWN_OPT_OUT_RULE
        or has_opt_out(item.body)
    ):
        return ""
    if kind == "transactional" and promotional.is_passcode(item.body):
        return ""
    return (
        f"Automated messages must say how to stop getting them, {kind} ones too: add "
        "“Reply STOP to opt out.”"
    )


_rules_seen: dict[str, Any] = {"changed_at": None}


def _rules_changed_at() -> datetime | None:
    """When staff or a fixture last changed the content rules (one indexed row). When it
    moved since this process last looked, the compiled rules are dropped so that the
    re-check judges by the new ones at once (not after POLICY_RULES_TTL)."""
    changed_at = policy_selectors.rules_changed_at()
    if changed_at != _rules_seen["changed_at"]:
        policy_services.rules_reset()
        _rules_seen["changed_at"] = changed_at
    return changed_at


def _recheck_policy(*, business: Business, item: Candidate, kind: str, campaign) -> Gate:
    """The policy gate at dispatch for a message queued before the rules changed: what now
    fails is held for staff (they may release it), with the reason."""
    gate = _policy(business=business, item=item, kind=kind, campaign=campaign, snowshoe=False)
    if gate.ok:
        return gate
    return Gate(
        "policy",
        False,
        gate.code,
        sentences(["The content rules changed after it was queued", gate.message]),
        "review",
        {**gate.detail, "rules_changed": True},
    )


def _quiet_hours_end(
    *, business: Business, item: Candidate, kind: str, now: datetime
) -> datetime | None:
    """None if the message may go at ``now``, else the moment quiet hours end for its
    recipient (marketing and informational only; system texts never wait)."""
    if kind not in quiet_hours.QUIET_KINDS or item.purpose:
        return None
    window = quiet_hours.window_for(
        item.to_phone, business_window=(business.quiet_hours_start, business.quiet_hours_end)
    )
    zones = quiet_hours.zones_for(item.to_phone, getattr(item.contact, "time_zone", "") or "")
    return quiet_hours.next_allowed(now, zones=zones, window=window)
