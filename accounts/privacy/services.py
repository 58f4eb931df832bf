"""Privacy services: an account holder's data rights, marketing opt-out, closing a business,
the usage log, and the accounts app's retention rules.

Erasure keeps the business's legal records (consent ledger, audit trail) and detaches the
person from them; see docs/privacy.md for which promise each function keeps.
"""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accounts.models import ApiKey, AuditEvent, Business, Invitation, Membership, User
from accounts.roles import Cap, role_can
from accounts.services import api_key_revoke, audit_record, business_set_vetting

from . import exports
from .anonymise import ip_truncate, user_agent_summary
from .models import CookieConsentRecord, UsageLogEntry
from .selectors import businesses_blocking_erasure

EMAIL_CHANGE_SALT = "accounts.privacy.email-change"
EMAIL_CHANGE_MAX_AGE = timedelta(days=2)
UNSUBSCRIBE_SALT = "accounts.privacy.marketing-unsubscribe"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox
CLOSE_REASON = "closed by owner"


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


# --- see and correct ----------------------------------------------------------------------


@transaction.atomic
def user_profile_update(*, user: User, full_name: str, ip: str | None = None) -> User:
    full_name = full_name.strip()
    if full_name == user.full_name:
        return user
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    audit_record(
        action="user.update",
        actor=user,
        object_type="accounts.User",
        object_id=str(user.uuid),
        detail={"fields": ["full_name"]},
        ip=ip,
    )
    return user


def user_email_change_request(
    *, user: User, new_email: str, password: str, ip: str | None = None
) -> str:
    """Check the password, then email a confirmation link to the new address.

    The address changes only when that link is opened (it proves the new mailbox is
    theirs); the old address is told. Returns the token (tests use it).
    """
    if not user.check_password(password):
        raise ValidationFailed(fields={"password": ["That is not your current password."]})
    new_email = new_email.strip().lower()
    if new_email == user.email.lower():
        raise ValidationFailed(fields={"email": ["This is already your email address."]})
    if User.objects.filter(email__iexact=new_email).exists():
        raise ValidationFailed(fields={"email": ["Another account uses this email address."]})
    token = signing.dumps(
        {"u": str(user.uuid), "e": new_email, "o": _email_hash(user.email)},
        salt=EMAIL_CHANGE_SALT,
    )
    link = settings.SITE_URL + reverse("email-change-confirm", kwargs={"token": token})
    send_mail(
        subject="Confirm your new email address for Contact Your Client",
        message=(
            f"Someone (we hope you) asked to use this address for the Contact Your Client "
            f"account of {user.get_full_name()}.\n\nConfirm: {link}\n\n"
            f"The link works for {EMAIL_CHANGE_MAX_AGE.days} days. If this was not you, "
            f"ignore this email."
        ),
        from_email=None,
        recipient_list=[new_email],
    )
    send_mail(
        subject="Your Contact Your Client email address is about to change",
        message=(
            "We sent a confirmation link to a new address for your account. If you did not "
            "ask for this, change your password now."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    audit_record(
        action="user.email_change.request",
        actor=user,
        object_type="accounts.User",
        object_id=str(user.uuid),
        ip=ip,
    )
    return token


@transaction.atomic
def user_email_change_confirm(*, token: str, ip: str | None = None) -> User:
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        raise NotFound("This confirmation link has expired: ask for a new one.") from None
    except signing.BadSignature:
        raise NotFound("This confirmation link is not valid.") from None
    user = User.objects.select_for_update().filter(uuid=data["u"], erased_at__isnull=True).first()
    if user is None or _email_hash(user.email) != data["o"]:
        raise NotFound("This confirmation link is not valid any more.")
    if User.objects.filter(email__iexact=data["e"]).exclude(pk=user.pk).exists():
        raise Conflict("Another account now uses this email address.")
    old = user.email
    user.email = data["e"]
    user.save(update_fields=["email"])
    audit_record(
        action="user.email_change",
        actor=user,
        object_type="accounts.User",
        object_id=str(user.uuid),
        detail={"from_hash": _email_hash(old)},
        ip=ip,
    )
    return user


# --- delete (erase) an account ------------------------------------------------------------


@transaction.atomic
def user_erase(
    *,
    user: User,
    actor: User | None,
    reason: str,
    ip: str | None = None,
    force: bool = False,
) -> User:
    """Delete a person's account: personal data removed or anonymised, legal records kept.

    The email becomes a tombstone, the name is blanked, the password unusable, the
    memberships and the usage log are deleted; cookie consent records and audit events
    stay but lose their link to the person. Refused while they are the only owner of an
    open business, unless ``force`` (staff erasing a child's data).
    """
    User.objects.select_for_update().get(pk=user.pk)  # one erasure at a time
    user.refresh_from_db()
    if user.erased_at is not None:
        raise Conflict("This account was already deleted.")
    blocking = businesses_blocking_erasure(user=user)
    if blocking and not force:
        names = ", ".join(b.display_name for b in blocking)
        raise Conflict(
            f"You are the only owner of {names}. Make another member an owner, or close "
            f"the business, before deleting your account.",
            detail={"businesses": [str(b.uuid) for b in blocking]},
        )
    # Detach first, so nothing below is attributed to the person by link.
    detached = AuditEvent.objects.filter(actor=user).update(actor=None)
    CookieConsentRecord.objects.filter(user=user).update(user=None)
    usage = UsageLogEntry.objects.filter(user=user).delete()[0]
    staff_actor = actor if actor is not None and actor.pk != user.pk else None
    memberships = list(Membership.objects.filter(user=user).select_related("business"))
    for m in memberships:
        audit_record(
            action="membership.erase",
            actor=staff_actor,
            business=m.business,
            object_type="accounts.Membership",
            object_id=str(m.uuid),
            detail={"role": m.role, "reason": reason, "left_without_owner": m.business in blocking},
            ip=ip,
        )
        m.delete()
    Invitation.objects.filter(
        email__iexact=user.email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    user.email = f"erased-{user.uuid}@{ERASED_DOMAIN}"
    user.full_name = ""
    user.set_unusable_password()  # also ends every session (the session hash changes)
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.marketing_email_opt_out = True
    user.erased_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    audit_record(
        action="user.erase",
        actor=staff_actor,
        object_type="accounts.User",
        object_id=str(user.uuid),
        detail={
            "reason": reason,
            "memberships_removed": len(memberships),
            "audit_events_detached": detached,
            "usage_log_deleted": usage,
            "businesses_left_without_owner": [str(b.uuid) for b in blocking],
        },
        ip=ip,
    )
    return user


# --- marketing email from us --------------------------------------------------------------


def marketing_unsubscribe_token(*, user: User) -> str:
    return signing.dumps({"u": str(user.uuid)}, salt=UNSUBSCRIBE_SALT)


def marketing_unsubscribe_url(*, user: User) -> str:
    token = marketing_unsubscribe_token(user=user)
    return settings.SITE_URL + reverse("marketing-unsubscribe", kwargs={"token": token})


def user_for_unsubscribe_token(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise NotFound("This unsubscribe link is not valid.") from None
    user = User.objects.filter(uuid=data.get("u")).first()
    if user is None:
        raise NotFound("This unsubscribe link is not valid.")
    return user


@transaction.atomic
def user_marketing_set(*, user: User, opt_out: bool, via: str, ip: str | None = None) -> User:
    """Opt in or out of marketing email from us; ``via`` is "account" or "unsubscribe_link"."""
    if user.marketing_email_opt_out == opt_out:
        return user
    user.marketing_email_opt_out = opt_out
    user.save(update_fields=["marketing_email_opt_out"])
    audit_record(
        action="user.marketing_opt_out" if opt_out else "user.marketing_opt_in",
        actor=user if via == "account" else None,
        object_type="accounts.User",
        object_id=str(user.uuid),
        detail={"via": via},
        ip=ip,
    )
    return user


def marketing_email_send(*, user: User, subject: str, body: str) -> bool:
    """The one way to send marketing email from us to an account holder.

    Refuses (returns False, sends nothing) if they opted out or the account is closed;
    otherwise adds the one-click unsubscribe link and headers (RFC 8058).
    """
    if user.marketing_email_opt_out or user.erased_at is not None or not user.is_active:
        return False
    url = marketing_unsubscribe_url(user=user)
    message = EmailMessage(
        subject=subject,
        body=f"{body}\n\n--\nUnsubscribe from these emails: {url}",
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()
    return True


# --- a business owner: export and close ---------------------------------------------------


def _require_owner(membership: Membership) -> None:
    if not role_can(membership.role, Cap.MANAGE_BUSINESS):
        raise PermissionDenied("Only an owner can do this.")


def business_export_create(*, membership: Membership, ip: str | None = None) -> dict:
    _require_owner(membership)
    data = exports.business_export_build(business=membership.business)
    audit_record(
        action="business.export",
        obj=membership.business,
        actor=membership.user,
        business=membership.business,
        detail={"sections": sorted(data["sections"]), "errors": sorted(data["errors"])},
        ip=ip,
    )
    return data


def user_export_create(*, user: User, ip: str | None = None) -> dict:
    data = exports.user_export_build(user=user)
    audit_record(
        action="user.export",
        actor=user,
        object_type="accounts.User",
        object_id=str(user.uuid),
        detail={"errors": sorted(data["errors"])},
        ip=ip,
    )
    return data


@transaction.atomic
def business_close(*, membership: Membership, confirmation: str, ip: str | None = None) -> Business:
    """Owner closes the business: TERMINATED (sending stops at once), keys revoked.

    Its data stays until the closed-business retention rule purges it.
    """
    _require_owner(membership)
    business = membership.business
    if confirmation.strip().casefold() != business.display_name.strip().casefold():
        raise ValidationFailed(
            fields={"confirmation": [f'Type "{business.display_name}" exactly to confirm.']}
        )
    if business.vetting_status == Business.Vetting.TERMINATED:
        raise Conflict("This business is already closed.")
    business = business_set_vetting(
        business=business,
        to_status=Business.Vetting.TERMINATED,
        reason=CLOSE_REASON,
        actor=membership.user,
        ip=ip,
    )
    for key in ApiKey.objects.filter(business=business, revoked_at__isnull=True):
        api_key_revoke(key=key, actor=membership.user, ip=ip)
    Invitation.objects.filter(
        business=business, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    recipients = list(
        Membership.objects.filter(business=business).values_list("user__email", flat=True)
    )
    days = settings.RETENTION_CLOSED_BUSINESS_DAYS
    body = (
        f"{membership.user.get_full_name()} closed {business.display_name} on Contact Your "
        f"Client. Sending has stopped and API keys no longer work.\n\nThe business's data is "
        f"kept for {days} days (consent records must be kept five years), then anonymised. "
        f"An owner can export it until then under Business data."
    )
    transaction.on_commit(
        lambda: send_mail(
            subject=f"{business.display_name} was closed",
            message=body,
            from_email=None,
            recipient_list=recipients,
        )
    )
    audit_record(
        action="business.close",
        obj=business,
        actor=membership.user,
        business=business,
        detail={"purge_after_days": settings.RETENTION_CLOSED_BUSINESS_DAYS},
        ip=ip,
    )
    return business


# --- the usage log (non-personal information, with performance consent) -------------------


def usage_log_record(
    *, user: User, business: Business | None, path: str, user_agent: str, ip: str | None
) -> UsageLogEntry:
    ua = user_agent_summary(user_agent)
    return UsageLogEntry.objects.create(
        user=user,
        business=business,
        path=path[:300],
        browser=ua["browser"][:60],
        os=ua["os"][:60],
        device=ua["device"][:20],
        ip_truncated=ip_truncate(ip),
    )


# --- retention rules of the accounts app --------------------------------------------------


def usage_log_purge(*, now: datetime, dry_run: bool) -> dict:
    """Usage log entries older than RETENTION_USAGE_LOG_DAYS are deleted."""
    cutoff = now - timedelta(days=settings.RETENTION_USAGE_LOG_DAYS)
    old = UsageLogEntry.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return {"usage_log_entries": old.count()}
    return {"usage_log_entries": old.delete()[0]}


def closed_businesses_purge(*, now: datetime, dry_run: bool) -> dict:
    """Businesses closed longer than RETENTION_CLOSED_BUSINESS_DAYS are anonymised.

    The row stays (the consent ledger and audit trail point at it), renamed; members,
    invitations and API keys are removed. Other apps purge their own rows for it.
    """
    cutoff = now - timedelta(days=settings.RETENTION_CLOSED_BUSINESS_DAYS)
    due = Business.objects.filter(
        vetting_status=Business.Vetting.TERMINATED,
        vetting_changed_at__lt=cutoff,
        data_purged_at__isnull=True,
    )
    counts = {"businesses": 0, "memberships": 0, "invitations": 0, "api_keys": 0}
    for business in due.select_for_update():
        counts["businesses"] += 1
        members = Membership.objects.filter(business=business)
        invitations = Invitation.objects.filter(business=business)
        keys = ApiKey.objects.filter(business=business)
        if dry_run:
            counts["memberships"] += members.count()
            counts["invitations"] += invitations.count()
            counts["api_keys"] += keys.count()
            continue
        counts["memberships"] += members.delete()[0]
        counts["invitations"] += invitations.delete()[0]
        counts["api_keys"] += keys.delete()[0]
        label = f"Closed business {str(business.uuid)[:8]}"
        business.legal_name = label
        business.display_name = label
        business.website = "https://closed.invalid"
        business.brand_domains = []
        business.industry = ""
        business.industry_description = ""
        business.data_purged_at = now
        business.save()
        audit_record(
            action="business.purge",
            obj=business,
            business=business,
            detail={
                "rule": "closed business retention",
                "days": settings.RETENTION_CLOSED_BUSINESS_DAYS,
            },
        )
    return counts
