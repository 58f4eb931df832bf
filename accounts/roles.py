"""Roles and what each may do: the single table that views, the API and docs follow.

accounts/README.md renders this table in words; tests/accounts/test_roles.py checks
every role against every capability.
"""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"
    BILLING = "billing"  # invoices and payment methods, nothing else


class Cap(StrEnum):
    """Capabilities. Views and API endpoints name the one they need."""

    VIEW = "view"  # read the business's contacts, messages, campaigns, reports
    SEND = "send"  # compose, send, schedule, reply in the inbox
    MANAGE_CONTACTS = "manage_contacts"  # contacts, consent records, imports, forms, erasure
    MANAGE_CAMPAIGNS = "manage_campaigns"  # brands, campaigns, numbers, webhooks
    MANAGE_API_KEYS = "manage_api_keys"  # create and revoke API keys
    MANAGE_TEAM = "manage_team"  # invite, change roles below owner, remove members
    MANAGE_BUSINESS = "manage_business"  # business profile, owners, export, close
    MANAGE_BILLING = "manage_billing"  # invoices, payment methods, spending cap (accounts.billing)


# Billing sits beside the ladder, not on it: it sees money, not messages. Ranked with admin so
# that only owners hand it out (role_can_grant) and admins cannot be demoted into it by admins.
ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.ADMIN: 2, Role.BILLING: 2, Role.OWNER: 3}

ROLE_CAPS: dict[Role, frozenset[Cap]] = {
    Role.VIEWER: frozenset({Cap.VIEW}),
    Role.AGENT: frozenset({Cap.VIEW, Cap.SEND, Cap.MANAGE_CONTACTS}),
    Role.ADMIN: frozenset(
        {
            Cap.VIEW,
            Cap.SEND,
            Cap.MANAGE_CONTACTS,
            Cap.MANAGE_CAMPAIGNS,
            Cap.MANAGE_API_KEYS,
            Cap.MANAGE_TEAM,
        }
    ),
    Role.BILLING: frozenset({Cap.VIEW, Cap.MANAGE_BILLING}),
    Role.OWNER: frozenset(Cap),
}

ROLE_CHOICES = [(r.value, r.value.title()) for r in Role]


def role_can(role: str, cap: Cap) -> bool:
    return cap in ROLE_CAPS.get(Role(role), frozenset())


def role_can_grant(granter: str, role: str) -> bool:
    """Admins hand out roles up to admin; only owners make owners."""
    if Role(granter) == Role.OWNER:
        return True
    return (
        role_can(granter, Cap.MANAGE_TEAM)
        and ROLE_RANK[Role(role)] < ROLE_RANK[Role.OWNER]
        and Role(role) != Role.BILLING  # money: owners only
    )


def lowest_role_with(cap: Cap) -> Role:
    return min((r for r in Role if cap in ROLE_CAPS[r]), key=ROLE_RANK.__getitem__)
