from tests.sweep import Rule

RULES = {
    "campaigns:registry-webhook": Rule(
        "public",
        method="post",
        reason="the registry's server-to-server status webhook, authenticated by HMAC signature",
        allowed_extra=(401,),
    ),
}
