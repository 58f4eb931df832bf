"""The send gates, once: whether each of a list of outgoing messages may be sent, and why.

Its own module, below ``services`` and ``selectors``: the services record its decisions,
the compose page's dry run (``selectors.compose_precheck``) shows them, and the drain asks
it again at dispatch.

``message_gates`` is the one function that decides it (DESIGN "Every gate once"). Every
caller asks it for a batch: a single send (``message_enqueue``, the compose page's dry
run) is a batch of one; bulk sends and broadcasts (``message_enqueue_many``) ask once per
batch; the drain's re-check at dispatch asks for its whole claim with the gates that can
change while a message waits (``DISPATCH_GATES``).

The gates, in this order (the order is compliance-critical; README step 1 and step 4):

1. ``validity`` (dispatch only) — past ``expires_at``: the message expires, nothing else
   is asked;
2. ``number`` — ``campaigns.selectors.number_send_permission``: business standing (vetted
   and approved), the number active and on an APPROVED campaign of this business, automated
   only from an automated campaign, the kind inside the use case;
3. ``consent`` — ``consent.selectors.consent_check_many`` (a lone question at enqueue:
   ``consent_check``, which reads suppression only when its rules reach it);
4. ``policy`` (enqueue only) — ``policies.services.message_check`` (content, links, opt-out
   language, snowshoeing, a hold on the business); keyword answers skip it;
5. ``quiet_hours`` — asked only when nothing above failed: a marketing or informational
   message due inside quiet hours is deferred to their end, never dropped.

Each question is asked once per batch where the answer cannot differ between messages:
number permission once per (number, kind, automated), consent for every contact in two
queries, the policy engine once per distinct (body, kind, campaign, purpose[, number when
the snowshoe rule applies]).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import Business
from accounts.text import sentences
from campaigns.selectors import number_send_permission
from consent import selectors as consent_selectors
from policies import services as policy_services

from . import quiet_hours

# Keyword answers the campaign registered; the content gate does not judge them.
SYSTEM_PURPOSES = frozenset({"opt_out_confirmation", "help_reply", "opt_in_confirmation"})

SEND_GATES = ("number", "consent", "policy", "quiet_hours")  # at enqueue, every gate
# What can change while a message waits (its content cannot): asked again at dispatch.
DISPATCH_GATES = ("validity", "number", "consent", "quiet_hours")

DEFERRED_MESSAGE = "Deferred to the end of quiet hours in the recipient's time zone."


@dataclass
class Gate:
    gate: str  # "validity", "number", "consent", "policy", "quiet_hours"
    ok: bool
    code: str
    message: str
    verdict: str = "allow"  # allow / review / block / defer / expire
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
    automated: bool = False
    purpose: str = ""
    is_reply: bool = False
    to_phone: str = ""  # the recipient's number: quiet hours presume the zone from it
    due: datetime | None = None  # when it would go (quiet hours are judged then); now if None
    # The number texted, for suppression, when the caller has it (a queued row's to_phone);
    # None: the contact's own number.
    phone: str | None = None
    expires_at: datetime | None = None


@dataclass
class Decision:
    """The answer for one message: every gate asked, in order, and the campaign its number
    sends on (None without a number or when the number gate was not asked)."""

    gates: list[Gate] = field(default_factory=list)
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
        """What is recorded on the message: the failed gates, or the deferral."""
        if self.passed and self.defer_until is None:
            return []
        return [g.as_dict() for g in self.gates if not g.ok or g.verdict == "defer"]


def message_gates(
    *,
    business: Business,
    items: list[Candidate],
    gates: tuple[str, ...] = SEND_GATES,
    now: datetime | None = None,
    all_reasons: bool = True,
) -> list[Decision]:
    """Decide ``gates`` for every message of ``items`` (one business); returns one Decision
    per item, in order. Writes nothing but the policy engine's own decision log.

    ``all_reasons``: every failing gate is asked and recorded (enqueue, the compose page);
    False stops a message at its first failing gate (the re-check at dispatch, which blocks
    with that one reason and need not ask consent of a number that may no longer send).
    """
    now = now or timezone.now()
    decisions = [Decision() for _ in items]

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
            key = (it.from_number.pk, it.kind, it.automated)
            if key not in permissions:
                perm = number_send_permission(
                    business=business, number=it.from_number, kind=it.kind, automated=it.automated
                )
                permissions[key] = (perm.campaign, _answer("number", perm))
            d.campaign, gate = permissions[key]
            d.add(gate)
    if "consent" in gates:
        asked = open_items()
        answers = _consent(
            business=business,
            queries=[
                consent_selectors.ConsentQuery(
                    it.contact, it.kind, d.campaign, it.is_reply, it.purpose, it.phone
                )
                for it, d in asked
            ],
        )
        said: dict[Any, Gate] = {}  # one Gate per distinct answer (gates are read-only)
        for (_it, d), answer in zip(asked, answers, strict=True):
            if answer not in said:
                said[answer] = _answer("consent", answer)
            d.add(said[answer])
    if "policy" in gates:
        checked: dict[tuple, Gate] = {}
        for it, d in open_items():
            # The content check depends on the number only through the snowshoe rule
            # (marketing / informational outside a number pool); elsewhere once per content.
            per_number = it.kind in ("marketing", "informational") and not getattr(
                d.campaign, "number_pool", False
            )
            content = (
                it.body,
                it.kind,
                getattr(d.campaign, "pk", None),
                getattr(it.from_number, "pk", None) if per_number else None,
                it.purpose,
            )
            if content not in checked:
                checked[content] = _policy(business=business, item=it, campaign=d.campaign)
            d.add(checked[content])
    if "quiet_hours" in gates:
        for it, d in open_items(passing=True):
            until = _quiet_hours_end(business=business, item=it, now=it.due or now)
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
    return decisions


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


def _policy(*, business: Business, item: Candidate, campaign) -> Gate:
    if item.purpose in SYSTEM_PURPOSES:
        # Keyword answers are the campaign's own registered texts; the content gate would
        # only be able to delay a legally required confirmation.
        return Gate("policy", True, "allow", "System reply.", "allow")
    policy = policy_services.message_check(
        business=business,
        body=item.body,
        kind=item.kind,
        campaign=campaign,
        from_number=item.from_number.e164 if item.from_number is not None else None,
    )
    message = sentences(r.message for r in policy.reasons) or "Content passes the policy."
    return Gate(
        "policy",
        policy.allowed,
        policy.decision,
        message,
        policy.decision,
        {"categories": policy.categories, "reasons": [r.as_dict() for r in policy.reasons]},
    )


def _quiet_hours_end(*, business: Business, item: Candidate, now: datetime) -> datetime | None:
    """None if the message may go at ``now``, else the moment quiet hours end for its
    recipient (marketing and informational only; system texts never wait)."""
    if item.kind not in quiet_hours.QUIET_KINDS or item.purpose:
        return None
    window = quiet_hours.window_for(
        item.to_phone, business_window=(business.quiet_hours_start, business.quiet_hours_end)
    )
    zones = quiet_hours.zones_for(item.to_phone, getattr(item.contact, "time_zone", "") or "")
    return quiet_hours.next_allowed(now, zones=zones, window=window)
