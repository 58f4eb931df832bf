"""Every write of the consent app: contacts, the ledger and its state, suppressions, erasure.

The ledger is appended only through ``_append``: it locks the business's ChainHead row, so
events of one business are strictly ordered and each carries the previous one's hash.
ConsentState rows are written in the same transaction as the event they reflect.
"""

import hashlib
import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import NotFound, ValidationFailed
from accounts.models import TIME_ZONES, Business
from accounts.services import audit_record

from . import erasure, hashing, phones
from .errors import ContactErased, EvidenceMissing, PhoneSuppressed
from .models import (
    ChainHead,
    ConsentEvent,
    ConsentEvidence,
    ConsentState,
    Contact,
    EventKind,
    FormSnapshot,
    Method,
    Suppression,
)

logger = logging.getLogger(__name__)

KINDS = ("marketing", "informational")
EVIDENCE_KEYS = {
    "disclosure_text",
    "policy_version",
    "form",
    "form_snapshot_sha256",
    "page_url",
    "source",
    "consented_at",
    "ip",
    "user_agent",
    "data",
    "recorded_by_label",
}


# --- helpers ---------------------------------------------------------------------------


def suppression_key() -> bytes:
    key = getattr(settings, "CONSENT_SUPPRESSION_KEY", "") or ""
    if not key:
        # Derived, not stored: a deployment sets CONSENT_SUPPRESSION_KEY explicitly.
        key = hashlib.sha256(b"consent-suppression|" + settings.SECRET_KEY.encode()).hexdigest()
    return key.encode()


def phone_hash(*, business: Business, e164: str) -> str:
    return hashing.phone_hash(suppression_key(), str(business.uuid), e164)


def phone_normalize(phone: str) -> str:
    try:
        return phones.normalize(phone)
    except phones.InvalidPhone as exc:
        raise ValidationFailed(str(exc), fields={"phone": [str(exc)]}) from exc


def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def scope_key(*, campaign=None, kind: str | None = None) -> str:
    if campaign is not None:
        return f"c:{campaign.uuid}"
    if kind:
        return f"k:{kind}"
    return "all"


def _check_campaign(business: Business, campaign) -> None:
    if campaign is not None and campaign.business_id != business.pk:
        raise NotFound("Campaign not found.")


def _actor_label(actor) -> str:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor)
    return ""


def _parse_when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    when: datetime | None
    if isinstance(value, datetime):
        when = value
    else:
        when = parse_datetime(str(value))
        if when is None:
            try:
                when = datetime.fromisoformat(str(value))
            except ValueError as exc:
                raise ValidationFailed(
                    "consented_at is not a date.", fields={"consented_at": ["Not a date."]}
                ) from exc
    if timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    return when.astimezone(UTC)


def _clean_evidence(evidence: dict | None) -> dict[str, Any]:
    evidence = dict(evidence or {})
    data = dict(evidence.pop("data", None) or {})
    for key in list(evidence):
        if key not in EVIDENCE_KEYS:
            data[key] = evidence.pop(key)
    return {
        "disclosure_text": str(evidence.get("disclosure_text") or "")[:5000],
        "policy_version": str(evidence.get("policy_version") or "")[:120],
        "form": evidence.get("form"),
        "form_snapshot_sha256": str(evidence.get("form_snapshot_sha256") or ""),
        "page_url": str(evidence.get("page_url") or "")[:1000],
        "source": str(evidence.get("source") or "")[:300],
        "consented_at": _parse_when(evidence.get("consented_at")),
        "ip": evidence.get("ip") or None,
        "user_agent": str(evidence.get("user_agent") or "")[:500],
        "data": data,
        "recorded_by_label": str(evidence.get("recorded_by_label") or "")[:255],
    }


def chain_fields(
    event: ConsentEvent | SimpleNamespace,  # verify_chain passes a row of values()
    *,
    business_uuid,
    contact_uuid,
    campaign_uuid,
    form_uuid,
):
    """The strings the chained hash covers (used when appending and when verifying)."""
    return {
        "uuid": str(event.uuid),
        "business": str(business_uuid),
        "seq": str(event.seq),
        "contact": str(contact_uuid),
        "kind": event.kind,
        "method": event.method,
        "campaign": str(campaign_uuid or ""),
        "scope_kind": event.scope_kind,
        "disclosure_text": event.disclosure_text,
        "policy_version": event.policy_version,
        "form": str(form_uuid or ""),
        "form_snapshot_sha256": event.form_snapshot_sha256,
        "page_url": event.page_url,
        "source": event.source,
        "consented_at": iso(event.consented_at),
        "recorded_by_label": event.recorded_by_label,
        "evidence_sha256": event.evidence_sha256,
        "created_at": iso(event.created_at),
    }


def _chain_head(business: Business) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(business=business).first()
    if head is None:
        ChainHead.objects.get_or_create(business=business)
        head = ChainHead.objects.select_for_update().get(business=business)
    return head


def _append(
    *,
    business: Business,
    contact: Contact,
    kind: str,
    method: str,
    campaign=None,
    scope_kind: str = "",
    evidence: dict[str, Any],
    actor=None,
) -> ConsentEvent:
    """Append one event to the business's chain. Call inside a transaction."""
    head = _chain_head(business)
    now = timezone.now()
    form = evidence.get("form")
    event = ConsentEvent(
        business=business,
        seq=head.seq + 1,
        contact=contact,
        kind=kind,
        method=method,
        campaign=campaign,
        scope_kind=scope_kind,
        disclosure_text=evidence["disclosure_text"],
        policy_version=evidence["policy_version"] or (form.policy_version if form else ""),
        form=form,
        form_snapshot_sha256=evidence["form_snapshot_sha256"],
        page_url=evidence["page_url"],
        source=evidence["source"],
        consented_at=evidence["consented_at"] or now,
        recorded_by=actor if _actor_label(actor) else None,
        recorded_by_label=evidence["recorded_by_label"] or _actor_label(actor) or "system",
        evidence_sha256=hashing.evidence_digest(
            ip=evidence["ip"], user_agent=evidence["user_agent"], data=evidence["data"]
        ),
        created_at=now,
        prev_hash=head.hash,
    )
    event.hash = hashing.event_hash(
        chain_fields(
            event,
            business_uuid=business.uuid,
            contact_uuid=contact.uuid,
            campaign_uuid=campaign.uuid if campaign else "",
            form_uuid=form.uuid if form else "",
        ),
        head.hash,
    )
    event.save(force_insert=True)
    ConsentEvidence.objects.create(
        event=event,
        business=business,
        ip=evidence["ip"],
        user_agent=evidence["user_agent"],
        data=evidence["data"],
    )
    head.seq = event.seq
    head.hash = event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def _state_set(*, business, contact, key, campaign, scope_kind, status, event) -> ConsentState:
    defaults = {
        "campaign": campaign,
        "scope_kind": scope_kind,
        "status": status,
        "last_event": event,
        "event_seq": event.seq,
        "updated_at": event.created_at,
    }
    if status == ConsentState.Status.OPTED_IN:
        defaults["confirmed_at"] = event.created_at
    state, _ = ConsentState.objects.update_or_create(
        business=business, contact=contact, scope_key=key, defaults=defaults
    )
    return state


def _suppress(*, business, e164: str, campaign=None, reason: str, when=None) -> None:
    when = when or timezone.now()
    digest = phone_hash(business=business, e164=e164)
    existing = Suppression.objects.filter(
        business=business, phone_hash=digest, campaign=campaign
    ).first()
    if existing is None:
        Suppression.objects.create(
            business=business,
            phone_hash=digest,
            campaign=campaign,
            opted_out_at=when,
            reason=reason,
        )
    elif existing.lifted_at is not None or existing.reason != reason:
        existing.lifted_at = None
        existing.opted_out_at = when
        existing.reason = reason
        existing.save(update_fields=["lifted_at", "opted_out_at", "reason"])


def _lift(*, business, e164: str, campaigns=None, everything: bool = False) -> int:
    qs = Suppression.objects.filter(
        business=business, phone_hash=phone_hash(business=business, e164=e164), lifted_at=None
    )
    if not everything:
        from django.db.models import Q

        cond = Q(campaign=None)
        if campaigns:
            cond |= Q(campaign__in=campaigns)
        qs = qs.filter(cond)
    return qs.update(lifted_at=timezone.now())


def _active_suppression(*, business, e164: str, campaign=None) -> bool:
    from .selectors import is_suppressed

    return is_suppressed(business=business, phone=e164, campaign=campaign)


# --- contacts -----------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "email", "time_zone", "tags", "custom_fields", "source")


def email_fits(email: str) -> bool:
    """An address we can store: one @, no spaces, at most 254 characters (RFC 5321's limit,
    and the column's; Django's own validator lets 320 through)."""
    return "@" in email and " " not in email and len(email) <= EMAIL_MAX


EMAIL_MAX = 254


def _clean_contact_fields(fields: dict) -> dict:
    out = {k: v for k, v in fields.items() if k in CONTACT_FIELDS and v is not None}
    if "tags" in out:
        tags = out["tags"]
        if isinstance(tags, str):
            tags = [t for t in (p.strip() for p in tags.split(",")) if t]
        out["tags"] = sorted({str(t)[:50] for t in tags})
    if "custom_fields" in out and not isinstance(out["custom_fields"], dict):
        raise ValidationFailed(fields={"custom_fields": ["Must be an object."]})
    if "name" in out:
        out["name"] = str(out["name"])[:200]
    if out.get("email"):
        out["email"] = str(out["email"]).strip()
        if not email_fits(out["email"]):
            raise ValidationFailed(
                "Invalid email address.", fields={"email": ["Enter a valid email address."]}
            )
    if out.get("time_zone"):
        out["time_zone"] = str(out["time_zone"]).strip()
        if out["time_zone"] not in TIME_ZONES:
            # quiet hours are computed in it: a name zoneinfo cannot load would stop sends
            raise ValidationFailed(
                "Unknown time zone.",
                fields={"time_zone": ["Not a time zone; use a name like America/Chicago."]},
            )
    return out


def contact_get_or_create(*, business: Business, phone: str, **defaults) -> tuple[Contact, bool]:
    """The business's contact for ``phone`` (any format), created if missing."""
    e164 = phone_normalize(phone)
    fields = _clean_contact_fields(defaults)
    fields.setdefault("time_zone", phones.time_zone_for(e164) or business.time_zone)
    contact = Contact.objects.filter(business=business, phone=e164).first()
    if contact is not None:
        return contact, False
    with transaction.atomic():
        contact, created = Contact.objects.get_or_create(
            business=business, phone=e164, defaults=fields
        )
    return contact, created


def contact_create(*, business: Business, phone: str, actor=None, **fields) -> Contact:
    from accounts.errors import Conflict

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
    clean = _clean_contact_fields(fields)
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


def contact_record_inbound(*, business: Business, contact: Contact) -> None:
    """Note that the contact texted in (allows conversational replies without consent)."""
    Contact.objects.filter(pk=contact.pk, business=business).update(last_inbound_at=timezone.now())
    contact.last_inbound_at = timezone.now()


# --- the ledger ---------------------------------------------------------------------------


def _require_evidence(method: str, ev: dict) -> None:
    if not (ev["disclosure_text"] or ev["source"] or ev["page_url"]):
        raise EvidenceMissing(
            fields={"evidence": ["Give the disclosure text shown, the source or the page URL."]}
        )
    if method == Method.VERBAL_SCRIPT and not ev["disclosure_text"]:
        raise EvidenceMissing(
            "A verbal opt-in needs the full script read to the person.",
            fields={"evidence": ["disclosure_text must hold the verbatim script."]},
        )


def consent_record_opt_in(
    *,
    business: Business,
    contact: Contact,
    method: str,
    campaign=None,
    kind: str | None = None,
    evidence: dict,
    double_opt_in: bool,
    actor=None,
) -> ConsentEvent:
    """Record an opt-in for a campaign (or a message kind). Never downgrades or duplicates.

    An already confirmed scope returns its confirming event; a pending one returns the
    pending event when double opt-in is asked again. A suppressed number is never
    confirmed directly: it goes through double opt-in (imports refuse it).
    The returned event has ``was_created`` telling whether a row was appended.
    """
    if method not in Method.values:
        raise ValidationFailed(f"Unknown method {method!r}.", fields={"method": ["Unknown."]})
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    _check_campaign(business, campaign)
    if campaign is None and kind not in KINDS:
        raise ValidationFailed(
            "Choose a campaign or a message kind (marketing or informational).",
            fields={"campaign": ["Choose a campaign or a kind."]},
        )
    ev = _clean_evidence(evidence)
    _require_evidence(method, ev)
    # a campaign scope has no kind; without a campaign, kind is one of KINDS (checked above)
    kind_value = "" if campaign is not None else kind or ""
    key = scope_key(campaign=campaign, kind=kind_value)
    with transaction.atomic():
        _chain_head(business)  # serialises writers of this business's ledger
        state = (
            ConsentState.objects.select_for_update(of=("self",))
            .select_related("last_event")
            .filter(business=business, contact=contact, scope_key=key)
            .first()
        )
        revoked_after = _latest_revocation_seq(business, contact, campaign)
        if state is not None and state.event_seq > revoked_after:
            if state.status == ConsentState.Status.OPTED_IN:
                state.last_event.was_created = False
                return state.last_event
            if state.status == ConsentState.Status.PENDING and double_opt_in:
                state.last_event.was_created = False
                return state.last_event
        if _active_suppression(business=business, e164=contact.phone_e164, campaign=campaign):
            if method == Method.IMPORT_ATTESTED:
                raise PhoneSuppressed()
            double_opt_in = True  # only the person's own YES can lift an opt-out
        event_kind = EventKind.OPT_IN if double_opt_in else EventKind.OPT_IN_CONFIRMED
        event = _append(
            business=business,
            contact=contact,
            kind=event_kind,
            method=method,
            campaign=campaign,
            scope_kind=kind_value,
            evidence=ev,
            actor=actor,
        )
        _state_set(
            business=business,
            contact=contact,
            key=key,
            campaign=campaign,
            scope_kind=kind_value,
            status=ConsentState.Status.PENDING if double_opt_in else ConsentState.Status.OPTED_IN,
            event=event,
        )
    event.was_created = True
    return event


def _latest_revocation_seq(business, contact, campaign) -> int:
    keys = ["all"] + ([scope_key(campaign=campaign)] if campaign is not None else [])
    seqs = ConsentState.objects.filter(
        business=business,
        contact=contact,
        scope_key__in=keys,
        status=ConsentState.Status.OPTED_OUT,
    ).values_list("event_seq", flat=True)
    return max(seqs, default=0)


def consent_confirm_double_opt_in(
    *, business: Business, contact: Contact, evidence: dict
) -> ConsentEvent | None:
    """The YES reply: every pending scope becomes confirmed. None when nothing was pending."""
    ev = _clean_evidence(evidence)
    ev["source"] = ev["source"] or "YES"
    last = None
    with transaction.atomic():
        _chain_head(business)
        pending = list(
            ConsentState.objects.select_for_update(of=("self",))
            .select_related("campaign", "last_event", "last_event__form")
            .filter(business=business, contact=contact, status=ConsentState.Status.PENDING)
            .order_by("event_seq")
        )
        for state in pending:
            pending_event = state.last_event
            this = dict(ev)
            this["disclosure_text"] = this["disclosure_text"] or pending_event.disclosure_text
            this["policy_version"] = this["policy_version"] or pending_event.policy_version
            this["form"] = pending_event.form
            this["form_snapshot_sha256"] = pending_event.form_snapshot_sha256
            this["page_url"] = this["page_url"] or pending_event.page_url
            this["data"] = {**ev["data"], "confirms_event": str(pending_event.uuid)}
            last = _append(
                business=business,
                contact=contact,
                kind=EventKind.OPT_IN_CONFIRMED,
                method=Method.DOUBLE_OPT_IN_REPLY,
                campaign=state.campaign,
                scope_kind=state.scope_kind,
                evidence=this,
            )
            _state_set(
                business=business,
                contact=contact,
                key=state.scope_key,
                campaign=state.campaign,
                scope_kind=state.scope_kind,
                status=ConsentState.Status.OPTED_IN,
                event=last,
            )
        if last is not None:
            # The person's own YES lifts an earlier opt-out for what they confirmed.
            _lift(
                business=business,
                e164=contact.phone_e164,
                campaigns=[s.campaign for s in pending if s.campaign is not None],
            )
    return last


def consent_record_opt_out(
    *,
    business: Business,
    contact: Contact,
    method: str,
    scope_all: bool,
    campaign=None,
    evidence: dict | None = None,
    actor=None,
) -> ConsentEvent:
    """Revoke: a campaign's every scope, or (scope_all / no campaign) the whole business.

    Always appended (each revocation is evidence) and always suppresses the number.
    """
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    _check_campaign(business, campaign)
    ev = _clean_evidence(evidence)
    whole = scope_all or campaign is None
    with transaction.atomic():
        event = _append(
            business=business,
            contact=contact,
            kind=EventKind.OPT_OUT,
            method=method if method in Method.values else Method.KEYWORD,
            campaign=None if whole else campaign,
            evidence=ev,
            actor=actor,
        )
        if whole:
            _state_set(
                business=business,
                contact=contact,
                key="all",
                campaign=None,
                scope_kind="",
                status=ConsentState.Status.OPTED_OUT,
                event=event,
            )
            ConsentState.objects.filter(business=business, contact=contact).exclude(
                scope_key="all"
            ).update(
                status=ConsentState.Status.OPTED_OUT,
                last_event=event,
                event_seq=event.seq,
                updated_at=event.created_at,
            )
        else:
            _state_set(
                business=business,
                contact=contact,
                key=scope_key(campaign=campaign),
                campaign=campaign,
                scope_kind="",
                status=ConsentState.Status.OPTED_OUT,
                event=event,
            )
        _suppress(
            business=business,
            e164=contact.phone_e164,
            campaign=None if whole else campaign,
            reason="opt_out",
            when=event.created_at,
        )
    return event


def consent_record_reply_opt_in(
    *,
    business: Business,
    contact: Contact,
    evidence: dict,
    campaign=None,
    method: str = Method.KEYWORD,
) -> ConsentEvent | None:
    """START / UNSTOP: restore what was confirmed before the opt-out. None if not opted out.

    With a campaign (the number texted belongs to it) only that campaign and a business-wide
    opt-out are lifted; without one, everything confirmed before is restored.
    """
    if contact.business_id != business.pk:
        raise NotFound("Contact not found.")
    if contact.erased_at:
        raise ContactErased()
    _check_campaign(business, campaign)
    ev = _clean_evidence(evidence)
    ev["source"] = ev["source"] or "START"
    with transaction.atomic():
        _chain_head(business)
        states = list(
            ConsentState.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .filter(business=business, contact=contact, status=ConsentState.Status.OPTED_OUT)
        )
        if campaign is not None:
            keys = {"all", scope_key(campaign=campaign)}
            states = [s for s in states if s.scope_key in keys]
        suppressed = _active_suppression(
            business=business, e164=contact.phone_e164, campaign=campaign
        )
        if not states and not suppressed:
            return None
        event = _append(
            business=business,
            contact=contact,
            kind=EventKind.OPT_IN_CONFIRMED,
            method=method,
            campaign=campaign,
            evidence=ev,
        )
        for state in states:
            if state.scope_key == "all" or state.confirmed_at is not None:
                _state_set(
                    business=business,
                    contact=contact,
                    key=state.scope_key,
                    campaign=state.campaign,
                    scope_kind=state.scope_kind,
                    status=ConsentState.Status.OPTED_IN,
                    event=event,
                )
        if campaign is not None:
            _lift(business=business, e164=contact.phone_e164, campaigns=[campaign])
        else:
            _lift(business=business, e164=contact.phone_e164, everything=True)
    return event


# --- form snapshots -------------------------------------------------------------------------


def form_snapshot_store(*, business: Business, html: str) -> str:
    digest = hashlib.sha256(html.encode()).hexdigest()
    FormSnapshot.objects.get_or_create(business=business, sha256=digest, defaults={"html": html})
    return digest


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
        results = erasure.run_erasers(business=business, contact=contact)
        if e164:
            # An erased person must not be texted again by re-import: suppress for good.
            _suppress(business=business, e164=e164, reason="erased", when=now)
        ConsentEvidence.objects.filter(business=business, event__contact=contact).update(
            ip=None, user_agent="", data={}, erased_at=now
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


# --- imports --------------------------------------------------------------------------------


def _progress_key(imp) -> str:
    return f"consent:import:{imp.uuid}:progress"


def contact_import_progress(*, imp) -> int:
    from django.core.cache import cache

    if imp.status == imp.Status.RUNNING:
        return int(cache.get(_progress_key(imp)) or 0)
    return imp.processed_rows


def contact_import_create(*, business: Business, filename: str, content: bytes, actor=None):
    """Store an uploaded CSV and read its header row (the mapping step comes next)."""
    from . import importer
    from .models import ContactImport

    if len(content) > settings.CONSENT_IMPORT_MAX_BYTES:
        raise ValidationFailed(
            "The file is too large.", fields={"file": ["The file is too large."]}
        )
    try:
        headers, encoding = importer.headers_of(content)
    except importer.ImportFileError as exc:
        raise ValidationFailed(str(exc), fields={"file": [str(exc)]}) from exc
    imp = ContactImport.objects.create(
        business=business,
        created_by=actor if _actor_label(actor) else None,
        filename=(filename or "contacts.csv")[:255],
        content=content,
        encoding=encoding,
        headers=headers,
        mapping={"fields": importer.guess_mapping(headers), "custom": []},
    )
    audit_record(
        action="consent.import_upload",
        obj=imp,
        actor=actor,
        business=business,
        detail={"filename": imp.filename, "bytes": len(content)},
    )
    return imp


def contact_import_start(
    *,
    business: Business,
    imp,
    mapping: dict[str, str],
    custom_columns: list[str] | None = None,
    campaign=None,
    scope_kind: str = "",
    tags: list[str] | None = None,
    attest: bool,
    actor=None,
    ip: str | None = None,
):
    """Confirm the mapping and the attestation; run now (small) or in Celery (large)."""
    from . import importer, tasks

    if imp.business_id != business.pk:
        raise NotFound("Import not found.")
    if imp.status != imp.Status.UPLOADED:
        from accounts.errors import Conflict

        raise Conflict("This import was already started.")
    errors: dict[str, list[str]] = {}
    if not attest:
        errors["attest"] = ["You must sign the attestation to import contacts."]
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    if "phone" not in mapping:
        errors["phone"] = ["Map a column to the phone number."]
    unknown = [v for v in mapping.values() if v not in imp.headers]
    unknown += [c for c in custom_columns or [] if c not in imp.headers]
    if unknown:
        errors["mapping"] = [f"Not a column of the file: {', '.join(unknown)}"]
    if set(mapping) - set(importer.TARGETS):
        errors["mapping"] = [
            f"Unknown fields: {', '.join(sorted(set(mapping) - set(importer.TARGETS)))}"
        ]
    if campaign is None and scope_kind not in KINDS:
        errors["scope_kind"] = ["Choose a campaign or a message kind for the consents."]
    _check_campaign(business, campaign)
    if errors:
        raise ValidationFailed(fields=errors)
    imp.mapping = {"fields": mapping, "custom": list(custom_columns or [])}
    imp.campaign = campaign
    imp.scope_kind = "" if campaign is not None else scope_kind
    imp.tags = _clean_contact_fields({"tags": tags or []})["tags"]
    imp.attestation_text = importer.ATTESTATION
    imp.attested_by = actor if _actor_label(actor) else None
    imp.attested_at = timezone.now()
    imp.attested_ip = ip
    imp.status = imp.Status.QUEUED
    imp.total_rows = max(0, bytes(imp.content).count(b"\n") - 1)  # estimate until parsed
    imp.save()
    audit_record(
        action="consent.import_start",
        obj=imp,
        actor=actor,
        business=business,
        ip=ip,
        detail={"mapping": imp.mapping, "attestation": imp.attestation_text},
    )
    sync_limit = settings.CONSENT_IMPORT_SYNC_ROWS
    if connection.vendor != "postgresql":
        sync_limit = min(sync_limit, 200)  # the row-by-row path: keep requests short
    if imp.total_rows <= sync_limit:
        contact_import_run(import_id=imp.pk)
        imp.refresh_from_db()
    else:
        transaction.on_commit(lambda: tasks.consent_import_run.delay(imp.pk))
    return imp


IMPORT_RESULT_FIELDS = (
    "total_rows",
    "processed_rows",
    "created_count",
    "updated_count",
    "consented_count",
    "no_evidence_count",
    "suppressed_count",
    "rejected_count",
    "report",
)


def contact_import_run(*, import_id: int, use_copy: bool | None = None):
    """Run a queued import (all rows in one transaction). Idempotent: only QUEUED runs."""
    from django.core.cache import cache

    from . import importer
    from .models import ContactImport

    claimed = ContactImport.objects.filter(pk=import_id, status=ContactImport.Status.QUEUED).update(
        status=ContactImport.Status.RUNNING, started_at=timezone.now()
    )
    imp = ContactImport.objects.select_related("business", "campaign", "attested_by").get(
        pk=import_id
    )
    if not claimed:
        return imp

    def progress(n: int) -> None:
        cache.set(_progress_key(imp), n, 3600)

    try:
        importer.run(imp, use_copy=use_copy, progress=progress)
    except importer.ImportFileError as exc:
        imp.status = ContactImport.Status.FAILED
        imp.error = str(exc)
    except Exception:  # the import is rolled back; say so instead of leaving it RUNNING
        logger.exception("import %s failed", imp.uuid)
        imp.status = ContactImport.Status.FAILED
        imp.error = "The import failed on our side and nothing was imported; please retry."
    else:
        imp.status = ContactImport.Status.DONE
    imp.finished_at = timezone.now()
    # not the uploaded file again (rewriting the 6 MB of a 100k-row file took 0.25 s)
    imp.save(update_fields=[*IMPORT_RESULT_FIELDS, "status", "error", "finished_at"])
    cache.delete(_progress_key(imp))
    audit_record(
        action="consent.import_done" if imp.status == "DONE" else "consent.import_failed",
        obj=imp,
        business=imp.business,
        detail={
            "created": imp.created_count,
            "updated": imp.updated_count,
            "consented": imp.consented_count,
            "suppressed": imp.suppressed_count,
            "rejected": imp.rejected_count,
            "error": imp.error,
        },
    )
    return imp


# --- opt-in forms -------------------------------------------------------------------------

FORM_FIELDS = (
    "name",
    "headline",
    "scope_kind",
    "collect_name",
    "collect_email",
    "program_name",
    "message_description",
    "frequency",
    "terms_url",
    "privacy_url",
    "disclosure_extra",
    "allowed_origins",
    "double_opt_in",
    "success_message",
    "is_active",
)


def origin_normalize(value: str) -> str:
    """``scheme://host[:port]`` in lower case, or ValueError."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://www.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{value!r}: give only the origin (scheme, host and port), no path")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _clean_form_fields(business, fields: dict) -> dict:
    from . import disclosure

    out = {k: v for k, v in fields.items() if k in FORM_FIELDS}
    errors: dict[str, list[str]] = {}
    if "allowed_origins" in out:
        origins = out["allowed_origins"]
        if isinstance(origins, str):
            origins = [o for o in origins.replace(",", "\n").split() if o]
        cleaned = []
        for origin in origins:
            try:
                cleaned.append(origin_normalize(origin))
            except ValueError as exc:
                errors.setdefault("allowed_origins", []).append(str(exc))
        out["allowed_origins"] = sorted(set(cleaned))
    if "scope_kind" in out and out["scope_kind"] not in KINDS:
        errors["scope_kind"] = ["Choose marketing or informational."]
    for key in ("program_name", "message_description", "frequency", "terms_url", "privacy_url"):
        if key in out and not str(out[key]).strip():
            errors[key] = ["Required: carriers check the disclosure for it."]
    for key in ("terms_url", "privacy_url"):
        if out.get(key) and not str(out[key]).startswith(("https://", "http://")):
            errors[key] = ["Give a full link (https://…)."]
    if out.get("disclosure_extra"):
        out["disclosure_extra"] = str(out["disclosure_extra"])[:1000]
    if errors:
        raise ValidationFailed(fields=errors)
    _ = disclosure
    return out


def optin_form_create(*, business: Business, actor=None, campaigns=(), **fields):
    from .models import OptInForm

    clean = _clean_form_fields(business, fields)
    missing = [
        k
        for k in ("name", "program_name", "message_description", "terms_url", "privacy_url")
        if not clean.get(k)
    ]
    if missing:
        raise ValidationFailed(fields={k: ["This field is required."] for k in missing})
    for campaign in campaigns:
        _check_campaign(business, campaign)
    form = OptInForm.objects.create(business=business, **clean)
    form.campaigns.set(campaigns)
    audit_record(action="consent.form_create", obj=form, actor=actor, business=business)
    return form


def optin_form_update(*, business: Business, form, actor=None, campaigns=None, **fields):
    """Edit a form; its version rises so evidence names exactly what was shown."""
    if form.business_id != business.pk:
        raise NotFound("Form not found.")
    clean = _clean_form_fields(business, fields)
    for campaign in campaigns or ():
        _check_campaign(business, campaign)  # before anything is written
    for key, value in clean.items():
        setattr(form, key, value)
    form.version += 1
    form.updated_at = timezone.now()
    form.save()
    if campaigns is not None:
        form.campaigns.set(campaigns)
    audit_record(
        action="consent.form_update",
        obj=form,
        actor=actor,
        business=business,
        detail={"fields": sorted(clean), "version": form.version},
    )
    return form


def optin_form_submit(
    *,
    form,
    phone: str,
    name: str = "",
    email: str = "",
    consent: bool,
    age_confirmed: bool,
    ip: str | None,
    user_agent: str,
    page_url: str,
    snapshot_sha256: str,
) -> tuple[Contact, list[ConsentEvent]]:
    """A person submitted the public form: contact, then one opt-in per target scope.

    Double opt-in (the form's default) records pending events; the caller texts "Reply YES".
    """
    from . import disclosure

    errors: dict[str, list[str]] = {}
    if not consent:
        errors["consent"] = ["Tick the box to agree to receive texts."]
    if not age_confirmed:
        errors["age_confirmed"] = ["You must be 13 or older to sign up."]
    try:
        e164 = phones.normalize(phone)
    except phones.InvalidPhone:
        errors["phone"] = ["Enter a valid mobile number."]
    if email and not email_fits(email.strip()):
        errors["email"] = ["Enter a valid email address."]
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    business = form.business
    text = disclosure.for_form(form).text
    with transaction.atomic():
        contact, _ = contact_get_or_create(
            business=business,
            phone=e164,
            name=name.strip()[:200],
            email=email.strip(),
            source="form",
        )
        changed: list[str] = []
        if name.strip() and not contact.name:
            contact.name, changed = name.strip()[:200], [*changed, "name"]
        if email.strip() and not contact.email:
            contact.email, changed = email.strip(), [*changed, "email"]
        if changed:
            contact.save(update_fields=changed)
        evidence = {
            "disclosure_text": text,
            "policy_version": form.policy_version,
            "form": form,
            "form_snapshot_sha256": snapshot_sha256,
            "page_url": page_url,
            "ip": ip,
            "user_agent": user_agent,
            "recorded_by_label": f"opt-in form {form.uuid}",
            "data": {
                "phone": e164,
                "name": name.strip()[:200],
                "email": email.strip(),
                "consent_checkbox": True,
                "age_13_or_older": True,
            },
        }
        campaigns = list(form.campaigns.all())
        scopes = [(c, None) for c in campaigns] or [(None, form.scope_kind)]
        events = [
            consent_record_opt_in(
                business=business,
                contact=contact,
                method=Method.WEB_FORM,
                campaign=campaign,
                kind=kind,
                evidence=evidence,
                double_opt_in=form.double_opt_in,
            )
            for campaign, kind in scopes
        ]
    return contact, events


def double_opt_in_text(*, form) -> str:
    from . import disclosure

    program = disclosure.for_form(form).program
    return (
        f"{program}: Reply YES to confirm you want texts about {form.message_description}. "
        f"{form.frequency}. Msg & data rates may apply. Reply STOP to cancel, HELP for help."
    )
