"""The manual registrar: nothing leaves the building; our compliance staff decide in the
admin (campaigns.admin's review queue), through ``services.campaign_set_status``."""

from .base import BrandResult, CampaignResult


class ManualRegistrar:
    name = "manual"

    def brand_create(self, brand) -> BrandResult:
        # Without a registry there is no identity check: the brand is self-declared and staff
        # see its EIN and address with the campaign they review.
        return BrandResult(
            registry_id=f"MANUAL-{brand.uuid.hex[:12].upper()}",
            status="OK",
            identity_status="SELF_DECLARED",
        )

    def brand_fetch(self, brand) -> BrandResult | None:
        return None

    def campaign_create(self, campaign) -> CampaignResult:
        return CampaignResult(
            registry_id=f"MANUAL-{campaign.uuid.hex[:12].upper()}",
            registry_status="PENDING_REVIEW",
            status="SUBMITTED",
        )

    def campaign_find(self, campaign) -> CampaignResult | None:
        return None

    def campaign_fetch(self, campaign) -> CampaignResult | None:
        return None

    def campaign_update(self, campaign, fields: dict) -> None:
        return None

    def campaign_appeal(self, campaign, explanation: str) -> CampaignResult | None:
        return None
