"""Compliance staff: the campaign review queue (approve / reject / suspend, with reasons),
brands, numbers. Every decision goes through services, so it is recorded and audited."""

from typing import ClassVar

from django.contrib import admin, messages
from django.utils.html import format_html_join

from accounts.admin_actions import reason_action
from accounts.errors import ApplicationError

from . import services
from .models import Brand, Campaign, CampaignReview, CampaignStatusChange, PhoneNumber
from .selectors import campaigns_review_queue

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
                              "embedded_link", "embedded_link_sample", "embedded_phone",
                              "age_gated", "affiliate_marketing", "auto_renewal",
                              "terms_and_conditions", "terms_and_conditions_link",
                              "privacy_policy_link"]}),
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        # Staff decide through the actions; the registration itself is the business's words.
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
        return [f.name for f in PhoneNumber._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
