"""The ``tcr`` registrar: a client for a CSP's 10DLC API (Telnyx-style paths and TCR names).

Creating a brand or a campaign is billable and not idempotent at TCR, so every create carries
our ``referenceId``; after a time-out we look the object up by that id before creating it
again, and a 409 "duplicate referenceId" is answered by adopting the existing object.
Status arrives by polling (``campaign_fetch``) and by signed webhooks (``verify_webhook``).
"""

import hashlib
import hmac
import math
import re
import time

import requests
from django.conf import settings

from .. import tcr
from .base import BrandResult, CampaignResult, RegistryError, RegistryTimeout

SIGNATURE_HEADER = "X-Registry-Signature"
TIMESTAMP_HEADER = "X-Registry-Timestamp"
WEBHOOK_TOLERANCE_SECONDS = 300


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_webhook(
    *, secret: str, body: bytes, timestamp: str, signature: str, now: float | None = None
) -> bool:
    """HMAC-SHA256 over ``timestamp.body``; stale timestamps are refused (replays)."""
    if not secret or not timestamp or not signature:
        return False
    try:
        age = abs((now if now is not None else time.time()) - float(timestamp))
    except ValueError:
        return False
    if not math.isfinite(age) or age > WEBHOOK_TOLERANCE_SECONDS:  # "nan" is never "too old"
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def brand_result(data: dict) -> BrandResult:
    return BrandResult(
        registry_id=str(data.get("brandId") or ""),
        status={"OK": "OK", "REGISTRATION_FAILED": "REGISTRATION_FAILED"}.get(
            data.get("status") or "", "REGISTRATION_PENDING"
        ),
        identity_status=data.get("identityStatus") or "",
        vetting_score=data.get("vettingScore"),
        failure_reasons=_reasons(data.get("failureReasons")),
    )


def campaign_result(data: dict) -> CampaignResult:
    raw = data.get("campaignStatus") or data.get("status") or ""
    return CampaignResult(
        registry_id=str(data.get("campaignId") or ""),
        registry_status=raw,
        status=tcr.REGISTRY_STATUS_MAP.get(raw, "SUBMITTED"),
        failure_reasons=_reasons(data.get("failureReasons")),
        limits=reported_limits(data.get("mnoMetadata")),
    )


ATT_NETWORK_ID = "10017"  # TCR's network ids in mnoMetadata
TMOBILE_NETWORK_ID = "10035"


def reported_limits(metadata) -> dict:
    """The carriers' limits in TCR's ``mnoMetadata`` (AT&T ``msgClass`` / ``tpm``, T-Mobile
    ``brandTier`` / ``brandDailyCap``); anything missing or malformed is left out, so the
    table's default stays."""
    if not isinstance(metadata, dict):
        return {}
    out: dict = {}
    att = metadata.get(ATT_NETWORK_ID)
    if isinstance(att, dict):
        if isinstance(att.get("msgClass"), str) and 0 < len(att["msgClass"]) <= 4:
            out["att_message_class"] = att["msgClass"]
        if isinstance(att.get("tpm"), int) and att["tpm"] > 0:
            out["att_tpm"] = att["tpm"]
    tmo = metadata.get(TMOBILE_NETWORK_ID)
    if isinstance(tmo, dict):
        if isinstance(tmo.get("brandTier"), str) and 0 < len(tmo["brandTier"]) <= 20:
            out["tmobile_tier"] = tmo["brandTier"]
        if isinstance(tmo.get("brandDailyCap"), int) and tmo["brandDailyCap"] > 0:
            out["tmobile_daily_cap"] = tmo["brandDailyCap"]
    return out


def _reasons(value) -> list[str]:
    out = []
    for item in value or []:
        if isinstance(item, dict):
            out.append(str(item.get("description") or item.get("detail") or item))
        else:
            out.append(str(item))
    return out


class TcrRegistrar:
    name = "tcr"

    def __init__(self, *, base_url: str, api_key: str, timeout: float, webhook_url: str = ""):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.webhook_url = webhook_url
        self.session = requests.Session()

    @classmethod
    def from_settings(cls) -> "TcrRegistrar":
        if not settings.CAMPAIGNS_TCR_URL or not settings.CAMPAIGNS_TCR_API_KEY:
            raise RegistryError(
                "The tcr registrar needs CAMPAIGNS_TCR_URL and CAMPAIGNS_TCR_API_KEY.",
                transient=True,
            )
        return cls(
            base_url=settings.CAMPAIGNS_TCR_URL,
            api_key=settings.CAMPAIGNS_TCR_API_KEY,
            timeout=settings.CAMPAIGNS_TCR_TIMEOUT,
            webhook_url=settings.CAMPAIGNS_TCR_WEBHOOK_URL,
        )

    # --- HTTP ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, json=None, params=None) -> dict:
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise RegistryTimeout() from None
        except requests.RequestException as exc:
            raise RegistryError(
                f"Could not reach the registry ({exc.__class__.__name__}).", transient=True
            ) from None
        if response.status_code < 300:
            return response.json() if response.content else {}
        raise self._error(response)

    def _error(self, response) -> RegistryError:
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            errors = []
        status = response.status_code
        fields: dict[str, list[str]] = {}
        texts = []
        for err in errors:
            text = err.get("detail") or err.get("title") or "error"
            texts.append(text)
            pointer = ((err.get("source") or {}).get("pointer") or "").strip("/")
            if pointer:
                fields.setdefault(snake(pointer.split("/")[0]), []).append(f"Registry: {text}")
        message = "; ".join(texts) or f"HTTP {status}"
        transient = status >= 500 or status in (401, 403, 408, 429)
        error = RegistryError(
            f"The registry answered {status}: {message}",
            transient=transient,
            status=status,
            fields=fields,
        )
        error.meta = next((e.get("meta") for e in errors if e.get("meta")), {})  # type: ignore[attr-defined]
        return error

    # --- brands ----------------------------------------------------------------------------

    def brand_create(self, brand) -> BrandResult:
        body = {camel(f): getattr(brand, f) for f in tcr.BRAND_FIELDS if getattr(brand, f) != ""}
        body["referenceId"] = brand.reference_id
        if self.webhook_url:
            body["webhookURL"] = self.webhook_url
        try:
            return brand_result(self._request("POST", "/10dlc/brand", json=body))
        except RegistryError as exc:
            if exc.status == 409:
                found = self.brand_find(brand)
                if found is not None:
                    return found
            raise

    def brand_find(self, brand) -> BrandResult | None:
        data = self._request("GET", "/10dlc/brand", params={"referenceId": brand.reference_id})
        records = data.get("records") or []
        return brand_result(records[0]) if records else None

    def brand_fetch(self, brand) -> BrandResult | None:
        if not brand.registry_brand_id:
            return self.brand_find(brand)
        return brand_result(self._request("GET", f"/10dlc/brand/{brand.registry_brand_id}"))

    # --- campaigns -------------------------------------------------------------------------

    def campaign_body(self, campaign) -> dict:
        body = {}
        for f in tcr.CAMPAIGN_FIELDS:
            if f in tcr.OWN_CAMPAIGN_FIELDS:
                continue
            value = getattr(campaign, f)
            if value in ("", None) or (f == "sub_usecases" and not value):
                continue
            body[camel(f)] = value
        body["brandId"] = campaign.brand.registry_brand_id
        body["referenceId"] = campaign.reference_id
        if self.webhook_url:
            body["webhookURL"] = self.webhook_url
        return body

    def campaign_create(self, campaign) -> CampaignResult:
        try:
            data = self._request(
                "POST", "/10dlc/campaignBuilder", json=self.campaign_body(campaign)
            )
        except RegistryError as exc:
            if exc.status == 409:
                found = self.campaign_find(campaign)
                if found is not None:
                    return found
            raise
        return campaign_result(data)

    def campaign_find(self, campaign) -> CampaignResult | None:
        data = self._request(
            "GET", "/10dlc/campaign", params={"referenceId": campaign.reference_id}
        )
        records = data.get("records") or []
        return campaign_result(records[0]) if records else None

    def campaign_fetch(self, campaign) -> CampaignResult | None:
        if not campaign.registry_campaign_id:
            return self.campaign_find(campaign)
        return campaign_result(
            self._request("GET", f"/10dlc/campaign/{campaign.registry_campaign_id}")
        )

    def campaign_update(self, campaign, fields: dict) -> None:
        if not campaign.registry_campaign_id:
            return
        body = {camel(k): v for k, v in fields.items() if k != "name"}
        if body:
            self._request("PUT", f"/10dlc/campaign/{campaign.registry_campaign_id}", json=body)

    def campaign_appeal(self, campaign, explanation: str) -> CampaignResult | None:
        if not campaign.registry_campaign_id:
            return None
        data = self._request(
            "POST",
            f"/10dlc/campaign/{campaign.registry_campaign_id}/appeal",
            json={"appealReason": explanation},
        )
        return campaign_result(data)
