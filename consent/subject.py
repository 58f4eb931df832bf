"""Data-subject export and consent proof as data, CSV and printable HTML (interface layer).

Messages live in messaging (above consent): their section comes from the exporter that
messaging registers in ``consent.erasure`` when the app is ready.
"""

import csv
import io
import logging

from django.utils import timezone

from . import erasure, selectors
from .models import FormSnapshot

logger = logging.getLogger(__name__)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell that spreadsheets will not run as a formula (phone numbers stay as they are)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not (
        text.startswith("+") and text[1:].replace(" ", "").isdigit()
    ):
        return "'" + text
    return text


def csv_text(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def event_record(event) -> dict:
    evidence = getattr(event, "evidence", None)
    return {
        "uuid": str(event.uuid),
        "seq": event.seq,
        "contact": str(event.contact.uuid),
        "phone": event.contact.phone_e164,
        "name": event.contact.name,
        "kind": event.kind,
        "method": event.method,
        "scope": event.scope_label,
        "campaign": str(event.campaign.uuid) if event.campaign_id else None,
        "scope_kind": event.scope_kind,
        "disclosure_text": event.disclosure_text,
        "policy_version": event.policy_version,
        "form": str(event.form.uuid) if event.form_id else None,
        "form_snapshot_sha256": event.form_snapshot_sha256,
        "page_url": event.page_url,
        "source": event.source,
        "consented_at": event.consented_at.isoformat() if event.consented_at else None,
        "recorded_at": event.created_at.isoformat(),
        "recorded_by": event.recorded_by_label,
        "ip": evidence.ip if evidence else None,
        "user_agent": evidence.user_agent if evidence else "",
        "evidence": evidence.data if evidence else {},
        "evidence_erased": bool(evidence and evidence.erased_at),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


EVENT_CSV = [
    "seq",
    "uuid",
    "recorded_at",
    "consented_at",
    "phone",
    "name",
    "kind",
    "method",
    "scope",
    "disclosure_text",
    "policy_version",
    "page_url",
    "source",
    "ip",
    "user_agent",
    "recorded_by",
    "form_snapshot_sha256",
    "hash",
]


def events_csv(events) -> str:
    records = [event_record(e) for e in events]
    return csv_text(EVENT_CSV, ([r[k] for k in EVENT_CSV] for r in records))


def snapshots_for(business, events) -> dict[str, str]:
    shas = {e.form_snapshot_sha256 for e in events if e.form_snapshot_sha256}
    return dict(
        FormSnapshot.objects.filter(business=business, sha256__in=shas).values_list(
            "sha256", "html"
        )
    )


def export_bundle(*, business, contact) -> dict:
    """Everything held about one contact in one business."""
    events = list(selectors.consent_events(business=business, contact=contact))
    bundle = {
        "exported_at": timezone.now().isoformat(),
        "business": {"uuid": str(business.uuid), "name": business.display_name},
        "contact": {
            "uuid": str(contact.uuid),
            "phone": contact.phone_e164,
            "name": contact.name,
            "email": contact.email,
            "time_zone": contact.time_zone,
            "language": contact.language,
            "tags": contact.tags,
            "custom_fields": contact.custom_fields,
            "source": contact.source,
            "created_at": contact.created_at.isoformat(),
            "erased_at": contact.erased_at.isoformat() if contact.erased_at else None,
        },
        "consent_state": [
            {
                "scope": s.scope_key,
                "status": s.status,
                "since": s.updated_at.isoformat(),
            }
            for s in selectors.contact_states(business=business, contact=contact)
        ],
        "consent_events": [event_record(e) for e in events],
        "suppressed": bool(contact.phone)
        and selectors.is_suppressed(business=business, phone=contact.phone_e164),
    }
    for name, fn in erasure.exporters().items():
        bundle[name] = fn(business=business, contact=contact)
    return bundle
