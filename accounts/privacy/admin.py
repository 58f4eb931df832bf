"""Compliance staff: cookie consent records, the usage log, retention runs, and the
"person under 13" erasure action on users."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from accounts.client_ip import client_ip
from accounts.errors import ApplicationError

from . import services as privacy
from .models import CookieConsentRecord, RetentionRun, UsageLogEntry

UNDER_13_REASON = "person under 13"


class Under13Form(forms.Form):
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        help_text="How we learned it (kept in the audit trail).",
    )


@admin.action(description="Delete personal data: person under 13")
def erase_under_13(modeladmin, request, queryset):
    """Children under 13 may not have accounts (COPPA): anonymise the account at once."""
    if "apply" in request.POST:
        form = Under13Form(request.POST)
        if form.is_valid():
            note = form.cleaned_data["reason"].strip()
            reason = f"{UNDER_13_REASON}: {note}" if note else UNDER_13_REASON
            done = 0
            for user in queryset:
                if user.pk == request.user.pk or user.is_superuser:
                    modeladmin.message_user(
                        request, f"{user}: not erased (staff account).", messages.ERROR
                    )
                    continue
                try:
                    privacy.user_erase(
                        user=user,
                        actor=request.user,
                        reason=reason,
                        ip=client_ip(request),
                        force=True,
                    )
                    done += 1
                except ApplicationError as exc:
                    modeladmin.message_user(request, f"{user}: {exc.message}", messages.ERROR)
            if done:
                modeladmin.message_user(
                    request, f"Personal data deleted for {done} account(s).", messages.SUCCESS
                )
            return None
    else:
        form = Under13Form(initial={"_selected_action": queryset.values_list("pk", flat=True)})
    return TemplateResponse(
        request,
        "admin/accounts/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Delete personal data: person under 13",
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
            "reason_required": False,
        },
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CookieConsentRecord)
class CookieConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "policy_version", "method", "choices", "user", "ip_anonymised")
    list_filter = ("method", "policy_version")
    search_fields = ("browser_id", "user__email")
    date_hierarchy = "created_at"


@admin.register(UsageLogEntry)
class UsageLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "path", "browser", "os", "device", "ip_truncated")
    list_filter = ("device",)
    search_fields = ("user__email", "path")
    date_hierarchy = "created_at"


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "dry_run", "trigger", "results", "errors")
    list_filter = ("dry_run", "trigger")
    readonly_fields = (
        "uuid",
        "started_at",
        "finished_at",
        "dry_run",
        "trigger",
        "results",
        "errors",
        "settings_snapshot",
    )
