"""Portal pages of the accounts app: sign-up, dashboard, team, API keys, business profile."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from messaging.tenant_webhooks import webhook_url_check

from . import selectors, services
from .errors import ApplicationError, NotFound
from .forms import (
    AcceptInvitationForm,
    ApiKeyForm,
    BusinessProfileForm,
    InviteForm,
    RoleForm,
    SignupForm,
    TwilioInboundForm,
)
from .middleware import SESSION_KEY
from .portal.readiness import steps_for
from .roles import ROLE_CAPS, Cap, Role
from .tenancy import TenantMixin, client_ip, signed_in_user


def _form_errors_from(exc: ApplicationError, form) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


class SignupView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("portal:dashboard")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        from policies import documents  # acceptance of the policies (interface layer)
        from policies import services as policies  # the sign-up gate (interface layer)

        data = form.cleaned_data
        name = "\n".join(n for n in (data["legal_name"], data["display_name"]) if n)
        screen = policies.business_screen(
            name=name, industry_description=data["industry_description"], website=data["website"]
        )
        if screen.decision == "block":
            # a website that is not the business's own is the website's error, and fixable
            site = [r for r in screen.reasons if r.rule_id.startswith("business.website")]
            for r in site:
                form.add_error("website", r.message)
            rest = [r for r in screen.reasons if r not in site and r.verdict == "block"]
            if rest or not site:
                form.add_error(
                    "industry_description",
                    "We cannot accept this business on our platform: "
                    + " ".join(r.message for r in rest or screen.reasons),
                )
            return self.form_invalid(form)
        try:
            with transaction.atomic():
                user, business = services.business_signup(
                    email=data["email"],
                    password=data["password"],
                    full_name=data["full_name"],
                    legal_name=data["legal_name"],
                    display_name=data["display_name"],
                    website=data["website"],
                    industry_description=data["industry_description"],
                    time_zone=data["time_zone"],
                    ip=client_ip(self.request),
                )
                # "review" leaves the business PENDING_REVIEW, flagged for staff with reasons
                policies.screening_record(
                    business=business,
                    name=name,
                    website=data["website"],
                    industry_description=data["industry_description"],
                    decision=screen,
                    actor=user,
                    ip=client_ip(self.request),
                )
                # the Terms, SMS policy and privacy policy versions the form linked to
                documents.acceptance_record_current(
                    user=user, business=business, method="signup", ip=client_ip(self.request)
                )
        except ApplicationError as exc:
            _form_errors_from(exc, form)
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        self.request.session[SESSION_KEY] = str(business.uuid)
        # no "account ready" message: the waiting-for-review banner (base.html) says it once
        return redirect("portal:dashboard")


class NoBusinessView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/no_business.html"


class DashboardView(TenantMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        steps = steps_for(self.business)
        context["steps"] = steps
        context["ready"] = all(s.done for s in steps if s.blocking)
        context["history"] = self.business.status_history.all()[:5]
        return context


class SwitchBusinessView(LoginRequiredMixin, View):
    def post(self, request):
        membership = selectors.membership_for(
            user=request.user, business_uuid=request.POST.get("business")
        )
        if membership is None or str(membership.business.uuid) != request.POST.get("business"):
            raise Http404
        request.session[SESSION_KEY] = str(membership.business.uuid)
        return redirect("portal:dashboard")


class TeamView(TenantMixin, TemplateView):
    template_name = "accounts/team.html"
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_TEAM

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = selectors.membership_list(business=self.business)
        context["invitations"] = selectors.invitation_list_open(business=self.business)
        context["invite_form"] = kwargs.get("invite_form") or InviteForm()
        context["roles"] = [(r.value, sorted(c.value for c in ROLE_CAPS[r])) for r in Role]
        return context

    def post(self, request):
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                services.invitation_create(
                    business=self.business,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=self.membership,
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("portal:team")
        return self.render_to_response(self.get_context_data(invite_form=form), status=400)


class MemberRoleView(TenantMixin, View):
    required_cap = Cap.MANAGE_TEAM

    def post(self, request, membership_uuid):
        member = selectors.membership_get(business=self.business, membership_uuid=membership_uuid)
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a role from the list.")
            return redirect("portal:team")
        try:
            services.membership_change_role(
                membership=member,
                role=form.cleaned_data["role"],
                by=self.membership,
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{member.user.email} is now {form.cleaned_data['role']}.")
        return redirect("portal:team")


class MemberRemoveView(TenantMixin, View):
    required_cap = Cap.MANAGE_TEAM

    def post(self, request, membership_uuid):
        member = selectors.membership_get(business=self.business, membership_uuid=membership_uuid)
        try:
            services.membership_remove(membership=member, by=self.membership, ip=client_ip(request))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{member.user.email} no longer has access.")
        return redirect("portal:team")


class InvitationRevokeView(TenantMixin, View):
    required_cap = Cap.MANAGE_TEAM

    def post(self, request, invitation_uuid):
        invitation = selectors.invitation_get(
            business=self.business, invitation_uuid=invitation_uuid
        )
        services.invitation_revoke(invitation=invitation, by=self.membership, ip=client_ip(request))
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
        return redirect("portal:team")


class InvitationAcceptView(View):
    template_name = "accounts/invitation_accept.html"

    def get(self, request, token):
        try:
            invitation = services.invitation_get_open(token=token)
        except NotFound as exc:
            return render(
                request, "accounts/invitation_invalid.html", {"message": exc.message}, status=404
            )
        return render(
            request, self.template_name, {"invitation": invitation, "form": AcceptInvitationForm()}
        )

    def post(self, request, token):
        try:
            invitation = services.invitation_get_open(token=token)
        except NotFound as exc:
            return render(
                request, "accounts/invitation_invalid.html", {"message": exc.message}, status=404
            )
        form = AcceptInvitationForm(request.POST) if not request.user.is_authenticated else None
        if form is not None and not form.is_valid():
            return render(
                request, self.template_name, {"invitation": invitation, "form": form}, status=400
            )
        try:
            membership = services.invitation_accept(
                token=token,
                user=request.user if request.user.is_authenticated else None,
                password=form.cleaned_data["password"] if form else None,
                full_name=form.cleaned_data["full_name"] if form else "",
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            if form is not None:
                form.add_error(None, exc.message)
            context = {
                "invitation": invitation,
                "form": form or AcceptInvitationForm(),
                "error": exc.message,
            }
            return render(request, self.template_name, context, status=400)
        if not request.user.is_authenticated:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = str(membership.business.uuid)
        messages.success(request, f"Welcome to {membership.business.display_name}.")
        return redirect("portal:dashboard")


class ApiKeysView(TenantMixin, TemplateView):
    template_name = "accounts/api_keys.html"
    required_cap = Cap.MANAGE_API_KEYS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["keys"] = selectors.api_key_list(business=self.business)
        context["form"] = kwargs.get("form") or ApiKeyForm()
        context["new_secret"] = self.request.session.pop("new_api_key_secret", None)
        context["new_sid"] = self.request.session.pop("new_api_key_sid", None)
        context["new_auth_token"] = self.request.session.pop("new_twilio_auth_token", None)
        context["twilio_account_sid"] = services.twilio_account_sid(self.business)
        context["twilio_account"] = selectors.twilio_account_for(business=self.business)
        context["inbound_form"] = kwargs.get("inbound_form") or TwilioInboundForm(
            initial={"inbound_url": getattr(context["twilio_account"], "inbound_url", "")}
        )
        return context

    def post(self, request):
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                key, secret = services.api_key_create(
                    business=self.business,
                    name=form.cleaned_data["name"],
                    role=form.cleaned_data["role"],
                    by=self.membership,
                    ip=client_ip(request),
                    twilio=form.cleaned_data["twilio"],
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                # Shown once, on the next page only (post/redirect/get), then gone.
                request.session["new_api_key_secret"] = secret
                if key.sid:
                    request.session["new_api_key_sid"] = key.sid
                return redirect("portal:api-keys")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ApiKeyRevokeView(TenantMixin, View):
    required_cap = Cap.MANAGE_API_KEYS

    def post(self, request, key_uuid):
        key = selectors.api_key_get(business=self.business, key_uuid=key_uuid)
        services.api_key_revoke(
            key=key, actor=request.user, by=self.membership, ip=client_ip(request)
        )
        messages.success(request, f"Key '{key.name}' revoked: it stops working at once.")
        return redirect("portal:api-keys")


class TwilioTokenView(TenantMixin, View):
    """Create the Twilio-style auth token, or rotate it (the old one stops at once)."""

    required_cap = Cap.MANAGE_API_KEYS

    def post(self, request):
        _, token = services.twilio_account_rotate_token(
            business=self.business, by=self.membership, ip=client_ip(request)
        )
        request.session["new_twilio_auth_token"] = token  # shown once, on the next page
        return redirect("portal:api-keys")


class TwilioInboundView(ApiKeysView):
    """Where inbound texts are forwarded in Twilio's form (errors shown on the API keys
    page, next to the field)."""

    http_method_names = ["post"]

    def post(self, request):
        account = selectors.twilio_account_for(business=self.business)
        if account is None:
            messages.error(request, "Create an auth token first: forwards are signed with it.")
            return redirect("portal:api-keys")
        form = TwilioInboundForm(request.POST)
        if form.is_valid():
            url = form.cleaned_data["inbound_url"]
            problem = webhook_url_check(url) if url else None
            if problem:
                form.add_error("inbound_url", problem)
            else:
                services.twilio_account_set_inbound_url(
                    account=account, url=url, by=self.membership, ip=client_ip(request)
                )
                messages.success(
                    request, "Inbound texts are forwarded there." if url else "Forwarding off."
                )
                return redirect("portal:api-keys")
        return self.render_to_response(self.get_context_data(inbound_form=form), status=400)


class BusinessProfileView(TenantMixin, FormView):
    template_name = "accounts/business_profile.html"
    form_class = BusinessProfileForm
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_BUSINESS
    success_url = reverse_lazy("portal:business")

    def get_initial(self):
        b = self.business
        return {
            "display_name": b.display_name,
            "website": b.website,
            "brand_domains": ", ".join(b.brand_domains),
            "industry_description": b.industry_description,
            "time_zone": b.time_zone,
        }

    # what the sign-up screen judged: a change runs it again
    SCREENED = {"display_name": "name", "website": "website", "industry_description": "description"}

    def form_valid(self, form):
        from policies import services as policies  # the sign-up screen again (interface layer)

        actor, ip = signed_in_user(self.request), client_ip(self.request)
        before = {f: getattr(self.business, f) for f in self.SCREENED}
        fields = dict(form.cleaned_data)
        if not fields.get("industry_description", "").strip():
            fields.pop("industry_description", None)  # left empty: unchanged
        with transaction.atomic():
            business = services.business_update_profile(
                business=self.business, actor=actor, ip=ip, **fields
            )
            changed = [
                label for f, label in self.SCREENED.items() if getattr(business, f) != before[f]
            ]
            screening = None
            if changed and business.vetting_status != business.Vetting.TERMINATED:
                screening = policies.business_rescreen(
                    business=business,
                    name="\n".join(n for n in (business.legal_name, business.display_name) if n),
                    industry_description=business.industry_description,
                    website=business.website,
                    changed=changed,
                    actor=actor,
                    ip=ip,
                )
        if screening is not None and screening.decision == "block":
            messages.error(
                self.request,
                "Saved, but we cannot accept the business it now describes: "
                + " ".join(r["message"] for r in screening.reasons)
                + " Sending is held until our compliance team reviews the change.",
            )
        elif screening is not None and screening.decision == "review":
            messages.warning(
                self.request, "Business profile saved. Our compliance team will review the change."
            )
        else:
            messages.success(self.request, "Business profile saved.")
        return HttpResponseRedirect(self.get_success_url())


class HomeView(TemplateView):
    template_name = "home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(reverse("portal:dashboard"))
        return super().get(request, *args, **kwargs)
