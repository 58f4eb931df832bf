"""Compliance staff: vet businesses, see members and keys, read the audit trail."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

from . import services
from .admin_actions import reason_action
from .client_ip import client_ip
from .models import ApiKey, AuditEvent, Business, BusinessStatusChange, Invitation, Membership, User
from .privacy.admin import erase_under_13  # an action on businesses (privacy)


class StaffLoginForm(OTPAdminAuthenticationForm):
    """django-otp's admin login (password and code), except that a staff member with one
    device need not choose it: django-otp answers "Please select a device" even then, since
    it never guesses among several (a wrong guess counts as a failure on each)."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            # locked like django-otp's own choice; clean_otp runs this in a transaction
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


# config/urls.py makes the site an OTPAdminSite; its login uses this form
admin.site.login_form = StaffLoginForm


def vetting_action(*, to_status: str, label: str, reason_required: bool = True, name: str = ""):
    """Move the selected businesses to ``to_status`` (vetting), with a reason."""

    def apply(business, *, reason, actor, ip):
        services.business_set_vetting(
            business=business, to_status=to_status, reason=reason, actor=actor, ip=ip
        )

    return reason_action(
        label=label,
        name=name or f"set_{to_status.lower()}",
        apply=apply,
        noun="business(es)",
        reason_required=reason_required,
    )


class StatusHistoryInline(admin.TabularInline):
    model = BusinessStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "reason", "actor", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("display_name", "legal_name", "website", "vetting_status", "created_at")
    list_filter = ("vetting_status", "created_at")
    search_fields = ("display_name", "legal_name", "website", "industry_description")
    readonly_fields = (
        "uuid",
        "vetting_status",
        "vetting_reason",
        "vetting_changed_at",
        "created_at",
    )
    inlines = [MembershipInline, StatusHistoryInline]
    actions = [
        vetting_action(to_status="APPROVED", label="Approve", reason_required=False),
        vetting_action(to_status="SUSPENDED", label="Suspend"),
        # its own name: Approve and Reinstate share a target state
        vetting_action(to_status="APPROVED", label="Reinstate", name="reinstate"),
        vetting_action(to_status="TERMINATED", label="Terminate"),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.audit_record(
            action="admin.business.edit" if change else "admin.business.add",
            obj=obj,
            actor=request.user,
            business=obj,
            detail={"fields": sorted(form.changed_data)},
            ip=client_ip(request),
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "full_name")
    actions = [erase_under_13]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "business", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "business__display_name")
    raw_id_fields = ("user", "business")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "business", "role", "created_at", "expires_at", "accepted_at")
    readonly_fields = ("token_hash",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "business",
        "role",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "business__display_name")
    readonly_fields = (
        "uuid",
        "prefix",
        "key_hash",
        "business",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke"]

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(key=key, actor=request.user, ip=client_ip(request))
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "business",
        "ip",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_id", "object_repr", "action")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
