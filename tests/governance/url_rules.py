from accounts.roles import Cap
from tests.sweep import Rule

LEGAL = "the platform's published policies are public, as the law expects"

RULES = {
    "governance:legal-privacy": Rule("public", reason=LEGAL),
    "governance:legal-sms": Rule("public", reason=LEGAL),
    "governance:legal-terms": Rule("public", reason=LEGAL),
    "governance:legal-version": Rule(
        "public", reason=LEGAL, kwargs=lambda b: {"kind": "terms", "version": "1.0"}
    ),
    "governance:accept": Rule("portal", cap=Cap.VIEW),
    "governance:compliance": Rule("portal", cap=Cap.VIEW),
}
