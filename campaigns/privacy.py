"""Campaigns' fields in the register of personal data (accounts.privacy.inventory),
declared from CampaignsConfig.ready()."""

from accounts.privacy import inventory


def register() -> None:
    inventory.declare(
        "campaigns.Brand",
        [
            "first_name", "last_name", "email", "business_contact_email", "phone",
            "mobile_phone", "street", "display_name", "company_name",
        ],
        erasure="corrected by the business in the portal; not erased on a person's request: "
        "the registration carriers hold (a sole proprietor's name and contact)",
        export="the business export (campaigns section)",
        retention="kept: the brand registered with The Campaign Registry, while the "
        "business's registration lasts (docs/privacy.md, known limits)",
    )  # fmt: skip
    inventory.declare(
        "campaigns.PhoneNumber",
        ["e164"],
        erasure="not erased: the business's own sending number, not a person's",
        export="the business export (campaigns section)",
        retention="kept: the number the carrier assigned, while the business has it",
    )
    fields = [
        "name", "sub_usecases", "message_flow", "help_message", "optin_message",
        "optout_message", "failure_reasons", "policy_decision",
    ]  # fmt: skip
    for model in ("campaigns.Campaign", "campaigns.CampaignReview"):
        inventory.not_personal(model, fields, reason="the business's campaign texts and decisions")
        inventory.not_personal(
            model,
            ["att_message_class", "messaging_service_sid"],
            reason="the carrier's class for the campaign; the provider's service id",
        )
    inventory.not_personal("campaigns.Brand", ["failure_reasons"], reason="the registry's reasons")
    inventory.not_personal("campaigns.PhoneNumber", ["capabilities"], reason="SMS, MMS, voice")
