"""Writing a contact import: the rows ``import_file`` reads, in chunks inside one
transaction.

Rows are read as they are written, ``CHUNK`` at a time, so memory stays flat whatever the
size of the file. Each chunk is COPY'd into a temporary staging table, contacts are updated
and inserted from it with set-based SQL, and the ledger events, their evidence and the
consent state are COPY'd as preformatted text (the hash chain is computed in Python, in
order, under the business's chain lock, while the events stream to the server).
``use_copy=False`` produces the same result row by row through the ledger services: the
reference the tests hold the COPY path to. Nothing is half-imported: every row is either
imported or named in the report with its line number and reason.
"""

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import islice

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import hashing, import_file, phones
from ..import_file import Row
from ..models import Contact, ContactImport, EventKind, Method, Suppression
from ..scopes import scope_key
from ..selectors import custom_field_types
from .contacts import contact_get_or_create
from .ledger import chain_head, consent_record_opt_in


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    consented: int = 0
    no_evidence: int = 0
    suppressed: int = 0
    report: list[dict] = field(default_factory=list)


def _suppressed(imp: ContactImport) -> Callable[[str], bool] | None:
    """Whether a number opted out earlier (business-wide, or of the import's campaign)."""
    qs = Suppression.objects.filter(business=imp.business, lifted_at=None)
    if imp.campaign_id:
        qs = qs.filter(Q(campaign=None) | Q(campaign_id=imp.campaign_id))
    else:
        qs = qs.filter(campaign=None)
    hashes = set(qs.values_list("phone_hash", flat=True))
    if not hashes:
        return None
    phone_hash = hashing.phone_hasher(hashing.suppression_key(), str(imp.business.uuid))
    return lambda phone: phone_hash(phone) in hashes


def _split_suppressed(rows: list[Row], suppressed, outcome: Outcome) -> list[Row]:
    if suppressed is None:
        return rows
    keep = []
    for row in rows:
        if suppressed(row.phone):
            outcome.suppressed += 1
            outcome.report.append(
                {"line": row.line, "reason": "opted out earlier (suppressed): not imported"}
            )
        else:
            keep.append(row)
    return keep


def _scope(imp: ContactImport) -> tuple[str, str]:
    if imp.campaign is not None:
        return scope_key(campaign=imp.campaign), ""
    kind = imp.scope_kind or "informational"
    return scope_key(kind=kind), kind


def _evidence_data(imp: ContactImport, row: Row) -> dict:
    return {"import": str(imp.uuid), "line": row.line, "consent_method": row.method}


# Rows written per step of the one transaction: what the importer holds in memory at a
# time (about 1 KB per row), whatever the size of the file.
CHUNK = 20_000


def write_rows(
    imp: ContactImport,
    rows: Iterable[Row],
    *,
    use_copy: bool | None = None,
    written: Callable[[], None] | None = None,
) -> Outcome:
    """Write validated rows in one transaction, ``CHUNK`` at a time (``written()`` after
    each). COPY + set-based SQL; ``use_copy=False``: the ledger services row by row."""
    outcome = Outcome()
    rows = iter(rows)
    with transaction.atomic():
        write = _write_orm
        if use_copy is not False:
            merge = Contact.objects.filter(business=imp.business).exists()
            write = partial(_write_copy, merge=merge)
        suppressed = _suppressed(imp)
        while batch := list(islice(rows, CHUNK)):
            write(imp, _split_suppressed(batch, suppressed, outcome), outcome)
            if written is not None:
                written()
    return outcome


def _write_orm(imp: ContactImport, rows: list[Row], outcome: Outcome) -> None:
    existing = {
        c.phone_e164: c
        for c in Contact.objects.filter(business=imp.business, phone__in=[r.phone for r in rows])
    }
    for row in rows:
        contact = existing.get(row.phone)
        if contact is None:
            contact, _ = contact_get_or_create(
                business=imp.business,
                phone=row.phone,
                name=row.name,
                email=row.email,
                tags=sorted(set(row.tags) | set(imp.tags)),
                custom_fields=row.custom,
                source="import",
            )
            outcome.created += 1
        else:
            if row.name:
                contact.name = row.name
            if row.email:
                contact.email = row.email
            contact.tags = sorted(set(contact.tags) | set(row.tags) | set(imp.tags))
            contact.custom_fields = {**contact.custom_fields, **row.custom}
            contact.updated_at = timezone.now()
            contact.save()
            outcome.updated += 1
        if not row.method:
            outcome.no_evidence += 1
            continue
        event = consent_record_opt_in(
            business=imp.business,
            contact=contact,
            method=Method.IMPORT_ATTESTED,
            campaign=imp.campaign,
            kind=None if imp.campaign_id else (imp.scope_kind or "informational"),
            evidence={
                "source": row.source,
                "consented_at": row.consented_at,
                "disclosure_text": imp.attestation_text,
                "policy_version": f"import:{imp.uuid}",
                "recorded_by_label": _recorder(imp),
                "data": _evidence_data(imp, row),
            },
            double_opt_in=False,
            actor=imp.attested_by,
        )
        if event.was_created:
            outcome.consented += 1


def _recorder(imp: ContactImport) -> str:
    return str(imp.attested_by) if imp.attested_by_id else "import"


def _canonical_parts(base: dict) -> tuple[str, str, str]:
    """The canonical JSON of an import event around its per-row keys (sorted key order)."""

    def j(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    head = f'{{"business":{j(base["business"])},"campaign":{j(base["campaign"])}'
    # between "contact" and "seq": created_at .. scope_kind, with the evidence digest
    before_digest = (
        f',"created_at":{j(base["created_at"])},"disclosure_text":{j(base["disclosure_text"])}'
        ',"evidence_sha256":"'
    )
    after_digest = (
        f'","form":"","form_snapshot_sha256":"","kind":{j(base["kind"])}'
        f',"method":{j(base["method"])},"page_url":"","policy_version":'
        f'{j(base["policy_version"])},"recorded_by_label":{j(base["recorded_by_label"])}'
        f',"scope_kind":{j(base["scope_kind"])}'
    )
    return head, before_digest, after_digest


# COPY's text format: tab-separated, \N for NULL, backslash escapes.
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]").search
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"
# Lines per write while streaming the ledger: the server stores one batch while Python
# hashes the next.
_BATCH = 2000


def _text(value: str) -> str:
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL(value) else value


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _uuid4s(n: int) -> Iterator[str]:
    """``n`` random (version 4) UUIDs as text, from one read of the system's random source."""
    raw = os.urandom(16 * n).hex()
    for i in range(0, 32 * n, 32):
        yield (
            f"{raw[i : i + 8]}-{raw[i + 8 : i + 12]}-4{raw[i + 13 : i + 16]}-"
            f"{_VARIANT[raw[i + 16]]}{raw[i + 17 : i + 20]}-{raw[i + 20 : i + 32]}"
        )


def _copy_lines(cursor, table: str, columns: str, lines: list[str]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for i in range(0, len(lines), 10 * _BATCH):
            copy.write("".join(lines[i : i + 10 * _BATCH]))


_MERGE = """
    name = COALESCE(NULLIF({new}.name, ''), c.name),
    email = COALESCE(NULLIF({new}.email, ''), c.email),
    tags = (SELECT COALESCE(jsonb_agg(DISTINCT t ORDER BY t), '[]'::jsonb)
            FROM jsonb_array_elements(c.tags || {new}.tags) AS t),
    custom_fields = c.custom_fields || {custom},
    updated_at = %s
"""
_NEW_CONTACT = (
    "INSERT INTO consent_contact AS c (uuid, business_id, phone, name, email, time_zone, "
    "tags, custom_fields, source, created_at, updated_at) "
    "SELECT s.uuid, %s, s.phone, s.name, s.email, s.tz, s.tags, s.custom, "
    "'import', %s, %s FROM consent_import_stage s "
)


def _update_existing(cursor, business, now) -> dict:
    """Merge the staged rows into the business's contacts with those numbers."""
    cursor.execute(
        "UPDATE consent_contact AS c SET"
        + _MERGE.format(new="s", custom="s.custom")
        + "FROM consent_import_stage s WHERE c.business_id = %s AND c.phone = s.phone "
        "RETURNING c.phone, c.id, c.uuid::text",
        [now, business.pk],
    )
    return {phone: (pk, cuuid, False) for phone, pk, cuuid in cursor.fetchall()}


def _write_contacts(
    cursor, imp: ContactImport, rows: list[Row], now, outcome: Outcome, *, merge: bool
) -> dict:
    """Stage the rows, update the contacts that exist (``merge``), insert the rest.

    Returns phone -> (contact id, contact uuid, created by this import).
    """
    business = imp.business
    import_tags = set(imp.tags)
    tags_json: dict[tuple[str, ...], str] = {}
    new_uuids: dict[str, str] = {}  # the uuid a contact gets if this import creates it
    # one staging table per transaction, emptied for each chunk
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS consent_import_stage (phone text, uuid uuid, "
        "name text, email text, tz text, tags jsonb, custom jsonb) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE consent_import_stage")
    with cursor.cursor.copy(
        "COPY consent_import_stage (phone, uuid, name, email, tz, tags, custom) FROM STDIN"
    ) as copy:
        lines = []
        for r, contact_uuid in zip(rows, _uuid4s(len(rows)), strict=True):
            new_uuids[r.phone] = contact_uuid
            tags = tags_json.get(r.tags)
            if tags is None:
                tags = tags_json[r.tags] = _text(json.dumps(sorted(set(r.tags) | import_tags)))
            lines.append(
                f"{r.phone}\t{contact_uuid}\t{_text(r.name)}\t{_text(r.email)}\t"
                f"{_text(phones.time_zone_for(r.phone) or business.time_zone)}\t{tags}\t"
                f"{_text(json.dumps(r.custom)) if r.custom else '{}'}\n"
            )
            if len(lines) == _BATCH:
                copy.write("".join(lines))
                lines = []
        copy.write("".join(lines))
    # the joins below match on the phone: with an index on both sides no plan is quadratic,
    # whatever the statistics say
    cursor.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS consent_import_stage_phone "
        "ON consent_import_stage (phone)"
    )
    contacts = _update_existing(cursor, business, now) if merge else {}
    # A plain INSERT of the numbers not found: far cheaper than ON CONFLICT for 100k rows.
    sql = _NEW_CONTACT
    if contacts:
        sql += (
            "WHERE NOT EXISTS (SELECT 1 FROM consent_contact x "
            "WHERE x.business_id = %s AND x.phone = s.phone) "
        )
    try:
        with transaction.atomic():
            cursor.execute(
                sql + "RETURNING c.phone, c.id",
                [business.pk, now, now] + ([business.pk] if contacts else []),
            )
            created = cursor.fetchall()
    except IntegrityError:
        created = []  # rolled back to the savepoint: the upsert below takes them all
    contacts.update((phone, (pk, new_uuids[phone], True)) for phone, pk in created)
    missing = [r.phone for r in rows if r.phone not in contacts]
    if missing:
        # someone else added some of these numbers since the UPDATE: upsert those
        cursor.execute(
            _NEW_CONTACT + "WHERE s.phone = ANY(%s) "
            "ON CONFLICT (business_id, phone) WHERE phone IS NOT NULL DO UPDATE SET"
            + _MERGE.format(new="EXCLUDED", custom="EXCLUDED.custom_fields")
            + "RETURNING c.phone, c.id, c.uuid::text, (xmax = 0)",
            [business.pk, now, now, missing, now],
        )
        contacts.update((phone, (pk, cuuid, new)) for phone, pk, cuuid, new in cursor.fetchall())
    created = sum(1 for v in contacts.values() if v[2])
    outcome.created += created
    outcome.updated += len(contacts) - created
    return contacts


def _write_copy(imp: ContactImport, rows: list[Row], outcome: Outcome, *, merge: bool) -> None:
    """PostgreSQL: contacts set-based from a staging table; ledger, evidence and state COPY'd.

    ``merge``: the business had contacts when the import started, so some rows may update
    one. Without any, looking each number up is wasted (rows never repeat a number): only a
    number added meanwhile by someone else can clash, and the upsert after the INSERT takes
    those."""
    if not rows:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        # sorts and hash joins of 100k-row batches stay in memory (this transaction only)
        cursor.execute("SET LOCAL work_mem = '64MB'")
        contacts = _write_contacts(cursor, imp, rows, now, outcome, merge=merge)
        todo = [r for r in rows if r.method]
        outcome.no_evidence += len(rows) - len(todo)
        if todo:
            _write_consents(cursor, imp, todo, contacts, now, outcome)


def _write_consents(cursor, imp: ContactImport, todo: list[Row], contacts, now, outcome) -> None:
    """Append one confirmed opt-in per row to the chain, with its evidence and state."""
    business = imp.business
    key, scope_kind = _scope(imp)
    head = chain_head(business)
    # Consent on record, read under the chain lock (every writer of ConsentState holds it).
    # A contact this import created has none.
    known = [contacts[r.phone][0] for r in todo if not contacts[r.phone][2]]
    states: dict[int, str] = {}
    if known:
        cursor.execute(
            "SELECT contact_id, status FROM consent_consentstate WHERE business_id = %s "
            "AND scope_key = %s AND contact_id = ANY(%s)",
            [business.pk, key, known],
        )
        states = dict(cursor.fetchall())
    # Confirmed already: never duplicated (but a pending double opt-in is confirmed).
    todo = [r for r in todo if states.get(contacts[r.phone][0]) != "OPTED_IN"]
    if not todo:
        return
    # ids up front, so that evidence and state need no join back to the events
    cursor.execute(
        "SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence('consent_consentevent', "
        "'id')::regclass AS seq OFFSET 0) q, generate_series(1, %s)",
        [len(todo)],
    )
    new_ids = [event_id for (event_id,) in cursor.fetchall()]
    campaign_uuid = str(imp.campaign.uuid) if imp.campaign is not None else ""
    recorder = _recorder(imp)
    policy = f"import:{imp.uuid}"
    kind, method = EventKind.OPT_IN_CONFIRMED.value, Method.IMPORT_ATTESTED.value
    created_iso = now.astimezone(UTC).isoformat()
    base = {
        "business": str(business.uuid),
        "kind": kind,
        "method": method,
        "campaign": campaign_uuid,
        "scope_kind": scope_kind,
        "disclosure_text": imp.attestation_text,
        "policy_version": policy,
        "recorded_by_label": recorder,
        "created_at": created_iso,
    }
    # hashing.canonical() by hand: the constant parts are encoded once per import, the
    # per-row ones are uuids, digits, hex and ISO dates (no escaping) plus the source.
    # tests/consent/test_import.py re-verifies every chain with the generic code.
    head_json, before_digest, after_digest = _canonical_parts(base)
    import_uuid = str(imp.uuid)
    biz = business.pk
    campaign_col = str(imp.campaign_id) if imp.campaign_id else _NULL
    # the event's columns between contact_id and source, and after evidence_sha256
    middle = (
        f"\t{kind}\t{method}\t{campaign_col}\t{_text(scope_kind)}\t"
        f"{_text(imp.attestation_text)}\t{_text(policy)}\t\t\t"
    )
    recorded = f"\t{imp.attested_by_id or _NULL}\t{_text(recorder)}\t"
    state_scope = f"\t{_text(key)}\t{campaign_col}\t{_text(scope_kind)}\tOPTED_IN\t{created_iso}\t"
    sources: dict[str, tuple[str, str]] = {}
    dates: dict[datetime | None, str] = {}
    sha256 = hashlib.sha256
    seq, prev = head.seq, head.hash
    evidence_lines = []
    state_lines = []
    state_updates: list[tuple[int, int, int]] = []
    with cursor.cursor.copy(
        "COPY consent_consentevent (id, uuid, business_id, seq, contact_id, kind, method, "
        "campaign_id, scope_kind, disclosure_text, policy_version, form_snapshot_sha256, "
        "page_url, source, consented_at, recorded_by_id, recorded_by_label, evidence_sha256, "
        "created_at, prev_hash, hash) FROM STDIN"
    ) as copy:
        lines = []
        for r, event_id, event_uuid in zip(todo, new_ids, _uuid4s(len(todo)), strict=True):
            seq += 1
            contact_id, contact_uuid, _ = contacts[r.phone]
            source = sources.get(r.source)
            if source is None:
                source = sources[r.source] = (
                    json.dumps(r.source, ensure_ascii=False),
                    _text(r.source),
                )
            consented = dates.get(r.consented_at)
            if consented is None:
                consented = dates[r.consented_at] = hashing.iso(r.consented_at)
            data = f'{{"consent_method":"{r.method}","import":"{import_uuid}","line":{r.line}}}'
            digest = sha256(f'{{"data":{data},"ip":"","ua":""}}'.encode()).hexdigest()
            h = sha256(
                f'{prev}|{head_json},"consented_at":"{consented}","contact":"{contact_uuid}"'
                f'{before_digest}{digest}{after_digest},"seq":"{seq}","source":{source[0]},'
                f'"uuid":"{event_uuid}"}}'.encode()
            ).hexdigest()
            lines.append(
                f"{event_id}\t{event_uuid}\t{biz}\t{seq}\t{contact_id}{middle}{source[1]}\t"
                f"{consented}{recorded}{digest}\t{created_iso}\t{prev}\t{h}\n"
            )
            evidence_lines.append(f"{event_id}\t{biz}\t{_NULL}\t\t{data}\n")
            if contact_id in states:
                state_updates.append((contact_id, event_id, seq))
            else:
                state_lines.append(
                    f"{biz}\t{contact_id}{state_scope}{event_id}\t{seq}\t{created_iso}\n"
                )
            prev = h
            if len(lines) == _BATCH:
                copy.write("".join(lines))
                lines = []
        copy.write("".join(lines))
    _copy_lines(
        cursor.cursor,
        "consent_consentevidence",
        "event_id, business_id, ip, user_agent, data",
        evidence_lines,
    )
    _copy_lines(
        cursor.cursor,
        "consent_consentstate",
        "business_id, contact_id, scope_key, campaign_id, scope_kind, status, confirmed_at, "
        "last_event_id, event_seq, updated_at",
        state_lines,
    )
    if state_updates:  # pending or opted out before: now confirmed
        contact_ids, event_ids, seqs = zip(*state_updates, strict=True)
        cursor.execute(
            "UPDATE consent_consentstate AS st SET status = 'OPTED_IN', confirmed_at = %s, "
            "last_event_id = x.event_id, event_seq = x.seq, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS x(contact_id, event_id, seq) "
            "WHERE st.business_id = %s AND st.scope_key = %s AND st.contact_id = x.contact_id",
            [now, now, list(contact_ids), list(event_ids), list(seqs), biz, key],
        )
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    outcome.consented += len(todo)


def run(imp: ContactImport, *, use_copy: bool | None = None, progress=None) -> Outcome:
    """Read and write one import, chunk by chunk in one transaction; fills its counters and
    report; ``progress(rows read and written)`` after each chunk. No status handling."""
    reading = import_file.Reading()
    good = import_file.rows(
        bytes(imp.content),
        imp.mapping.get("fields", {}),
        reading,
        custom_columns=imp.mapping.get("custom", []),
        field_types=custom_field_types(business=imp.business),
        # marketing consent must be written: other rows are rejected with their line
        marketing=(
            imp.campaign.is_marketing if imp.campaign is not None else imp.scope_kind == "marketing"
        ),
    )
    outcome = write_rows(
        imp,
        good,
        use_copy=use_copy,
        written=(lambda: progress(reading.total)) if progress else None,
    )
    outcome.report = sorted(reading.rejected + outcome.report, key=lambda r: r["line"])
    imp.total_rows = reading.total
    imp.processed_rows = reading.total
    imp.created_count = outcome.created
    imp.updated_count = outcome.updated
    imp.consented_count = outcome.consented
    imp.no_evidence_count = outcome.no_evidence
    imp.suppressed_count = outcome.suppressed
    imp.rejected_count = len(reading.rejected)
    imp.report = outcome.report
    return outcome
