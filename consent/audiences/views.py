"""Portal pages: contact field definitions, saved segments, a contact's typed fields."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap, role_can
from accounts.tenancy import TenantMixin, form_errors_show, page_again
from consent import selectors as consent_selectors
from consent import services as consent_services

from . import filters as segment_filters
from . import selectors, services
from .forms import ContactFieldForm, SegmentForm

# service field names -> form field names, for errors shown next to the field
_SEGMENT_ALIASES = {
    "filters.tags": "tags",
    "filters.consent": "consent",
    "filters.active_within_days": "active_within_days",
    "filters.inactive_days": "inactive_days",
}


def _segment_field(name: str) -> str:
    """The segment form's field of a service's field name."""
    if name in _SEGMENT_ALIASES:
        return _SEGMENT_ALIASES[name]
    if name.startswith("filters.fields."):
        index, _, part = name.removeprefix("filters.fields.").partition(".")
        return {"key": f"field_{index}", "op": f"op_{index}", "value": f"value_{index}"}.get(
            part, f"field_{index}"
        )
    return name


class AudienceIndexView(TenantMixin, TemplateView):
    template_name = "audiences/index.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fields = list(selectors.contact_field_list(business=self.business))
        choices = [(f.key, f"{f.label} ({f.kind})") for f in fields]
        segments = list(selectors.segment_list(business=self.business))
        context.update(
            fields=fields,
            segments=[
                (
                    s,
                    segment_filters.describe(s.filters),
                    selectors.segment_members(segment=s).count(),
                )
                for s in segments
            ],
            field_form=kwargs.get("field_form") or ContactFieldForm(prefix="cf"),
            segment_form=kwargs.get("segment_form") or SegmentForm(field_choices=choices),
            can_manage=role_can(self.membership.role, Cap.MANAGE_CONTACTS),
        )
        return context


class ContactFieldCreateView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def post(self, request):
        form = ContactFieldForm(request.POST, prefix="cf")
        if form.is_valid():
            try:
                services.contact_field_create(
                    business=self.business, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                form_errors_show(form, exc)
            else:
                messages.success(request, f"Field {form.cleaned_data['key']} added.")
                return redirect("audiences:index")
        return page_again(AudienceIndexView, self, field_form=form)


class ContactFieldDeleteView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def post(self, request, field_uuid):
        field = selectors.contact_field_get(business=self.business, field_uuid=field_uuid)
        services.contact_field_delete(field=field, actor=request.user)
        messages.success(request, f"Field {field.key} removed; contacts keep their values.")
        return redirect("audiences:index")


class SegmentCreateView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def post(self, request):
        fields = selectors.contact_field_list(business=self.business)
        form = SegmentForm(request.POST, field_choices=[(f.key, f.label) for f in fields])
        if form.is_valid():
            try:
                segment = services.segment_create(
                    business=self.business,
                    name=form.cleaned_data["name"],
                    filters=form.filters(),
                    actor=request.user,
                )
            except ApplicationError as exc:
                form_errors_show(form, exc, _segment_field)
            else:
                messages.success(request, f"Segment “{segment.name}” saved.")
                return redirect("audiences:segment-detail", segment_uuid=segment.uuid)
        return page_again(AudienceIndexView, self, segment_form=form)


class SegmentDetailView(TenantMixin, TemplateView):
    template_name = "audiences/segment_detail.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        segment = selectors.segment_get(
            business=self.business, segment_uuid=self.kwargs["segment_uuid"]
        )
        members = selectors.segment_members(segment=segment)
        context.update(
            segment=segment,
            description=segment_filters.describe(segment.filters),
            count=members.count(),
            sample=list(members[:50]),
            can_manage=role_can(self.membership.role, Cap.MANAGE_CONTACTS),
        )
        return context


class SegmentDeleteView(TenantMixin, View):
    required_cap = Cap.MANAGE_CONTACTS

    def post(self, request, segment_uuid):
        segment = selectors.segment_get(business=self.business, segment_uuid=segment_uuid)
        services.segment_delete(segment=segment, actor=request.user)
        messages.success(request, f"Segment “{segment.name}” deleted.")
        return redirect("audiences:index")


class ContactFieldsEditView(TenantMixin, TemplateView):
    """A contact's typed custom fields, one input per definition."""

    template_name = "audiences/contact_fields.html"
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CONTACTS

    def _contact(self):
        return consent_selectors.contact_get(
            business=self.business, contact_uuid=self.kwargs["contact_uuid"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = kwargs.get("contact") or self._contact()
        errors = kwargs.get("errors") or {}
        values = kwargs.get("values") or contact.custom_fields
        context.update(
            contact=contact,
            rows=[
                (f, values.get(f.key, ""), errors.get(f"custom_fields.{f.key}", []))
                for f in selectors.contact_field_list(business=self.business)
            ],
            can_manage=role_can(self.membership.role, Cap.MANAGE_CONTACTS),
        )
        return context

    def post(self, request, contact_uuid):
        contact = self._contact()
        definitions = list(selectors.contact_field_list(business=self.business))
        values = dict(contact.custom_fields)
        for field in definitions:
            raw = request.POST.get(f"f_{field.key}", "").strip()
            if raw:
                values[field.key] = raw
            else:
                values.pop(field.key, None)
        try:
            consent_services.contact_update(
                business=self.business, contact=contact, actor=request.user, custom_fields=values
            )
        except ApplicationError as exc:
            return self.render_to_response(
                self.get_context_data(contact=contact, errors=exc.fields or {}, values=values),
                status=400,
            )
        messages.success(request, "Fields saved.")
        return redirect("audiences:contact-fields", contact_uuid=contact.uuid)
