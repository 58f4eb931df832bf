"""Contact imports: upload a CSV, confirm the mapping and the attestation, run it (now or
in Celery). The reading and writing themselves are ``importer``'s."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import Business
from accounts.services import audit_record

from .. import import_file, tasks, webhook_events
from ..inputs import actor_label, check_campaign, clean_contact_fields
from ..models import ContactImport
from ..scopes import KINDS
from . import importer

logger = logging.getLogger(__name__)


def _progress_key(imp) -> str:
    return f"consent:import:{imp.uuid}:progress"


def contact_import_progress(*, imp) -> int:
    if imp.status == imp.Status.RUNNING:
        return int(cache.get(_progress_key(imp)) or 0)
    return imp.processed_rows


def contact_import_create(*, business: Business, filename: str, content: bytes, actor=None):
    """Store an uploaded CSV and read its header row (the mapping step comes next)."""
    if len(content) > settings.CONSENT_IMPORT_MAX_BYTES:
        raise ValidationFailed(
            "The file is too large.", fields={"file": ["The file is too large."]}
        )
    try:
        headers, encoding = import_file.headers_of(content)
    except import_file.ImportFileError as exc:
        raise ValidationFailed(str(exc), fields={"file": [str(exc)]}) from exc
    imp = ContactImport.objects.create(
        business=business,
        created_by=actor if actor_label(actor) else None,
        filename=(filename or "contacts.csv")[:255],
        content=content,
        encoding=encoding,
        headers=headers,
        mapping={"fields": import_file.guess_mapping(headers), "custom": []},
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
    if imp.business_id != business.pk:
        raise NotFound("Import not found.")
    if imp.status != imp.Status.UPLOADED:
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
    if set(mapping) - set(import_file.TARGETS):
        errors["mapping"] = [
            f"Unknown fields: {', '.join(sorted(set(mapping) - set(import_file.TARGETS)))}"
        ]
    if campaign is None and scope_kind not in KINDS:
        errors["scope_kind"] = ["Choose a campaign or a message kind for the consents."]
    check_campaign(business, campaign)
    if errors:
        raise ValidationFailed(fields=errors)
    imp.mapping = {"fields": mapping, "custom": list(custom_columns or [])}
    imp.campaign = campaign
    imp.scope_kind = "" if campaign is not None else scope_kind
    imp.tags = clean_contact_fields({"tags": tags or []})["tags"]
    imp.attestation_text = import_file.ATTESTATION
    imp.attested_by = actor if actor_label(actor) else None
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
    if imp.total_rows <= settings.CONSENT_IMPORT_SYNC_ROWS:
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
    except import_file.ImportFileError as exc:
        imp.status = ContactImport.Status.FAILED
        imp.error = str(exc)
    except Exception:  # the import is rolled back; say so instead of leaving it RUNNING
        logger.exception("import %s failed", imp.uuid)
        imp.status = ContactImport.Status.FAILED
        imp.error = "The import failed on our side and nothing was imported; please retry."
    else:
        imp.status = ContactImport.Status.DONE
    imp.finished_at = timezone.now()
    with transaction.atomic():  # the result, its event and its audit entry together
        # not the uploaded file again (rewriting the 6 MB of a 100k-row file took 0.25 s)
        imp.save(update_fields=[*IMPORT_RESULT_FIELDS, "status", "error", "finished_at"])
        cache.delete(_progress_key(imp))
        webhook_events.import_finished(imp)
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
