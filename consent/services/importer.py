"""CSV contact import: decode, validate row by row, write in chunks inside one transaction.

Validation is pure Python (fast paths for US numbers); rows are read as they are written,
``CHUNK`` at a time, so memory stays flat whatever the size of the file. Writing is one
transaction: each chunk is COPY'd into a temporary staging table, contacts are updated
and inserted from it with set-based SQL, and the ledger events, their evidence and the
consent state are COPY'd as preformatted text (the hash chain is computed in Python, in
order, under the business's chain lock, while the events stream to the server).
``use_copy=False`` produces the same result row by row through the ledger services: the
reference the tests hold the COPY path to. Nothing is half-imported: every row is either
imported or named in the report with its line number and reason.
"""

import codecs
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from itertools import islice

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import hashing, phones
from ..inputs import email_fits
from ..models import Contact, ContactImport, EventKind, Method, Suppression
from ..scopes import scope_key
from .contacts import contact_get_or_create
from .ledger import chain_head, consent_record_opt_in

TARGETS = (
    "phone",
    "name",
    "email",
    "tags",
    "consent_date",
    "consent_source",
    "consent_method",
)
ROW_METHODS = {
    "WEB_FORM",
    "PAPER_FORM",
    "VERBAL",
    "KEYWORD",
    "IN_PERSON",
    "DOUBLE_OPT_IN",
}
MAX_FIELD = 1000
ATTESTATION = (
    "I confirm that every person in this list gave us their consent to receive text "
    "messages from us, as stated per row, and that this list was not bought, rented, "
    "shared by a third party or scraped."
)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, not CSV, too large)."""


@dataclass(slots=True)
class Row:
    line: int
    phone: str
    name: str = ""
    email: str = ""
    tags: tuple[str, ...] = ()
    custom: dict[str, str] = field(default_factory=dict)
    consented_at: datetime | None = None
    source: str = ""
    method: str = ""


@dataclass
class Reading:
    """What reading the file found so far: rows read (blank lines aside) and the rejected."""

    rejected: list[dict] = field(default_factory=list)
    total: int = 0


def encoding_of(content: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1: checked a megabyte at a
    time, so the whole file is never held as text."""
    if not content or content.isspace():
        raise ImportFileError("The file is empty.")
    if b"\x00" in content[:4096]:
        raise ImportFileError("This is not a text CSV file (it looks like UTF-16 or binary).")
    view = memoryview(content)
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for i in range(0, len(view), 1 << 20):
                decoder.decode(view[i : i + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _reader(content: bytes):
    """A CSV reader that decodes the file as it goes (a ``StringIO`` of the whole text would
    take 4 bytes per character), and the encoding."""
    encoding = encoding_of(content)
    sample = content[:4096].decode(encoding, errors="ignore")
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    return csv.reader(text, delimiter=delimiter, strict=False), encoding


def headers_of(content: bytes) -> tuple[list[str], str]:
    reader, encoding = _reader(content)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ImportFileError("The file has no header row.") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise ImportFileError("The header row is empty.")
    if len(set(header)) != len(header):
        raise ImportFileError("The header row repeats a column name.")
    return header, encoding


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """A first guess at the mapping the uploader confirms."""
    aliases = {
        "phone": ("phone", "mobile", "cell", "phone number", "number", "msisdn"),
        "name": ("name", "full name", "first name"),
        "email": ("email", "e-mail", "email address"),
        "tags": ("tags", "lists", "list", "groups"),
        "consent_date": ("consent_date", "consent date", "opt-in date", "opted in", "date"),
        "consent_source": ("consent_source", "consent source", "source"),
        "consent_method": ("consent_method", "consent method", "method"),
    }
    mapping: dict[str, str] = {}
    lower = {h.lower(): h for h in headers}
    for target, names in aliases.items():
        for n in names:
            if n in lower and lower[n] not in mapping.values():
                mapping[target] = lower[n]
                break
    return mapping


def _parse_date(value: str) -> datetime:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%m/%d/%y"):
        try:
            return datetime.combine(datetime.strptime(value, fmt).date(), time(12), tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"consent date {value[:30]!r} is not a date (use YYYY-MM-DD)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# NANP numbers already in E.164, the common case: what phones.normalize would return.
_US_E164 = re.compile(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}").fullmatch


def rows(
    content: bytes,
    mapping: dict[str, str],
    reading: Reading,
    *,
    custom_columns: list[str] | None = None,
) -> Iterator[Row]:
    """Check the header and mapping now (ImportFileError), then validate row by row as the
    rows are taken: good rows are yielded, rejected ones go to ``reading`` by line number."""
    reader, _ = _reader(content)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ImportFileError("The file has no header row.") from exc
    index = {h: i for i, h in enumerate(header)}
    if "phone" not in mapping or mapping["phone"] not in index:
        raise ImportFileError("Map a column to the phone number.")
    for target, column in mapping.items():
        if target not in TARGETS:
            raise ImportFileError(f"Unknown field {target!r} in the mapping.")
        if column and column not in index:
            raise ImportFileError(f"Column {column!r} is not in the file.")
    cols = {t: index[c] for t, c in mapping.items() if c}
    custom = [(c[:60], index[c]) for c in custom_columns or [] if c in index]
    return _rows(reader, cols, custom, len(header), reading)


def _rows(reader, cols: dict[str, int], custom, width: int, reading: Reading) -> Iterator[Row]:
    col_phone = cols["phone"]
    col_name, col_email, col_tags = cols.get("name"), cols.get("email"), cols.get("tags")
    col_date = cols.get("consent_date")
    col_source = cols.get("consent_source")
    col_method = cols.get("consent_method")
    today = timezone.now() + timedelta(days=1)
    rejected = reading.rejected
    seen: dict[str, int] = {}
    # lists repeat their dates, methods and tags: work each distinct value out once
    dates: dict[str, datetime | str] = {}
    methods: dict[str, str] = {}
    tag_sets: dict[str, tuple[str, ...]] = {}
    last_line = reader.line_num
    records: Iterator[list[str]] = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            start = last_line + 1
            last_line = reader.line_num
            reading.total += 1
            rejected.append({"line": start, "reason": f"unreadable CSV: {exc}"})
            continue
        start, last_line = last_line + 1, reader.line_num
        joined = "".join(record)
        if not joined or joined.isspace():
            continue  # blank lines are not rows
        reading.total += 1
        if len(record) != width:
            span = f" (lines {start}-{last_line}: unterminated quote?)" if last_line > start else ""
            rejected.append(
                {
                    "line": start,
                    "reason": f"expected {width} columns, found {len(record)}{span}",
                }
            )
            continue
        if len(joined) > MAX_FIELD and max(map(len, record)) > MAX_FIELD:
            span = f" (lines {start}-{last_line})" if last_line > start else ""
            rejected.append(
                {"line": start, "reason": f"a field is too long, unterminated quote?{span}"}
            )
            continue
        if "\x00" in joined:
            rejected.append({"line": start, "reason": "a field contains a NUL character"})
            continue
        raw_phone = record[col_phone]
        if _US_E164(raw_phone):
            e164 = raw_phone
        else:
            try:
                e164 = phones.normalize(raw_phone)
            except phones.InvalidPhone:
                rejected.append(
                    {"line": start, "reason": f"invalid phone number {raw_phone[:30]!r}"}
                )
                continue
        if e164 in seen:
            rejected.append({"line": start, "reason": f"duplicate of line {seen[e164]}"})
            continue
        name = record[col_name].strip()[:200] if col_name is not None else ""
        email = ""
        if col_email is not None:
            email = record[col_email].strip()
            if email and not email_fits(email):  # never cut short: a cut address is wrong
                rejected.append({"line": start, "reason": f"invalid email {email[:40]!r}"})
                continue
        tags: tuple[str, ...] = ()
        if col_tags is not None:
            raw_tags = record[col_tags]
            cached = tag_sets.get(raw_tags)
            if cached is None:
                cached = tag_sets[raw_tags] = tuple(
                    sorted({t.strip()[:50] for t in raw_tags.replace(";", ",").split(",")} - {""})
                )
            tags = cached
        c_date = record[col_date].strip() if col_date is not None else ""
        c_source = record[col_source].strip() if col_source is not None else ""
        c_method = record[col_method].strip() if col_method is not None else ""
        when: datetime | None = None
        method = ""
        if c_date or c_source or c_method:
            if not (c_date and c_source and c_method):
                missing = ", ".join(
                    k
                    for k, v in (
                        ("consent_date", c_date),
                        ("consent_method", c_method),
                        ("consent_source", c_source),
                    )
                    if not v
                )
                rejected.append(
                    {"line": start, "reason": f"incomplete consent evidence: missing {missing}"}
                )
                continue
            parsed = dates.get(c_date)  # the date, or why it is not one
            if parsed is None:
                try:
                    parsed = _parse_date(c_date)
                except ValueError as exc:
                    parsed = str(exc)
                dates[c_date] = parsed
            if isinstance(parsed, str):
                rejected.append({"line": start, "reason": parsed})
                continue
            when = parsed
            if when > today:
                rejected.append({"line": start, "reason": "consent date is in the future"})
                continue
            method = methods.get(c_method, "")
            if not method:
                method = c_method.upper().replace(" ", "_").replace("-", "_")
                if method not in ROW_METHODS:
                    allowed = ", ".join(sorted(ROW_METHODS))
                    rejected.append(
                        {
                            "line": start,
                            "reason": f"unknown consent method {method[:30]!r} (one of {allowed})",
                        }
                    )
                    continue
                methods[c_method] = method
        fields = {}
        for column, i in custom:
            value = record[i].strip()
            if value:
                fields[column] = value
        seen[e164] = start
        yield Row(start, e164, name, email, tags, fields, when, c_source[:300], method)


# --- writing --------------------------------------------------------------------------------


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
    reading = Reading()
    good = rows(
        bytes(imp.content),
        imp.mapping.get("fields", {}),
        reading,
        custom_columns=imp.mapping.get("custom", []),
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
