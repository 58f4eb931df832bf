"""Errors of the campaigns app (the one ApplicationError family)."""

from accounts.errors import ApplicationError


class CampaignRefused(ApplicationError):
    """Submission refused: the content rules, TCR's eligibility or our SMS policy."""

    code = "campaign_refused"
    status_code = 400
    default_message = "The campaign cannot be submitted as it is."


class CampaignNotApproved(ApplicationError):
    code = "campaign_not_approved"
    status_code = 409
    default_message = "Numbers can only be assigned to an approved campaign."


class RegistryUnavailable(ApplicationError):
    code = "registry_unavailable"
    status_code = 503
    default_message = "The registry could not be reached; the request is saved and can be retried."


class BadSignature(ApplicationError):
    code = "bad_signature"
    status_code = 401
    default_message = "Bad, stale or missing webhook signature."
