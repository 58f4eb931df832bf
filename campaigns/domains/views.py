"""Portal: the business's link domains, their status and how to prove each one."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.roles import Cap, role_can
from accounts.tenancy import TenantMixin, client_ip, signed_in_user

from . import selectors, services
from .models import BrandDomain


class DomainListView(TenantMixin, TemplateView):
    template_name = "campaigns/domains.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # rows (and tokens) for domains listed since the last visit
        services.brand_domains_sync(business=self.business)
        context["domains"] = selectors.brand_domain_list(business=self.business)
        context["can_manage"] = role_can(self.membership.role, Cap.MANAGE_CAMPAIGNS)
        context["can_edit_list"] = role_can(self.membership.role, Cap.MANAGE_BUSINESS)
        return context


class DomainCheckView(TenantMixin, View):
    """ "Check now": look for the DNS record or the file at once."""

    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, domain_uuid):
        domain = selectors.brand_domain_get(business=self.business, domain_uuid=domain_uuid)
        domain = services.brand_domain_check(
            domain=domain, actor=signed_in_user(request), ip=client_ip(request)
        )
        if domain.status == BrandDomain.Status.VERIFIED:
            messages.success(request, f"{domain.domain} is verified: links to it can be sent.")
        else:
            messages.error(request, f"{domain.domain} is not verified yet. {domain.last_result}")
        return redirect("domains:list")
