"""Compliance staff (admin): policy document versions and their publication, the
members' acceptances, the carrier penalty ledger, restrictions, and one page with a
business's whole compliance history.

This is the interface layer: a campaign suspension goes through the campaigns service
here (policies' services never import campaigns), then is recorded as a Restriction.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.client_ip import client_ip
from accounts.errors import ApplicationError
from accounts.models import AuditEvent, Business, BusinessStatusChange
from accounts.services import audit_record

from . import documents, penalties
from .governance_views import register_hooks
from .models import (
    BusinessScreening,
    CarrierPenalty,
    PolicyAcceptance,
    PolicyDecision,
    PolicyDocument,
    PolicyHold,
    Restriction,
    Strike,
)

# Navigation and export sections. Admin modules load at start-up in every process
# (django.setup() autodiscovers them); PoliciesConfig.ready() should call this instead.
register_hooks()


def _ip(request) -> str | None:
    return client_ip(request)


def _reason_page(modeladmin, request, queryset, *, title: str, error: str = ""):
    return TemplateResponse(
        request,
        "governance/admin_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "action": request.POST.get("action"),
            "error": error,
            "opts": modeladmin.model._meta,
        },
    )


# --- policy documents ----------------------------------------------------------------------


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "version",
        "effective_at",
        "published_at",
        "notified_count",
        "accepted_by",
        "public_link",
    )
    list_filter = ("kind", "published_at")
    search_fields = ("version", "title", "summary")
    actions = ["publish"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_accepted=Count("acceptances"))

    @admin.display(description="accepted by", ordering="n_accepted")
    def accepted_by(self, obj):
        return obj.n_accepted

    @admin.display(description="public page")
    def public_link(self, obj):
        if not obj.is_published:
            return "draft"
        url = reverse("governance:legal-version", args=[obj.kind, obj.version])
        return format_html('<a href="{}">{}</a>', url, url)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return ("kind", "version", "title", "summary", "body", "effective_at")
        return ()

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def save_model(self, request, obj, form, change):
        if obj.pk and obj.is_published:
            return  # published versions are read-only; nothing to save
        super().save_model(request, obj, form, change)
        audit_record(
            action="admin.policy_document.edit" if change else "admin.policy_document.add",
            obj=obj,
            actor=request.user,
            detail={"kind": obj.kind, "version": obj.version, "fields": form.changed_data},
            ip=_ip(request),
        )

    @admin.action(description="Publish (members are notified by email and in the portal)")
    def publish(self, request, queryset):
        for doc in queryset.order_by("effective_at"):
            try:
                n = documents.document_publish(document=doc, actor=request.user, ip=_ip(request))
            except ApplicationError as exc:
                detail = "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
                self.message_user(request, f"{doc}: not published. {detail}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{doc} published; {n} member(s) are notified.", messages.SUCCESS
                )


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("accepted_at", "user", "document", "business", "method", "ip")
    list_filter = ("document__kind", "method")
    search_fields = ("user__email", "document__version")
    list_select_related = ("user", "document", "business")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- carrier penalty ledger ----------------------------------------------------------------


class PenaltyForm(forms.ModelForm):
    class Meta:
        model = CarrierPenalty
        fields = (
            "business",
            "kind",
            "carrier",
            "carrier_reference",
            "amount",
            "currency",
            "incurred_on",
            "description",
            "evidence",
            "offsets",
        )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        errors = penalties.penalty_validate(
            business=data.get("business"),
            kind=data.get("kind", ""),
            carrier=data.get("carrier", ""),
            carrier_reference=data.get("carrier_reference", ""),
            amount=data.get("amount"),
            currency=data.get("currency", ""),
            description=data.get("description", ""),
            offsets=data.get("offsets"),
        )
        for field, msgs in errors.items():
            if field in self.fields and field not in self.errors:
                for m in msgs:
                    self.add_error(field, m)
        return data


@admin.register(CarrierPenalty)
class CarrierPenaltyAdmin(admin.ModelAdmin):
    form = PenaltyForm
    list_display = (
        "incurred_on",
        "business",
        "kind",
        "carrier",
        "carrier_reference",
        "amount",
        "currency",
        "recorded_by",
    )
    list_filter = ("kind", "carrier", "currency")
    search_fields = ("carrier_reference", "business__display_name", "business__legal_name")
    autocomplete_fields = ("business",)
    raw_id_fields = ("offsets",)
    list_select_related = ("business", "recorded_by")

    def has_change_permission(self, request, obj=None):
        return False  # a ledger: corrections are credit entries

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        d = form.cleaned_data
        entry = penalties.penalty_record(
            business=d["business"],
            kind=d["kind"],
            carrier=d["carrier"],
            carrier_reference=d["carrier_reference"],
            amount=d["amount"],
            currency=d["currency"],
            incurred_on=d["incurred_on"],
            description=d["description"],
            evidence=d.get("evidence", ""),
            offsets=d.get("offsets"),
            actor=request.user,
            ip=_ip(request),
        )
        obj.pk, obj.uuid = entry.pk, entry.uuid


# --- restrictions --------------------------------------------------------------------------


class RestrictionForm(forms.ModelForm):
    campaign: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,  # set in __init__
        required=False,
        help_text="For a campaign suspension: an approved campaign of this business.",
    )

    class Meta:
        model = Restriction
        fields = (
            "business",
            "kind",
            "limit",
            "window",
            "campaign",
            "penalty",
            "reason",
            "remedy",
            "ends_at",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from campaigns.models import Campaign  # interface layer reads campaigns

        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ModelChoiceField)
        campaign.queryset = Campaign.objects.select_related("business").order_by(
            "business__display_name"
        )
        self.fields["window"].initial = 60

    def clean(self):
        super().clean()
        data = self.cleaned_data
        business = data.get("business")
        kind = data.get("kind", "")
        campaign = data.get("campaign")
        if campaign is not None:
            if kind != Restriction.Kind.CAMPAIGN_SUSPENSION:
                self.add_error("campaign", "Only a campaign suspension names a campaign.")
            elif business is not None and campaign.business_id != business.pk:
                self.add_error("campaign", "That campaign belongs to another business.")
            elif campaign.status != "APPROVED":
                self.add_error(
                    "campaign", f"Only an approved campaign can be suspended ({campaign.status})."
                )
        errors = penalties.restriction_validate(
            business=business,
            kind=kind,
            reason=data.get("reason", ""),
            remedy=data.get("remedy", ""),
            limit=data.get("limit"),
            window=data.get("window"),
            campaign_uuid=campaign.uuid if campaign else None,
            penalty=data.get("penalty"),
            ends_at=data.get("ends_at"),
        )
        for field, msgs in errors.items():
            target = field if field in self.fields else None
            if target is None or target not in self.errors:
                for m in msgs:
                    self.add_error(target, m)
        return data


def restriction_apply_from_admin(*, data: dict, actor, ip) -> Restriction:
    """Apply a restriction; a campaign suspension goes through the campaigns service."""
    campaign = data.get("campaign")
    with transaction.atomic():
        if data["kind"] == Restriction.Kind.CAMPAIGN_SUSPENSION:
            from campaigns import services as campaign_services

            assert campaign is not None  # RestrictionForm.clean requires one for a suspension
            campaign_services.campaign_set_status(
                campaign=campaign,
                to_status="SUSPENDED",
                reason=data["reason"],
                actor=actor,
                ip=ip,
                source="staff",
            )
        return penalties.restriction_apply(
            business=data["business"],
            kind=data["kind"],
            reason=data["reason"],
            remedy=data["remedy"],
            limit=data.get("limit"),
            window=data.get("window"),
            campaign_uuid=campaign.uuid if campaign else None,
            campaign_label=str(campaign)[:255] if campaign else "",
            penalty=data.get("penalty"),
            ends_at=data.get("ends_at"),
            actor=actor,
            ip=ip,
        )


def restriction_lift_from_admin(*, restriction: Restriction, reason: str, actor, ip) -> None:
    """Lift; a suspended campaign is reinstated through the campaigns service."""
    with transaction.atomic():
        if restriction.kind == Restriction.Kind.CAMPAIGN_SUSPENSION and restriction.campaign_uuid:
            from campaigns import services as campaign_services
            from campaigns.models import Campaign

            campaign = Campaign.objects.filter(
                business=restriction.business, uuid=restriction.campaign_uuid
            ).first()
            if campaign is not None and campaign.status == "SUSPENDED":
                campaign_services.campaign_set_status(
                    campaign=campaign,
                    to_status="APPROVED",
                    reason=f"Restriction lifted: {reason}",
                    actor=actor,
                    ip=ip,
                    source="staff",
                )
        penalties.restriction_lift(restriction=restriction, reason=reason, actor=actor, ip=ip)


class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", "In force"), ("no", "Lifted or ended")]

    def queryset(self, request, queryset):
        from django.db.models import Q
        from django.utils import timezone

        live = Q(lifted_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        if self.value() == "yes":
            return queryset.filter(live)
        if self.value() == "no":
            return queryset.exclude(live)
        return queryset


@admin.register(Restriction)
class RestrictionAdmin(admin.ModelAdmin):
    form = RestrictionForm
    list_display = ("starts_at", "business", "__str__", "reason", "ends_at", "lifted_at")
    list_filter = (InForceFilter, "kind")
    search_fields = ("business__display_name", "business__legal_name", "reason")
    autocomplete_fields = ("business",)
    raw_id_fields = ("penalty",)
    list_select_related = ("business",)
    actions = ["lift"]

    def has_change_permission(self, request, obj=None):
        return False  # applied and lifted only through the services (audited)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        row = restriction_apply_from_admin(
            data=form.cleaned_data, actor=request.user, ip=_ip(request)
        )
        obj.pk, obj.uuid = row.pk, row.uuid

    @admin.action(description="Lift (reason required; shown to the business)")
    def lift(self, request, queryset):
        if "apply" not in request.POST:
            return _reason_page(self, request, queryset, title="Lift restrictions")
        reason = request.POST.get("reason", "").strip()
        if not reason:
            return _reason_page(
                self, request, queryset, title="Lift restrictions", error="A reason is required."
            )
        done = 0
        for row in queryset.select_related("business"):
            try:
                restriction_lift_from_admin(
                    restriction=row, reason=reason, actor=request.user, ip=_ip(request)
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{row}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Lifted {done} restriction(s).", messages.SUCCESS)
        return None

    def get_urls(self):
        return [
            path(
                "business/<uuid:business_uuid>/history/",
                self.admin_site.admin_view(self.compliance_history_view),
                name="policies_compliance_history",
            ),
            *super().get_urls(),
        ]

    def compliance_history_view(self, request, business_uuid):
        """A business's whole compliance history on one page (reads other apps read-only)."""
        from campaigns.models import CampaignStatusChange
        from messaging.models import Message

        business = get_object_or_404(Business, uuid=business_uuid)
        status_counts = dict(
            Message.objects.filter(business=business, status__in=["HELD", "BLOCKED"])
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compliance history: {business.display_name}",
            "business": business,
            "opts": Business._meta,
            "vetting": BusinessStatusChange.objects.filter(business=business).select_related(
                "actor"
            ),
            "screenings": BusinessScreening.objects.filter(business=business),
            "strikes": Strike.objects.filter(business=business),
            "hold": PolicyHold.objects.filter(business=business).first(),
            "decisions": PolicyDecision.objects.filter(business=business)
            .values("gate", "decision")
            .annotate(n=Count("id"))
            .order_by("gate", "decision"),
            "penalties": penalties.penalty_list(business=business).select_related(
                "recorded_by", "offsets"
            ),
            "totals": penalties.penalty_totals(business=business),
            "restrictions": penalties.restriction_history(business=business).select_related(
                "created_by", "lifted_by"
            ),
            "campaign_changes": CampaignStatusChange.objects.filter(business=business)
            .select_related("campaign", "actor")
            .order_by("-created_at")[:200],
            "held": status_counts.get("HELD", 0),
            "blocked": status_counts.get("BLOCKED", 0),
            "audit": AuditEvent.objects.filter(business=business).order_by("-created_at")[:300],
        }
        return TemplateResponse(request, "governance/admin_history.html", context)
