"""The tenant base's, privacy's and the frameworks' personal data in the register, and the
retention rules for what the frameworks keep (sessions, sign-in attempts).

Registered from PrivacyConfig.ready(); feature apps declare their own fields.
"""

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session

from accounts.services import idempotent_requests_purge

from . import inventory, retention

ACCOUNT_ERASURE = "user_erase (accounts.privacy.services): tombstone email, name blanked"
ACCOUNT_EXPORT = "the member's own export (accounts.privacy.exports.user_export_build)"
CLOSED_RULE = "closed businesses anonymised after RETENTION_CLOSED_BUSINESS_DAYS"
USAGE_RULE = "usage log deleted after RETENTION_USAGE_LOG_DAYS"
SESSIONS_RULE = "expired sessions deleted"
SIGNIN_RULE = "sign-in attempt logs deleted after RETENTION_SIGNIN_LOG_DAYS"
IDEMPOTENCY_RULE = "API answers kept for idempotency keys deleted after IDEMPOTENCY_KEY_TTL_HOURS"


def sessions_purge(*, now: datetime, dry_run: bool) -> dict:
    """Expired sessions (their data names the signed-in person) are deleted."""
    old = Session.objects.filter(expire_date__lt=now)
    if dry_run:
        return {"sessions": old.count()}
    return {"sessions": old.delete()[0]}


def signin_logs_purge(*, now: datetime, dry_run: bool) -> dict:
    """django-axes' records of sign-ins (email, IP, browser) older than the period."""
    cutoff = now - timedelta(days=settings.RETENTION_SIGNIN_LOG_DAYS)
    tables = {
        "signin_attempts": AccessAttempt.objects.filter(attempt_time__lt=cutoff),
        "signin_failures": AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
        "signin_logs": AccessLog.objects.filter(attempt_time__lt=cutoff),
    }
    if dry_run:
        return {name: qs.count() for name, qs in tables.items()}
    return {name: qs.delete()[0] for name, qs in tables.items()}


def register() -> None:
    retention.register(SESSIONS_RULE, sessions_purge)
    retention.register(SIGNIN_RULE, signin_logs_purge)
    retention.register(IDEMPOTENCY_RULE, idempotent_requests_purge)
    declare = inventory.declare
    declare(
        "accounts.User",
        ["email", "full_name", "marketing_email_opt_out"],
        erasure=ACCOUNT_ERASURE,
        export=ACCOUNT_EXPORT,
        retention="kept: until the person deletes their account (the account is the service)",
    )
    declare(
        "accounts.Invitation",
        ["email"],
        erasure="revoked by user_erase; deleted with a closed business",
        export="the business export (section accounts.invitations)",
        retention=CLOSED_RULE,
    )
    declare(
        "accounts.Business",
        ["legal_name", "display_name", "brand_domains", "industry_description"],
        erasure="renamed and stripped by the closed-business rule (a sole trader's name)",
        export="the business export (section accounts.business)",
        retention=CLOSED_RULE,
    )
    declare(
        "accounts.AuditEvent",
        ["actor_label", "object_repr", "detail", "ip"],
        erasure="the actor link detached by user_erase; the text is the legal record",
        export="the business export (audit_trail) and the member's (audit_events_as_actor)",
        retention="kept: the append-only legal record of who did what (docs/privacy.md)",
    )
    declare(
        "privacy.CookieConsentRecord",
        ["choices", "ip_anonymised", "user_agent_family"],
        erasure="detached from the person by user_erase; IP truncated, browser family only",
        export=ACCOUNT_EXPORT,
        retention="kept: proof of the cookie choice, anonymised from the start",
    )
    declare(
        "privacy.UsageLogEntry",
        ["path", "ip_truncated"],
        erasure="deleted by user_erase",
        export=ACCOUNT_EXPORT,
        retention=USAGE_RULE,
    )
    declare(
        "sessions.Session",
        ["session_data"],
        erasure="user_erase makes the password unusable: every session ends",
        export="not exported: the session's own state",
        retention=SESSIONS_RULE,
    )
    for model in ("axes.AccessAttempt", "axes.AccessFailureLog", "axes.AccessLog"):
        fields = ["user_agent", "ip_address", "username"]
        if model == "axes.AccessAttempt":
            fields += ["get_data", "post_data"]
        declare(
            model,
            fields,
            erasure="deleted after the sign-in log period (security record)",
            export="not exported: a security record of sign-ins",
            retention=SIGNIN_RULE,
        )
    not_personal = inventory.not_personal
    not_personal(
        "privacy.RetentionRun",
        ["results", "errors", "settings_snapshot"],
        reason="counts, error texts and settings",
    )
    not_personal("accounts.ApiKey", ["name"], reason="the key's label")
    not_personal(
        "accounts.Business",
        ["webhook_events"],
        reason="the event types its webhook endpoints want (names of events)",
    )
    declare(
        "accounts.IdempotentRequest",
        ["response"],
        erasure="not erased one by one: every stored answer is deleted within "
        "IDEMPOTENCY_KEY_TTL_HOURS (24 h) of its request",
        export="not exported: a copy, for a day, of an answer the API already gave",
        retention=IDEMPOTENCY_RULE,
    )
    declare(
        "admin.LogEntry",
        ["object_repr", "change_message"],
        erasure="not erased: an object's label as staff saw it when they changed it",
        export="not exported: staff's own record",
        retention="kept: staff's record of admin changes, with the audit trail",
    )
    not_personal("auth.Permission", ["name"], reason="a permission's label")
    not_personal("auth.Group", ["name"], reason="a group's label")
    not_personal("contenttypes.ContentType", ["app_label"], reason="a model's app")
    not_personal("otp_totp.TOTPDevice", ["name"], reason="the device's label")
    not_personal("otp_static.StaticDevice", ["name"], reason="the device's label")
