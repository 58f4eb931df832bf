"""Data exports: a person's own data, and all of a business's data, as JSON.

Apps above accounts add their part from ``AppConfig.ready()``:

    from accounts.privacy import exports
    exports.register("consent", consent_export_for_business)      # callable(business)
    exports.register_user("policy_acceptances", acceptances_for)  # callable(user)

Each callable returns something JSON-able (dates, UUIDs and Decimals are fine). The
builders here only read; ``accounts.privacy.services`` wraps them with the audit record.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from accounts.models import AuditEvent, Business, User

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1

_business_sections: dict[str, Callable[[Business], Any]] = {}
_user_sections: dict[str, Callable[[User], Any]] = {}


def register(name: str, fn: Callable[[Business], Any]) -> None:
    """Add a section to every business export (``name`` is its key in the JSON)."""
    _business_sections[name] = fn


def register_user(name: str, fn: Callable[[User], Any]) -> None:
    """Add a section to every personal (account) export."""
    _user_sections[name] = fn


def business_sections() -> list[str]:
    return sorted(_business_sections)


def _run_sections(sections: dict[str, Callable], arg) -> tuple[dict, dict]:
    out, errors = {}, {}
    for name in sorted(sections):
        try:
            out[name] = sections[name](arg)
        except Exception as exc:  # one failing section must not hide the others
            logger.exception("Export section %s failed", name)
            errors[name] = f"{type(exc).__name__}: {exc}"
    return out, errors


def _audit_rows(qs) -> list[dict]:
    return [
        {
            "at": e.created_at,
            "action": e.action,
            "actor": e.actor_label,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object": e.object_repr,
            "detail": e.detail,
            "ip": e.ip,
        }
        for e in qs
    ]


# --- a business ---------------------------------------------------------------------------


def accounts_business_section(business: Business) -> dict:
    """The accounts part of a business export."""
    return {
        "business": {
            "uuid": business.uuid,
            "legal_name": business.legal_name,
            "display_name": business.display_name,
            "website": business.website,
            "brand_domains": business.brand_domains,
            "industry": business.industry,
            "industry_description": business.industry_description,
            "time_zone": business.time_zone,
            "quiet_hours": [business.quiet_hours_start, business.quiet_hours_end],
            "vetting_status": business.vetting_status,
            "vetting_reason": business.vetting_reason,
            "created_at": business.created_at,
        },
        "status_history": [
            {"at": c.created_at, "from": c.from_status, "to": c.to_status, "reason": c.reason}
            for c in business.status_history.all()
        ],
        "members": [
            {
                "uuid": m.uuid,
                "email": m.user.email,
                "name": m.user.full_name,
                "role": m.role,
                "since": m.created_at,
            }
            for m in business.memberships.select_related("user").order_by("created_at", "id")
        ],
        "invitations": [
            {
                "email": i.email,
                "role": i.role,
                "created_at": i.created_at,
                "accepted_at": i.accepted_at,
                "revoked_at": i.revoked_at,
            }
            for i in business.invitations.order_by("created_at", "id")
        ],
        "api_keys": [
            {
                "uuid": k.uuid,
                "name": k.name,
                "prefix": k.prefix,
                "role": k.role,
                "created_at": k.created_at,
                "last_used_at": k.last_used_at,
                "revoked_at": k.revoked_at,
            }
            for k in business.api_keys.order_by("created_at", "id")
        ],
        "audit_trail": _audit_rows(
            AuditEvent.objects.filter(business=business).order_by("created_at", "id")
        ),
    }


register("accounts", accounts_business_section)


def business_export_build(*, business: Business) -> dict:
    sections, errors = _run_sections(_business_sections, business)
    return {
        "format": "contactyourclient.business-export",
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "business_uuid": business.uuid,
        "sections": sections,
        "errors": errors,
    }


# --- a person -----------------------------------------------------------------------------


def user_export_build(*, user: User) -> dict:
    """Everything we hold about one account holder (GDPR/CCPA access and portability)."""
    extra, errors = _run_sections(_user_sections, user)
    return {
        "format": "contactyourclient.account-export",
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "profile": {
            "uuid": user.uuid,
            "email": user.email,
            "full_name": user.full_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "marketing_email_opt_out": user.marketing_email_opt_out,
        },
        "memberships": [
            {
                "business_uuid": m.business.uuid,
                "business": m.business.display_name,
                "role": m.role,
                "since": m.created_at,
            }
            for m in user.memberships.select_related("business").order_by("created_at", "id")
        ],
        "cookie_consents": [
            {
                "at": r.created_at,
                "policy_version": r.policy_version,
                "choices": r.choices,
                "method": r.method,
                "ip_anonymised": r.ip_anonymised,
                "browser": r.user_agent_family,
            }
            for r in user.cookie_consents.order_by("created_at", "id")
        ],
        "usage_log": [
            {
                "at": u.created_at,
                "path": u.path,
                "browser": u.browser,
                "os": u.os,
                "device": u.device,
                "ip_truncated": u.ip_truncated,
            }
            for u in user.usage_log.order_by("created_at", "id")
        ],
        "audit_events_as_actor": _audit_rows(
            AuditEvent.objects.filter(actor=user).order_by("created_at", "id")
        ),
        # e.g. policy_acceptances (the terms this person accepted), registered by policies
        "sections": extra,
        "errors": errors,
    }
