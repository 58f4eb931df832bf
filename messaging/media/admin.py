"""Compliance staff: the allow-list of media types (data they edit) and the files, read-only."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from .models import MediaObject, MediaType
from .selectors import media_signed_url


@admin.register(MediaType)
class MediaTypeAdmin(admin.ModelAdmin):
    list_display = ("content_type", "label", "is_allowed", "note", "updated_at")
    list_editable = ("is_allowed",)
    readonly_fields = ("updated_at",)

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(MediaObject)
class MediaObjectAdmin(admin.ModelAdmin):
    list_display = ("uuid", "business", "source", "content_type", "size", "created_at")
    list_filter = ("source", "content_type")
    search_fields = ("uuid", "sha256")
    readonly_fields = [f.name for f in MediaObject._meta.fields] + ["preview"]
    exclude = ("file", "thumbnail")

    @admin.display(description="Preview")
    def preview(self, obj):
        if not obj.is_image or not obj.thumbnail:
            return "—"
        url = media_signed_url(obj, max_age=600)
        # A size attribute, not an inline style (the CSP refuses inline styles).
        return format_html('<img src="{}" alt="" width="160">', url)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
