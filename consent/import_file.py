"""Reading a contact import's CSV: the encoding, the header and the mapping, and each row
checked (phone, email, tags, consent evidence). Pure: no ORM.

The file is decoded as it is read (never held as one text), and rows are validated as they
are taken: good rows are yielded, rejected ones are named by line number and reason.
``services.importer`` writes what this reads.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts.hygiene import has_bidi_controls

from . import phones, written
from .inputs import coerce_custom_value, email_fits

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
    custom: dict[str, Any] = field(default_factory=dict)
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


def rows(
    content: bytes,
    mapping: dict[str, str],
    reading: Reading,
    *,
    custom_columns: list[str] | None = None,
    marketing: bool = False,
    field_types: dict[str, str] | None = None,
) -> Iterator[Row]:
    """Check the header and mapping now (ImportFileError), then validate row by row as the
    rows are taken: good rows are yielded, rejected ones go to ``reading`` by line number.
    ``marketing``: the import grants marketing consent, so a row's consent method must be
    written (``written.row_method_is_written``)."""
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
    kinds = field_types or {}
    custom = [(c[:60], index[c], kinds.get(c[:60])) for c in custom_columns or [] if c in index]
    return _rows(reader, cols, custom, len(header), reading, marketing)


def _rows(
    reader, cols: dict[str, int], custom, width: int, reading: Reading, marketing: bool = False
) -> Iterator[Row]:
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
        try:
            e164 = phones.normalize(raw_phone)
        except phones.InvalidPhone as exc:
            rejected.append(
                {"line": start, "reason": f"invalid phone number {raw_phone[:30]!r}: {exc}"}
            )
            continue
        if e164 in seen:
            rejected.append({"line": start, "reason": f"duplicate of line {seen[e164]}"})
            continue
        name = record[col_name].strip()[:200] if col_name is not None else ""
        if has_bidi_controls(name):
            rejected.append({"line": start, "reason": "the name contains a text-direction control"})
            continue
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
            if marketing and not written.row_method_is_written(method):
                rejected.append({"line": start, "reason": written.row_problem(method)})
                continue
        fields: dict[str, Any] = {}
        bad = ""
        for column, i, kind in custom:
            value = record[i].strip()
            if value and kind:
                try:
                    fields[column] = coerce_custom_value(kind, value)
                except ValueError as exc:
                    bad = f"{column} {exc}"
                    break
            elif value:
                fields[column] = value
        if bad:
            rejected.append({"line": start, "reason": bad})
            continue
        seen[e164] = start
        yield Row(start, e164, name, email, tags, fields, when, c_source[:300], method)
