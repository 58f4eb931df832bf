"""Compliance staff: the campaign review queue (approve / reject / suspend, with reasons),
brands, numbers. Every decision goes through services, so it is recorded and audited."""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from accounts.admin_actions import reason_action
from accounts.errors import ApplicationError
from accounts.models import Business

from . import services, throughput
from .models import Brand, Campaign, CampaignReview, CampaignStatusChange, PhoneNumber
from .selectors import campaigns_review_queue, carrier_limits

S = Campaign.Status


def status_action(*, to_status: str, label: str, name: str, reason_required: bool):
    """Move the selected campaigns to ``to_status`` (staff), with a reason shown to the
    business."""

    def apply(campaign, *, reason, actor, ip):
        services.campaign_set_status(
            campaign=campaign, to_status=to_status, reason=reason, actor=actor, ip=ip,
            source="staff",
        )  # fmt: skip

    return reason_action(
        label=label, name=name, apply=apply, noun="campaign(s)", reason_required=reason_required
    )


CAMPAIGN_ACTIONS = [
    status_action(to_status=S.REVIEW, label="Start review", name="start_review",
                  reason_required=False),
    status_action(to_status=S.APPROVED, label="Approve", name="approve", reason_required=False),
    status_action(to_status=S.REJECTED, label="Reject", name="reject", reason_required=True),
    status_action(to_status=S.SUSPENDED, label="Suspend", name="suspend", reason_required=True),
    status_action(to_status=S.APPROVED, label="Reinstate (after suspension)", name="reinstate",
                  reason_required=True),
    status_action(to_status=S.DEACTIVATED, label="Deactivate", name="deactivate",
                  reason_required=True),
    status_action(to_status=S.EXPIRED, label="Mark expired", name="expire", reason_required=True),
]  # fmt: skip


class HistoryInline(admin.TabularInline):
    model = CampaignStatusChange
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "reason", "actor", "source")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CampaignAdmin(admin.ModelAdmin):
    # any length: CampaignReviewAdmin below shows fewer columns and filters
    list_display: tuple[str, ...] = (
        "__str__", "business", "brand", "usecase", "automated", "status", "registrar",
        "submission", "submitted_at",
    )  # fmt: skip
    list_filter: ClassVar[tuple[str, ...]] = (
        "status", "registrar", "usecase", "automated", "submission",
    )  # fmt: skip
    search_fields = ("name", "brand__display_name", "business__display_name", "description")
    list_select_related = ("business", "brand")
    actions = CAMPAIGN_ACTIONS
    inlines = [HistoryInline]
    fieldsets = [
        ("Status", {"fields": ["status", "status_reason", "failure_reasons", "policy_summary",
                               "registrar", "submission", "registry_campaign_id",
                               "registry_status", "registry_error", "submitted_at",
                               "approved_at"]}),
        ("Registration", {"fields": ["business", "brand", "name", "usecase", "sub_usecases",
                                     "description", "message_flow", "sample1", "sample2",
                                     "sample3", "sample4", "sample5", "help_message",
                                     "optin_message", "optout_message", "help_keywords",
                                     "optin_keywords", "optout_keywords"]}),
        ("Flags", {"fields": ["automated", "subscriber_optin", "subscriber_optout",
                              "subscriber_help", "number_pool", "direct_lending",
                              "embedded_link", "embedded_link_sample", "embedded_phone", "mms",
                              "age_gated", "affiliate_marketing", "auto_renewal",
                              "terms_and_conditions", "terms_and_conditions_link",
                              "privacy_policy_link"]}),
        ("Carrier limits", {"fields": ["limits_summary", "att_message_class", "att_tpm",
                                       "messaging_service_sid"]}),
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        # Staff decide through the actions; the registration itself is the business's words.
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="In force")
    def limits_summary(self, obj):
        return _limits_html(obj)

    @admin.display(description="Policy check")
    def policy_summary(self, obj):
        reasons = (obj.policy_decision or {}).get("reasons") or []
        if not reasons:
            return (obj.policy_decision or {}).get("decision", "—")
        return format_html_join(
            "", "<div>{} ({}): {}</div>",
            ((r.get("verdict"), r.get("category"), r.get("message")) for r in reasons),
        )  # fmt: skip


admin.site.register(Campaign, CampaignAdmin)


@admin.register(CampaignReview)
class CampaignReviewAdmin(CampaignAdmin):
    """The queue: manual-registrar campaigns waiting for our decision, oldest first."""

    list_display = ("__str__", "business", "brand", "usecase", "status", "submitted_at",
                    "policy_summary")  # fmt: skip
    list_filter = ("status", "usecase")
    actions = CAMPAIGN_ACTIONS[:3]

    def get_queryset(self, request):
        return campaigns_review_queue()


def _limits_html(campaign: Campaign):
    """The carriers' limits on a campaign and its brand, where each figure comes from (the
    registrar's report, or the table of campaigns/data/carrier_limits.json and its sources)."""
    limits = carrier_limits(campaign=campaign)
    table = throughput.table()
    sources = [*table["att_tpm"]["sources"], *table["tmobile_daily"]["sources"]]
    return format_html(
        "<div>AT&amp;T: class {} — {} messages a minute for this campaign ({})</div>"
        "<div>T-Mobile: tier {} — {} a day for the brand, all its numbers ({})</div>"
        "<div class='help'>Table {} ({}); sources: {}</div>",
        limits.message_class, f"{limits.campaign_tpm:,}", limits.campaign_source,
        limits.brand_tier, f"{limits.brand_daily:,}", limits.brand_source,
        table["version"], table["unit"], "; ".join(sources),
    )  # fmt: skip


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("display_name", "business", "entity_type", "ein", "vertical", "status",
                    "identity_status", "registrar")  # fmt: skip
    list_filter = ("status", "entity_type", "vertical", "identity_status")
    search_fields = ("display_name", "company_name", "ein", "business__display_name")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Brand._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ExistingNumberForm(forms.ModelForm):
    """Staff add a number bought elsewhere: the same checks as buying one, by the same
    service (``phone_number_add_existing``); the provider's refusals land on the fields."""

    actor = None
    provider = forms.ChoiceField(
        choices=[("", "The sending provider (MESSAGING_PROVIDER)"), ("twilio", "Twilio"),
                 ("simulated", "Simulated carrier")],
        required=False,
        help_text="Where the number lives; it must be in that provider's account.",
    )  # fmt: skip
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.select_related("brand"),
        required=False,
        help_text="An APPROVED campaign of the same business (optional).",
    )

    class Meta:
        model = PhoneNumber
        fields = ["business", "e164"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        business = self.fields["business"]
        assert isinstance(business, forms.ModelChoiceField)
        business.queryset = Business.objects.order_by("display_name")
        self.fields["e164"].label = "Number"
        self.fields["e164"].help_text = "E.164, e.g. +12025550123."
        self.created: PhoneNumber | None = None

    def validate_unique(self):
        return None  # the service checks that the number is not in use, and says so

    def clean(self):
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.created = services.phone_number_add_existing(
                business=data["business"], e164=data["e164"], campaign=data.get("campaign"),
                provider=data.get("provider") or "", actor=self.actor,
            )  # fmt: skip
        except ApplicationError as exc:
            for field, errors in (exc.fields or {"__all__": [exc.message]}).items():
                target = {"number": "e164"}.get(field, field)
                for error in errors:
                    self.add_error(target if target in self.fields else None, error)
        return data


def number_action(*, to_status: str, label: str, name: str):
    def action(modeladmin, request, queryset):
        for number in queryset:
            try:
                services.phone_number_set_status(
                    number=number, to_status=to_status, reason=label, actor=request.user
                )
            except ApplicationError as exc:
                modeladmin.message_user(request, f"{number}: {exc.message}", messages.ERROR)
        modeladmin.message_user(request, f"{label}: done.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=label)(action)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    list_display = ("e164", "business", "campaign", "status", "provider", "assigned_at")
    list_filter = ("status", "provider")
    search_fields = ("e164", "business__display_name")
    list_select_related = ("business", "campaign")
    actions = [
        number_action(to_status="SUSPENDED", label="Suspend number", name="suspend_number"),
        number_action(to_status="ACTIVE", label="Reinstate number", name="reinstate_number"),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:  # adding a number bought elsewhere: the form below
            return []
        return [f.name for f in PhoneNumber._meta.fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)

        class Bound(ExistingNumberForm):
            actor = request.user

        return Bound

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["business", "e164", "provider", "campaign"]})]
        return super().get_fieldsets(request, obj)

    def save_form(self, request, form, change):
        if not change:
            return form.created  # recorded by the service when the form was checked
        return super().save_form(request, form, change)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:  # an added number has no relations to save beyond what the service wrote
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False
