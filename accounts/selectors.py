"""Reads of the accounts app. Ids from requests are resolved here, scoped by business."""

from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet

from .db import columns, instance, read_health_checked, width
from .errors import NotFound
from .models import (
    ApiKey,
    AuditEvent,
    Business,
    IdempotentRequest,
    Invitation,
    Membership,
    TwilioAccount,
    User,
)

API_KEY_WHERE = "WHERE k.prefix = %s"


def api_key_for_prefix(*, prefix: str) -> ApiKey | None:
    """The key with ``prefix`` and its business (revoked or not: the caller decides), in
    one statement written once per process: every API request asks it, first (so it is
    the connection's health check too)."""

    def read():
        with connection.cursor() as cursor:
            cursor.execute(_api_key_sql(), [prefix])
            return cursor.fetchone()

    row = read_health_checked(read)
    return None if row is None else api_key_of(row)


@cache
def _api_key_sql() -> str:
    return f"SELECT {api_key_columns()} {api_key_from()} {API_KEY_WHERE}"


def api_key_columns() -> str:
    """The SELECT list of a key with its business (``api_key_of`` reads it), for a statement
    that reads more with it (``api_key_from``, more joins on ``k.business_id``)."""
    return f"{columns(ApiKey, 'k')}, {columns(Business, 'b')}"


@cache
def api_key_from() -> str:
    """FROM the key (alias ``k``) and its business (``b``); then the caller's joins, then
    ``API_KEY_WHERE`` (the prefix, the last parameter)."""
    quote = connection.ops.quote_name
    return (
        f"FROM {quote(ApiKey._meta.db_table)} k "
        f"JOIN {quote(Business._meta.db_table)} b ON b.id = k.business_id"
    )


def api_key_of(row) -> ApiKey:
    """The key with its business of the first ``api_key_columns`` values of ``row``."""
    key = instance(ApiKey, row[: width(ApiKey)])
    key.business = instance(Business, row[width(ApiKey) : api_key_width()])
    return key


def api_key_width() -> int:
    return width(ApiKey) + width(Business)


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("business")
        .order_by("business__display_name")
    )


def membership_for(*, user: User, business_uuid: str | None) -> Membership | None:
    """The user's membership in the chosen business, else their first one."""
    qs = memberships_for_user(user=user)
    if business_uuid:
        try:
            chosen = qs.filter(business__uuid=business_uuid).first()
        except ValidationError:  # not a UUID: no such business
            chosen = None
        if chosen is not None:
            return chosen
    return qs.first()


def membership_list(*, business: Business) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(business=business)
        .select_related("user")
        .order_by("created_at", "id")
    )


def membership_get(*, business: Business, membership_uuid) -> Membership:
    try:
        return Membership.objects.select_related("user", "business").get(
            business=business, uuid=membership_uuid
        )
    except (Membership.DoesNotExist, ValueError, ValidationError):
        raise NotFound() from None


def invitation_list_open(*, business: Business) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        business=business, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


def invitation_get(*, business: Business, invitation_uuid) -> Invitation:
    try:
        return Invitation.objects.get(business=business, uuid=invitation_uuid)
    except (Invitation.DoesNotExist, ValueError, ValidationError):
        raise NotFound() from None


def api_key_list(*, business: Business) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(business=business).select_related("created_by")


def api_key_get(*, business: Business, key_uuid) -> ApiKey:
    try:
        return ApiKey.objects.get(business=business, uuid=key_uuid)
    except (ApiKey.DoesNotExist, ValueError, ValidationError):
        raise NotFound() from None


def audit_list(*, business: Business) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(business=business).select_related("actor")


def twilio_account_for(*, business: Business) -> TwilioAccount | None:
    return TwilioAccount.objects.filter(business=business).first()


def idempotent_request_find(*, business: Business, idempotency_key: str, operation: str):
    """The stored answer to a create request made with ``idempotency_key``, or None
    (accounts.api.idempotency)."""
    return IdempotentRequest.objects.filter(
        business=business, key=idempotency_key, operation=operation
    ).first()
