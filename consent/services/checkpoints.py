"""Signed checkpoints of the ledger's chain heads, kept outside the chained table.

The chain detects a changed or removed event, and ``ChainHead`` a removed tail, but not
both cut together (a superuser disabling the triggers, deleting the last events and
rolling the head back). A checkpoint — the head's seq and hash, HMAC-signed with
``CONSENT_CHECKPOINT_KEY``, which the database does not hold — is written to its own
append-only table and to the audit trail every few minutes (the beat entry
``consent-checkpoint``); ``consent.verify`` then finds a ledger that ends before a
checkpoint or disagrees with it. Events appended since the last checkpoint are not covered.
"""

import logging

from django.db import transaction

from accounts.models import Business
from accounts.services import audit_record

from ..hashing import CHECKPOINT_AUDIT_ACTION, checkpoint_signature
from ..models import ChainCheckpoint, ChainHead

log = logging.getLogger(__name__)


def ledger_checkpoint(*, business: Business | None = None) -> int:
    """Sign and record the chain head of every business whose ledger grew since its last
    checkpoint (or of ``business``). Returns how many were written."""
    heads = ChainHead.objects.filter(seq__gt=0).select_related("business").order_by("id")
    if business is not None:
        heads = heads.filter(business=business)
    latest = dict(
        ChainCheckpoint.objects.order_by("business_id", "-seq")
        .distinct("business_id")
        .values_list("business_id", "seq")
    )
    written = 0
    for head in heads.iterator():
        if latest.get(head.business_id) == head.seq:
            continue
        business_uuid = str(head.business.uuid)
        signature = checkpoint_signature(
            business_uuid=business_uuid, seq=head.seq, chain_hash=head.hash
        )
        with transaction.atomic():
            checkpoint = ChainCheckpoint.objects.create(
                business_id=head.business_id, seq=head.seq, hash=head.hash, signature=signature
            )
            audit_record(
                action=CHECKPOINT_AUDIT_ACTION,
                obj=checkpoint,
                business=head.business,
                object_type="consent.ChainCheckpoint",
                object_id=str(checkpoint.pk),
                detail={"seq": head.seq, "hash": head.hash, "signature": signature},
            )
        # and to the log, which is shipped off this database
        log.info(
            "consent chain checkpoint business=%s seq=%s hash=%s signature=%s",
            business_uuid,
            head.seq,
            head.hash,
            signature,
        )
        written += 1
    return written
