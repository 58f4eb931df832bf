from tests.sweep import Rule

# Provider webhooks are public by nature and authenticated by their signatures: an
# unsigned request (what the sweep sends) is refused with 403.
_WEBHOOK = "provider webhook; authenticated by its HMAC / X-Twilio-Signature, not a login"

RULES = {
    "messaging:webhook-carrier-status": Rule(
        "public", method="post", reason=_WEBHOOK, allowed_extra=(403,)
    ),
    "messaging:webhook-carrier-inbound": Rule(
        "public", method="post", reason=_WEBHOOK, allowed_extra=(403,)
    ),
    "messaging:webhook-twilio-status": Rule(
        "public", method="post", reason=_WEBHOOK, allowed_extra=(403,)
    ),
    "messaging:webhook-twilio-inbound": Rule(
        "public", method="post", reason=_WEBHOOK, allowed_extra=(403,)
    ),
}
