"""Status webhooks from the CSP (the ``tcr`` registrar): signed, for brands and campaigns."""

import json

from django.conf import settings

from accounts.errors import ValidationFailed

from ..errors import BadSignature
from ..models import Campaign, Registrar
from ..registrars.tcr import campaign_result, verify_webhook
from .brands import brand_apply_registry_status
from .campaigns import campaign_apply_registry_result


def registry_webhook_handle(*, body: bytes, timestamp: str, signature: str) -> dict:
    """A status webhook from the CSP. Refuses bad signatures; unknown ids are acknowledged."""
    if not verify_webhook(
        secret=settings.CAMPAIGNS_TCR_WEBHOOK_SECRET, body=body, timestamp=timestamp,
        signature=signature,
    ):  # fmt: skip
        raise BadSignature()
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationFailed("The body is not JSON.") from None
    event = payload.get("eventType") or ""
    if event.startswith("BRAND"):
        brand = brand_apply_registry_status(
            registry_brand_id=str(payload.get("brandId") or ""),
            status=payload.get("status") or payload.get("brandStatus") or "",
            identity_status=payload.get("identityStatus") or "",
            failure_reasons=payload.get("failureReasons"),
        )
        return {"matched": brand is not None}
    campaign = (
        Campaign.objects.filter(
            registrar=Registrar.TCR, registry_campaign_id=str(payload.get("campaignId") or "")
        ).first()
        or Campaign.objects.filter(
            registrar=Registrar.TCR, reference_id=str(payload.get("referenceId") or "-")
        ).first()
    )
    if campaign is None:
        return {"matched": False}
    campaign_apply_registry_result(
        campaign=campaign, result=campaign_result(payload), source="registry"
    )
    return {"matched": True}
