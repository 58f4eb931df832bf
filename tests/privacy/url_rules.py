from accounts.roles import Cap
from tests.sweep import Rule

RULES = {
    "cookie-settings": Rule("public", reason="cookie choices for every visitor, logged in or not"),
    "cookie-consent": Rule(
        "public",
        method="post",
        reason="storing a visitor's cookie choice before any login",
        data=lambda b, kw: {"action": "reject_all", "next": "/"},
    ),
    "email-change-confirm": Rule(
        "public",
        reason="link emailed to the new address; the signed token is the key",
        kwargs=lambda b: {"token": "not-a-token"},
    ),
    "marketing-unsubscribe": Rule(
        "public",
        reason="unsubscribe link in marketing email must work without login (signed token)",
        kwargs=lambda b: {"token": "not-a-token"},
        allowed_extra=(404,),
    ),
    "portal:my-account": Rule("portal", cap=Cap.VIEW),
    "portal:my-account-email": Rule(
        "portal",
        cap=Cap.VIEW,
        method="post",
        data=lambda b, kw: {"email-email": "x@example.com", "email-password": "wrong"},
        allowed_extra=(400,),
    ),
    "portal:my-account-marketing": Rule("portal", cap=Cap.VIEW, method="post"),
    "portal:my-account-export": Rule("portal", cap=Cap.VIEW, method="post"),
    "portal:my-account-delete": Rule("portal", cap=Cap.VIEW),
    "portal:business-data": Rule("portal", cap=Cap.MANAGE_BUSINESS),
    "portal:business-export": Rule("portal", cap=Cap.MANAGE_BUSINESS, method="post"),
    "portal:business-close": Rule(
        "portal",
        cap=Cap.MANAGE_BUSINESS,
        method="post",
        data=lambda b, kw: {"confirmation": "not the name"},
        allowed_extra=(400,),
    ),
}
