"""Portal pages of message templates: list, create, edit (with renderings), delete."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap, role_can
from accounts.tenancy import TenantMixin, form_errors_show
from consent.selectors import contact_list

from . import merge, selectors, services
from .forms import TemplateForm


class TemplateListView(TenantMixin, TemplateView):
    template_name = "templating/list.html"
    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["templates"] = selectors.template_list(business=self.business)
        context["form"] = kwargs.get("form") or TemplateForm()
        context["can_edit"] = role_can(self.membership.role, Cap.SEND)
        return context

    def post(self, request):
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                template = services.template_create(
                    business=self.business, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form_errors_show(form, exc)
            else:
                messages.success(request, f"Template “{template.name}” saved.")
                return redirect("templating:detail", template_uuid=template.uuid)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class TemplateDetailView(TenantMixin, TemplateView):
    template_name = "templating/detail.html"
    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    def _template(self):
        return selectors.template_get(
            business=self.business, template_uuid=self.kwargs["template_uuid"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        template = kwargs.get("template") or self._template()
        form = kwargs.get("form") or TemplateForm(
            initial={"name": template.name, "kind": template.kind, "body": template.body}
        )
        # how it reads for a few contacts: what the send gates will judge
        contacts = list(contact_list(business=self.business)[:5])
        context.update(
            template=template,
            form=form,
            fields=merge.names(merge.parse(template.body)),
            examples=[
                (c, text)
                for c, text in zip(
                    contacts,
                    selectors.render_many(
                        business=self.business, body=template.body, contacts=contacts
                    ),
                    strict=True,
                )
            ],
            can_edit=role_can(self.membership.role, Cap.SEND),
        )
        return context

    def post(self, request, template_uuid):
        template = self._template()
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                services.template_update(template=template, actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                template.refresh_from_db()
                form_errors_show(form, exc)
            else:
                messages.success(request, "Template saved.")
                return redirect("templating:detail", template_uuid=template.uuid)
        return self.render_to_response(
            self.get_context_data(template=template, form=form), status=400
        )


class TemplateDeleteView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, template_uuid):
        template = selectors.template_get(business=self.business, template_uuid=template_uuid)
        services.template_delete(template=template, actor=request.user)
        messages.success(request, f"Template “{template.name}” deleted.")
        return redirect("templating:list")
