"""Portal pages of consent: contact imports (upload, column mapping, progress, report)."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin, client_ip

from .. import import_file, selectors, services, subject
from ..forms import ImportMappingForm, ImportUploadForm
from .common import _campaign, _download, _form_errors_from


class ImportListView(TenantMixin, TemplateView):
    template_name = "consent/imports.html"
    required_cap = Cap.MANAGE_CONTACTS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = selectors.contact_import_list(business=self.business)[:100]
        return context


class ImportUploadView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request):
        return render(request, "consent/import_upload.html", {"form": ImportUploadForm()})

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imp = services.contact_import_create(
                    business=self.business,
                    filename=upload.name,
                    content=upload.read(),
                    actor=request.user,
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                return redirect("consent:import", import_uuid=imp.uuid)
        return render(request, "consent/import_upload.html", {"form": form}, status=400)


class ImportDetailView(TenantMixin, View):
    """The mapping step (while UPLOADED), then progress and the report."""

    required_cap = Cap.MANAGE_CONTACTS

    def mapping_form(self, imp, data=None):
        return ImportMappingForm(
            data,
            headers=imp.headers,
            campaigns=selectors.campaigns_for_business(business=self.business),
            targets=import_file.TARGETS,
            initial_map=imp.mapping.get("fields", {}),
        )

    def render_page(self, request, imp, form=None, status=200):
        return render(
            request,
            "consent/import.html",
            {
                "imp": imp,
                "form": form or (self.mapping_form(imp) if imp.status == "UPLOADED" else None),
                "attestation": import_file.ATTESTATION,
                "progress": services.contact_import_progress(imp=imp),
                "report": imp.report[:500],
            },
            status=status,
        )

    def get(self, request, import_uuid):
        imp = selectors.contact_import_get(business=self.business, import_uuid=import_uuid)
        return self.render_page(request, imp)

    def post(self, request, import_uuid):
        imp = selectors.contact_import_get(business=self.business, import_uuid=import_uuid)
        form = self.mapping_form(imp, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                imp = services.contact_import_start(
                    business=self.business,
                    imp=imp,
                    mapping={t: data.get(f"map_{t}", "") for t in import_file.TARGETS},
                    custom_columns=data["custom"],
                    campaign=_campaign(self.business, data["campaign"]),
                    scope_kind=data["scope_kind"],
                    tags=data["tags"],
                    attest=data["attest"],
                    actor=request.user,
                    ip=client_ip(request),
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                return redirect("consent:import", import_uuid=imp.uuid)
        return self.render_page(request, imp, form, status=400)


class ImportProgressView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request, import_uuid):
        imp = selectors.contact_import_get(business=self.business, import_uuid=import_uuid)
        done = services.contact_import_progress(imp=imp)
        return JsonResponse(
            {
                "status": imp.status,
                "processed": done,
                "total": imp.total_rows,
                "percent": min(100, int(done * 100 / imp.total_rows)) if imp.total_rows else 0,
            }
        )


class ImportReportView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request, import_uuid):
        imp = selectors.contact_import_get(business=self.business, import_uuid=import_uuid)
        content = subject.csv_text(
            ["line", "reason"], ([r["line"], r["reason"]] for r in imp.report)
        )
        return _download(content, f"import-{imp.uuid}-report.csv", "text/csv")
