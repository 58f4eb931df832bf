"""Every write of the accounts app: sign-up, vetting, team, API keys, the audit trail."""

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from . import hooks, selectors
from .errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from .models import (
    ApiKey,
    AuditEvent,
    Business,
    BusinessStatusChange,
    IdempotentRequest,
    Invitation,
    Membership,
    TwilioAccount,
    User,
)
from .roles import Cap, Role, role_can, role_can_grant

API_KEY_PREFIX = "cyc_"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- audit trail --------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    obj: Model | None = None,
    actor: User | None = None,
    business: Business | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append one event to the staff audit trail. Later apps call this for their actions."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=str(actor) if actor is not None and actor.is_authenticated else "system",
        business=business,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:255] if obj is not None else "",
        detail=detail or {},
        ip=ip,
    )


# --- sign-up and business -----------------------------------------------------------------


def domain_of(url: str) -> str:
    host = (urlparse(url if "://" in url else f"https://{url}").hostname or "").lower()
    return host.removeprefix("www.")


@transaction.atomic
def business_signup(
    *,
    email: str,
    password: str,
    full_name: str,
    legal_name: str,
    display_name: str,
    website: str,
    industry: str = "",
    industry_description: str,
    time_zone: str = "America/New_York",
    ip: str | None = None,
) -> tuple[User, Business]:
    """Create a person, their business (PENDING_REVIEW) and the owner membership."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(fields={"email": ["An account with this email already exists."]})
    user = User.objects.create_user(email=email, password=password, full_name=full_name)
    domain = domain_of(website)
    business = Business.objects.create(
        legal_name=legal_name,
        display_name=display_name or legal_name,
        website=website,
        brand_domains=[domain] if domain else [],
        industry=industry,
        industry_description=industry_description,
        time_zone=time_zone,
    )
    Membership.objects.create(business=business, user=user, role=Role.OWNER)
    audit_record(action="business.signup", obj=business, actor=user, business=business, ip=ip)
    return user, business


ALLOWED_VETTING = {
    Business.Vetting.PENDING_REVIEW: {
        Business.Vetting.APPROVED,
        Business.Vetting.TERMINATED,
        Business.Vetting.SUSPENDED,
    },
    Business.Vetting.APPROVED: {Business.Vetting.SUSPENDED, Business.Vetting.TERMINATED},
    Business.Vetting.SUSPENDED: {Business.Vetting.APPROVED, Business.Vetting.TERMINATED},
    Business.Vetting.TERMINATED: set(),
}


@transaction.atomic
def business_set_vetting(
    *,
    business: Business,
    to_status: str,
    reason: str,
    actor: User | None,
    ip: str | None = None,
) -> Business:
    """Move a business through its vetting states; every move is recorded and audited."""
    business = Business.objects.select_for_update().get(pk=business.pk)
    from_status = business.vetting_status
    if to_status not in ALLOWED_VETTING[Business.Vetting(from_status)]:
        raise Conflict(
            f"A business that is {from_status} cannot become {to_status}.",
            detail={"from": from_status, "to": to_status},
        )
    if to_status != Business.Vetting.APPROVED and not reason.strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    business.vetting_status = to_status
    business.vetting_reason = reason
    business.vetting_changed_at = timezone.now()
    business.save(update_fields=["vetting_status", "vetting_reason", "vetting_changed_at"])
    BusinessStatusChange.objects.create(
        business=business, from_status=from_status, to_status=to_status, reason=reason, actor=actor
    )
    audit_record(
        action=f"business.vetting.{to_status.lower()}",
        obj=business,
        actor=actor,
        business=business,
        detail={"from": from_status, "to": to_status, "reason": reason},
        ip=ip,
    )
    hooks.vetting_changed.send(
        business=business, from_status=from_status, to_status=to_status, reason=reason
    )
    notice = _vetting_notice(business=business, from_status=from_status, reason=reason)
    # an owner closing their own business gets the closing email (accounts.privacy) instead
    self_service = (
        actor is not None and Membership.objects.filter(business=business, user=actor).exists()
    )
    if notice and not self_service:
        owners = list(
            Membership.objects.filter(business=business, role=Role.OWNER).values_list(
                "user__email", flat=True
            )
        )
        subject, body = notice
        transaction.on_commit(
            lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=owners)
        )
    return business


def _vetting_notice(*, business: Business, from_status: str, reason: str) -> tuple[str, str] | None:
    """The email telling the owners what the compliance team decided (subject, body)."""
    name = business.display_name
    dashboard = settings.SITE_URL + reverse("portal:dashboard")
    why = f"\n\nThe reason given: {reason.strip()}" if reason.strip() else ""
    status = business.vetting_status
    if status == Business.Vetting.APPROVED:
        verb = "reinstated" if from_status == Business.Vetting.SUSPENDED else "approved"
        return (
            f"{name} is {verb} on Contact Your Client",
            f"Our compliance team {verb} {name}. Once your campaign is approved and a number "
            f"is on it, you can send texts.{why}\n\nYour dashboard: {dashboard}",
        )
    if status == Business.Vetting.SUSPENDED:
        return (
            f"Sending is suspended for {name}",
            f"Our compliance team suspended sending for {name}; nothing is sent until it is "
            f"reinstated.{why}\n\nTo discuss it, answer this email or write to support.",
        )
    if status == Business.Vetting.TERMINATED:
        refused = from_status == Business.Vetting.PENDING_REVIEW
        return (
            f"{name} was {'not approved' if refused else 'closed'} on Contact Your Client",
            f"Our compliance team {'could not approve' if refused else 'closed'} {name}: "
            f"it cannot send texts through Contact Your Client.{why}\n\n"
            f"To discuss it, answer this email or write to support.",
        )
    return None


@transaction.atomic
def business_update_profile(
    *, business: Business, actor: User, ip: str | None = None, **fields: Any
) -> Business:
    editable = {"display_name", "website", "brand_domains", "time_zone", "industry_description"}
    unknown = set(fields) - editable
    if unknown:
        raise ValidationFailed(fields={f: ["This field cannot be changed here."] for f in unknown})
    for name, value in fields.items():
        setattr(business, name, value)
    business.save(update_fields=list(fields))
    audit_record(
        action="business.update",
        obj=business,
        actor=actor,
        business=business,
        detail={"fields": sorted(fields)},
        ip=ip,
    )
    return business


# --- team ---------------------------------------------------------------------------------


def _require(membership: Membership, cap: Cap) -> None:
    if not role_can(membership.role, cap):
        raise PermissionDenied()


@transaction.atomic
def invitation_create(
    *, business: Business, email: str, role: str, invited_by: Membership, ip: str | None = None
) -> tuple[Invitation, str]:
    """Create an invitation and email its link. Returns the invitation and the raw token."""
    _require(invited_by, Cap.MANAGE_TEAM)
    if not role_can_grant(invited_by.role, role):
        raise PermissionDenied("Only an owner can invite another owner.")
    email = email.strip().lower()
    if Membership.objects.filter(business=business, user__email__iexact=email).exists():
        raise ValidationFailed(fields={"email": ["This person is already a member."]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        business=business,
        email=email,
        role=role,
        token_hash=_sha256(token),
        invited_by=invited_by.user,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    link = settings.SITE_URL + reverse("invitation-accept", kwargs={"token": token})
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {business.display_name} on Contact Your Client",
            message=(
                f"{invited_by.user.get_full_name()} invited you to join {business.display_name} "
                f"as {role}.\n\nAccept the invitation: {link}\n\n"
                f"The link expires in {settings.INVITATION_TTL.days} days."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    audit_record(
        action="invitation.create",
        obj=invitation,
        actor=invited_by.user,
        business=business,
        detail={"email": email, "role": role},
        ip=ip,
    )
    return invitation, token


def invitation_get_open(*, token: str) -> Invitation:
    try:
        invitation = Invitation.objects.select_related("business").get(token_hash=_sha256(token))
    except Invitation.DoesNotExist:
        raise NotFound("This invitation link is not valid.") from None
    if not invitation.is_open:
        raise NotFound("This invitation has expired or was already used.")
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    password: str | None = None,
    full_name: str = "",
    ip: str | None = None,
) -> Membership:
    """Accept an invitation as a logged-in user, or create the account on the way."""
    invitation = invitation_get_open(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationFailed(
                "An account with this email exists: log in first, then open the link again."
            )
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name
        )
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied("This invitation was sent to another email address.")
    membership, _ = Membership.objects.get_or_create(
        business=invitation.business, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        action="invitation.accept", obj=invitation, actor=user, business=invitation.business, ip=ip
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: Membership, ip: str | None = None) -> None:
    _require(by, Cap.MANAGE_TEAM)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        action="invitation.revoke",
        obj=invitation,
        actor=by.user,
        business=invitation.business,
        ip=ip,
    )


def _owner_count(business: Business) -> int:
    return Membership.objects.filter(business=business, role=Role.OWNER).count()


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, by: Membership, ip: str | None = None
) -> Membership:
    _require(by, Cap.MANAGE_TEAM)
    Membership.objects.select_for_update().filter(business=membership.business).exists()
    touches_owner = Role.OWNER in (Role(membership.role), Role(role))
    if touches_owner and by.role != Role.OWNER:
        raise PermissionDenied("Only an owner can make or unmake an owner.")
    if not role_can_grant(by.role, role):
        raise PermissionDenied()
    if (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and _owner_count(membership.business) == 1
    ):
        raise Conflict("A business needs at least one owner: make someone else owner first.")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.role",
        obj=membership,
        actor=by.user,
        business=membership.business,
        detail={"from": old, "to": role},
        ip=ip,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: Membership, ip: str | None = None) -> None:
    if membership.pk != by.pk:
        _require(by, Cap.MANAGE_TEAM)
        if membership.role == Role.OWNER and by.role != Role.OWNER:
            raise PermissionDenied("Only an owner can remove an owner.")
    if membership.role == Role.OWNER and _owner_count(membership.business) == 1:
        raise Conflict("A business needs at least one owner: make someone else owner first.")
    audit_record(
        action="membership.remove",
        obj=membership,
        actor=by.user,
        business=membership.business,
        detail={"email": membership.user.email},
        ip=ip,
    )
    membership.delete()


# --- API keys -----------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *,
    business: Business,
    name: str,
    role: str,
    by: Membership,
    ip: str | None = None,
    twilio: bool = False,
) -> tuple[ApiKey, str]:
    """Create a key; the full secret is returned once and never stored.

    ``twilio=True`` makes a Twilio-style pair for the Twilio-compatible API: the key's
    ``sid`` ("SK" + 32 hex) is the HTTP Basic user name and the returned secret the
    password. Same role rules, same hashing, same revocation."""
    _require(by, Cap.MANAGE_API_KEYS)
    if role == Role.OWNER or not role_can_grant(by.role, role):
        raise ValidationFailed(fields={"role": ["API keys can have at most the admin role."]})
    if not name.strip():
        raise ValidationFailed(fields={"name": ["Give the key a name."]})
    sid = None
    if twilio:
        sid = f"{TWILIO_KEY_SID_PREFIX}{secrets.token_hex(16)}"
        prefix = sid[:10]
        secret = secrets.token_urlsafe(32)
    else:
        prefix = secrets.token_hex(4)
        secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        business=business,
        name=name.strip(),
        role=role,
        prefix=prefix,
        sid=sid,
        key_hash=_sha256(secret),
        created_by=by.user,
    )
    audit_record(
        action="api_key.create",
        obj=key,
        actor=by.user,
        business=business,
        detail={"prefix": prefix, "role": role, **({"sid": sid} if sid else {})},
        ip=ip,
    )
    return key, secret


@transaction.atomic
def api_key_revoke(
    *, key: ApiKey, actor: User | None, ip: str | None = None, by: Membership | None = None
) -> ApiKey:
    if by is not None:
        _require(by, Cap.MANAGE_API_KEYS)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            action="api_key.revoke",
            obj=key,
            actor=actor,
            business=key.business,
            detail={"prefix": key.prefix},
            ip=ip,
        )
    return key


LAST_USED_GRANULARITY = timedelta(minutes=1)


def api_key_authenticate(
    *, secret: str, read: Callable[..., ApiKey | None] = selectors.api_key_for_prefix
) -> ApiKey | None:
    """The active key for a presented secret, or None. Compares hashes in constant time.
    ``read(prefix=...)`` finds the key with its business by prefix (revoked or not): a
    caller may read more in the same statement (the send API: its contact and number)."""
    if not secret.startswith(API_KEY_PREFIX):
        return None
    prefix = secret[len(API_KEY_PREFIX) :].split("_", 1)[0]
    key = read(prefix=prefix)
    if key is None or key.revoked_at is not None:
        return None
    if not secrets.compare_digest(key.key_hash, _sha256(secret)):
        return None
    now = timezone.now()
    # Record use at most once a minute: a write per request would tax the hot API path.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- Twilio-style credentials (the Twilio-compatible API, messaging/twilio_api) -----------------

TWILIO_ACCOUNT_SID_PREFIX = "AC"
TWILIO_KEY_SID_PREFIX = "SK"


def twilio_account_sid(business: Business) -> str:
    """The business's account SID: "AC" + the 32 hex digits of its uuid."""
    return f"{TWILIO_ACCOUNT_SID_PREFIX}{business.uuid.hex}"


@transaction.atomic
def twilio_account_rotate_token(
    *, business: Business, by: Membership, ip: str | None = None
) -> tuple[TwilioAccount, str]:
    """Create the business's Twilio-style account, or give it a new auth token (the old one
    stops working at once). The token is returned to be shown once."""
    _require(by, Cap.MANAGE_API_KEYS)
    token = secrets.token_hex(16)  # Twilio's auth tokens are 32 hex digits
    now = timezone.now()
    account, created = TwilioAccount.objects.select_for_update().get_or_create(
        business=business,
        defaults={"account_sid": twilio_account_sid(business), "auth_token": token},
    )
    if not created:
        account.auth_token = token
        account.token_rotated_at = now
        account.save(update_fields=["auth_token", "token_rotated_at"])
    audit_record(
        action="twilio_account.create" if created else "twilio_account.rotate_token",
        obj=account,
        actor=by.user,
        business=business,
        detail={"account_sid": account.account_sid},
        ip=ip,
    )
    return account, token


def twilio_account_set_inbound_url(
    *, account: TwilioAccount, url: str, by: Membership, ip: str | None = None
) -> TwilioAccount:
    """Where inbound texts are forwarded (empty: nowhere). The caller has checked that the
    URL may receive them (messaging.tenant_webhooks.webhook_url_check)."""
    _require(by, Cap.MANAGE_API_KEYS)
    account.inbound_url = url.strip()
    account.save(update_fields=["inbound_url"])
    audit_record(
        action="twilio_account.inbound_url",
        obj=account,
        actor=by.user,
        business=account.business,
        detail={"inbound_url": account.inbound_url},
        ip=ip,
    )
    return account


def twilio_authenticate(*, username: str, password: str) -> tuple[Business, str, str] | None:
    """HTTP Basic as Twilio takes it: account SID + auth token (the admin role) or API key
    SID + secret (the key's role). Returns (business, role, a label for throttling and
    logs), or None. Compares in constant time."""
    if username.startswith(TWILIO_KEY_SID_PREFIX):
        key = ApiKey.objects.select_related("business").filter(sid=username).first()
        if key is None or key.revoked_at is not None:
            return None
        if not secrets.compare_digest(key.key_hash, _sha256(password)):
            return None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.business, key.role, key.prefix
    if username.startswith(TWILIO_ACCOUNT_SID_PREFIX):
        account = TwilioAccount.objects.select_related("business").filter(account_sid=username)
        found = account.first()
        if found is None or not secrets.compare_digest(
            found.auth_token.encode(), password.encode()
        ):
            return None
        return found.business, Role.ADMIN.value, found.account_sid[:10]
    return None


# --- idempotency keys of the API (accounts.api.idempotency) -------------------------------------


def idempotent_request_claim(
    *, business: Business, key: str, operation: str, fingerprint: str
) -> IdempotentRequest:
    """Take ``key`` for a create request; raises IntegrityError when it is taken (a
    concurrent twin's insert makes this one wait until the twin's transaction ends)."""
    with transaction.atomic():
        return IdempotentRequest.objects.create(
            business=business,
            key=key,
            operation=operation,
            fingerprint=fingerprint,
            response_status=0,
        )


def idempotent_request_store(*, record: IdempotentRequest, status: int, body: Any) -> None:
    record.response_status = status
    record.response = json.loads(json.dumps(body, cls=DjangoJSONEncoder, default=str))
    record.save(update_fields=["response_status", "response"])


def idempotent_requests_purge(*, now, dry_run: bool) -> dict:
    """Stored answers older than IDEMPOTENCY_KEY_TTL_HOURS are deleted (a retention rule)."""
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    old = IdempotentRequest.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return {"idempotent_requests": old.count()}
    return {"idempotent_requests": old.delete()[0]}
