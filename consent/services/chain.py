"""The consent ledger's hash chain: the business's chain head, locked by every writer of
its ledger and states, and the append of one event (with its evidence, and a new state row
when the caller has one) in one statement. ``ledger`` decides what is appended."""

import functools
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts import db
from accounts.models import Business

from .. import hashing
from ..inputs import actor_label
from ..models import ChainHead, ConsentEvent, ConsentEvidence, ConsentState, Contact
from ..selectors import LIVE_SUPPRESSION_SQL


def ledger_write_allow() -> None:
    """Let this transaction write ConsentState, Suppression and ChainHead (their trigger
    refuses other writes). ``chain_head`` does it; call it only where no head is locked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('cyc.ledger_write', 'on', true)")


def chain_head(business: Business) -> ChainHead:
    """The business's chain head, locked: every writer of its ledger and states holds it
    (and may then write them: ``cyc.ledger_write``, set by the same statement)."""
    with connection.cursor() as cursor:
        cursor.execute(_chain_head_sql(), [business.pk])
        row = cursor.fetchone()
    head = db.instance(ChainHead, row[:-1]) if row is not None else None
    if head is None:
        ledger_write_allow()
        ChainHead.objects.get_or_create(business=business)
        head = ChainHead.objects.select_for_update().get(business=business)
    return head


def chain_head_suppressed(
    business: Business,
    *,
    hashed: str | None,
    campaign_ids: list[int | None],
    insert: tuple[str, list] | None = None,
) -> tuple[ChainHead, list[bool | None], int | None]:
    """``chain_head``, and in the same statement whether the number (``hashed``, the
    suppression list's hash) is suppressed for each of ``campaign_ids`` — a guess: under
    READ COMMITTED the statement reads the list as it was when it started, before it waited
    for the lock, so a suppression committed by the writer it waited for is not in it. An
    append that relies on a guess passes it as ``chain_append_guarded(guard=…)``, whose statement
    starts once the lock is held and checks it again. ``None``: no guess (ask, locked).

    ``insert``: an ``INSERT … RETURNING id`` (and its parameters) that the same statement
    runs first, as a CTE (the public form's new contact: one round trip for both); the third
    answer is the id it returned, None when it inserted nothing (or without ``insert``)."""
    guessed = 0 if hashed is None else len(campaign_ids)
    params: list = list(insert[1]) if insert else []
    for campaign_id in campaign_ids[:guessed]:
        params += [business.pk, hashed, campaign_id]
    sql = _chain_head_sql(guessed, insert[0] if insert else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, business.pk])
        row = cursor.fetchone()
    inserted = None
    if insert:  # the CTE's id is the last column; the head's are NULL when it has no row
        inserted, row = row[-1], (row[:-1] if row[0] is not None else None)
    if hashed is None:  # a number that does not parse: nothing can suppress it
        head = db.instance(ChainHead, row[:-1]) if row is not None else chain_head(business)
        return head, [False] * len(campaign_ids), inserted
    if row is None:  # the business's first consent write: no head row to guess with
        return chain_head(business), [None] * len(campaign_ids), inserted
    width = db.width(ChainHead)
    return db.instance(ChainHead, row[:width]), [bool(x) for x in row[width + 1 :]], inserted


@functools.cache
def _chain_head_sql(suppressions: int = 0, insert: str = "") -> str:
    """The head's row, locked, and ``cyc.ledger_write`` set by the same statement (written
    once per process: every consent write asks it; ``accounts.db``), then ``suppressions``
    columns: is the number suppressed (``chain_head_suppressed``); with ``insert``, that
    statement first as a CTE and the id it returned last (one row even when the business
    has no head yet: the CTE runs all the same)."""
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    guesses = "".join(f", {LIVE_SUPPRESSION_SQL}" for _ in range(suppressions))
    head = (
        f"SELECT {db.columns(ChainHead, 'h')}, "  # noqa: S608 - the model's own names
        f"set_config('cyc.ledger_write', 'on', true){guesses} "
        f"FROM {table} h WHERE h.business_id = %s FOR UPDATE"
    )
    if not insert:
        return head
    return (
        f"WITH i AS ({insert}), locked AS ({head}) "  # noqa: S608 - our own statements
        "SELECT locked.*, (SELECT * FROM i) FROM (VALUES (1)) AS one LEFT JOIN locked ON true"
    )


def chain_append(**kwargs: Any) -> ConsentEvent:
    """Append one event to the business's chain. Call inside a transaction (``head``: the
    chain head the caller already locked in it, so it is not read twice; ``new_state``: an
    unsaved state row that names this event, INSERTed by the same statement)."""
    event = chain_append_guarded(**kwargs)
    if event is None:  # pragma: no cover - unguarded, the append always writes
        raise RuntimeError("an unguarded append wrote nothing")
    return event


def chain_append_guarded(
    *,
    business: Business,
    contact: Contact,
    kind: str,
    method: str,
    campaign=None,
    scope_kind: str = "",
    evidence: dict[str, Any],
    actor=None,
    head: ChainHead | None = None,
    new_state: ConsentState | None = None,
    guard: tuple[str, int | None, bool] | None = None,
) -> ConsentEvent | None:
    """``chain_append``; with ``guard`` (phone hash, campaign id, suppressed) only if the
    number's suppression is still so, checked by the append's own statement (which starts
    with the lock held: it sees every suppression committed before). Otherwise nothing is
    written, the head is left as it was and the answer is None (``chain_head_suppressed``)."""
    head = head or chain_head(business)
    before = head.seq, head.hash
    now = timezone.now()
    form = evidence.get("form")
    event = ConsentEvent(
        business=business,
        seq=head.seq + 1,
        contact=contact,
        kind=kind,
        method=method,
        campaign=campaign,
        scope_kind=scope_kind,
        disclosure_text=evidence["disclosure_text"],
        policy_version=evidence["policy_version"] or (form.policy_version if form else ""),
        form=form,
        form_snapshot_sha256=evidence["form_snapshot_sha256"],
        page_url=evidence["page_url"],
        source=evidence["source"],
        consented_at=evidence["consented_at"] or now,
        recorded_by=actor if actor_label(actor) else None,
        recorded_by_label=evidence["recorded_by_label"] or actor_label(actor) or "system",
        evidence_sha256=hashing.evidence_digest(
            ip=evidence["ip"], user_agent=evidence["user_agent"], data=evidence["data"]
        ),
        created_at=now,
        prev_hash=head.hash,
    )
    event.hash = hashing.event_hash(
        hashing.chain_fields(
            event,
            business_uuid=business.uuid,
            contact_uuid=contact.uuid,
            campaign_uuid=campaign.uuid if campaign else "",
            form_uuid=form.uuid if form else "",
        ),
        head.hash,
    )
    personal = ConsentEvidence(
        business=business,
        ip=evidence["ip"],
        user_agent=evidence["user_agent"],
        data=evidence["data"],
    )
    head.seq = event.seq
    head.hash = event.hash
    if new_state is not None:
        new_state.last_event = event
        new_state.event_seq = event.seq
        new_state.updated_at = event.created_at
        if new_state.status == ConsentState.Status.OPTED_IN:
            new_state.confirmed_at = event.created_at
    if not _append_write(event, personal, head, new_state, guard=guard):
        head.seq, head.hash = before
        return None
    return event


def _append_write(
    event: ConsentEvent,
    personal: ConsentEvidence,
    head: ChainHead,
    state: ConsentState | None = None,
    *,
    guard: tuple[str, int | None, bool] | None = None,
) -> bool:
    """INSERT the event and its evidence (and ``state``, a new state row naming the event)
    and move the chain head, in one statement (three or four round trips and ORM compiles
    before; every ledger write pays them, under the business's chain head). With
    ``guard``, only if the number's suppression is as it says; False if it was not."""
    event_fields, evidence_fields, state_fields, sql = _append_sql(
        state is not None, guard is not None
    )
    values = db.prepared(event, event_fields)
    if guard is not None:
        hashed, campaign_id, suppressed = guard
        values += [event.business_id, hashed, campaign_id, suppressed]
    values += db.prepared(personal, evidence_fields)
    values += [head.seq, head.hash, head.pk]
    if state is not None:
        values += db.prepared(state, state_fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:  # the guard: the suppression changed while this waited for the lock
        return False
    event_id, evidence_id, state_id = row
    for obj, pk in ((event, event_id), (personal, evidence_id), (state, state_id)):
        if obj is None:
            continue
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    personal.event = event
    if state is not None:
        state.last_event = event  # its last_event_id was the statement's own
    return True


@functools.cache
def _append_sql(with_state: bool, guarded: bool = False) -> tuple[list, list, list, str]:
    quote = connection.ops.quote_name
    event_fields = [f for f in ConsentEvent._meta.concrete_fields if not f.primary_key]
    evidence_fields = [
        f for f in ConsentEvidence._meta.concrete_fields if not f.primary_key and f.name != "event"
    ]
    state_fields = [
        f
        for f in ConsentState._meta.concrete_fields
        if with_state and not f.primary_key and f.name != "last_event"
    ]
    event_columns = ", ".join(quote(str(f.column)) for f in event_fields)
    evidence_columns = ", ".join(quote(str(f.column)) for f in evidence_fields)
    event_values = ", ".join(["%s"] * len(event_fields))
    evidence_values = ", ".join(["%s"] * len(evidence_fields))
    tables = {
        m: quote(m._meta.db_table) for m in (ConsentEvent, ConsentEvidence, ChainHead, ConsentState)
    }
    # each row hangs on the event's: with the guard false, nothing is written and no row
    # answers (INSERT … SELECT takes its parameters' types from the columns, as VALUES does)
    guard = f" WHERE {LIVE_SUPPRESSION_SQL} = %s" if guarded else ""
    state_cte, state_id = "", "NULL::bigint"
    if with_state:
        state_columns = ", ".join(quote(str(f.column)) for f in state_fields)
        state_values = ", ".join(["%s"] * len(state_fields))
        state_cte = (
            f", s AS (INSERT INTO {tables[ConsentState]} (last_event_id, {state_columns}) "  # noqa: S608 - the models' own names
            f"SELECT e.id, {state_values} FROM e RETURNING id)"
        )
        state_id = "(SELECT id FROM s)"
    sql = (
        f"WITH e AS (INSERT INTO {tables[ConsentEvent]} ({event_columns}) "  # noqa: S608 - the models' own names
        f"SELECT {event_values}{guard} RETURNING id), "
        f"v AS (INSERT INTO {tables[ConsentEvidence]} (event_id, {evidence_columns}) "
        f"SELECT e.id, {evidence_values} FROM e RETURNING id), "
        f"h AS (UPDATE {tables[ChainHead]} SET seq = %s, hash = %s "
        "WHERE id = %s AND EXISTS (SELECT 1 FROM e))"
        f"{state_cte} "
        f"SELECT e.id, (SELECT id FROM v), {state_id} FROM e"
    )
    return event_fields, evidence_fields, state_fields, sql
