"""Portal pages of consent: the opt-in forms a business embeds on its own website."""

import copy

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin

from .. import disclosure, selectors, services
from ..embed import render_fragment
from ..forms import OptInFormForm
from .common import _campaign, _form_errors_from


class FormListView(TenantMixin, TemplateView):
    template_name = "consent/forms.html"
    required_cap = Cap.MANAGE_CONTACTS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["forms"] = selectors.optin_form_list(business=self.business)
        return context


def _form_fields(cleaned: dict, business) -> tuple[dict, list]:
    fields = {k: v for k, v in cleaned.items() if k != "campaigns"}
    campaigns = [_campaign(business, u) for u in cleaned.get("campaigns") or []]
    return fields, campaigns


class FormCreateView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request):
        campaigns = selectors.campaigns_for_business(business=self.business)
        form = OptInFormForm(
            campaigns=campaigns,
            initial={
                "program_name": self.business.display_name,
                "terms_url": f"{self.business.website.rstrip('/')}/terms",
                "privacy_url": f"{self.business.website.rstrip('/')}/privacy",
                "allowed_origins": self.business.website,
            },
        )
        return render(request, "consent/form_create.html", {"form": form})

    def post(self, request):
        campaigns = selectors.campaigns_for_business(business=self.business)
        form = OptInFormForm(request.POST, campaigns=campaigns)
        if form.is_valid():
            try:
                fields, chosen = _form_fields(form.cleaned_data, self.business)
                optin = services.optin_form_create(
                    business=self.business, actor=request.user, campaigns=chosen, **fields
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, "Form created. Copy a snippet to embed it.")
                return redirect("consent:form", form_uuid=optin.uuid)
        return render(request, "consent/form_create.html", {"form": form}, status=400)


class FormEditView(TenantMixin, View):
    """The form builder: settings, live preview and embed snippets."""

    required_cap = Cap.MANAGE_CONTACTS

    def context(self, request, optin, form):
        public_url = request.build_absolute_uri(
            reverse("consent:public-form", kwargs={"form_uuid": optin.uuid})
        )
        base = request.build_absolute_uri("/").rstrip("/")
        preview_form = copy.copy(optin)
        preview_form.collect_name = preview_form.collect_email = True  # JS hides per settings
        preview = render_fragment(request, preview_form)
        submit_url = request.build_absolute_uri(
            reverse("consent:public-form-submit", kwargs={"form_uuid": optin.uuid})
        )
        return {
            "optin": optin,
            "form": form,
            "preview": preview,
            "disclosure": disclosure.for_form(optin),
            "snippet_iframe": (
                f'<iframe src="{public_url}" title="Sign up for texts" '
                f'style="width:100%;max-width:34rem;height:34rem;border:0"></iframe>'
            ),
            "snippet_script": (
                f'<div data-cyc-optin="{optin.uuid}"></div>\n'
                f'<script src="{base}/static/js/consent.js" async></script>'
            ),
            "snippet_html": render_fragment(request, optin)
            .replace('<input type="hidden" name="page_url" value="">', "")
            .strip(),
            "submit_url": submit_url,
            "public_url": public_url,
        }

    def get(self, request, form_uuid):
        optin = selectors.optin_form_get(business=self.business, form_uuid=form_uuid)
        campaigns = selectors.campaigns_for_business(business=self.business)
        form = OptInFormForm(
            campaigns=campaigns,
            initial={
                **{f: getattr(optin, f) for f in services.FORM_FIELDS},
                "allowed_origins": "\n".join(optin.allowed_origins),
                "campaigns": [str(c.uuid) for c in optin.campaigns.all()],
            },
        )
        return render(request, "consent/form_edit.html", self.context(request, optin, form))

    def post(self, request, form_uuid):
        optin = selectors.optin_form_get(business=self.business, form_uuid=form_uuid)
        campaigns = selectors.campaigns_for_business(business=self.business)
        form = OptInFormForm(request.POST, campaigns=campaigns)
        if form.is_valid():
            try:
                fields, chosen = _form_fields(form.cleaned_data, self.business)
                services.optin_form_update(
                    business=self.business,
                    form=optin,
                    actor=request.user,
                    campaigns=chosen,
                    **fields,
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, f"Saved (version {optin.version}).")
                return redirect("consent:form", form_uuid=optin.uuid)
        optin.refresh_from_db()
        return render(
            request, "consent/form_edit.html", self.context(request, optin, form), status=400
        )


# --- imports ---------------------------------------------------------------------------------
