"""Portal pages of consent: contacts, a contact's consent timeline and proof, the business's
proof pack, access and erasure requests, and the contacts' export."""

import json
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError, ValidationFailed
from accounts.roles import Cap
from accounts.services import audit_record
from accounts.tenancy import TenantMixin, client_ip
from messaging.services import double_opt_in_send_for_event

from .. import selectors, services, subject
from ..forms import (
    ConsentRecordForm,
    ContactEditForm,
    ContactForm,
    OptOutForm,
    ProofForm,
    SubjectLookupForm,
)
from ..models import EventKind, Method
from .common import _campaign, _download, _form_errors_from


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
