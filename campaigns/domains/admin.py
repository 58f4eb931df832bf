"""Compliance staff: link domains, verified by hand or revoked with a reason (audited)."""

from django.contrib import admin

from accounts.admin_actions import reason_action

from . import services
from .models import BrandDomain


def _verify(domain, *, reason, actor, ip):
    services.brand_domain_verify_by_staff(domain=domain, reason=reason, actor=actor, ip=ip)


def _revoke(domain, *, reason, actor, ip):
    services.brand_domain_revoke(domain=domain, reason=reason, actor=actor, ip=ip)


@admin.register(BrandDomain)
class BrandDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "business", "status", "method", "verified_at", "last_checked_at")
    list_filter = ("status", "method")
    search_fields = ("domain", "business__display_name", "business__legal_name")
    list_select_related = ("business",)
    actions = [
        reason_action(label="Verify by hand", name="verify_by_hand", apply=_verify,
                      noun="domain(s)"),
        reason_action(label="Revoke verification", name="revoke", apply=_revoke,
                      noun="domain(s)"),
    ]  # fmt: skip
    readonly_fields = (
        "uuid", "business", "domain", "token", "status", "method", "verified_at",
        "verified_by", "staff_reason", "last_checked_at", "last_result", "created_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False  # rows follow the business's own list (services.brand_domains_sync)

    def has_delete_permission(self, request, obj=None):
        return False
