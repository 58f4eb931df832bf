"""The Campaign Registry's vocabulary: enumerations, use cases and what each allows.

Pure data, no ORM: models, rules, the registrar and the send-permission selector share it.
Names and codes are TCR's own, as CSPs (Telnyx, Twilio, Bandwidth) expose them.
"""

ENTITY_TYPES = [
    ("PRIVATE_PROFIT", "Private company"),
    ("PUBLIC_PROFIT", "Publicly traded company"),
    ("NON_PROFIT", "Non-profit organisation"),
    ("GOVERNMENT", "Government"),
    ("SOLE_PROPRIETOR", "Sole proprietor (no EIN)"),
]

VERTICALS = [
    ("AGRICULTURE", "Agriculture"),
    ("COMMUNICATION", "Communication"),
    ("CONSTRUCTION", "Construction"),
    ("EDUCATION", "Education"),
    ("ENERGY", "Energy"),
    ("ENTERTAINMENT", "Entertainment"),
    ("FINANCIAL", "Financial"),
    ("GAMBLING", "Gambling"),
    ("GOVERNMENT", "Government"),
    ("HEALTHCARE", "Healthcare"),
    ("HOSPITALITY", "Hospitality"),
    ("HUMAN_RESOURCES", "Human resources"),
    ("INSURANCE", "Insurance"),
    ("LEGAL", "Legal"),
    ("MANUFACTURING", "Manufacturing"),
    ("NGO", "Non-governmental organisation"),
    ("POLITICAL", "Political"),
    ("POSTAL", "Postal"),
    ("PROFESSIONAL", "Professional services"),
    ("REAL_ESTATE", "Real estate"),
    ("RETAIL", "Retail"),
    ("TECHNOLOGY", "Technology"),
    ("TRANSPORTATION", "Transportation"),
]

STOCK_EXCHANGES = [
    (code, code)
    for code in [
        "NONE",
        "NASDAQ",
        "NYSE",
        "AMEX",
        "AMX",
        "ASX",
        "B3",
        "BME",
        "BSE",
        "FRA",
        "ICEX",
        "JPX",
        "JSE",
        "KRX",
        "LON",
        "NSE",
        "OMX",
        "SEHK",
        "SSE",
        "STO",
        "SWX",
        "SZSE",
        "TSX",
        "TWSE",
        "VSE",
    ]
]

ALT_BUSINESS_ID_TYPES = [("NONE", "None"), ("DUNS", "DUNS"), ("GIIN", "GIIN"), ("LEI", "LEI")]

IDENTITY_STATUSES = [
    ("UNVERIFIED", "Unverified"),
    ("SELF_DECLARED", "Self-declared"),
    ("VERIFIED", "Verified"),
    ("VETTED_VERIFIED", "Vetted and verified"),
]
# Bandwidth/TCR: a campaign needs a brand whose identity is one of these.
IDENTITY_OK_FOR_CAMPAIGN = {"SELF_DECLARED", "VERIFIED", "VETTED_VERIFIED"}

# TCR's brand fields in snake_case (``registrars.tcr.camel`` gives TCR's names): what a
# brand holds, what the business fills in and what the registrar sends.
BRAND_FIELDS = [
    "entity_type", "display_name", "company_name", "ein", "country", "email",
    "business_contact_email", "phone", "mobile_phone", "first_name", "last_name", "street",
    "city", "state", "postal_code", "website", "vertical", "stock_symbol", "stock_exchange",
    "alt_business_id", "alt_business_id_type",
]  # fmt: skip
# What a business fills in for a campaign: TCR's campaign fields in snake_case, and ours that
# the registrar does not send (OWN_CAMPAIGN_FIELDS). The order is the wizard's and the API's.
CAMPAIGN_FIELDS = [
    "name", "usecase", "sub_usecases", "description", "message_flow", "sample1", "sample2",
    "sample3", "sample4", "sample5", "help_message", "optin_message", "optout_message",
    "help_keywords", "optin_keywords", "optout_keywords", "subscriber_optin",
    "subscriber_optout", "subscriber_help", "number_pool", "direct_lending", "embedded_link",
    "embedded_link_sample", "embedded_phone", "mms", "age_gated", "affiliate_marketing",
    "auto_renewal", "terms_and_conditions", "terms_and_conditions_link",
    "privacy_policy_link", "automated", "join_keywords", "join_double_opt_in",
    "join_frequency",
]  # fmt: skip
# Ours, not TCR's: the campaign's name in the portal; the affiliate-marketing attestation
# (no field in the current CSP APIs: the compliance reference, §1.3); automated sending;
# keyword opt-in (text-to-join: the words, double opt-in, the frequency the confirmation
# states); MMS (pictures and contact cards: the send gate asks it, messaging/media).
JOIN_FIELDS = frozenset({"join_keywords", "join_double_opt_in", "join_frequency"})
OWN_CAMPAIGN_FIELDS = frozenset({"name", "affiliate_marketing", "automated", "mms"}) | JOIN_FIELDS


# Message kinds (contracts.md) and what each use case may carry.
MARKETING = "marketing"
INFORMATIONAL = "informational"
TRANSACTIONAL = "transactional"
CONVERSATIONAL = "conversational"
KINDS = (MARKETING, INFORMATIONAL, TRANSACTIONAL, CONVERSATIONAL)

STANDARD_USECASES: dict[str, tuple[str, frozenset[str]]] = {
    # code: (plain-words scope, kinds of message it covers)
    "2FA": ("One-time codes and log-in verification.", frozenset({TRANSACTIONAL})),
    "ACCOUNT_NOTIFICATION": (
        "Notices to account holders about their account (appointments, bills, changes).",
        frozenset({INFORMATIONAL, TRANSACTIONAL}),
    ),
    "CUSTOMER_CARE": (
        "Support and account management, including two-way conversations.",
        frozenset({CONVERSATIONAL, INFORMATIONAL, TRANSACTIONAL}),
    ),
    "DELIVERY_NOTIFICATION": (
        "Status of an order, delivery or service visit.",
        frozenset({INFORMATIONAL, TRANSACTIONAL}),
    ),
    "FRAUD_ALERT": (
        "Warnings about suspicious activity on an account.",
        frozenset({INFORMATIONAL, TRANSACTIONAL}),
    ),
    "HIGHER_EDUCATION": (
        "Colleges and universities texting students.",
        frozenset({INFORMATIONAL, TRANSACTIONAL, CONVERSATIONAL}),
    ),
    "MARKETING": ("Promotions, offers and news about your products.", frozenset({MARKETING})),
    "POLLING_VOTING": (
        "Non-political surveys and votes.",
        frozenset({INFORMATIONAL, CONVERSATIONAL}),
    ),
    "PUBLIC_SERVICE_ANNOUNCEMENT": (
        "Raising awareness of an important issue.",
        frozenset({INFORMATIONAL}),
    ),
    "SECURITY_ALERT": (
        "A system was compromised and the person must act.",
        frozenset({INFORMATIONAL, TRANSACTIONAL}),
    ),
}
# Standard use cases that can be combined under MIXED / LOW_VOLUME.
SUB_USECASES = list(STANDARD_USECASES)

COMBINED_USECASES = {
    "MIXED": "Two to five of the standard use cases on one campaign.",
    "LOW_VOLUME": "Low Volume Mixed: several use cases at very low volume (no vetting needed).",
}

SPECIAL_USECASES: dict[str, tuple[str, frozenset[str]]] = {
    "SOLE_PROPRIETOR": (
        "A sole proprietor's one campaign (brand without an EIN).",
        frozenset(KINDS),
    ),
    "CHARITY": (
        "Registered 501(c)(3) charities.",
        frozenset({MARKETING, INFORMATIONAL, CONVERSATIONAL}),
    ),
    "K12_EDUCATION": ("Schools texting families (K-12).", frozenset({INFORMATIONAL})),
    "EMERGENCY": ("Public safety and emergency notices.", frozenset({INFORMATIONAL})),
    "AGENTS_FRANCHISES": (
        "Brands texting through agents or franchise owners.",
        frozenset({INFORMATIONAL, CONVERSATIONAL}),
    ),
    "SOCIAL": ("Social media and influencer communities.", frozenset({INFORMATIONAL})),
    "POLITICAL": ("Political campaigns.", frozenset({INFORMATIONAL})),
    "SWEEPSTAKE": ("Sweepstakes and contests.", frozenset({MARKETING})),
    "PROXY": ("Peer-to-peer proxy conversations.", frozenset({CONVERSATIONAL})),
    "CARRIER_EXEMPT": ("Exempt by carrier agreement.", frozenset({INFORMATIONAL})),
    "M2M": ("Machine-to-machine.", frozenset({TRANSACTIONAL})),
    "TRIAL": ("Platform free trial.", frozenset({INFORMATIONAL})),
    "UCAAS_LOW": ("UCaaS, low volume.", frozenset({CONVERSATIONAL})),
    "UCAAS_HIGH": ("UCaaS, high volume.", frozenset({CONVERSATIONAL})),
}

# What people read for each code (the codes are TCR's; their title case read "2Fa",
# "Polling Voting", "Ucaas Low").
USECASE_LABELS = {
    "2FA": "Two-factor authentication (2FA)",
    "ACCOUNT_NOTIFICATION": "Account notifications",
    "CUSTOMER_CARE": "Customer care",
    "DELIVERY_NOTIFICATION": "Delivery notifications",
    "FRAUD_ALERT": "Fraud alerts",
    "HIGHER_EDUCATION": "Higher education",
    "MARKETING": "Marketing",
    "POLLING_VOTING": "Polling and voting",
    "PUBLIC_SERVICE_ANNOUNCEMENT": "Public service announcements",
    "SECURITY_ALERT": "Security alerts",
    "MIXED": "Mixed",
    "LOW_VOLUME": "Low volume mixed",
    "SOLE_PROPRIETOR": "Sole proprietor",
    "CHARITY": "Charity",
    "K12_EDUCATION": "K-12 education",
    "EMERGENCY": "Emergency",
    "AGENTS_FRANCHISES": "Agents and franchises",
    "SOCIAL": "Social",
    "POLITICAL": "Political",
    "SWEEPSTAKE": "Sweepstakes",
    "PROXY": "Proxy",
    "CARRIER_EXEMPT": "Carrier exempt",
    "M2M": "Machine to machine (M2M)",
    "TRIAL": "Trial",
    "UCAAS_LOW": "UCaaS, low volume",
    "UCAAS_HIGH": "UCaaS, high volume",
}


def usecase_label(code: str) -> str:
    return USECASE_LABELS.get(code) or code.replace("_", " ").capitalize()


USECASE_CHOICES = [
    (code, usecase_label(code))
    for code in [*STANDARD_USECASES, *COMBINED_USECASES, *SPECIAL_USECASES]
]
USECASE_CODES = {code for code, _ in USECASE_CHOICES}

# Special use cases that need external vetting or carrier post-approval that this
# platform does not offer (TCR: Campaign Verify for POLITICAL, AT&T/T-Mobile post-approval
# for SWEEPSTAKE, SOCIAL, AGENTS_FRANCHISES, PROXY; manual carrier review for the rest).
NOT_OFFERED_USECASES = {
    "POLITICAL": "Political campaigns need Campaign Verify vetting and are not allowed by our "
    "SMS policy.",
    "SWEEPSTAKE": "Sweepstakes need carrier post-approval and are not allowed by our SMS policy.",
    "SOCIAL": "Social campaigns need external vetting and carrier post-approval, which we do "
    "not offer.",
    "AGENTS_FRANCHISES": "Agent and franchise campaigns need carrier post-approval, which we do "
    "not offer.",
    "PROXY": "Proxy campaigns need carrier post-approval, which we do not offer.",
    "CARRIER_EXEMPT": "Carrier-exempt campaigns are arranged directly with the carriers.",
    "M2M": "Machine-to-machine traffic is not offered on this platform.",
    "TRIAL": "Free-trial campaigns are for messaging platforms, not businesses.",
    "UCAAS_LOW": "UCaaS campaigns are for phone-system providers, not businesses.",
    "UCAAS_HIGH": "UCaaS campaigns are for phone-system providers, not businesses.",
    "EMERGENCY": "Emergency campaigns need AT&T post-approval, which we do not offer.",
}

# Verticals our SMS policy does not serve.
PROHIBITED_VERTICALS = {
    "GAMBLING": "Gambling is a prohibited industry under our SMS policy.",
    "POLITICAL": "Political messaging is not allowed by our SMS policy.",
}


def kinds_for(usecase: str, sub_usecases: list[str] | None) -> frozenset[str]:
    """The message kinds a campaign of this use case may send."""
    if usecase in COMBINED_USECASES:
        kinds: set[str] = set()
        for sub in sub_usecases or []:
            kinds |= STANDARD_USECASES.get(sub, ("", frozenset()))[1]
        return frozenset(kinds)
    if usecase in STANDARD_USECASES:
        return STANDARD_USECASES[usecase][1]
    if usecase in SPECIAL_USECASES:
        return SPECIAL_USECASES[usecase][1]
    return frozenset()


def is_marketing(usecase: str, sub_usecases: list[str] | None) -> bool:
    return MARKETING in kinds_for(usecase, sub_usecases)


def parse_keywords(value: str) -> list[str]:
    return [k for k in (value or "").split(",") if k]


# TCR campaignStatus (as Telnyx reports it) -> our Campaign.Status value.
REGISTRY_STATUS_MAP = {
    "TCR_PENDING": "SUBMITTED",
    "TCR_ACCEPTED": "REVIEW",
    "TELNYX_ACCEPTED": "REVIEW",
    "MNO_PENDING": "REVIEW",
    "MNO_ACCEPTED": "APPROVED",
    "MNO_PROVISIONED": "APPROVED",
    "ACTIVE": "APPROVED",
    "TCR_FAILED": "REJECTED",
    "TELNYX_FAILED": "REJECTED",
    "MNO_REJECTED": "REJECTED",
    "MNO_PROVISIONING_FAILED": "REJECTED",
    "TCR_SUSPENDED": "SUSPENDED",
    "TCR_EXPIRED": "EXPIRED",
    "EXPIRED": "EXPIRED",
}
