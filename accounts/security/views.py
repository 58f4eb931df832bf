"""Portal pages of the second factor: its status, set-up (QR code and otpauth URL, confirmed
by a typed code), the code asked after the password, recovery codes, and an owner's rule
for the team. Thin: they call accounts.security.services."""

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.client_ip import client_ip
from accounts.errors import ApplicationError
from accounts.roles import Cap, role_can
from accounts.tenancy import TenantMixin, signed_in_user
from consent import ratelimit

from . import services

logger = logging.getLogger(__name__)


def _needs_code(request) -> bool:
    """Has a second factor, but this session has not typed a code yet."""
    return services.has_second_factor(user=request.user) and not request.user.is_verified()


class SecurityView(LoginRequiredMixin, View):
    """GET /app/security/: on or off, and the team's rule for an owner."""

    def get(self, request):
        if _needs_code(request):
            return redirect("portal:second-factor-verify")
        membership = request.membership
        return render(
            request,
            "accounts/security/status.html",
            {
                "enabled": services.has_second_factor(user=request.user),
                "can_require": membership is not None
                and role_can(membership.role, Cap.MANAGE_BUSINESS),
                "required": services.business_requires_second_factor(business=request.business),
            },
        )


class SetupView(LoginRequiredMixin, View):
    """GET shows a new secret as a QR code and as text; POST confirms it with a code."""

    def get(self, request):
        if _needs_code(request):
            return redirect("portal:second-factor-verify")
        device = services.totp_setup_start(user=signed_in_user(request))
        return self._page(request, device)

    def _page(self, request, device, error: str = "", status: int = 200):
        return render(
            request,
            "accounts/security/setup.html",
            {
                "url": device.config_url,
                "secret": device.config_url.split("secret=", 1)[1].split("&", 1)[0],
                "qr": services.qr_svg(device.config_url),
                "error": error,
                "required": services.business_requires_second_factor(business=request.business),
            },
            status=status,
        )

    def post(self, request):
        if _needs_code(request):
            return redirect("portal:second-factor-verify")
        user = signed_in_user(request)
        try:
            codes = services.totp_setup_confirm(
                user=user,
                token=request.POST.get("token", ""),
                request=request,
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            device = services.totp_pending(user=user) or services.totp_setup_start(user=user)
            error = next(iter(exc.fields.values()), [exc.message])[0]
            return self._page(request, device, error=error, status=400)
        return render(request, "accounts/security/recovery_codes.html", {"codes": codes})


class VerifyView(LoginRequiredMixin, View):
    """The code after the password (from the app, or a recovery code)."""

    def _next(self, request) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return target
        return "/app/"

    def get(self, request):
        if not _needs_code(request):
            return redirect(self._next(request))
        return render(request, "accounts/security/verify.html", {"next": self._next(request)})

    def post(self, request):
        user = signed_in_user(request)
        token = request.POST.get("token", "")
        if services.second_factor_verify(request=request, user=user, token=token):
            return redirect(self._next(request))
        return render(
            request,
            "accounts/security/verify.html",
            {"next": self._next(request), "error": "That code is not right. Try again."},
            status=400,
        )


class RecoveryCodesView(LoginRequiredMixin, View):
    """POST: new recovery codes (the old ones stop working)."""

    def post(self, request):
        if _needs_code(request) or not services.has_second_factor(user=request.user):
            return redirect("portal:second-factor")
        codes = services.recovery_codes_regenerate(user=request.user, ip=client_ip(request))
        return render(request, "accounts/security/recovery_codes.html", {"codes": codes})


class DisableView(LoginRequiredMixin, View):
    def post(self, request):
        if _needs_code(request):
            return redirect("portal:second-factor-verify")
        services.second_factor_disable(user=signed_in_user(request), ip=client_ip(request))
        return redirect("portal:second-factor")


class TeamRequirementView(TenantMixin, View):
    """POST (owner): require a second factor of every member, or stop requiring it."""

    required_cap = Cap.MANAGE_BUSINESS

    def post(self, request):
        services.business_set_second_factor_required(
            business=self.business,
            required=request.POST.get("required") == "on",
            actor=signed_in_user(request),
            ip=client_ip(request),
        )
        return redirect("portal:second-factor")


class PasswordResetView(auth_views.PasswordResetView):
    """/accounts/password/reset/ with a limit per typed email and per client IP
    (PASSWORD_RESET_RATE_PER_EMAIL, PASSWORD_RESET_RATE_PER_IP), so nobody can flood a
    user's inbox with reset emails. Over a limit the page answers exactly as usual (it never
    says whether an address has an account) but sends nothing."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        # both windows count every attempt, so a refused one still uses up the other's allowance
        ip_ok = ratelimit.hit(
            f"pwreset:ip:{client_ip(self.request)}", settings.PASSWORD_RESET_RATE_PER_IP
        )
        email_ok = ratelimit.hit(f"pwreset:email:{email}", settings.PASSWORD_RESET_RATE_PER_EMAIL)
        if not (ip_ok and email_ok):
            logger.info("password reset over the rate limit from %s", client_ip(self.request))
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
