"""Contacts: create, correct, note an inbound text; a data subject's erasure and export."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, NotFound
from accounts.models import Business
from accounts.services import audit_record

from .. import erasure, phones
from ..errors import ContactErased
from ..inputs import LANGUAGES, clean_contact_fields, type_custom_fields
from ..models import ConsentEvidence, Contact, SignedRecord
from ..selectors import custom_field_types
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
    e164 = phones.phone_normalize(phone)
    fields = _typed(business, clean_contact_fields(defaults))
    fields.setdefault("time_zone", phones.time_zone_for(e164) or business.time_zone)
    contact = Contact.objects.filter(business=business, phone=e164).first()
    if contact is not None:
        return contact, False
    # The INSERT, and only on a clash with a concurrent one the read again: get_or_create
    # would read twice and take two savepoints (the public form pays for each round trip).
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a clash leaves the caller's usable
                return Contact.objects.create(business=business, phone=e164, **fields), True
        return Contact.objects.create(business=business, phone=e164, **fields), True
    except IntegrityError:
        contact = Contact.objects.filter(business=business, phone=e164).first()
        if contact is None:
            raise  # not the clash on the phone
        return contact, False


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
