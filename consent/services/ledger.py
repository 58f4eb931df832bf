"""The consent ledger: opt-ins, double opt-in confirmations, opt-outs, re-subscriptions,
and the suppression list they keep.

The ledger is appended only through ``chain.chain_append``: its writers lock the business's
ChainHead row (``chain.chain_head``), so events of one business are strictly ordered and
each carries the previous one's hash. ConsentState rows are written in the same
transaction as the event they reflect (a new one in the event's own statement).

Only this module (with ``chain``) writes ConsentState, Suppression and ChainHead: PostgreSQL
refuses any write to them in a transaction that has not set ``cyc.ledger_write`` (migration
0005), and ``chain_head`` sets it in the same statement that takes the lock. ``consent_verify``
derives the states and suppressions from the ledger again and names every row that differs.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import NotFound, ValidationFailed
from accounts.events.services import events_wanted
from accounts.models import Business

from .. import webhook_events, written
from ..errors import ContactErased, EvidenceMissing, PhoneSuppressed, WrittenConsentRequired
from ..inputs import check_campaign, clean_evidence
from ..models import (
    ChainHead,
    ConsentEvent,
    ConsentState,
    Contact,
    EventKind,
    Method,
    SignedRecord,
    Suppression,
)
from ..phones import phone_hash
from ..scopes import ALL, KINDS, scope_key
from ..selectors import is_suppressed, suppression_hash
from .chain import chain_append, chain_append_guarded, chain_head, chain_head_suppressed
from .chain import ledger_write_allow as ledger_write_allow  # devtools import it from here


def _state_set(
    *, business, contact, key, campaign, scope_kind, status, event, locked=None
) -> ConsentState:
    """Write the derived state of one scope. ``locked``: the caller already read that state
    row FOR UPDATE under the chain head (``False``: it found none), so one INSERT or UPDATE
    does instead of update_or_create's savepoints and second read; every writer holds the
    chain head, so no other transaction can create the row meanwhile."""
    defaults = {
        "campaign": campaign,
        "scope_kind": scope_kind,
        "status": status,
        "last_event": event,
        "event_seq": event.seq,
        "updated_at": event.created_at,
    }
    if status == ConsentState.Status.OPTED_IN:
        defaults["confirmed_at"] = event.created_at
    wanted = _state_events_wanted(business)
    if locked is False:
        previous = None
        state = ConsentState.objects.create(
            business=business, contact=contact, scope_key=key, **defaults
        )
    elif locked is not None:
        previous = locked.status
        for name, value in defaults.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(defaults))
        state = locked
    else:
        previous = (  # read only when an endpoint wants to hear about the change
            ConsentState.objects.filter(business=business, contact=contact, scope_key=key)
            .values_list("status", flat=True)
            .first()
            if wanted
            else None
        )
        state, _ = ConsentState.objects.update_or_create(
            business=business, contact=contact, scope_key=key, defaults=defaults
        )
    if wanted:
        webhook_events.consent_state_changed(state=state, event=event, previous_status=previous)
    return state


def _state_events_wanted(business) -> bool:
    return events_wanted(business=business, types=webhook_events.STATE_EVENTS)


def _state_announce(*, business, state: ConsentState, event: ConsentEvent) -> None:
    """A state row written with its event (``chain_append``'s ``new_state``): what ``_state_set``
    tells the business's webhook endpoints of a new row."""
    if _state_events_wanted(business):
        webhook_events.consent_state_changed(state=state, event=event, previous_status=None)


def suppression_add(*, business, e164: str, campaign=None, reason: str, when=None) -> None:
    """Put the number on the business's suppression list (or renew its entry). Inside the
    transaction that holds the business's ``chain_head``."""
    when = when or timezone.now()
    digest = phone_hash(business=business, e164=e164)
    existing = Suppression.objects.filter(
        business=business, phone_hash=digest, campaign=campaign
    ).first()
    if existing is None:
        Suppression.objects.create(
            business=business,
            phone_hash=digest,
            campaign=campaign,
            opted_out_at=when,
            reason=reason,
        )
    elif existing.lifted_at is not None or existing.reason != reason:
        existing.lifted_at = None
        existing.opted_out_at = when
        existing.reason = reason
        existing.save(update_fields=["lifted_at", "opted_out_at", "reason"])


def _lift(*, business, e164: str, campaigns=None, everything: bool = False) -> int:
    qs = Suppression.objects.filter(
        business=business, phone_hash=phone_hash(business=business, e164=e164), lifted_at=None
    )
    if not everything:
        cond = Q(campaign=None)
        if campaigns:
            cond |= Q(campaign__in=campaigns)
        qs = qs.filter(cond)
    return qs.update(lifted_at=timezone.now())


def _require_evidence(method: str, ev: dict) -> None:
    if not (ev["disclosure_text"] or ev["source"] or ev["page_url"]):
        raise EvidenceMissing(
            fields={"evidence": ["Give the disclosure text shown, the source or the page URL."]}
        )
    if method == Method.VERBAL_SCRIPT and not ev["disclosure_text"]:
        raise EvidenceMissing(
            "A verbal opt-in needs the full script read to the person.",
            fields={"evidence": ["disclosure_text must hold the verbatim script."]},
        )


def _is_marketing(campaign, kind: str) -> bool:
    return campaign.is_marketing if campaign is not None else kind == "marketing"


def _require_written(*, business, contact, method: str, ev: dict) -> None:
    """Marketing consent recorded as confirmed must be written (``written``); a signed
    record must be one this business stored for this contact."""
    problem = written.written_problem(method, ev)
    if problem is None and method == Method.SIGNED_RECORD:
        data = ev["data"]
        try:
            record_uuid = uuid.UUID(str(data.get("signed_record") or ""))
        except ValueError:
            record_uuid = None
        stored = record_uuid is not None and (
            SignedRecord.objects.filter(
                business=business,
                contact=contact,
                uuid=record_uuid,
                sha256=str(data.get("signed_record_sha256") or ""),
            ).exists()
        )
        problem = None if stored else "The signed record was not found: upload it again."
    if problem is not None:
        raise WrittenConsentRequired(
            problem, fields={"method": [problem]}, detail={"method": method, "kind": "marketing"}
        )


def consent_record_opt_in(
    *,
    business: Business,
    contact: Contact,
    method: str,
    campaign=None,
    kind: str | None = None,
    evidence: dict,
    double_opt_in: bool,
    actor=None,
) -> ConsentEvent:
    """Record an opt-in for a campaign (or a message kind). Never downgrades or duplicates.

    An already confirmed scope returns its confirming event; a pending one returns the
    pending event when double opt-in is asked again. A suppressed number is never
    confirmed directly: it goes through double opt-in (imports refuse it).
    The returned event has ``was_created`` telling whether a row was appended.
    """
    checked = _opt_in_checked(
        business=business,
        contact=contact,
        method=method,
        campaign=campaign,
        kind=kind,
        evidence=evidence,
        double_opt_in=double_opt_in,
    )
    with transaction.atomic():
        head = chain_head(business)  # serialises writers of this business's ledger
        return _opt_in_locked(
            head=head, business=business, contact=contact, method=method, actor=actor, **checked
        )


def consent_record_opt_ins_new_contact(
    *,
    business: Business,
    contact: Contact,
    method: str,
    scopes: Sequence[tuple[Any, str | None]],
    evidence: dict,
    double_opt_in: bool,
    locked: tuple[ChainHead, str | None, list[bool | None]] | None = None,
) -> list[ConsentEvent]:
    """``consent_record_opt_in`` for each (campaign, kind) of ``scopes``, for a contact the
    caller created in its current transaction (the public form's path; ``locked``: the
    chain head, the number's suppression hash and the guesses per scope made with that
    hash, which the caller's transaction read with the head, ``chain_head_suppressed``'s,
    when it locked the head already: the appends' guards check the same hash).

    The same checks, events and states, with the chain head locked once for all scopes and
    no savepoint of its own (call it inside the transaction that created the contact: a
    failure rolls back the contact too); a contact created in this transaction has no
    consent state yet (a state row of another transaction cannot name it), so the state
    row and the revocations are not read: each scope's state is an INSERT."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("consent_record_opt_ins_new_contact runs in the caller's transaction")
    checked = [
        _opt_in_checked(
            business=business,
            contact=contact,
            method=method,
            campaign=campaign,
            kind=kind,
            evidence=evidence,
            double_opt_in=double_opt_in,
        )
        for campaign, kind in scopes
    ]
    # the head and the number's suppression per scope in one statement: two round trips
    # under the lock (the append, COMMIT), not three
    if locked is None:
        hashed = suppression_hash(business=business, phone=contact.phone_e164)
        head, guesses, _ = chain_head_suppressed(
            business,
            hashed=hashed,
            campaign_ids=[getattr(c["campaign"], "pk", None) for c in checked],
        )
    else:
        head, hashed, guesses = locked
    return [
        _opt_in_locked(
            head=head,
            business=business,
            contact=contact,
            method=method,
            actor=None,
            new_contact=True,
            guess=None if hashed is None or guess is None else (hashed, guess),
            **each,
        )
        for each, guess in zip(checked, guesses, strict=True)
    ]


def _opt_in_checked(
    *, business, contact, method: str, campaign, kind, evidence: dict, double_opt_in: bool
) -> dict:
    """The opt-in's checks, before any lock; what ``_opt_in_locked`` needs besides."""
    if method not in Method.values:
        raise ValidationFailed(f"Unknown method {method!r}.", fields={"method": ["Unknown."]})
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    check_campaign(business, campaign)
    if campaign is None and kind not in KINDS:
        raise ValidationFailed(
            "Choose a campaign or a message kind (marketing or informational).",
            fields={"campaign": ["Choose a campaign or a kind."]},
        )
    ev = clean_evidence(evidence)
    _require_evidence(method, ev)
    # a campaign scope has no kind; without a campaign, kind is one of KINDS (checked above)
    kind_value = "" if campaign is not None else kind or ""
    if _is_marketing(campaign, kind_value) and not double_opt_in:
        # with double opt-in the person's YES is the written consent
        _require_written(business=business, contact=contact, method=method, ev=ev)
    return {
        "campaign": campaign,
        "kind_value": kind_value,
        "ev": ev,
        "double_opt_in": double_opt_in,
    }


def _opt_in_locked(
    *,
    head: ChainHead,
    business,
    contact,
    method: str,
    campaign,
    kind_value: str,
    ev: dict,
    double_opt_in: bool,
    actor,
    new_contact: bool = False,
    guess: tuple[str, bool] | None = None,
) -> ConsentEvent:
    """The opt-in under the business's chain head (``head``, locked by the caller;
    ``guess``: the number's hash and suppression as read with it)."""
    key = scope_key(campaign=campaign, kind=kind_value)
    state = None
    if not new_contact:
        state = (
            ConsentState.objects.select_for_update(of=("self",))
            .select_related("last_event")
            .filter(business=business, contact=contact, scope_key=key)
            .first()
        )
        revoked_after = _latest_revocation_seq(business, contact, campaign)
        if state is not None and state.event_seq > revoked_after:
            if state.status == ConsentState.Status.OPTED_IN:
                state.last_event.was_created = False
                return state.last_event
            if state.status == ConsentState.Status.PENDING and double_opt_in:
                state.last_event.was_created = False
                return state.last_event
    # guess: (phone hash, suppressed) read with the head (chain_head_suppressed); the
    # append checks it again and writes nothing when it no longer holds: then ask, locked
    event = None
    while event is None:
        if guess is not None:
            suppressed = guess[1]
        else:
            suppressed = is_suppressed(
                business=business, phone=contact.phone_e164, campaign=campaign
            )
        if suppressed and method == Method.IMPORT_ATTESTED:
            if guess is not None:  # refused on a fresh answer only
                guess = None
                continue
            raise PhoneSuppressed()
        # only the person's own YES can lift an opt-out
        pending = double_opt_in or suppressed
        event_kind = EventKind.OPT_IN if pending else EventKind.OPT_IN_CONFIRMED
        status = ConsentState.Status.PENDING if pending else ConsentState.Status.OPTED_IN
        new_state = None
        if new_contact:  # no state row can exist: INSERTed by the event's own statement
            new_state = ConsentState(
                business=business,
                contact=contact,
                scope_key=key,
                campaign=campaign,
                scope_kind=kind_value,
                status=status,
            )
        event = chain_append_guarded(
            business=business,
            contact=contact,
            kind=event_kind,
            method=method,
            campaign=campaign,
            scope_kind=kind_value,
            evidence=ev,
            actor=actor,
            head=head,
            new_state=new_state,
            guard=None if guess is None else (guess[0], getattr(campaign, "pk", None), suppressed),
        )
        guess = None
    if new_state is not None:
        _state_announce(business=business, state=new_state, event=event)
        event.was_created = True
        return event
    _state_set(
        business=business,
        contact=contact,
        key=key,
        campaign=campaign,
        scope_kind=kind_value,
        status=status,
        event=event,
        locked=state if state is not None else False,
    )
    event.was_created = True
    return event


def _latest_revocation_seq(business, contact, campaign) -> int:
    keys = [ALL] + ([scope_key(campaign=campaign)] if campaign is not None else [])
    seqs = ConsentState.objects.filter(
        business=business,
        contact=contact,
        scope_key__in=keys,
        status=ConsentState.Status.OPTED_OUT,
    ).values_list("event_seq", flat=True)
    return max(seqs, default=0)


def consent_confirm_double_opt_in(
    *, business: Business, contact: Contact, evidence: dict
) -> ConsentEvent | None:
    """The YES reply: every pending scope becomes confirmed. None when nothing was pending."""
    ev = clean_evidence(evidence)
    ev["source"] = ev["source"] or "YES"
    last = None
    with transaction.atomic():
        chain_head(business)
        pending = list(
            ConsentState.objects.select_for_update(of=("self",))
            .select_related("campaign", "last_event", "last_event__form")
            .filter(business=business, contact=contact, status=ConsentState.Status.PENDING)
            .order_by("event_seq")
        )
        for state in pending:
            pending_event = state.last_event
            this = dict(ev)
            this["disclosure_text"] = this["disclosure_text"] or pending_event.disclosure_text
            this["policy_version"] = this["policy_version"] or pending_event.policy_version
            this["form"] = pending_event.form
            this["form_snapshot_sha256"] = pending_event.form_snapshot_sha256
            this["page_url"] = this["page_url"] or pending_event.page_url
            this["data"] = {**ev["data"], "confirms_event": str(pending_event.uuid)}
            last = chain_append(
                business=business,
                contact=contact,
                kind=EventKind.OPT_IN_CONFIRMED,
                method=Method.DOUBLE_OPT_IN_REPLY,
                campaign=state.campaign,
                scope_kind=state.scope_kind,
                evidence=this,
            )
            _state_set(
                business=business,
                contact=contact,
                key=state.scope_key,
                campaign=state.campaign,
                scope_kind=state.scope_kind,
                status=ConsentState.Status.OPTED_IN,
                event=last,
            )
        if last is not None:
            # The person's own YES lifts an earlier opt-out for what they confirmed.
            _lift(
                business=business,
                e164=contact.phone_e164,
                campaigns=[s.campaign for s in pending if s.campaign is not None],
            )
    return last


def consent_record_opt_out(
    *,
    business: Business,
    contact: Contact,
    method: str,
    scope_all: bool,
    campaign=None,
    evidence: dict | None = None,
    actor=None,
) -> ConsentEvent:
    """Revoke: a campaign's every scope, or (scope_all / no campaign) the whole business.

    Always appended (each revocation is evidence) and always suppresses the number.
    """
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    check_campaign(business, campaign)
    ev = clean_evidence(evidence)
    whole = scope_all or campaign is None
    with transaction.atomic():
        event = chain_append(
            business=business,
            contact=contact,
            kind=EventKind.OPT_OUT,
            method=method if method in Method.values else Method.KEYWORD,
            campaign=None if whole else campaign,
            evidence=ev,
            actor=actor,
        )
        if whole:
            _state_set(
                business=business,
                contact=contact,
                key=ALL,
                campaign=None,
                scope_kind="",
                status=ConsentState.Status.OPTED_OUT,
                event=event,
            )
            ConsentState.objects.filter(business=business, contact=contact).exclude(
                scope_key=ALL
            ).update(
                status=ConsentState.Status.OPTED_OUT,
                last_event=event,
                event_seq=event.seq,
                updated_at=event.created_at,
            )
        else:
            _state_set(
                business=business,
                contact=contact,
                key=scope_key(campaign=campaign),
                campaign=campaign,
                scope_kind="",
                status=ConsentState.Status.OPTED_OUT,
                event=event,
            )
        suppression_add(
            business=business,
            e164=contact.phone_e164,
            campaign=None if whole else campaign,
            reason="opt_out",
            when=event.created_at,
        )
    return event


def consent_record_reply_opt_in(
    *,
    business: Business,
    contact: Contact,
    evidence: dict,
    campaign=None,
    method: str = Method.KEYWORD,
) -> ConsentEvent | None:
    """START / UNSTOP: restore what was confirmed before the opt-out. None if not opted out.

    With a campaign (the number texted belongs to it) only that campaign and a business-wide
    opt-out are lifted; without one, everything confirmed before is restored.
    """
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    check_campaign(business, campaign)
    ev = clean_evidence(evidence)
    ev["source"] = ev["source"] or "START"
    with transaction.atomic():
        chain_head(business)
        states = list(
            ConsentState.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .filter(business=business, contact=contact, status=ConsentState.Status.OPTED_OUT)
        )
        if campaign is not None:
            keys = {ALL, scope_key(campaign=campaign)}
            states = [s for s in states if s.scope_key in keys]
        suppressed = is_suppressed(business=business, phone=contact.phone_e164, campaign=campaign)
        if not states and not suppressed:
            return None
        event = chain_append(
            business=business,
            contact=contact,
            kind=EventKind.OPT_IN_CONFIRMED,
            method=method,
            campaign=campaign,
            evidence=ev,
        )
        for state in states:
            if state.scope_key == ALL or state.confirmed_at is not None:
                _state_set(
                    business=business,
                    contact=contact,
                    key=state.scope_key,
                    campaign=state.campaign,
                    scope_kind=state.scope_kind,
                    status=ConsentState.Status.OPTED_IN,
                    event=event,
                )
        if campaign is not None:
            _lift(business=business, e164=contact.phone_e164, campaigns=[campaign])
        else:
            _lift(business=business, e164=contact.phone_e164, everything=True)
    return event
