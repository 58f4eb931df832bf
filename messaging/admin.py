"""Compliance staff: the message log, held messages (release / reject), lanes, broadcasts,
the inbound keyword table."""

from django.contrib import admin, messages

from . import services
from .models import Broadcast, KeywordRule, Message, SendLane


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "business",
        "direction",
        "from_number",
        "to_phone",
        "kind",
        "purpose",
        "status",
        "segments",
        "attempts",
        "error_code",
    )
    list_filter = ("status", "direction", "kind", "purpose")
    search_fields = ("uuid", "to_phone", "provider_id", "idempotency_key", "business__display_name")
    list_select_related = ("business", "from_number")
    readonly_fields = [f.name for f in Message._meta.fields]
    actions = ["release_held", "reject_held"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _review(self, request, queryset, release: bool):
        done = 0
        for message in queryset.filter(status=Message.Status.HELD):
            services.message_review(
                message=message, release=release, actor=request.user, note="admin"
            )
            done += 1
        self.message_user(
            request,
            f"{done} held message(s) {'released' if release else 'rejected'}.",
            messages.SUCCESS,
        )

    @admin.action(description="Release selected held messages to the queue")
    def release_held(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description="Reject (block) selected held messages")
    def reject_held(self, request, queryset):
        self._review(request, queryset, False)


@admin.register(SendLane)
class SendLaneAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "business",
        "drain_at",
        "task_eta",
        "throttled_until",
        "throttle_count",
        "last_drain_at",
    )
    readonly_fields = (
        "business",
        "number",
        "drain_at",
        "task_eta",
        "throttled_until",
        "throttle_count",
        "last_drain_at",
    )
    list_select_related = ("number", "business")

    def has_add_permission(self, request):
        return False


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "business",
        "name",
        "kind",
        "from_number",
        "status",
        "recipient_count",
        "estimate_seconds",
    )
    list_filter = ("status", "kind")
    search_fields = ("uuid", "name", "business__display_name")
    readonly_fields = [f.name for f in Broadcast._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    """The inbound keyword table: staff add words (another language, a misspelling) or turn
    one off. STOP, QUIT, END, REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE stop whatever the
    table says (47 CFR 64.1200(a)(10))."""

    list_display = ("word", "action", "language", "is_active")
    fields = ("word", "action", "language", "is_active")
    list_filter = ("action", "language", "is_active")
    search_fields = ("word",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.keyword_table_reset()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.keyword_table_reset()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.keyword_table_reset()
