"""Compliance staff: vet businesses, see members and keys, read the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse

from . import services
from .errors import ApplicationError
from .models import ApiKey, AuditEvent, Business, BusinessStatusChange, Invitation, Membership, User
from .privacy_admin import erase_under_13  # also registers the privacy models


class ReasonForm(forms.Form):
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False)


def reason_action(
    *, to_status: str, label: str, reason_required: bool = True, name: str | None = None
):
    """An admin action that asks for a reason on an intermediate page, then applies it."""

    def action(modeladmin, request, queryset):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid() and (form.cleaned_data["reason"].strip() or not reason_required):
                done = 0
                for business in queryset:
                    try:
                        services.business_set_vetting(
                            business=business,
                            to_status=to_status,
                            reason=form.cleaned_data["reason"],
                            actor=request.user,
                            ip=request.META.get("REMOTE_ADDR"),
                        )
                        done += 1
                    except ApplicationError as exc:
                        modeladmin.message_user(
                            request, f"{business}: {exc.message}", messages.ERROR
                        )
                if done:
                    modeladmin.message_user(
                        request, f"{label}: {done} business(es).", messages.SUCCESS
                    )
                return None
            messages.error(request, "A reason is required.")
        else:
            form = ReasonForm(initial={"_selected_action": queryset.values_list("pk", flat=True)})
        return TemplateResponse(
            request,
            "admin/accounts/reason_action.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": f"{label}: give a reason",
                "objects": queryset,
                "form": form,
                "action": request.POST.get("action"),
                "opts": modeladmin.model._meta,
                "reason_required": reason_required,
            },
        )

    action.__name__ = name or f"set_{to_status.lower()}"
    return admin.action(description=label)(action)


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
        reason_action(to_status="APPROVED", label="Approve", reason_required=False),
        reason_action(to_status="SUSPENDED", label="Suspend"),
        # its own name: Approve and Reinstate share a target state
        reason_action(to_status="APPROVED", label="Reinstate", name="reinstate"),
        reason_action(to_status="TERMINATED", label="Terminate"),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.audit_record(
            action="admin.business.edit" if change else "admin.business.add",
            obj=obj,
            actor=request.user,
            business=obj,
            detail={"fields": sorted(form.changed_data)},
            ip=request.META.get("REMOTE_ADDR"),
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
            services.api_key_revoke(key=key, actor=request.user, ip=request.META.get("REMOTE_ADDR"))
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


from .public_admin import AppointmentRequestAdmin  # noqa: E402, F401 - registers its admin
