"""Uploaded signed consent records (a scanned paper form, an e-signature export): the file
is stored with its SHA-256 and the opt-in names both, so the ledger proves which document
the consent rests on."""

import hashlib

from django.conf import settings
from django.db import transaction

from accounts.errors import NotFound, ValidationFailed
from accounts.models import Business

from ..errors import ContactErased
from ..models import ConsentEvent, Contact, Method, SignedRecord
from .ledger import consent_record_opt_in

# the largest file accepted (a few scanned pages); CONSENT_SIGNED_RECORD_MAX_BYTES overrides
MAX_BYTES = 5 * 1024 * 1024
CONTENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/plain", ""}


def consent_record_signed(
    *,
    business: Business,
    contact: Contact,
    campaign=None,
    kind: str | None = None,
    filename: str,
    content: bytes,
    content_type: str = "",
    disclosure_text: str,
    consented_at=None,
    source: str = "",
    recorded_by_label: str = "",
    actor=None,
) -> ConsentEvent:
    """Store the signed record, then record the confirmed opt-in that rests on it."""
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    limit = getattr(settings, "CONSENT_SIGNED_RECORD_MAX_BYTES", MAX_BYTES)
    if not content:
        raise ValidationFailed(
            "The signed record is empty.", fields={"signed_record": ["The file is empty."]}
        )
    if len(content) > limit:
        raise ValidationFailed(
            "The signed record is too large.",
            fields={"signed_record": [f"At most {limit // (1024 * 1024)} MB."]},
        )
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise ValidationFailed(
            "Upload a PDF, PNG, JPEG or text file.",
            fields={"signed_record": ["Upload a PDF, PNG, JPEG or text file."]},
        )
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        record = SignedRecord.objects.create(
            business=business,
            contact=contact,
            filename=(filename or "signed-record")[:255],
            content_type=content_type,
            size=len(content),
            sha256=digest,
            content=content,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        return consent_record_opt_in(
            business=business,
            contact=contact,
            method=Method.SIGNED_RECORD,
            campaign=campaign,
            kind=kind,
            evidence={
                "disclosure_text": disclosure_text,
                "consented_at": consented_at,
                # the hash in the chained part of the event: erasure blanks the file, not this
                "source": f"signed record sha256:{digest}"
                + (f" ({source[:200]})" if source else ""),
                "recorded_by_label": recorded_by_label,
                "data": {
                    "signed_record": str(record.uuid),
                    "signed_record_sha256": digest,
                    "filename": record.filename,
                },
            },
            double_opt_in=False,
            actor=actor,
        )
