from tests.sweep import Rule

RULES = {
    "public:legal": Rule("public", reason="policy pages are for everyone"),
    "public:legal-page": Rule(
        "public", reason="policy pages are for everyone", kwargs=lambda b: {"page": "terms"}
    ),
    "public:glossary": Rule("public", reason="plain-words help on texting rules"),
    "public:book": Rule("public", reason="visitors book a demo or onboarding call"),
    "public:book-thanks": Rule("public", reason="acknowledges a booked call"),
    "public:support": Rule("public", reason="visitors and members contact support"),
    "public:support-thanks": Rule("public", reason="acknowledges a support request"),
    "public:visitor-data": Rule(
        "public", reason="visitors ask for a copy or deletion of their requests, by email"
    ),
    "public:visitor-data-confirm": Rule(
        "public",
        reason="the emailed link; a forged one is a 404",
        kwargs=lambda b: {"token": "not-a-signed-token"},
        allowed_extra=(404,),
    ),
}
