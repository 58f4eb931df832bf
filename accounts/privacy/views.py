"""Privacy pages: cookie settings (public), my account and its data rights, a business's
export and closing. Thin: they call services, selectors and cookies."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from accounts import selectors
from accounts.errors import ApplicationError, NotFound
from accounts.roles import Cap
from accounts.tenancy import TenantMixin, client_ip, signed_in_user

from . import cookies, exports
from . import selectors as privacy_selectors
from . import services as privacy
from .forms import (
    CloseBusinessForm,
    CookieChoiceForm,
    DeleteAccountForm,
    EmailChangeForm,
    MarketingForm,
    ProfileForm,
)
from .models import UsageLogEntry


def _form_errors_from(exc: ApplicationError, form) -> None:
    for name, errors in exc.fields.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def _safe_next(request, value: str | None, default: str = "/") -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


def _json_download(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- cookies (public) ---------------------------------------------------------------------


class CookieSettingsView(TemplateView):
    """The cookie policy in practice: what we set, and the choice, changeable any time."""

    template_name = "cookies/settings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        choice = cookies.current_choice(self.request)
        initial: dict[str, bool | str] = {
            c: bool(choice and choice.allows(c)) for c in cookies.OPTIONAL
        }
        initial["next"] = _safe_next(self.request, self.request.GET.get("next"), self.request.path)
        context["form"] = kwargs.get("form") or CookieChoiceForm(initial=initial)
        context["choice"] = choice
        context["choice_summary"] = [
            (cookies.CATEGORIES[c]["label"], bool(choice and choice.allows(c)))
            for c in cookies.OPTIONAL
        ]
        context["policy_version"] = cookies.policy_version()
        context["cookies"] = cookies.registered_cookies()
        context["categories"] = cookies.CATEGORIES
        return context


class CookieConsentView(View):
    """POST only: records the choice (essential cookie + CookieConsentRecord)."""

    def post(self, request):
        if cookies.consent_rate_exceeded(request):
            return HttpResponse(
                "Too many cookie choices from this network; try again in an hour.",
                status=429,
                content_type="text/plain",
            )
        form = CookieChoiceForm(request.POST)
        if not form.is_valid():
            view = CookieSettingsView(request=request)
            return render(request, view.template_name, view.get_context_data(form=form), status=400)
        target = _safe_next(request, form.cleaned_data.get("next"), "/")
        response = redirect(target)
        cookies.cookie_consent_record(
            request=request,
            response=response,
            method=form.cleaned_data["action"],
            choices={c: form.cleaned_data.get(c, False) for c in cookies.OPTIONAL},
        )
        messages.success(
            request, "Your cookie choice is saved. Change it any time from Cookie settings."
        )
        return response


# --- email links (public: the token is the key) -------------------------------------------


class EmailChangeConfirmView(View):
    template_name = "accounts/privacy/email_confirm.html"

    def get(self, request, token):
        return render(request, self.template_name, {"token": token})

    def post(self, request, token):
        try:
            user = privacy.user_email_change_confirm(token=token, ip=client_ip(request))
        except ApplicationError as exc:
            return render(
                request, self.template_name, {"token": token, "error": exc.message}, status=400
            )
        messages.success(request, f"Your email address is now {user.email}.")
        return redirect("portal:my-account" if request.user.is_authenticated else "login")


@method_decorator(csrf_exempt, name="dispatch")  # RFC 8058 one-click: mail clients POST bare
class MarketingUnsubscribeView(View):
    template_name = "accounts/privacy/unsubscribe.html"

    def _user(self, token):
        try:
            return privacy.user_for_unsubscribe_token(token=token)
        except NotFound:
            return None

    def get(self, request, token):
        user = self._user(token)
        status = 200 if user else 404
        return render(request, self.template_name, {"user_found": user is not None}, status=status)

    def post(self, request, token):
        user = self._user(token)
        if user is None:
            return render(request, self.template_name, {"user_found": False}, status=404)
        privacy.user_marketing_set(
            user=user, opt_out=True, via="unsubscribe_link", ip=client_ip(request)
        )
        return render(request, self.template_name, {"user_found": True, "done": True})


# --- my account (any logged-in person, with or without a business) ------------------------


class MyAccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/privacy/my_account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = signed_in_user(self.request)
        context["profile_form"] = kwargs.get("profile_form") or ProfileForm(
            initial={"full_name": user.full_name}
        )
        context["email_form"] = kwargs.get("email_form") or EmailChangeForm(prefix="email")
        context["marketing_form"] = MarketingForm(
            initial={"marketing_email": not user.marketing_email_opt_out}, prefix="mkt"
        )
        context["memberships"] = selectors.memberships_for_user(user=user)
        context["cookie_choice"] = cookies.current_choice(self.request)
        context["cookie_records"] = user.cookie_consents.all()[:5]
        usage = UsageLogEntry.objects.filter(user=user)
        context["usage_count"] = usage.count()
        context["usage_recent"] = usage.order_by("-created_at", "-id")[:10]
        context["usage_days"] = settings.RETENTION_USAGE_LOG_DAYS
        context["usage_allowed"] = cookies.consent_allows(self.request, cookies.PERFORMANCE)
        return context

    def post(self, request):
        form = ProfileForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(profile_form=form), status=400)
        privacy.user_profile_update(
            user=request.user, full_name=form.cleaned_data["full_name"], ip=client_ip(request)
        )
        messages.success(request, "Your name is saved.")
        return redirect("portal:my-account")


class EmailChangeView(MyAccountView):
    def post(self, request):
        form = EmailChangeForm(request.POST, prefix="email")
        if form.is_valid():
            try:
                privacy.user_email_change_request(
                    user=request.user,
                    new_email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(
                    request,
                    f"We sent a confirmation link to {form.cleaned_data['email']}. Your "
                    f"address changes when you open it.",
                )
                return redirect("portal:my-account")
        return self.render_to_response(self.get_context_data(email_form=form), status=400)


class MarketingPreferenceView(LoginRequiredMixin, View):
    def post(self, request):
        form = MarketingForm(request.POST, prefix="mkt")
        form.is_valid()  # a single optional checkbox: always valid
        wants = form.cleaned_data.get("marketing_email", False)
        privacy.user_marketing_set(
            user=request.user, opt_out=not wants, via="account", ip=client_ip(request)
        )
        messages.success(
            request,
            "You will get our news and offers by email."
            if wants
            else "You will not get marketing email from us.",
        )
        return redirect("portal:my-account")


class AccountExportView(LoginRequiredMixin, View):
    def post(self, request):
        data = privacy.user_export_create(user=request.user, ip=client_ip(request))
        return _json_download(data, f"my-data-{timezone.now():%Y%m%d}.json")


class AccountDeleteView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/privacy/delete_account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or DeleteAccountForm()
        context["blocking"] = privacy_selectors.businesses_blocking_erasure(
            user=signed_in_user(self.request)
        )
        return context

    def post(self, request):
        form = DeleteAccountForm(request.POST)
        if form.is_valid():
            if not request.user.check_password(form.cleaned_data["password"]):
                form.add_error("password", "That is not your password.")
            else:
                try:
                    privacy.user_erase(
                        user=request.user,
                        actor=request.user,
                        reason="deleted by the account holder",
                        ip=client_ip(request),
                    )
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    logout(request)
                    messages.success(request, "Your account is deleted. Goodbye.")
                    return redirect("home")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- a business owner: export everything, close the business ------------------------------


class BusinessDataView(TenantMixin, TemplateView):
    template_name = "accounts/privacy/business_data.html"
    required_cap = Cap.MANAGE_BUSINESS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sections"] = exports.business_sections()
        context["form"] = kwargs.get("form") or CloseBusinessForm()
        context["purge_days"] = settings.RETENTION_CLOSED_BUSINESS_DAYS
        return context


class BusinessExportView(TenantMixin, View):
    required_cap = Cap.MANAGE_BUSINESS

    def post(self, request):
        data = privacy.business_export_create(membership=self.membership, ip=client_ip(request))
        return _json_download(data, f"business-{self.business.uuid}-{timezone.now():%Y%m%d}.json")


class BusinessCloseView(BusinessDataView):
    def post(self, request):
        form = CloseBusinessForm(request.POST)
        if form.is_valid():
            try:
                privacy.business_close(
                    membership=self.membership,
                    confirmation=form.cleaned_data["confirmation"],
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(
                    request, "The business is closed: sending stopped and API keys are revoked."
                )
                return redirect("portal:business-data")
        return self.render_to_response(self.get_context_data(form=form), status=400)
