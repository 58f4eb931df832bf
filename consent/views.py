"""Portal pages of consent: contacts, consent timeline and proof, opt-in forms, imports."""

import copy
import json
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError, ValidationFailed
from accounts.roles import Cap
from accounts.services import audit_record
from accounts.tenancy import TenantMixin, client_ip
from messaging.services import double_opt_in_send_for_event

from . import disclosure, import_file, selectors, services, subject
from .embed import render_fragment
from .forms import (
    ConsentRecordForm,
    ContactEditForm,
    ContactForm,
    ImportMappingForm,
    ImportUploadForm,
    OptInFormForm,
    OptOutForm,
    ProofForm,
    SubjectLookupForm,
)
from .models import EventKind, Method


def _form_errors_from(exc: ApplicationError, form) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def _campaign(business, value):
    return (
        selectors.campaign_for_business(business=business, campaign_uuid=value) if value else None
    )


def _download(content: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- contacts --------------------------------------------------------------------------------


class ContactListView(TenantMixin, TemplateView):
    template_name = "consent/contacts.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        qs = selectors.contact_list(
            business=self.business,
            search=params.get("q", ""),
            tag=params.get("tag", ""),
            status=params.get("status", ""),
        )
        page = Paginator(qs, 50).get_page(params.get("page"))
        contacts = list(page.object_list)
        states = selectors.contact_status_summary(business=self.business, contacts=contacts)
        context.update(
            page=page,
            rows=[(c, states.get(c.pk, "none")) for c in contacts],
            q=params.get("q", ""),
            tag=params.get("tag", ""),
            status=params.get("status", ""),
            statuses=[
                ("", "Any consent"),
                ("opted_in", "Opted in"),
                ("pending", "Waiting for YES"),
                ("opted_out", "Opted out"),
                ("none", "No consent"),
            ],
        )
        return context


class ContactCreateView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request):
        return render(request, "consent/contact_form.html", {"form": ContactForm()})

    def post(self, request):
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                data = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
                contact = services.contact_create(
                    business=self.business, actor=request.user, source="portal", **data
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, "Contact added. Record their consent before texting.")
                return redirect("consent:contact", contact_uuid=contact.uuid)
        return render(request, "consent/contact_form.html", {"form": form}, status=400)


class ContactDetailView(TenantMixin, View):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS

    def context(self, contact, **extra):
        campaigns = list(selectors.campaigns_for_business(business=self.business))
        events = list(selectors.consent_events(business=self.business, contact=contact))
        return {
            "contact": contact,
            "events": list(reversed(events)),
            "states": selectors.contact_states(business=self.business, contact=contact),
            "suppressed": bool(contact.phone)
            and selectors.is_suppressed(business=self.business, phone=contact.phone_e164),
            "edit_form": extra.get("edit_form")
            or ContactEditForm(
                initial={
                    "name": contact.name,
                    "email": contact.email,
                    "time_zone": contact.time_zone,
                    "language": contact.language,
                    "tags": ", ".join(contact.tags),
                }
            ),
            "consent_form": extra.get("consent_form") or ConsentRecordForm(campaigns=campaigns),
            "opt_out_form": OptOutForm(campaigns=campaigns),
            "business": self.business,
            "membership": self.membership,
        }

    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        return render(request, "consent/contact.html", self.context(contact))

    def post(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        form = ContactEditForm(request.POST)
        if form.is_valid():
            try:
                services.contact_update(
                    business=self.business, contact=contact, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, "Contact saved.")
                return redirect("consent:contact", contact_uuid=contact.uuid)
        return render(
            request, "consent/contact.html", self.context(contact, edit_form=form), status=400
        )


class ContactConsentView(ContactDetailView):
    """Record an opt-in with its evidence (verbal script, paper, another web form)."""

    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request, contact_uuid):
        return redirect("consent:contact", contact_uuid=contact_uuid)

    def post(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        campaigns = list(selectors.campaigns_for_business(business=self.business))
        form = ConsentRecordForm(request.POST, request.FILES, campaigns=campaigns)
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("signed_record")
            try:
                campaign = _campaign(self.business, data["campaign"])
                if data["method"] == Method.SIGNED_RECORD:
                    if upload is None:
                        raise ValidationFailed(
                            fields={"signed_record": ["Upload the signed record."]}
                        )
                    event = services.consent_record_signed(
                        business=self.business,
                        contact=contact,
                        campaign=campaign,
                        kind=data["kind"] or None,
                        filename=upload.name,
                        content=upload.read(),
                        content_type=upload.content_type or "",
                        disclosure_text=data["disclosure_text"],
                        source=data["source"],
                        actor=request.user,
                    )
                else:
                    event = services.consent_record_opt_in(
                        business=self.business,
                        contact=contact,
                        method=data["method"],
                        campaign=campaign,
                        kind=data["kind"] or None,
                        evidence={
                            "disclosure_text": data["disclosure_text"],
                            "page_url": data["page_url"],
                            "source": data["source"],
                            # the staff member's address, not the person's: an entry
                            # here is not a web form's record (written.py)
                            "data": {"recorded_in": "portal", "recorder_ip": client_ip(request)},
                        },
                        double_opt_in=data["double_opt_in"],
                        actor=request.user,
                    )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                audit_record(
                    action="consent.opt_in_record",
                    obj=contact,
                    actor=request.user,
                    business=self.business,
                    ip=client_ip(request),
                    detail={"event": str(event.uuid), "method": event.method},
                )
                if event.was_created and event.kind == EventKind.OPT_IN:
                    double_opt_in_send_for_event(
                        business=self.business, contact=contact, event=event
                    )
                    messages.success(request, 'Recorded; "Reply YES to confirm" was texted.')
                elif event.was_created:
                    messages.success(request, "Consent recorded.")
                else:
                    messages.info(request, "This consent was already recorded; nothing changed.")
                return redirect("consent:contact", contact_uuid=contact.uuid)
        return render(
            request, "consent/contact.html", self.context(contact, consent_form=form), status=400
        )


class ContactOptOutView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def post(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        campaigns = list(selectors.campaigns_for_business(business=self.business))
        form = OptOutForm(request.POST, campaigns=campaigns)
        if form.is_valid():
            try:
                campaign = _campaign(self.business, form.cleaned_data["campaign"])
                services.consent_record_opt_out(
                    business=self.business,
                    contact=contact,
                    method=Method.PORTAL,
                    scope_all=campaign is None,
                    campaign=campaign,
                    evidence={"source": form.cleaned_data["note"] or "recorded in the portal"},
                    actor=request.user,
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                audit_record(
                    action="consent.opt_out_record",
                    obj=contact,
                    actor=request.user,
                    business=self.business,
                    ip=client_ip(request),
                )
                messages.success(request, "Opt-out recorded. The number is suppressed.")
        return redirect("consent:contact", contact_uuid=contact.uuid)


class ContactExportView(TenantMixin, View):
    """Data-subject export: everything held about the contact, as JSON."""

    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        bundle = subject.export_bundle(business=self.business, contact=contact)
        services.contact_export_record(
            business=self.business, contact=contact, actor=request.user, ip=client_ip(request)
        )
        return _download(
            json.dumps(bundle, indent=2, default=str),
            f"contact-{contact.uuid}.json",
            "application/json",
        )


class ContactEraseView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        return render(request, "consent/contact_erase.html", {"contact": contact})

    def post(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        services.contact_erase(
            business=self.business, contact=contact, actor=request.user, ip=client_ip(request)
        )
        messages.success(
            request, "The contact was erased. Their number stays on the suppression list."
        )
        return redirect("consent:contacts")


class ContactProofView(TenantMixin, View):
    """Consent evidence of one contact: printable HTML, or ?format=csv / json."""

    required_cap = Cap.VIEW

    def get(self, request, contact_uuid):
        contact = selectors.contact_get(business=self.business, contact_uuid=contact_uuid)
        events = list(selectors.consent_events(business=self.business, contact=contact))
        return _proof_response(
            request,
            self.business,
            events,
            title=f"Consent evidence: {contact}",
            filename=f"consent-{contact.uuid}",
        )


def _proof_response(request, business, events, *, title: str, filename: str):
    fmt = request.GET.get("format", "html")
    audit_record(
        action="consent.proof_export",
        actor=request.user,
        business=business,
        ip=client_ip(request),
        object_type="consent.ConsentEvent",
        object_id=filename,
        detail={"format": fmt, "events": len(events)},
    )
    if fmt == "csv":
        return _download(subject.events_csv(events), f"{filename}.csv", "text/csv")
    if fmt == "json":
        return _download(
            json.dumps([subject.event_record(e) for e in events], indent=2),
            f"{filename}.json",
            "application/json",
        )
    return render(
        request,
        "consent/proof.html",
        {
            "title": title,
            "events": events,
            "records": [subject.event_record(e) for e in events],
            "snapshots": subject.snapshots_for(business, events),
            "generated_at": timezone.now(),
            "query": request.GET.urlencode(),
        },
    )


class ProofView(TenantMixin, View):
    """Consent evidence for a campaign (or everything) in a date range."""

    required_cap = Cap.VIEW

    def get(self, request):
        campaigns = list(selectors.campaigns_for_business(business=self.business))
        form = ProofForm(request.GET or None, campaigns=campaigns)
        if not request.GET or not form.is_valid():
            return render(request, "consent/proof_form.html", {"form": form})
        data = form.cleaned_data
        campaign = _campaign(self.business, data["campaign"])
        since = _day(data["since"])
        until = _day(data["until"], plus=1)
        events = list(
            selectors.consent_events(
                business=self.business, campaign=campaign, since=since, until=until
            )[:5000]
        )
        label = str(campaign) if campaign else "all campaigns"
        return _proof_response(
            request,
            self.business,
            events,
            title=f"Consent evidence: {label}",
            filename=f"consent-{campaign.uuid if campaign else 'all'}",
        )


def _day(value, plus: int = 0):
    if not value:
        return None
    return timezone.make_aware(datetime.combine(value + timedelta(days=plus), time.min))


class SubjectRequestView(TenantMixin, View):
    """Find what is held about a phone number (for access and erasure requests)."""

    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request):
        form = SubjectLookupForm(request.GET or None)
        context = {"form": form, "searched": False}
        if request.GET and form.is_valid():
            context["searched"] = True
            context["contact"] = selectors.contact_for_phone(
                business=self.business, phone=form.cleaned_data["phone"]
            )
            context["suppressed"] = selectors.is_suppressed(
                business=self.business, phone=form.cleaned_data["phone"]
            )
        return render(request, "consent/subject.html", context)


class ContactsExportView(TenantMixin, View):
    """All contacts as CSV (cells that look like formulas are neutralised)."""

    required_cap = Cap.MANAGE_CONTACTS

    def get(self, request):
        qs = selectors.contact_list(business=self.business)
        states = selectors.contact_status_summary(business=self.business, contacts=None)
        rows = (
            [
                c.phone_e164,
                c.name,
                c.email,
                ",".join(c.tags),
                c.time_zone,
                states.get(c.pk, "none"),
                json.dumps(c.custom_fields),
            ]
            for c in qs.iterator(chunk_size=2000)
        )
        audit_record(
            action="consent.contacts_export",
            actor=request.user,
            business=self.business,
            ip=client_ip(request),
            object_type="consent.Contact",
            object_id="all",
        )
        header = ["phone", "name", "email", "tags", "time_zone", "consent", "custom_fields"]
        return _download(subject.csv_text(header, rows), "contacts.csv", "text/csv")


# --- opt-in forms ----------------------------------------------------------------------------


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
