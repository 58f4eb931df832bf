"""CSV contact import: decode, parse, validate row by row, then write everything in one go.

Parsing and validation are pure Python (fast paths for US numbers). Writing is one
transaction: on PostgreSQL rows are COPY'd into a temporary staging table and contacts,
ledger events, evidence and consent state are written with set-based SQL (the ledger's
hash chain is computed in Python, in order, under the business's chain lock); elsewhere
the same result is produced row by row through the services. Nothing is half-imported:
every row is either imported or named in the report with its line number and reason.
"""

import csv
import hashlib
import io
import json
import uuid as uuid_mod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.db import connection, transaction
from django.utils import timezone

from . import hashing, phones
from .models import ChainHead, ContactImport, EventKind, Method, Suppression

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


@dataclass
class Row:
    line: int
    phone: str
    name: str = ""
    email: str = ""
    tags: list[str] = field(default_factory=list)
    custom: dict[str, str] = field(default_factory=dict)
    consented_at: datetime | None = None
    source: str = ""
    method: str = ""


@dataclass
class Parsed:
    rows: list[Row]
    rejected: list[dict]
    total: int


def decode(content: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    if not content.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in content[:4096]:
        raise ImportFileError("This is not a text CSV file (it looks like UTF-16 or binary).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1"), "latin-1"


def _reader(text: str):
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)


def headers_of(content: bytes) -> tuple[list[str], str]:
    text, encoding = decode(content)
    reader = _reader(text)
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


def parse(
    content: bytes,
    mapping: dict[str, str],
    *,
    custom_columns: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Parsed:
    """Validate every row. Returns the good rows and the rejected ones by line number."""
    text, _ = decode(content)
    reader = _reader(text)
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
    custom = [(c, index[c]) for c in custom_columns or [] if c in index]
    width = len(header)
    today = timezone.now() + timezone.timedelta(days=1)
    rows: list[Row] = []
    rejected: list[dict] = []
    seen: dict[str, int] = {}
    dates: dict[str, datetime] = {}  # lists repeat dates: parse each once
    total = 0
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
            total += 1
            rejected.append({"line": start, "reason": f"unreadable CSV: {exc}"})
            continue
        start, last_line = last_line + 1, reader.line_num
        if not record or all(not c.strip() for c in record):
            continue  # blank lines are not rows
        total += 1
        if progress and total % 5000 == 0:
            progress(total)
        if len(record) != width:
            span = f" (lines {start}-{last_line}: unterminated quote?)" if last_line > start else ""
            rejected.append(
                {
                    "line": start,
                    "reason": f"expected {width} columns, found {len(record)}{span}",
                }
            )
            continue
        if any(len(c) > MAX_FIELD for c in record):
            span = f" (lines {start}-{last_line})" if last_line > start else ""
            rejected.append(
                {"line": start, "reason": f"a field is too long, unterminated quote?{span}"}
            )
            continue
        raw_phone = record[cols["phone"]]
        try:
            e164 = phones.normalize(raw_phone)
        except phones.InvalidPhone:
            rejected.append({"line": start, "reason": f"invalid phone number {raw_phone[:30]!r}"})
            continue
        if e164 in seen:
            rejected.append({"line": start, "reason": f"duplicate of line {seen[e164]}"})
            continue
        row = Row(line=start, phone=e164)
        if "name" in cols:
            row.name = record[cols["name"]].strip()[:200]
        if "email" in cols:
            row.email = record[cols["email"]].strip()[:254]
            if row.email and ("@" not in row.email or " " in row.email):
                rejected.append({"line": start, "reason": f"invalid email {row.email[:40]!r}"})
                continue
        if "tags" in cols:
            row.tags = sorted(
                {t.strip()[:50] for t in record[cols["tags"]].replace(";", ",").split(",")} - {""}
            )
        evidence = {
            k: record[cols[k]].strip() if k in cols else ""
            for k in ("consent_date", "consent_source", "consent_method")
        }
        present = [k for k, v in evidence.items() if v]
        if present and len(present) < 3:
            missing = ", ".join(sorted(set(evidence) - set(present)))
            rejected.append(
                {"line": start, "reason": f"incomplete consent evidence: missing {missing}"}
            )
            continue
        if present:
            when = dates.get(evidence["consent_date"])
            if when is None:
                try:
                    when = dates[evidence["consent_date"]] = _parse_date(evidence["consent_date"])
                except ValueError as exc:
                    rejected.append({"line": start, "reason": str(exc)})
                    continue
            row.consented_at = when
            if row.consented_at > today:
                rejected.append({"line": start, "reason": "consent date is in the future"})
                continue
            method = evidence["consent_method"].upper().replace(" ", "_").replace("-", "_")
            if method not in ROW_METHODS:
                allowed = ", ".join(sorted(ROW_METHODS))
                rejected.append(
                    {
                        "line": start,
                        "reason": f"unknown consent method {method[:30]!r} (one of {allowed})",
                    }
                )
                continue
            row.method = method
            row.source = evidence["consent_source"][:300]
        for name, i in custom:
            if record[i].strip():
                row.custom[name[:60]] = record[i].strip()
        seen[e164] = start
        rows.append(row)
    return Parsed(rows=rows, rejected=rejected, total=total)


# --- writing --------------------------------------------------------------------------------


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    consented: int = 0
    no_evidence: int = 0
    suppressed: int = 0
    report: list[dict] = field(default_factory=list)


def _suppressed_hashes(imp: ContactImport) -> set[str]:
    qs = Suppression.objects.filter(business=imp.business, lifted_at=None)
    if imp.campaign_id:
        from django.db.models import Q

        qs = qs.filter(Q(campaign=None) | Q(campaign_id=imp.campaign_id))
    else:
        qs = qs.filter(campaign=None)
    return set(qs.values_list("phone_hash", flat=True))


def _split_suppressed(imp: ContactImport, rows: list[Row], outcome: Outcome) -> list[Row]:
    from .services import suppression_key

    key = suppression_key()
    business_uuid = str(imp.business.uuid)
    suppressed = _suppressed_hashes(imp)
    if not suppressed:
        return rows
    keep = []
    for row in rows:
        if hashing.phone_hash(key, business_uuid, row.phone) in suppressed:
            outcome.suppressed += 1
            outcome.report.append(
                {"line": row.line, "reason": "opted out earlier (suppressed): not imported"}
            )
        else:
            keep.append(row)
    return keep


def _scope(imp: ContactImport) -> tuple[str, str]:
    if imp.campaign_id:
        return f"c:{imp.campaign.uuid}", ""
    return f"k:{imp.scope_kind or 'informational'}", imp.scope_kind or "informational"


def _evidence_data(imp: ContactImport, row: Row) -> dict:
    return {"import": str(imp.uuid), "line": row.line, "consent_method": row.method}


def write_rows(imp: ContactImport, rows: list[Row], *, use_copy: bool | None = None) -> Outcome:
    """Write validated rows (one transaction). COPY + set-based SQL on PostgreSQL."""
    outcome = Outcome()
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    with transaction.atomic():
        rows = _split_suppressed(imp, rows, outcome)
        if use_copy:
            _write_copy(imp, rows, outcome)
        else:
            _write_orm(imp, rows, outcome)
    return outcome


def _write_orm(imp: ContactImport, rows: list[Row], outcome: Outcome) -> None:
    from . import services
    from .models import Contact

    existing = {
        c.phone_e164: c
        for c in Contact.objects.filter(business=imp.business, phone__in=[r.phone for r in rows])
    }
    for row in rows:
        contact = existing.get(row.phone)
        if contact is None:
            contact, _ = services.contact_get_or_create(
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
        event = services.consent_record_opt_in(
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


def _copy(cursor, table: str, columns: list[str], records) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for record in records:
            copy.write_row(record)


def _write_copy(imp: ContactImport, rows: list[Row], outcome: Outcome) -> None:
    """PostgreSQL: COPY to staging, set-based upsert, ledger rows COPY'd in chain order."""
    if not rows:
        return
    business = imp.business
    now = timezone.now()
    import_tags = set(imp.tags)
    tag_cache: dict[tuple, str] = {}

    def tags_json(tags: list[str]) -> str:
        key = tuple(tags)
        if key not in tag_cache:
            tag_cache[key] = json.dumps(sorted(set(tags) | import_tags))
        return tag_cache[key]

    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor, for COPY
        # sorts and hash joins of 100k-row batches stay in memory (this transaction only)
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("DROP TABLE IF EXISTS consent_import_stage, consent_import_evidence")
        cursor.execute(
            "CREATE TEMP TABLE consent_import_stage (line int, phone text, name text, "
            "email text, tz text, tags jsonb, custom jsonb, has_evidence bool) ON COMMIT DROP"
        )
        _copy(
            raw,
            "consent_import_stage",
            ["line", "phone", "name", "email", "tz", "tags", "custom", "has_evidence"],
            (
                (
                    r.line,
                    r.phone,
                    r.name,
                    r.email,
                    phones.time_zone_for(r.phone) or business.time_zone,
                    tags_json(r.tags),
                    json.dumps(r.custom) if r.custom else "{}",
                    bool(r.method),
                )
                for r in rows
            ),
        )
        # Upsert contacts; xmax = 0 tells a fresh insert from an update.
        cursor.execute(
            """
            INSERT INTO consent_contact AS c (uuid, business_id, phone, name, email, time_zone,
                tags, custom_fields, source, created_at, updated_at)
            SELECT gen_random_uuid(), %s, s.phone, s.name, s.email, s.tz, s.tags, s.custom,
                'import', %s, %s
            FROM consent_import_stage s
            ON CONFLICT (business_id, phone) WHERE phone IS NOT NULL DO UPDATE SET
                name = COALESCE(NULLIF(EXCLUDED.name, ''), c.name),
                email = COALESCE(NULLIF(EXCLUDED.email, ''), c.email),
                tags = (SELECT COALESCE(jsonb_agg(DISTINCT t ORDER BY t), '[]'::jsonb)
                        FROM jsonb_array_elements(c.tags || EXCLUDED.tags) AS t),
                custom_fields = c.custom_fields || EXCLUDED.custom_fields,
                updated_at = EXCLUDED.updated_at
            RETURNING c.id, c.uuid, c.phone, (xmax = 0) AS inserted
            """,
            [business.pk, now, now],
        )
        contacts = {phone: (pk, cuuid, inserted) for pk, cuuid, phone, inserted in cursor}
        outcome.created = sum(1 for v in contacts.values() if v[2])
        outcome.updated = len(contacts) - outcome.created
        with_evidence = [r for r in rows if r.method]
        outcome.no_evidence = len(rows) - len(with_evidence)
        if not with_evidence:
            return
        key, scope_kind = _scope(imp)
        # Confirmed already: never duplicated (but a pending double opt-in is confirmed).
        cursor.execute(
            "SELECT contact_id FROM consent_consentstate WHERE business_id = %s "
            "AND scope_key = %s AND status = 'OPTED_IN'",
            [business.pk, key],
        )
        confirmed = {pk for (pk,) in cursor}
        todo = [r for r in with_evidence if contacts[r.phone][0] not in confirmed]
        if not todo:
            return
        head = ChainHead.objects.select_for_update().filter(business=business).first()
        if head is None:
            ChainHead.objects.get_or_create(business=business)
            head = ChainHead.objects.select_for_update().get(business=business)
        campaign_uuid = str(imp.campaign.uuid) if imp.campaign_id else ""
        recorder = _recorder(imp)
        policy = f"import:{imp.uuid}"
        base = {
            "business": str(business.uuid),
            "kind": EventKind.OPT_IN_CONFIRMED.value,
            "method": Method.IMPORT_ATTESTED.value,
            "campaign": campaign_uuid,
            "scope_kind": scope_kind,
            "disclosure_text": imp.attestation_text,
            "policy_version": policy,
            "form": "",
            "form_snapshot_sha256": "",
            "page_url": "",
            "recorded_by_label": recorder,
            "created_at": now.astimezone(UTC).isoformat(),
        }
        seq, prev = head.seq, head.hash
        first_seq = seq + 1
        events = []
        evidences = []
        # hashing.canonical() by hand: the constant parts are encoded once per import, the
        # per-row ones are uuids, digits, hex and ISO dates (no escaping) plus the source.
        # tests/consent/test_import.py re-verifies every chain with the generic code.
        head_json, before_digest, after_digest = _canonical_parts(base)
        import_uuid = str(imp.uuid)
        sources: dict[str, str] = {}
        for r in todo:
            seq += 1
            event_uuid = str(uuid_mod.uuid4())
            data_json = (
                f'{{"consent_method":"{r.method}","import":"{import_uuid}","line":{r.line}}}'
            )
            digest = hashlib.sha256(f'{{"data":{data_json},"ip":"","ua":""}}'.encode()).hexdigest()
            source_json = sources.get(r.source)
            if source_json is None:
                source_json = sources[r.source] = json.dumps(r.source, ensure_ascii=False)
            canonical = (
                f'{head_json},"consented_at":"{r.consented_at.isoformat()}",'
                f'"contact":"{contacts[r.phone][1]}"{before_digest}{digest}{after_digest},'
                f'"seq":"{seq}","source":{source_json},"uuid":"{event_uuid}"}}'
            )
            h = hashlib.sha256(prev.encode() + b"|" + canonical.encode()).hexdigest()
            events.append(
                (
                    event_uuid,
                    business.pk,
                    seq,
                    contacts[r.phone][0],
                    base["kind"],
                    base["method"],
                    imp.campaign_id,
                    scope_kind,
                    imp.attestation_text,
                    policy,
                    "",
                    "",
                    r.source,
                    r.consented_at,
                    imp.attested_by_id,
                    recorder,
                    digest,
                    now,
                    prev,
                    h,
                )
            )
            evidences.append((seq, data_json))
            prev = h
        _copy(
            raw,
            "consent_consentevent",
            [
                "uuid",
                "business_id",
                "seq",
                "contact_id",
                "kind",
                "method",
                "campaign_id",
                "scope_kind",
                "disclosure_text",
                "policy_version",
                "form_snapshot_sha256",
                "page_url",
                "source",
                "consented_at",
                "recorded_by_id",
                "recorded_by_label",
                "evidence_sha256",
                "created_at",
                "prev_hash",
                "hash",
            ],
            events,
        )
        cursor.execute(
            "CREATE TEMP TABLE consent_import_evidence (seq bigint, data jsonb) ON COMMIT DROP"
        )
        _copy(raw, "consent_import_evidence", ["seq", "data"], evidences)
        cursor.execute("ANALYZE consent_import_evidence")  # temp tables have no statistics
        cursor.execute(
            """
            INSERT INTO consent_consentevidence (event_id, business_id, ip, user_agent, data)
            SELECT e.id, e.business_id, NULL, '', x.data
            FROM consent_consentevent e JOIN consent_import_evidence x ON x.seq = e.seq
            WHERE e.business_id = %s AND e.seq BETWEEN %s AND %s
            """,
            [business.pk, first_seq, seq],
        )
        cursor.execute(
            """
            INSERT INTO consent_consentstate AS st (business_id, contact_id, scope_key,
                campaign_id, scope_kind, status, confirmed_at, last_event_id, event_seq,
                updated_at)
            SELECT e.business_id, e.contact_id, %s, e.campaign_id, e.scope_kind, 'OPTED_IN',
                e.created_at, e.id, e.seq, e.created_at
            FROM consent_consentevent e
            WHERE e.business_id = %s AND e.seq BETWEEN %s AND %s
            ON CONFLICT (business_id, contact_id, scope_key) DO UPDATE SET
                status = 'OPTED_IN', confirmed_at = EXCLUDED.confirmed_at,
                last_event_id = EXCLUDED.last_event_id, event_seq = EXCLUDED.event_seq,
                updated_at = EXCLUDED.updated_at
            """,
            [key, business.pk, first_seq, seq],
        )
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])
        outcome.consented = len(todo)


def run(imp: ContactImport, *, use_copy: bool | None = None, progress=None) -> Outcome:
    """Parse and write one import; fills its counters and report. No status handling."""
    parsed = parse(
        bytes(imp.content),
        imp.mapping.get("fields", {}),
        custom_columns=imp.mapping.get("custom", []),
        progress=progress,
    )
    outcome = write_rows(imp, parsed.rows, use_copy=use_copy)
    outcome.report = sorted(parsed.rejected + outcome.report, key=lambda r: r["line"])
    imp.total_rows = parsed.total
    imp.processed_rows = parsed.total
    imp.created_count = outcome.created
    imp.updated_count = outcome.updated
    imp.consented_count = outcome.consented
    imp.no_evidence_count = outcome.no_evidence
    imp.suppressed_count = outcome.suppressed
    imp.rejected_count = len(parsed.rejected)
    imp.report = outcome.report
    return outcome
