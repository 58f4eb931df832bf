"""Admin of the public site's requests: staff list booked calls and answer support."""

from django import forms
from django.contrib import admin, messages

from accounts.client_ip import client_ip

from . import services as public_services
from .models import AppointmentRequest, SupportRequest


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "name", "email", "phone", "topic", "status", "scheduled_for")
    list_filter = ("status", "topic")
    search_fields = ("name", "email", "phone")
    date_hierarchy = "created_at"
    readonly_fields = (
        "uuid",
        "topic",
        "name",
        "email",
        "phone",
        "preferred_times",
        "time_zone",
        "note",
        "user",
        "ip",
        "acknowledged_at",
        "created_at",
    )
    fields = (*readonly_fields, "status", "scheduled_for", "staff_note")
    actions = ("mark_done", "mark_canceled")

    def has_add_permission(self, request):
        return False  # requests come from the public form only

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data or "scheduled_for" in form.changed_data:
            obj.save(update_fields=["staff_note"])
            public_services.appointment_request_set_status(
                appointment=obj,
                status=obj.status,
                scheduled_for=obj.scheduled_for,
                actor=request.user,
                ip=client_ip(request),
            )
        else:
            obj.save(update_fields=["staff_note"])

    def _set(self, request, queryset, status):
        for appt in queryset:
            public_services.appointment_request_set_status(
                appointment=appt, status=status, actor=request.user
            )
        self.message_user(request, f"{queryset.count()} request(s) marked {status.lower()}.")

    @admin.action(description="Mark selected calls as done")
    def mark_done(self, request, queryset):
        self._set(request, queryset, AppointmentRequest.Status.DONE)

    @admin.action(description="Cancel selected calls")
    def mark_canceled(self, request, queryset):
        self._set(request, queryset, AppointmentRequest.Status.CANCELED)


class SupportAnswerForm(forms.ModelForm):
    class Meta:
        model = SupportRequest
        fields = ("answer", "status")
        help_texts = {
            "answer": "Saving a new answer emails it to the requester and marks the request "
            "answered.",
        }


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    form = SupportAnswerForm
    list_display = ("created_at", "subject", "email", "business", "status", "answered_at")
    list_filter = ("status",)
    search_fields = ("subject", "email", "name", "body")
    date_hierarchy = "created_at"
    readonly_fields = (
        "uuid",
        "name",
        "email",
        "subject",
        "body",
        "user",
        "business",
        "ip",
        "created_at",
        "acknowledged_at",
        "answered_by",
        "answered_at",
        "notified_at",
    )
    fields = (*readonly_fields, "answer", "status")

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        # a person's request or one we should not keep: audited, by id only
        public_services.support_request_delete(
            request=obj, actor=request.user, ip=client_ip(request)
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_model(self, request, obj, form, change):
        if "answer" in form.changed_data and obj.answer.strip():
            public_services.support_request_answer(
                request=obj,
                answer=obj.answer,
                actor=request.user,
                ip=client_ip(request),
            )
            if obj.notified_at:
                self.message_user(request, f"Answer emailed to {obj.email}.")
            else:
                self.message_user(
                    request,
                    f"Answer saved, but the email to {obj.email} failed: send it by hand.",
                    level=messages.WARNING,
                )
            return
        obj.save(update_fields=["status"])
