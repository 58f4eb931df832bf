"""Consent's part of data rights and retention, registered from ConsentConfig.ready().

- erasure of a contact (``erasure`` hooks, run by ``contact_erase``): the person's rows are
  cut from the raw CSV of every import that holds them;
- the contact's export: those rows (section ``imports``) and their signed records;
- retention: the raw CSV of an import is deleted RETENTION_IMPORT_FILE_DAYS after it
  finished (the contacts, their consent events and the import's report stay); a closed
  business's contacts are erased (the person, their evidence, their messages through the
  erasers) after its legal period — never before RETENTION_CONSENT_YEARS;
- the register of personal data (``accounts.privacy.inventory``): every field of consent's
  models that holds some, with those rules.
"""

import base64
import csv
import io
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from accounts.models import Business
from accounts.privacy import inventory, retention

from . import erasure, import_file, phones
from .models import Contact, ContactImport, SignedRecord
from .services import contact_erase

IMPORT_FILES_RULE = "import files deleted after RETENTION_IMPORT_FILE_DAYS"
CLOSED_CONTACTS_RULE = "a closed business's contacts erased after its legal period"
CONTACT_ERASURE = "contact_erase (consent.services): the person anonymised"
CONTACT_EXPORT = "the contact's data export (consent.subject.export_bundle)"
LEDGER_KEPT = (
    "kept: the consent ledger (append-only, RETENTION_CONSENT_YEARS); the person's part is "
    "blanked by contact erasure and by the closed-business rule"
)


# --- import files ---------------------------------------------------------------------------


def _table(content: bytes) -> tuple[list[list[str]], str, str]:
    """The file as rows of cells, its encoding and its delimiter (as the importer read it)."""
    encoding = import_file.encoding_of(content)
    text = content.decode(encoding, errors="replace")
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), encoding, delimiter


def _is_person(cells: list[str], *, e164: str, email: str) -> bool:
    for cell in cells:
        value = cell.strip()
        if not value:
            continue
        if email and value.casefold() == email:
            return True
        # a number ends with the national digits however it is written: parse only those
        if e164 and re.sub(r"\D", "", value).endswith(e164[-7:]):
            try:
                if phones.normalize(value, recipient=False) == e164:
                    return True
            except phones.InvalidPhone:
                continue
    return False


def _person(contact: Contact) -> tuple[str, str]:
    return contact.phone_e164, (contact.email or "").strip().casefold()


def _imports_with_content(business: Business):
    return ContactImport.objects.filter(business=business).exclude(content=b"").order_by("id")


def erase_contact_from_imports(*, business: Business, contact: Contact) -> dict:
    """Cut every row naming the person (their number or email) from each import's file."""
    e164, email = _person(contact)
    if not (e164 or email):
        return {"import_rows_removed": 0}
    removed = 0
    for imp in _imports_with_content(business):
        try:
            table, encoding, delimiter = _table(bytes(imp.content))
        except import_file.ImportFileError:
            continue
        keep = [table[0], *(r for r in table[1:] if not _is_person(r, e164=e164, email=email))]
        if len(keep) == len(table):
            continue
        removed += len(table) - len(keep)
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(keep)
        imp.content = out.getvalue().encode("utf-8" if encoding == "utf-8-sig" else encoding)
        imp.save(update_fields=["content"])
    return {"import_rows_removed": removed}


def export_contact_imports(*, business: Business, contact: Contact) -> list[dict]:
    """The rows of each import's file that name the person, with the file's header."""
    e164, email = _person(contact)
    found = []
    for imp in _imports_with_content(business) if (e164 or email) else []:
        try:
            table, _, _ = _table(bytes(imp.content))
        except import_file.ImportFileError:
            continue
        rows = [r for r in table[1:] if _is_person(r, e164=e164, email=email)]
        if rows:
            found.append(
                {
                    "import": str(imp.uuid),
                    "filename": imp.filename,
                    "uploaded_at": imp.created_at.isoformat(),
                    "header": table[0],
                    "rows": rows,
                }
            )
    return found


def export_contact_signed_records(*, business: Business, contact: Contact) -> list[dict]:
    return [
        {
            "uuid": str(r.uuid),
            "filename": r.filename,
            "content_type": r.content_type,
            "sha256": r.sha256,
            "uploaded_at": r.created_at.isoformat(),
            "erased_at": r.erased_at.isoformat() if r.erased_at else None,
            "content_base64": base64.b64encode(bytes(r.content)).decode("ascii"),
        }
        for r in SignedRecord.objects.filter(business=business, contact=contact).order_by("id")
    ]


def import_files_purge(*, now: datetime, dry_run: bool) -> dict:
    """Raw files of imports that finished (or were left unstarted) before the period."""
    cutoff = now - timedelta(days=settings.RETENTION_IMPORT_FILE_DAYS)
    finished = Q(finished_at__lt=cutoff) | Q(
        status=ContactImport.Status.UPLOADED, created_at__lt=cutoff
    )
    old = ContactImport.objects.filter(finished).exclude(content=b"")
    if dry_run:
        return {"import_files": old.count()}
    return {"import_files": old.update(content=b"")}


# --- a closed business ----------------------------------------------------------------------


def closed_business_contacts_purge(*, now: datetime, dry_run: bool) -> dict:
    """Contacts of businesses closed longer than RETENTION_CLOSED_BUSINESS_DAYS (and never
    less than the consent period) are erased: the ledger stays, the person's part goes."""
    days = max(settings.RETENTION_CLOSED_BUSINESS_DAYS, round(retention.consent_years() * 365.2425))
    due = Business.objects.filter(
        vetting_status=Business.Vetting.TERMINATED,
        vetting_changed_at__lt=now - timedelta(days=days),
    )
    contacts = Contact.objects.filter(business__in=due, erased_at__isnull=True)
    files = ContactImport.objects.filter(business__in=due).exclude(content=b"")
    if dry_run:
        return {"contacts": contacts.count(), "import_files": files.count()}
    # the whole files go first, so no erasure below reads them row by row
    emptied = files.update(content=b"")
    count = 0
    for contact in contacts.select_related("business").order_by("business_id", "id"):
        contact_erase(business=contact.business, contact=contact)
        count += 1
    return {"contacts": count, "import_files": emptied}


# --- the register -----------------------------------------------------------------------------


def register() -> None:
    erasure.register(erase_contact_from_imports)
    erasure.register_exporter("imports", export_contact_imports)
    erasure.register_exporter("signed_records", export_contact_signed_records)
    retention.register(IMPORT_FILES_RULE, import_files_purge)
    retention.register(CLOSED_CONTACTS_RULE, closed_business_contacts_purge)

    declare = inventory.declare
    declare(
        "consent.Contact",
        ["phone", "phone_hash", "name", "email", "tags", "custom_fields"],
        erasure=CONTACT_ERASURE,
        export=CONTACT_EXPORT,
        retention=CLOSED_CONTACTS_RULE,
    )
    declare(
        "consent.ConsentEvidence",
        ["ip", "user_agent", "data"],
        erasure="blanked by contact_erase (the digest stays in the chain)",
        export=CONTACT_EXPORT + ", consent_events",
        retention=CLOSED_CONTACTS_RULE,
    )
    declare(
        "consent.ConsentEvent",
        ["page_url", "disclosure_text", "recorded_by_label", "source"],
        erasure="not erased: the chained ledger; its personal part is ConsentEvidence",
        export=CONTACT_EXPORT + ", consent_events",
        retention=LEDGER_KEPT,
    )
    declare(
        "consent.SignedRecord",
        ["filename", "content_type", "content"],
        erasure="file and name blanked by contact_erase (the hash stays in the ledger)",
        export=CONTACT_EXPORT + ", signed_records",
        retention=CLOSED_CONTACTS_RULE,
    )
    declare(
        "consent.ContactImport",
        ["content", "filename"],
        erasure="the person's rows cut from the file (consent.privacy)",
        export=CONTACT_EXPORT + ", imports",
        retention=IMPORT_FILES_RULE,
    )
    declare(
        "consent.ContactImport",
        ["attestation_text", "attested_ip"],
        erasure="not erased: the member's attestation, part of the consent record",
        export="the business export (consent section)",
        retention="kept: the attestation backs the imported consent (RETENTION_CONSENT_YEARS)",
    )
    inventory.not_personal(
        "consent.ContactImport",
        ["headers", "mapping", "tags", "report"],
        reason="column names, the mapping, tags chosen by the member, reasons by line number",
    )
    inventory.not_personal(
        "consent.Suppression",
        ["phone_hash"],
        reason="a keyed hash (not reversible) kept forever so an opted-out number stays so",
    )
    inventory.not_personal(
        "consent.OptInForm",
        [
            "name", "program_name", "message_description", "terms_url", "privacy_url",
            "allowed_origins", "success_message",
        ],
        reason="the business's own form settings",
    )  # fmt: skip
    inventory.not_personal(
        "consent.FormSnapshot", ["html"], reason="the form as shown, without what was typed"
    )
