"""What ``consent_verify`` checks beyond the hash chain (``selectors.ledger_verify``): reads
only, each returning the problems found as sentences that name the row.

- ``derived_differences``: ConsentState and Suppression derived again from the ledger
  (``replay``) and compared row by row;
- ``checkpoint_problems``: the ledger still reaches every signed checkpoint and audit-trail
  record of its head, with the same hash (a cut tail shows here);
- ``erasure_problems``: an erased contact, its evidence and its signed records are blank.
"""

from django.db.models import Q

from accounts.models import AuditEvent, Business

from . import replay
from .hashing import CHECKPOINT_AUDIT_ACTION, checkpoint_signature
from .models import (
    ChainCheckpoint,
    ConsentEvent,
    ConsentEvidence,
    ConsentState,
    Contact,
    SignedRecord,
    Suppression,
)
from .phones import phone_hash


def _events(business: Business):
    rows = (
        ConsentEvent.objects.filter(business=business)
        .order_by("seq")
        .values_list(
            "pk",
            "seq",
            "contact_id",
            "kind",
            "method",
            "campaign_id",
            "campaign__uuid",
            "scope_kind",
            "source",
            "created_at",
        )
    )
    for (
        pk,
        seq,
        contact_id,
        kind,
        method,
        campaign_id,
        campaign_uuid,
        kind_,
        source,
        at,
    ) in rows.iterator(chunk_size=5000):
        yield replay.Event(
            pk,
            seq,
            contact_id,
            kind,
            method,
            campaign_id,
            str(campaign_uuid or ""),
            kind_,
            source,
            at,
        )


def _describe(state) -> str:
    if state is None:
        return "no row"
    return f"{state.status} by event #{state.event_seq} (id {state.last_event_id})"


def derived_differences(*, business: Business) -> list[str]:
    """Every ConsentState row, and every suppression of a contact not erased, that is not
    what the ledger says it must be."""
    derived = replay.replay(_events(business))
    problems = []
    contacts = dict(Contact.objects.filter(business=business).values_list("pk", "uuid"))
    found: dict[int, dict[str, replay.State]] = {}
    for row in ConsentState.objects.filter(business=business).values_list(
        "contact_id",
        "scope_key",
        "status",
        "campaign_id",
        "scope_kind",
        "confirmed_at",
        "last_event_id",
        "event_seq",
    ):
        contact_id, key, status, campaign_id, kind, confirmed_at, event_id, seq = row
        found.setdefault(contact_id, {})[key] = replay.State(
            status, campaign_id, kind, confirmed_at is not None, event_id, seq
        )
    for contact_id in sorted(set(derived.states) | set(found)):
        want, have = derived.states.get(contact_id, {}), found.get(contact_id, {})
        for key in sorted(set(want) | set(have)):
            if want.get(key) != have.get(key):
                problems.append(
                    f"ConsentState of contact {contacts.get(contact_id, contact_id)} scope "
                    f"{key}: the ledger says {_describe(want.get(key))}, the table has "
                    f"{_describe(have.get(key))}"
                )
    suppressions: dict[str, dict[int | None, tuple[bool, str]]] = {}
    for digest, campaign, lifted_at, reason in Suppression.objects.filter(
        business=business
    ).values_list("phone_hash", "campaign_id", "lifted_at", "reason"):
        suppressions.setdefault(digest, {})[campaign] = (lifted_at is None, reason)
    live = Contact.objects.filter(business=business, erased_at=None, phone__isnull=False)
    for contact in live.only("pk", "uuid", "phone").iterator():
        expected = derived.suppressed.get(contact.pk, {})
        have_rows = suppressions.get(phone_hash(business=business, e164=contact.phone_e164), {})
        for scope in sorted(set(expected) | set(have_rows), key=lambda c: c or 0):
            want_active = expected.get(scope, False)
            active, reason = have_rows.get(scope, (False, ""))
            if want_active == active or (active and reason == "erased"):
                continue
            problems.append(
                f"Suppression of contact {contact.uuid} for "
                f"{f'campaign id {scope}' if scope else 'the whole business'}: the ledger says "
                f"{'suppressed' if want_active else 'not suppressed'}, the table has "
                f"{'an active row' if active else 'no active row'}"
            )
    return problems


def checkpoint_problems(*, business: Business) -> list[str]:
    """Signed checkpoints and the audit trail's copies of the chain head, against the
    ledger: a forged checkpoint, or a ledger that no longer reaches one."""
    problems = []
    hashes = dict(ConsentEvent.objects.filter(business=business).values_list("seq", "hash"))
    last = max(hashes, default=0)
    marks = [
        ("checkpoint", seq, chain_hash, signature)
        for seq, chain_hash, signature in ChainCheckpoint.objects.filter(
            business=business
        ).values_list("seq", "hash", "signature")
    ]
    for detail in AuditEvent.objects.filter(
        business=business, action=CHECKPOINT_AUDIT_ACTION
    ).values_list("detail", flat=True):
        marks.append(
            (
                "audit record",
                int(detail.get("seq", 0)),
                detail.get("hash", ""),
                detail.get("signature", ""),
            )
        )
    for where, seq, chain_hash, signature in sorted(marks, key=lambda m: m[1]):
        expected = checkpoint_signature(
            business_uuid=str(business.uuid), seq=seq, chain_hash=chain_hash
        )
        if signature != expected:
            problems.append(f"the {where} of event #{seq} has a wrong signature (forged?)")
        elif seq > last:
            problems.append(
                f"the {where} of event #{seq} is past the ledger's end (#{last}): "
                f"events #{last + 1}–#{seq} were removed"
            )
        elif hashes.get(seq) != chain_hash:
            problems.append(f"event #{seq} does not have the hash its {where} signed")
    return problems


def erasure_problems(*, business: Business) -> list[str]:
    """An erased contact keeps no personal data: not on the row, not in the evidence of its
    events, not in its signed records."""
    problems = []
    erased = Contact.objects.filter(business=business, erased_at__isnull=False)
    for uuid in erased.filter(
        ~Q(phone=None) | ~Q(name="") | ~Q(email="") | ~Q(tags=[]) | ~Q(custom_fields={})
    ).values_list("uuid", flat=True):
        problems.append(f"erased contact {uuid} still holds personal data")
    evidence = ConsentEvidence.objects.filter(business=business).filter(
        Q(event__contact__erased_at__isnull=False) | Q(erased_at__isnull=False)
    )
    for seq, uuid in (
        evidence.filter(~Q(ip=None) | ~Q(user_agent="") | ~Q(data={}) | Q(erased_at=None))
        .values_list("event__seq", "event__contact__uuid")
        .order_by("event__seq")
    ):
        problems.append(f"the evidence of event #{seq} (contact {uuid}) is not blank")
    for uuid in (
        SignedRecord.objects.filter(business=business, contact__erased_at__isnull=False)
        .filter(~Q(content=b"") | ~Q(filename="") | Q(erased_at=None))
        .values_list("contact__uuid", flat=True)
    ):
        problems.append(f"a signed record of erased contact {uuid} is not blank")
    return problems
