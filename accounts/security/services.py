"""Second factor of business users: a TOTP device (django-otp) with recovery codes (its
static tokens, each good once), and a business's rule that every member has one."""

import io

import segno
from django.core.cache import cache
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.errors import ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from .models import SecondFactorRequirement

RECOVERY_CODES = 10
DEVICE_NAME = "Authenticator app"


# Asked on every portal request: answered from the cache (no query counted against a
# page), forgotten by every write below.
CACHE_TTL = 3600


def _user_key(user_id) -> str:
    return f"second-factor:user:{user_id}"


def _forget_user(user: User) -> None:
    # now, and again after commit (a request may have cached the old answer in between)
    cache.delete(_user_key(user.pk))
    transaction.on_commit(lambda: cache.delete(_user_key(user.pk)))


def _business_key(business_id) -> str:
    return f"second-factor:business:{business_id}"


def has_second_factor(*, user: User) -> bool:
    found = cache.get(_user_key(user.pk))
    if found is None:
        found = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        cache.set(_user_key(user.pk), found, CACHE_TTL)
    return bool(found)


def business_requires_second_factor(*, business: Business | None) -> bool:
    if business is None:
        return False
    found = cache.get(_business_key(business.pk))
    if found is None:
        found = SecondFactorRequirement.objects.filter(business=business).exists()
        cache.set(_business_key(business.pk), found, CACHE_TTL)
    return bool(found)


def totp_setup_start(*, user: User) -> TOTPDevice:
    """A new unconfirmed device (replacing an earlier unconfirmed one); it counts only once a
    code from it is typed back (``totp_setup_confirm``)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_pending(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def qr_svg(url: str) -> str:
    """The otpauth URL as an inline SVG QR code (drawn here: no outside service)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False, light="#fff")
    return out.getvalue().decode()


def _codes(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def totp_setup_confirm(*, user: User, token: str, request=None, ip: str | None = None) -> list[str]:
    """Confirm the pending device with a code from it; returns the recovery codes (shown
    once). With ``request`` the session counts as verified."""
    device = totp_pending(user=user)
    if device is None:
        raise ValidationFailed("Start the set-up again.", fields={"token": ["No set-up pending."]})
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise ValidationFailed(
            "That code is not right.", fields={"token": ["Type the 6-digit code the app shows."]}
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _codes(user=user)
    _forget_user(user)
    if request is not None:
        otp_login(request, device)
    audit_record(action="user.second_factor_on", obj=user, actor=user, ip=ip)
    return codes


def recovery_codes_regenerate(*, user: User, ip: str | None = None) -> list[str]:
    codes = _codes(user=user)
    audit_record(action="user.recovery_codes_new", obj=user, actor=user, ip=ip)
    return codes


def second_factor_verify(*, request, user: User, token: str) -> bool:
    """Check a code from the app or a recovery code; on success the session is verified
    (a recovery code is used up)."""
    token = (token or "").strip().replace(" ", "")
    if not token:
        return False
    # a 6-digit code is the app's, anything else a recovery code: a miss throttles (django-otp)
    # only the device it was meant for
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        with transaction.atomic():
            if device.verify_is_allowed()[0] and device.verify_token(token):
                otp_login(request, device)
                return True
    return False


@transaction.atomic
def second_factor_disable(*, user: User, ip: str | None = None) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _forget_user(user)
    audit_record(action="user.second_factor_off", obj=user, actor=user, ip=ip)


def business_set_second_factor_required(
    *, business: Business, required: bool, actor: User, ip: str | None = None
) -> None:
    if required:
        SecondFactorRequirement.objects.get_or_create(business=business, defaults={"set_by": actor})
    else:
        SecondFactorRequirement.objects.filter(business=business).delete()
    cache.delete(_business_key(business.pk))
    audit_record(
        action="business.second_factor_required" if required else "business.second_factor_optional",
        obj=business,
        actor=actor,
        business=business,
        ip=ip,
    )
