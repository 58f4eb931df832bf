"""Consent's events for tenants' webhooks (registered in the catalog of accounts.events from
ConsentConfig.ready()): opt-ins, opt-outs, every change of a consent state, and finished
imports. They are emitted by consent's services inside the transaction that wrote the
ledger (``ledger._state_set``) or the import's result."""

from typing import Any

from accounts.events.catalog import INT, STRING, TIME, UUID, EventType, enum, nullable, obj
from accounts.events.services import event_emit

from .models import ConsentState, ContactImport, EventKind, Method

_CONSENT = {
    "contact": UUID,
    "phone": STRING,
    "status": enum(*ConsentState.Status.values),
    "previous_status": nullable(enum(*ConsentState.Status.values)),
    "scope": {
        "type": "string",
        "description": "The consent's scope: campaign:<uuid>, kind:<message kind> or all.",
    },
    "campaign": nullable(UUID),
    "scope_kind": STRING,
    "consent_event": {**UUID, "description": "The ledger entry that made the change."},
    "event_kind": enum(*EventKind.values),
    "method": enum(*Method.values),
    "at": TIME,
}
_EXAMPLE = {
    "contact": "3f0a7c1e-9b8d-4e2f-a1c3-5d6e7f809a1b",
    "phone": "+12025550143",
    "status": "OPTED_IN",
    "previous_status": None,
    "scope": "kind:marketing",
    "campaign": None,
    "scope_kind": "marketing",
    "consent_event": "c2d1e0f9-8a7b-4c6d-9e5f-4a3b2c1d0e9f",
    "event_kind": "OPT_IN_CONFIRMED",
    "method": "WEB_FORM",
    "at": "2026-12-04T18:00:00+00:00",
}

EVENT_TYPES = (
    EventType(
        "contact.opted_in",
        "A contact's consent for a scope became OPTED_IN (a form, a keyword, a confirmed "
        "double opt-in, the API with evidence).",
        obj(**_CONSENT),
        _EXAMPLE,
    ),
    EventType(
        "contact.opted_out",
        "A contact opted out of a scope (STOP, the portal, the API); nothing more is sent there.",
        obj(**_CONSENT),
        {
            **_EXAMPLE,
            "status": "OPTED_OUT",
            "previous_status": "OPTED_IN",
            "event_kind": "OPT_OUT",
            "method": "KEYWORD",
        },
    ),
    EventType(
        "consent.changed",
        "Any change of a contact's consent state for a scope: the two events above and a "
        "pending double opt-in.",
        obj(**_CONSENT),
        {**_EXAMPLE, "status": "PENDING", "event_kind": "OPT_IN"},
    ),
    EventType(
        "import.finished",
        "A contact import finished: DONE with its counts, or FAILED with the error (and "
        "nothing imported).",
        obj(
            **{"import": UUID},
            filename=STRING,
            status=enum(ContactImport.Status.DONE, ContactImport.Status.FAILED),
            total_rows=INT,
            created=INT,
            updated=INT,
            consented=INT,
            no_evidence=INT,
            suppressed=INT,
            rejected=INT,
            error=STRING,
            finished_at=TIME,
        ),
        {
            "import": "9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b",
            "filename": "clients.csv",
            "status": "DONE",
            "total_rows": 1200,
            "created": 1100,
            "updated": 80,
            "consented": 1150,
            "no_evidence": 20,
            "suppressed": 10,
            "rejected": 10,
            "error": "",
            "finished_at": "2026-12-04T18:00:00+00:00",
        },
    ),
)

STATE_EVENTS = ("consent.changed", "contact.opted_in", "contact.opted_out")
_BY_STATUS: dict[str, str] = {
    ConsentState.Status.OPTED_IN: "contact.opted_in",
    ConsentState.Status.OPTED_OUT: "contact.opted_out",
}


def register() -> None:
    from accounts.events import catalog

    catalog.register(*EVENT_TYPES)


def consent_state_changed(*, state: ConsentState, event, previous_status: str | None) -> None:
    """consent.changed, and contact.opted_in / contact.opted_out, for one scope's new state."""
    if state.status == previous_status:
        return  # the same state again (a second opt-in on record): no change to tell
    data: dict[str, Any] = {
        "contact": state.contact.uuid,
        "phone": state.contact.phone_e164,
        "status": state.status,
        "previous_status": previous_status,
        "scope": state.scope_key,
        "campaign": state.campaign.uuid if state.campaign is not None else None,
        "scope_kind": state.scope_kind,
        "consent_event": event.uuid,
        "event_kind": event.kind,
        "method": event.method,
        "at": event.created_at,
    }
    event_emit(business=state.business, type="consent.changed", data=data)
    specific = _BY_STATUS.get(state.status)
    if specific:
        event_emit(business=state.business, type=specific, data=data)


def import_finished(imp: ContactImport) -> None:
    event_emit(
        business=imp.business,
        type="import.finished",
        data={
            "import": imp.uuid,
            "filename": imp.filename,
            "status": imp.status,
            "total_rows": imp.total_rows,
            "created": imp.created_count,
            "updated": imp.updated_count,
            "consented": imp.consented_count,
            "no_evidence": imp.no_evidence_count,
            "suppressed": imp.suppressed_count,
            "rejected": imp.rejected_count,
            "error": imp.error,
            "finished_at": imp.finished_at,
        },
    )
