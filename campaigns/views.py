"""Portal pages: the brand and campaign registration wizard, campaign status, numbers."""

import uuid

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError, NotFound, ValidationFailed
from accounts.models import Business
from accounts.roles import Cap, role_can
from accounts.tenancy import TenantMixin, client_ip
from accounts.text import clause, sentences

from . import rules, selectors, services, tcr
from .forms import (
    AppealForm,
    AssignForm,
    BrandForm,
    CampaignForm,
    DeactivateForm,
    NumberSearchForm,
    ProvisionForm,
    campaign_initial,
)
from .models import Brand, Campaign

S = Campaign.Status


def _form_errors_from(exc: ApplicationError, form) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            target = field if field in form.fields else None
            form.add_error(target, error if target else f"{field}: {error}")
    if not exc.fields:
        form.add_error(None, exc.message)


def _wizard(business) -> list[dict]:
    ready = selectors.business_readiness(business=business)
    return [
        {"n": 1, "title": "Brand", "done": ready["brand_ok"]},
        {
            "n": 2,
            "title": "Campaign",
            "done": ready["campaign_approved"]
            or selectors.campaign_sent_for_registration(business=business),
        },
        {"n": 3, "title": "Approval", "done": ready["campaign_approved"]},
        {"n": 4, "title": "Number", "done": ready["number_ready"]},
    ]


class CampaignIndexView(TenantMixin, TemplateView):
    template_name = "campaigns/index.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["brands"] = selectors.brand_list(business=self.business)
        context["campaigns"] = selectors.campaign_list(business=self.business)
        context["wizard"] = _wizard(self.business)
        context["can_manage"] = role_can(self.membership.role, Cap.MANAGE_CAMPAIGNS)
        return context


# --- brands -------------------------------------------------------------------------------


class BrandCreateView(TenantMixin, TemplateView):
    template_name = "campaigns/brand_form.html"
    required_cap = Cap.MANAGE_CAMPAIGNS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        initial = {
            "display_name": self.business.display_name,
            "company_name": self.business.legal_name,
            "website": self.business.website,
            "country": "US",
        }
        context["form"] = kwargs.get("form") or BrandForm(initial=initial)
        context["wizard"] = _wizard(self.business)
        return context

    def post(self, request):
        form = BrandForm(request.POST)
        if form.is_valid():
            try:
                brand = services.brand_create(
                    business=self.business, actor=request.user, ip=client_ip(request),
                    **form.cleaned_data,
                )  # fmt: skip
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, "Brand saved. Check it, then register it.")
                return redirect("campaigns:brand", brand_uuid=brand.uuid)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class BrandDetailView(TenantMixin, TemplateView):
    template_name = "campaigns/brand_detail.html"
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        brand = selectors.brand_get(business=self.business, brand_uuid=self.kwargs["brand_uuid"])
        editable = brand.status in (Brand.Status.DRAFT, Brand.Status.REGISTRATION_FAILED)
        context["brand"] = brand
        context["editable"] = editable
        context["form"] = kwargs.get("form") or (BrandForm(instance=brand) if editable else None)
        context["can_manage"] = role_can(self.membership.role, Cap.MANAGE_CAMPAIGNS)
        context["wizard"] = _wizard(self.business)
        return context

    def post(self, request, brand_uuid):
        brand = selectors.brand_get(business=self.business, brand_uuid=brand_uuid)
        form = BrandForm(request.POST, instance=brand)
        if form.is_valid():
            try:
                services.brand_update(
                    brand=brand, actor=request.user, ip=client_ip(request),
                    **{f: form.cleaned_data[f] for f in form.changed_data},
                )  # fmt: skip
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, "Brand saved.")
                return redirect("campaigns:brand", brand_uuid=brand.uuid)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _problems(exc: ApplicationError, form_class) -> str:
    """The error and each field's problems, by the field's label on the form."""
    parts = [exc.message]
    for name, errors in exc.fields.items():
        field = form_class.base_fields.get(name)
        label = field.label if field is not None else capfirst(name.replace("_", " "))
        parts.append(f"{label}: {clause(' '.join(errors))}")
    return sentences(parts)


class BrandRegisterView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, brand_uuid):
        brand = selectors.brand_get(business=self.business, brand_uuid=brand_uuid)
        try:
            brand = services.brand_register(brand=brand, actor=request.user, ip=client_ip(request))
        except ApplicationError as exc:
            messages.error(request, _problems(exc, BrandForm))
        else:
            if brand.status == Brand.Status.OK:
                messages.success(request, "Your brand is registered. Next: register a campaign.")
                return redirect(f"{reverse('campaigns:campaign-new')}?brand={brand.uuid}")
            messages.info(request, "The brand is waiting for the registry; we check every "
                          "few minutes.")  # fmt: skip
        return redirect("campaigns:brand", brand_uuid=brand.uuid)


# --- campaigns ----------------------------------------------------------------------------


def _usecase_guide() -> list[dict]:
    label = tcr.usecase_label
    guide = [{"code": c, "label": label(c), "scope": scope, "kinds": sorted(kinds)}
             for c, (scope, kinds) in tcr.STANDARD_USECASES.items()]  # fmt: skip
    guide += [
        {"code": c, "label": label(c), "scope": scope, "kinds": []}
        for c, scope in tcr.COMBINED_USECASES.items()
    ]
    guide += [
        {"code": c, "label": label(c), "scope": scope, "kinds": sorted(kinds),
         "refused": tcr.NOT_OFFERED_USECASES.get(c, "")}
        for c, (scope, kinds) in tcr.SPECIAL_USECASES.items()
    ]  # fmt: skip
    return guide


class _CampaignFormMixin:
    template_name: str | None = "campaigns/campaign_form.html"  # as TemplateView declares it
    business: Business  # set by TenantMixin.dispatch

    def form_context(self, form, campaign=None) -> dict:
        return {
            "form": form,
            "campaign": campaign,
            "usecase_guide": _usecase_guide(),
            "validate_url": reverse("campaigns:campaign-validate"),
            "wizard": _wizard(self.business),
        }


class CampaignCreateView(_CampaignFormMixin, TenantMixin, TemplateView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def get(self, request):
        brands = selectors.brand_list(business=self.business)
        newest = brands.first()
        if newest is None:
            messages.info(request, "First register your brand: who is texting.")
            return redirect("campaigns:brand-new")
        try:
            chosen = uuid.UUID(request.GET.get("brand") or "")
        except ValueError:  # none or a bad id in the link: the default brand
            chosen = None
        brand = brands.filter(uuid=chosen).first() if chosen else None
        brand = brand or brands.filter(status=Brand.Status.OK).first() or newest
        form = CampaignForm(business=self.business, initial=campaign_initial(brand))
        return self.render_to_response(self.get_context_data(**self.form_context(form)))

    def post(self, request):
        form = CampaignForm(request.POST, business=self.business)
        if form.is_valid():
            data = dict(form.cleaned_data)
            brand = data.pop("brand")
            try:
                campaign = services.campaign_create(
                    business=self.business, brand=brand, actor=request.user,
                    ip=client_ip(request), **data,
                )  # fmt: skip
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(
                    request, "Campaign saved as a draft. Check the preview, then submit it."
                )
                return redirect("campaigns:campaign", campaign_uuid=campaign.uuid)
        return self.render_to_response(self.get_context_data(**self.form_context(form)), status=400)


class CampaignEditView(_CampaignFormMixin, TenantMixin, TemplateView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def _frozen(self, campaign) -> frozenset[str]:
        if campaign.status == S.DRAFT:
            return frozenset()
        return frozenset(tcr.CAMPAIGN_FIELDS) - rules.MUTABLE_AFTER_SUBMISSION

    def get(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        form = CampaignForm(
            instance=campaign, business=self.business, frozen=self._frozen(campaign),
            initial={"brand": campaign.brand.uuid},
        )  # fmt: skip
        return self.render_to_response(self.get_context_data(**self.form_context(form, campaign)))

    def post(self, request, campaign_uuid):
        campaign = selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)
        form = CampaignForm(
            request.POST, instance=campaign, business=self.business,
            frozen=self._frozen(campaign), initial={"brand": campaign.brand.uuid},
        )  # fmt: skip
        if form.is_valid():
            changed = {f: form.cleaned_data[f] for f in form.changed_data if f != "brand"}
            try:
                services.campaign_update(
                    campaign=campaign, actor=request.user, ip=client_ip(request), **changed
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, "Campaign saved.")
                return redirect("campaigns:campaign", campaign_uuid=campaign.uuid)
        campaign.refresh_from_db()
        return self.render_to_response(
            self.get_context_data(**self.form_context(form, campaign)), status=400
        )


class CampaignValidateView(TenantMixin, View):
    """Live validation for the wizard: the same rules as submit, as JSON."""

    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request):
        form = CampaignForm(request.POST, business=self.business)
        form.is_valid()
        data = {k: v for k, v in form.cleaned_data.items() if k != "brand"}
        brand = form.cleaned_data.get("brand")
        errors = services.campaign_validate(brand=brand, data=data)
        for field, field_errors in form.errors.items():
            if field not in errors:
                errors[field] = list(field_errors)
        return JsonResponse(
            {
                "fields": errors,
                "brand_name": brand.display_name if brand else "",
                "kinds": sorted(tcr.kinds_for(data.get("usecase") or "", data.get("sub_usecases"))),
            }
        )


class CampaignDetailView(TenantMixin, TemplateView):
    template_name = "campaigns/campaign_detail.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = selectors.campaign_get(
            business=self.business, campaign_uuid=self.kwargs["campaign_uuid"]
        )
        context["campaign"] = campaign
        context["history"] = selectors.campaign_history(campaign=campaign)
        context["numbers"] = campaign.numbers.exclude(status="RELEASED")
        context["can_manage"] = role_can(self.membership.role, Cap.MANAGE_CAMPAIGNS)
        context["appeal_form"] = kwargs.get("appeal_form") or AppealForm()
        context["deactivate_form"] = DeactivateForm()
        context["wizard"] = _wizard(self.business)
        context["check"] = (
            services.campaign_validate(
                brand=campaign.brand,
                data={f: getattr(campaign, f) for f in tcr.CAMPAIGN_FIELDS},
            )
            if campaign.status in (S.DRAFT, S.REJECTED)
            else {}
        )
        context["retryable"] = campaign.status == S.SUBMITTED and campaign.submission in (
            "PENDING",
            "FAILED",
        )
        return context


class _CampaignAction(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def campaign(self, campaign_uuid) -> Campaign:
        return selectors.campaign_get(business=self.business, campaign_uuid=campaign_uuid)

    def done(self, campaign):
        return redirect("campaigns:campaign", campaign_uuid=campaign.uuid)


class CampaignSubmitView(_CampaignAction):
    def post(self, request, campaign_uuid):
        campaign = self.campaign(campaign_uuid)
        try:
            campaign = services.campaign_submit(
                campaign=campaign, actor=request.user, ip=client_ip(request)
            )
        except ApplicationError as exc:
            # the refusal names each field and why: the checks panel shows only the rules
            # checked while typing, not the policy engine's verdict on the samples
            messages.error(request, _problems(exc, CampaignForm))
            return self.done(campaign)
        if campaign.status == S.DRAFT:
            messages.error(request, "The registry refused the campaign: see the reasons below.")
        elif campaign.submission in ("PENDING", "FAILED"):
            messages.warning(
                request, "Submitted, but the registry has not confirmed it yet: see below."
            )
        else:
            messages.success(request, "Submitted. We will tell you when it is approved.")
        return self.done(campaign)


class CampaignRetryView(_CampaignAction):
    def post(self, request, campaign_uuid):
        campaign = self.campaign(campaign_uuid)
        try:
            campaign = services.campaign_retry(
                campaign=campaign, actor=request.user, ip=client_ip(request)
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if campaign.submission == "CREATED":
                messages.success(request, "The registry has the campaign now.")
            else:
                messages.warning(request, f"Still not through: {campaign.registry_error}")
        return self.done(campaign)


class CampaignAppealView(_CampaignAction):
    def post(self, request, campaign_uuid):
        campaign = self.campaign(campaign_uuid)
        form = AppealForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say what you changed before appealing.")
            return self.done(campaign)
        try:
            services.campaign_appeal(
                campaign=campaign, explanation=form.cleaned_data["explanation"],
                actor=request.user, ip=client_ip(request),
            )  # fmt: skip
        except ApplicationError as exc:
            messages.error(request, _problems(exc, CampaignForm))
        else:
            messages.success(request, "Appeal sent.")
        return self.done(campaign)


class CampaignDeactivateView(_CampaignAction):
    def post(self, request, campaign_uuid):
        campaign = self.campaign(campaign_uuid)
        form = DeactivateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give a reason for deactivating.")
            return self.done(campaign)
        try:
            services.campaign_deactivate(
                campaign=campaign, reason=form.cleaned_data["reason"], actor=request.user,
                ip=client_ip(request),
            )  # fmt: skip
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Campaign deactivated; its numbers are free again.")
        return self.done(campaign)


# --- numbers ------------------------------------------------------------------------------


class NumbersView(TenantMixin, TemplateView):
    template_name = "campaigns/numbers.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_manage = role_can(self.membership.role, Cap.MANAGE_CAMPAIGNS)
        search = NumberSearchForm(self.request.GET or None)
        available, search_error = [], ""
        if can_manage and search.is_valid():
            try:
                available = services.phone_number_search(
                    business=self.business, area_code=search.cleaned_data["area_code"]
                )
            except ApplicationError as exc:
                if exc.fields:  # the provider refused this area code: next to the field
                    _form_errors_from(exc, search)
                else:
                    search_error = exc.message
        context.update(
            numbers=selectors.phone_number_list(business=self.business),
            campaigns=selectors.campaigns_assignable(business=self.business),
            search=search,
            available=available,
            search_error=search_error,
            can_manage=can_manage,
            wizard=_wizard(self.business),
        )
        return context


class NumberProvisionView(NumbersView):
    """Rent a number from the search results (the search's area code rides in the query
    string, so a refusal re-shows the results with the provider's reason next to it)."""

    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request):
        form = ProvisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a number to rent.")
            return redirect("campaigns:numbers")
        try:
            number = services.phone_number_provision(
                business=self.business, e164=form.cleaned_data["number"], actor=request.user,
                ip=client_ip(request),
            )  # fmt: skip
        except ValidationFailed as exc:  # the provider refused it: shown next to that number
            errors = [e for errs in exc.fields.values() for e in errs] or [exc.message]
            context = self.get_context_data(
                provision_error={"number": form.cleaned_data["number"], "errors": errors}
            )
            return self.render_to_response(context, status=400)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("campaigns:numbers")
        approved = list(selectors.campaigns_assignable(business=self.business)[:2])
        if len(approved) == 1:
            try:
                services.phone_number_assign(
                    number=number, campaign=approved[0], actor=request.user,
                    ip=client_ip(request),
                )  # fmt: skip
                messages.success(request, f"{number.e164} is yours and on campaign {approved[0]}.")
            except ApplicationError as exc:
                messages.warning(request, f"{number.e164} is yours; not assigned: {exc.message}")
        else:
            messages.success(request, f"{number.e164} is yours. Put it on an approved campaign.")
        return redirect("campaigns:numbers")


class NumberAssignView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, number_uuid):
        number = selectors.phone_number_get(business=self.business, number_uuid=number_uuid)
        form = AssignForm(request.POST, business=self.business)
        if not form.is_valid():
            if request.POST.get("campaign") == "":
                services.phone_number_unassign(
                    number=number, actor=request.user, ip=client_ip(request)
                )
                messages.success(request, f"{number.e164} is off its campaign.")
            else:
                messages.error(request, "Choose an approved campaign of this business.")
            return redirect("campaigns:numbers")
        try:
            services.phone_number_assign(
                number=number, campaign=form.cleaned_data["campaign"], actor=request.user,
                ip=client_ip(request),
            )  # fmt: skip
        except (ApplicationError, NotFound) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"{number.e164} now sends for {form.cleaned_data['campaign']}."
            )
        return redirect("campaigns:numbers")


class NumberReleaseView(TenantMixin, TemplateView):
    template_name = "campaigns/number_release.html"
    required_cap = Cap.MANAGE_CAMPAIGNS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["number"] = selectors.phone_number_get(
            business=self.business, number_uuid=self.kwargs["number_uuid"]
        )
        return context

    def post(self, request, number_uuid):
        number = selectors.phone_number_get(business=self.business, number_uuid=number_uuid)
        if request.POST.get("confirm") != number.e164:
            messages.error(request, f"Type {number.e164} to confirm the release.")
            return redirect("campaigns:number-release", number_uuid=number.uuid)
        try:
            services.phone_number_release(number=number, actor=request.user, ip=client_ip(request))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{number.e164} was released to the provider.")
        return redirect("campaigns:numbers")
