from accounts.roles import Cap, Role
from tests.factories.accounts import MembershipFactory
from tests.sweep import Rule


def _member(business):
    return {"membership_uuid": MembershipFactory(business=business, role=Role.VIEWER).uuid}


def _invitation(business):
    from accounts import services

    owner = business.memberships.filter(role=Role.OWNER).first() or MembershipFactory(
        business=business, role=Role.OWNER
    )
    invitation, _ = services.invitation_create(
        business=business,
        email=f"invitee-{business.pk}@example.com",
        role=Role.AGENT,
        invited_by=owner,
    )
    return {"invitation_uuid": invitation.uuid}


def _api_key(business):
    from accounts import services

    owner = business.memberships.filter(role=Role.OWNER).first() or MembershipFactory(
        business=business, role=Role.OWNER
    )
    key, _ = services.api_key_create(business=business, name="sweep", role=Role.AGENT, by=owner)
    return {"key_uuid": key.uuid}


RULES = {
    "healthz": Rule("public", reason="liveness probe for the load balancer"),
    "readyz": Rule(
        "public",
        reason="readiness probe: says only ok or which service is down",
        allowed_extra=(503,),  # no carrier runs during the sweep
    ),
    "metrics": Rule("ops", token_setting="METRICS_TOKEN"),
    "home": Rule("public", reason="landing page"),
    "signup": Rule("public", reason="creating an account"),
    "invitation-accept": Rule(
        "public",
        reason="token link from an email; the token is the key",
        kwargs=lambda b: {"token": "not-a-token"},
        allowed_extra=(404,),
    ),
    "login": Rule("public", reason="logging in"),
    "logout": Rule("public", method="post", reason="logging out"),
    "password_change": Rule("portal", cap=Cap.VIEW),
    "password_change_done": Rule("portal", cap=Cap.VIEW),
    "password_reset": Rule("public", reason="forgotten password"),
    "password_reset_done": Rule("public", reason="forgotten password"),
    "password_reset_confirm": Rule(
        "public", reason="token link from an email", kwargs=lambda b: {"uidb64": "x", "token": "y"}
    ),
    "password_reset_complete": Rule("public", reason="forgotten password"),
    "api-schema": Rule("public", reason="the API reference is public"),
    "api-docs": Rule("public", reason="the API reference is public"),
    "portal:dashboard": Rule("portal", cap=Cap.VIEW),
    "portal:no-business": Rule("portal", cap=Cap.VIEW),
    "portal:switch-business": Rule(
        "portal", cap=Cap.VIEW, method="post", data=lambda b, kw: {"business": str(b.uuid)}
    ),
    "portal:business": Rule("portal", cap=Cap.VIEW),
    "portal:team": Rule("portal", cap=Cap.VIEW),
    "portal:member-role": Rule(
        "portal",
        cap=Cap.MANAGE_TEAM,
        method="post",
        kwargs=_member,
        data=lambda b, kw: {"role": "agent"},
    ),
    "portal:member-remove": Rule("portal", cap=Cap.MANAGE_TEAM, method="post", kwargs=_member),
    "portal:invitation-revoke": Rule(
        "portal", cap=Cap.MANAGE_TEAM, method="post", kwargs=_invitation
    ),
    "portal:api-keys": Rule("portal", cap=Cap.MANAGE_API_KEYS),
    "portal:api-key-revoke": Rule(
        "portal", cap=Cap.MANAGE_API_KEYS, method="post", kwargs=_api_key
    ),
    "portal:twilio-token": Rule("portal", cap=Cap.MANAGE_API_KEYS, method="post"),
    "portal:twilio-inbound": Rule(
        "portal",
        cap=Cap.MANAGE_API_KEYS,
        method="post",
        data=lambda business, kwargs: {"inbound_url": ""},
    ),
    "api-business": Rule("api", cap=Cap.VIEW),
    "api-members": Rule("api", cap=Cap.VIEW),
}
