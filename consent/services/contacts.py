"""Contacts: create, correct, note an inbound text; a data subject's erasure and export."""

import functools

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts import db
from accounts.errors import Conflict, NotFound
from accounts.models import Business
from accounts.services import audit_record

from .. import erasure, phones
from ..errors import ContactErased
from ..inputs import LANGUAGES, clean_contact_fields, type_custom_fields
from ..models import ChainHead, ConsentEvidence, Contact, SignedRecord
from ..selectors import custom_field_types
from .chain import chain_head_suppressed
from .ledger import chain_head, suppression_add


def _typed(business: Business, fields: dict) -> dict:
    """Custom fields with a type definition (consent/audiences) stored as that type."""
    if fields.get("custom_fields"):
        kinds = custom_field_types(business=business)
        if kinds:
            fields["custom_fields"] = type_custom_fields(fields["custom_fields"], kinds)
    return fields


def contact_get_or_create(*, business: Business, phone: str, **defaults) -> tuple[Contact, bool]:
    """The business's contact for ``phone`` (any format), created if missing."""
    contact = _contact_new(business, phone, defaults)
    found = Contact.objects.filter(business=business, phone=contact.phone).first()
    if found is not None:
        return found, False
    # One INSERT that yields on a clash with a concurrent row (ON CONFLICT DO NOTHING: no
    # savepoint, the caller's transaction stays usable), then the read again.
    if _insert_unless_exists(contact):
        return contact, True
    return _existing(business, contact.phone), False


def contact_insert_locking_chain(
    *,
    business: Business,
    phone: str,
    hashed: str | None,
    campaign_ids: list[int | None],
    **defaults,
) -> tuple[Contact, bool, ChainHead, list[bool | None]]:
    """``contact_get_or_create`` for the public form, where nearly every submission is a new
    number (INSERT first, read only when the number is already there), and the business's
    chain head locked with the number's suppression guessed for each of ``campaign_ids``
    (``chain.chain_head_suppressed``) by the same statement: one round trip for both (the
    INSERT runs first, as when they were two; ``hashed`` is also the row's
    ``Contact.phone_hash``). Call it in a transaction."""
    contact = _contact_new(business, phone, defaults, hashed=hashed)
    fields, sql = _contact_insert()
    head, guesses, inserted = chain_head_suppressed(
        business, hashed=hashed, campaign_ids=campaign_ids, insert=(sql, _values(contact, fields))
    )
    if inserted is not None:
        _inserted(contact, inserted)
        return contact, True, head, guesses
    return _existing(business, contact.phone), False, head, guesses


def _contact_new(
    business: Business, phone: str, defaults: dict, *, hashed: str | None = None
) -> Contact:
    """The unsaved contact for ``phone`` (any format) with ``defaults`` cleaned;
    ``hashed``: its suppression hash when the caller has it already."""
    e164 = phones.phone_normalize(phone)
    fields = _typed(business, clean_contact_fields(defaults))
    fields.setdefault("time_zone", phones.time_zone_for(e164) or business.time_zone)
    # the send path's cache of the suppression hash (Contact.phone_hash), written with the
    # row: the first send to the contact then needs no suppression read of its own
    hashed = hashed or phones.phone_hash(business=business, e164=e164)
    return Contact(business=business, phone=e164, phone_hash=hashed, **fields)


def _values(contact: Contact, fields: list) -> list:
    """The new contact's row as ``save()`` sends it, the number as normalized (E.164)."""
    return db.prepared(contact, fields, phone=contact.phone_e164 or None)


def _existing(business: Business, e164: str) -> Contact:
    found = Contact.objects.filter(business=business, phone=e164).first()
    if found is None:  # pragma: no cover - the clash was on the phone, so the row is there
        raise IntegrityError(f"contact {e164} neither inserted nor found")
    return found


def _inserted(contact: Contact, pk: int) -> None:
    contact.pk = pk
    contact._state.adding = False
    contact._state.db = connection.alias


def _insert_unless_exists(contact: Contact) -> bool:
    """INSERT the unsaved ``contact`` unless its (business, phone) exists; True if it did.

    The statement is built once per process from the model's fields and their own
    conversions (what ``save()`` would send), without the ORM's compile on every call."""
    fields, sql = _contact_insert()
    values = _values(contact, fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    _inserted(contact, row[0])
    return True


@functools.cache
def _contact_insert() -> tuple[list, str]:
    meta = Contact._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - the model's own names
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        # the partial unique index contact_business_phone_unique
        f"ON CONFLICT ({quote('business_id')}, {quote('phone')}) WHERE {quote('phone')} "
        f"IS NOT NULL DO NOTHING RETURNING {quote(str(meta.pk.column))}"
    )
    return fields, sql


def contact_create(*, business: Business, phone: str, actor=None, **fields) -> Contact:
    contact, created = contact_get_or_create(business=business, phone=phone, **fields)
    if not created:
        raise Conflict(
            "A contact with this phone number already exists.",
            fields={"phone": ["A contact with this phone number already exists."]},
            detail={"contact_uuid": str(contact.uuid)},
        )
    audit_record(action="consent.contact_create", obj=contact, actor=actor, business=business)
    return contact


def contact_update(*, business: Business, contact: Contact, actor=None, **fields) -> Contact:
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    clean = _typed(business, clean_contact_fields(fields))
    if clean.get("time_zone") == "":  # emptied: derived from the number again
        clean["time_zone"] = phones.time_zone_for(contact.phone_e164) or business.time_zone
    for key, value in clean.items():
        setattr(contact, key, value)
    contact.updated_at = timezone.now()
    contact.save(update_fields=[*clean, "updated_at"])
    audit_record(
        action="consent.contact_update",
        obj=contact,
        actor=actor,
        business=business,
        detail={"fields": sorted(clean)},
    )
    return contact


def contact_record_inbound(*, business: Business, contact: Contact, language: str = "") -> None:
    """Note that the contact texted in (allows conversational replies without consent), and
    the language of the keyword they used, if any: compliance replies use it from then on."""
    now = timezone.now()
    changes: dict = {"last_inbound_at": now}
    if language and language in LANGUAGES:
        changes["language"] = language
    Contact.objects.filter(pk=contact.pk, business=business).update(**changes)
    for key, value in changes.items():
        setattr(contact, key, value)


def contact_phone_hash_store(*, business: Business, contact: Contact, digest: str) -> None:
    """Store the suppression hash of the contact's phone on it (``Contact.phone_hash``, which
    the send API's first statement asks the suppression list by): for the phone it was
    computed from only, so a phone changed meanwhile keeps its row as it is."""
    Contact.objects.filter(pk=contact.pk, business=business, phone=contact.phone).update(
        phone_hash=digest
    )
    contact.phone_hash = digest


# --- data-subject rights ------------------------------------------------------------------


def contact_erase(*, business: Business, contact: Contact, actor=None, ip=None) -> Contact:
    """Anonymise the person; keep the ledger (its personal evidence blanked) and a suppression.

    Other apps' erasers (messaging: message bodies) run in the same transaction.
    """
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        return contact
    e164 = contact.phone_e164
    now = timezone.now()
    with transaction.atomic():
        chain_head(business)  # the suppression list is written under the ledger's lock
        results = erasure.run_erasers(business=business, contact=contact)
        if e164:
            # An erased person must not be texted again by re-import: suppress for good.
            suppression_add(business=business, e164=e164, reason="erased", when=now)
        ConsentEvidence.objects.filter(business=business, event__contact=contact).update(
            ip=None, user_agent="", data={}, erased_at=now
        )
        # the signed file is personal; its hash stays in the chained event's source
        SignedRecord.objects.filter(business=business, contact=contact).update(
            content=b"", filename="", erased_at=now
        )
        contact.phone = None
        contact.phone_hash = ""
        contact.name = ""
        contact.email = ""
        contact.tags = []
        contact.custom_fields = {}
        contact.erased_at = now
        contact.updated_at = now
        contact.save()
        audit_record(
            action="consent.contact_erase",
            obj=contact,
            actor=actor,
            business=business,
            ip=ip,
            detail={"other_apps": results},
        )
    return contact


def contact_export_record(*, business: Business, contact: Contact, actor=None, ip=None) -> None:
    audit_record(
        action="consent.contact_export",
        obj=contact,
        actor=actor,
        business=business,
        ip=ip,
    )
