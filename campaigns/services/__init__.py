"""Every write of the campaigns app, by subject:

- ``brands``: brand drafts, registration, the registry's answers;
- ``campaigns``: campaign drafts, states (``TRANSITIONS``), submission, appeals, polling;
- ``webhooks``: the CSP's signed status webhooks;
- ``numbers``: originating numbers (search, rent, assign, release, suspend);
- ``billing``: 10DLC fees, numbers held and campaign fees reported to accounts.billing.

The public names are re-exported here; callers import ``campaigns.services``. So are the
errors these services raise (``campaigns.errors``, and ``Conflict`` from the family's
generic ones), for the callers that catch them from here.
"""

from accounts.errors import Conflict

from ..errors import BadSignature, CampaignNotApproved, CampaignRefused, RegistryUnavailable
from .billing import billing_report_day, billing_report_registration
from .brands import (
    brand_apply_registry_status,
    brand_create,
    brand_refresh,
    brand_register,
    brand_update,
)
from .campaigns import (
    campaign_appeal,
    campaign_apply_registry_result,
    campaign_create,
    campaign_deactivate,
    campaign_poll,
    campaign_retry,
    campaign_set_status,
    campaign_submit,
    campaign_update,
    campaign_validate,
)
from .numbers import (
    phone_number_add_existing,
    phone_number_assign,
    phone_number_provision,
    phone_number_release,
    phone_number_search,
    phone_number_set_status,
    phone_number_unassign,
)
from .webhooks import registry_webhook_handle

__all__ = [
    "BadSignature",
    "CampaignNotApproved",
    "CampaignRefused",
    "Conflict",
    "RegistryUnavailable",
    "billing_report_day",
    "billing_report_registration",
    "brand_apply_registry_status",
    "brand_create",
    "brand_refresh",
    "brand_register",
    "brand_update",
    "campaign_appeal",
    "campaign_apply_registry_result",
    "campaign_create",
    "campaign_deactivate",
    "campaign_poll",
    "campaign_retry",
    "campaign_set_status",
    "campaign_submit",
    "campaign_update",
    "campaign_validate",
    "phone_number_add_existing",
    "phone_number_assign",
    "phone_number_provision",
    "phone_number_release",
    "phone_number_search",
    "phone_number_set_status",
    "phone_number_unassign",
    "registry_webhook_handle",
]
