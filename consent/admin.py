"""Compliance staff: the consent ledger (read-only, with evidence), chain verification,
contacts with data-subject export and erasure (audited), forms, imports, suppressions."""

import json

from django.contrib import admin, messages
from django.http import HttpResponse

from accounts.client_ip import client_ip
from accounts.models import Business

from . import selectors, services, subject
from .models import ConsentEvent, ConsentState, Contact, ContactImport, OptInForm, Suppression


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description="Verify the hash chain of these events' businesses")
def verify_chain(modeladmin, request, queryset):
    business_ids = set(queryset.values_list("business_id", flat=True))
    for business in Business.objects.filter(pk__in=business_ids):
        report = selectors.ledger_verify(business=business)
        if report.ok:
            modeladmin.message_user(
                request, f"{business}: chain intact ({report.checked} events).", messages.SUCCESS
            )
        else:
            modeladmin.message_user(
                request,
                f"{business}: first broken link is event #{report.first_broken_seq} "
                f"{report.first_broken_uuid}: {report.reason}",
                messages.ERROR,
            )


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "business", "contact", "kind", "method", "scope_label", "created_at")
    list_filter = ("kind", "method", "business")
    search_fields = ("uuid", "contact__uuid", "source", "page_url")
    list_select_related = ("business", "contact", "campaign")
    actions = [verify_chain]
    readonly_fields = ("evidence_details",)
    exclude = ()

    @admin.display(description="Personal evidence (IP, browser, submitted data)")
    def evidence_details(self, obj):
        evidence = getattr(obj, "evidence", None)
        if evidence is None:
            return "—"
        if evidence.erased_at:
            return f"erased on {evidence.erased_at:%Y-%m-%d} (digest kept: {obj.evidence_sha256})"
        return json.dumps(
            {"ip": evidence.ip, "user_agent": evidence.user_agent, "data": evidence.data},
            indent=2,
        )

    def get_actions(self, request):
        # the read-only base removes "delete selected"; keep the verification action
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.action(description="Export everything about the selected contacts (JSON)")
def export_contacts(modeladmin, request, queryset):
    bundles = []
    for contact in queryset.select_related("business"):
        bundles.append(subject.export_bundle(business=contact.business, contact=contact))
        services.contact_export_record(
            business=contact.business,
            contact=contact,
            actor=request.user,
            ip=client_ip(request),
        )
    response = HttpResponse(
        json.dumps(bundles, indent=2, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="contacts-export.json"'
    return response


@admin.action(description="Erase the selected contacts (keeps the suppression hash)")
def erase_contacts(modeladmin, request, queryset):
    done = 0
    for contact in queryset.select_related("business").filter(erased_at=None):
        services.contact_erase(
            business=contact.business,
            contact=contact,
            actor=request.user,
            ip=client_ip(request),
        )
        done += 1
    modeladmin.message_user(request, f"Erased {done} contact(s).", messages.SUCCESS)


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "business", "phone", "name", "source", "created_at", "erased_at")
    list_filter = ("source", "business")
    search_fields = ("uuid", "phone", "name", "email")
    list_select_related = ("business",)
    actions = [export_contacts, erase_contacts]


@admin.register(ConsentState)
class ConsentStateAdmin(ReadOnlyAdmin):
    list_display = ("contact", "scope_key", "status", "event_seq", "updated_at")
    list_filter = ("status",)
    list_select_related = ("contact",)


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ("business", "phone_hash", "campaign", "reason", "opted_out_at", "lifted_at")
    list_filter = ("reason", "business")


@admin.register(OptInForm)
class OptInFormAdmin(ReadOnlyAdmin):
    list_display = ("name", "business", "version", "double_opt_in", "is_active", "updated_at")
    list_filter = ("is_active", "double_opt_in")


@admin.register(ContactImport)
class ContactImportAdmin(ReadOnlyAdmin):
    list_display = (
        "filename",
        "business",
        "status",
        "total_rows",
        "consented_count",
        "suppressed_count",
        "rejected_count",
        "attested_by",
        "created_at",
    )
    list_filter = ("status",)
    exclude = ("content",)
