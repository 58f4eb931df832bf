"""Policies' fields in the register of personal data (accounts.privacy.inventory),
declared from PoliciesConfig.ready()."""

from accounts.privacy import inventory


def register() -> None:
    inventory.declare(
        "policies.PolicyAcceptance",
        ["ip"],
        erasure="not erased: proof of the terms a member accepted (append-only)",
        export="the member's own export (section policy_acceptances)",
        retention="kept: the legal record of accepted terms",
    )
    inventory.declare(
        "policies.BusinessScreening",
        ["name", "reasons", "categories"],
        erasure="not erased: the screening decision on the business at sign-up",
        export="not exported: staff's compliance record",
        retention="kept: the compliance record of the business's vetting",
    )
    inventory.not_personal(
        "policies.PolicyDecision", ["categories", "reasons"], reason="rule ids and spans"
    )
    inventory.not_personal("policies.Strike", ["detail"], reason="counts behind a risk signal")
    inventory.not_personal("policies.PolicyDocument", ["body"], reason="a published policy")
    inventory.not_personal("policies.RuleChange", ["before", "after"], reason="rule data")
    inventory.not_personal("policies.RuleSet", ["fuzzy_stoplist"], reason="rule data")
    inventory.not_personal("policies.Category", ["name"], reason="a category's label")
    inventory.not_personal("policies.Pattern", ["label"], reason="a pattern's label")
    inventory.not_personal("policies.ShortenerDomain", ["note"], reason="staff's note")
    inventory.not_personal("policies.Restriction", ["campaign_label"], reason="a campaign name")
