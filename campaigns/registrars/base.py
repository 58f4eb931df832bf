"""What every registrar speaks: results, errors and the interface (``Registrar``)."""

from dataclasses import dataclass, field
from typing import Protocol


class RegistryError(Exception):
    """The registry refused or failed. ``transient`` errors are retried as they are;
    permanent ones (``fields``) need the business to change something first."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.fields = fields or {}


class RegistryTimeout(RegistryError):
    """No answer in time: the registry may or may not have acted (reconcile before retrying)."""

    def __init__(self, message: str = "The registry did not answer in time.") -> None:
        super().__init__(message, transient=True)


@dataclass(frozen=True)
class BrandResult:
    registry_id: str
    status: str  # Brand.Status value
    identity_status: str = ""
    vetting_score: int | None = None
    failure_reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CampaignResult:
    registry_id: str
    registry_status: str  # the raw status the registry reports
    status: str  # our Campaign.Status value it maps to
    failure_reasons: list[str] = field(default_factory=list)
    # The carriers' limits the registry reports for the campaign (TCR's mnoMetadata):
    # att_message_class, att_tpm, tmobile_tier, tmobile_daily_cap — only those it gave.
    limits: dict = field(default_factory=dict)


class Registrar(Protocol):
    name: str

    def brand_create(self, brand) -> BrandResult: ...

    def brand_fetch(self, brand) -> BrandResult | None: ...

    def campaign_create(self, campaign) -> CampaignResult: ...

    def campaign_find(self, campaign) -> CampaignResult | None: ...

    def campaign_fetch(self, campaign) -> CampaignResult | None: ...

    def campaign_update(self, campaign, fields: dict) -> None: ...

    def campaign_appeal(self, campaign, explanation: str) -> CampaignResult | None: ...
