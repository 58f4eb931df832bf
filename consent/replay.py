"""The consent state and the suppression list as the ledger says they must be: pure, no ORM.

``ConsentState`` and ``Suppression`` are derived data: ``consent.services.ledger`` writes
them in the transaction of each event. ``replay`` derives them again from a business's
events in ``seq`` order, following the same rules, so ``consent_verify`` can name every
row that differs (``consent.verify``).

One event shape is ambiguous: a confirmed opt-in with a campaign and method ``KEYWORD`` is
either a join keyword (``consent_record_opt_in``: that campaign's scope) or START
(``consent_record_reply_opt_in``: restores what an opt-out revoked). The ledger's state at
that point decides where only one was possible (START needs an opt-out or a suppression to
lift, a join is forced into double opt-in on a suppressed number); where both were, the
inbound service's evidence source does ("SMS to <number>: <text>" is START's).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .scopes import ALL

OPT_IN, CONFIRMED, OPT_OUT = "OPT_IN", "OPT_IN_CONFIRMED", "OPT_OUT"
PENDING, OPTED_IN, OPTED_OUT = "PENDING", "OPTED_IN", "OPTED_OUT"
DOI_REPLY, KEYWORD = "DOUBLE_OPT_IN_REPLY", "KEYWORD"
WHOLE = None  # the suppression of the whole business (no campaign)


@dataclass(frozen=True)
class Event:
    pk: int
    seq: int
    contact_id: int
    kind: str
    method: str
    campaign_id: int | None
    campaign_uuid: str
    scope_kind: str
    source: str
    created_at: datetime


@dataclass
class State:
    status: str
    campaign_id: int | None
    scope_kind: str
    confirmed: bool  # confirmed_at is set (START restores only what was confirmed)
    last_event_id: int
    event_seq: int


@dataclass
class Ledger:
    """contact id -> scope key -> State; contact id -> campaign id (None: all) -> active."""

    states: dict[int, dict[str, State]] = field(default_factory=dict)
    suppressed: dict[int, dict[int | None, bool]] = field(default_factory=dict)


def _key(e: Event) -> str:
    if e.campaign_id is not None:
        return f"c:{e.campaign_uuid}"
    return f"k:{e.scope_kind}" if e.scope_kind else ALL


def _set(states: dict[str, State], key: str, e: Event, status: str, campaign_id, kind) -> None:
    old = states.get(key)
    states[key] = State(
        status=status,
        campaign_id=campaign_id,
        scope_kind=kind,
        confirmed=status == OPTED_IN or (old is not None and old.confirmed),
        last_event_id=e.pk,
        event_seq=e.seq,
    )


def _lift(sup: dict[int | None, bool], campaigns: Iterable[int] | None) -> None:
    for campaign_id in list(sup):
        if campaigns is None or campaign_id is WHOLE or campaign_id in campaigns:
            sup[campaign_id] = False


def _is_start(e: Event, states: dict[str, State], sup: dict[int | None, bool]) -> bool:
    if e.method == DOI_REPLY:
        return False
    if e.campaign_id is None:
        return not e.scope_kind  # a kind-scoped opt-in names its kind
    if e.method != KEYWORD or e.scope_kind:
        return False
    if sup.get(WHOLE) or sup.get(e.campaign_id):
        return True  # a join on a suppressed number is always pending, never confirmed
    revoked = [states.get(k) for k in (ALL, _key(e))]
    if not any(s is not None and s.status == OPTED_OUT for s in revoked):
        return False  # START appends only when something is revoked
    return e.source.startswith("SMS to ")


def replay(events: Iterable[Event]) -> Ledger:
    """The states and suppressions after ``events`` (one business, in ``seq`` order)."""
    out = Ledger()
    for e in events:
        states = out.states.setdefault(e.contact_id, {})
        sup = out.suppressed.setdefault(e.contact_id, {})
        if e.kind == OPT_IN:
            _set(states, _key(e), e, PENDING, e.campaign_id, e.scope_kind)
        elif e.kind == OPT_OUT:
            if e.campaign_id is None:
                _set(states, ALL, e, OPTED_OUT, None, "")
                for key, state in states.items():
                    if key != ALL:
                        state.status, state.last_event_id, state.event_seq = OPTED_OUT, e.pk, e.seq
                sup[WHOLE] = True
            else:
                _set(states, _key(e), e, OPTED_OUT, e.campaign_id, "")
                sup[e.campaign_id] = True
        elif _is_start(e, states, sup):
            keys = None if e.campaign_id is None else {ALL, _key(e)}
            for key, state in list(states.items()):
                if keys is not None and key not in keys:
                    continue
                if state.status == OPTED_OUT and (key == ALL or state.confirmed):
                    _set(states, key, e, OPTED_IN, state.campaign_id, state.scope_kind)
            _lift(sup, None if e.campaign_id is None else {e.campaign_id})
        else:
            _set(states, _key(e), e, OPTED_IN, e.campaign_id, e.scope_kind)
            if e.method == DOI_REPLY:  # the person's own YES lifts an earlier opt-out
                _lift(sup, set() if e.campaign_id is None else {e.campaign_id})
    return out
