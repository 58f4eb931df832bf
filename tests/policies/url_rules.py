from accounts.roles import Cap
from tests.sweep import Rule

RULES = {
    "policies:overview": Rule("portal", cap=Cap.VIEW),
    "policies:check": Rule(
        "portal",
        cap=Cap.SEND,
        method="post",
        data=lambda b, kw: {"body": "Hello", "kind": "conversational"},
        allowed_extra=(400,),  # the sweep posts form-encoded data; the endpoint wants JSON
    ),
    "api-policy-check": Rule(
        "api",
        cap=Cap.SEND,
        method="post",
        data=lambda b, kw: {"body": "Hello", "kind": "conversational"},
    ),
}
