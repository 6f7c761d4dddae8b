"""Admin: configuration tables editable; reports read-mostly; history read-only."""

from __future__ import annotations

from django.contrib import admin

from tinhso.core.admin import ViewOnlyAdminMixin
from tinhso.reports.models import (
    ApiClient,
    CalendarException,
    Category,
    DeadlineRule,
    HandlingUnit,
    Membership,
    Photo,
    ReplyTemplate,
    Report,
    ReportEvent,
    RoutingRule,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "name_en", "group", "auto_forward", "default_severity", "active", "order")
    list_editable = ("auto_forward", "active", "order")
    search_fields = ("code", "name_vi", "name_en")


@admin.register(HandlingUnit)
class HandlingUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "commune", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("commune",)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "use", "category", "active", "order")
    list_editable = ("active", "order")
    list_filter = ("active", "use", "category")
    search_fields = ("title", "title_en", "text_vi", "text_en")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit", "active")
    list_filter = ("role", "active")
    raw_id_fields = ("user", "unit")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "category", "commune", "severity", "target", "active")
    list_editable = ("active",)
    list_filter = ("active", "category")
    raw_id_fields = ("commune", "target")


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "severity", "step", "amount", "measure", "active")
    list_filter = ("severity", "step", "measure")


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind",)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "key_prefix", "active", "created_at", "last_used_at")
    readonly_fields = ("key_prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # keys are created with `tinhso reports create-api-key NAME`, which shows the key once


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "photo", "mime", "size", "width", "height", "sha256", "created_at")

    @admin.display(description="photo")
    def photo(self, obj):
        # Through the checked route (by token), not the file's /media/ URL: media are never served as files.
        from django.utils.html import format_html

        from tinhso.reports.privacy import PHOTO_URL

        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', PHOTO_URL.format(token=obj.token),
                           obj.token)


class EventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor_label", "actor_role", "action", "from_state", "to_state", "note", "public", "data")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-mostly: state changes go through the workflow (the staff pages / API), never a form."""

    list_display = ("code", "category", "state", "severity", "handling_unit", "commune", "created_at", "synthetic")
    list_filter = ("state", "severity", "channel", "synthetic", "category")
    search_fields = ("code", "search_text")
    folded_search_fields = ("search_text",)  # the folded description and address
    date_hierarchy = "created_at"
    inlines = (PhotoInline, EventInline)
    raw_id_fields = ("commune", "parent", "handling_unit", "routing_rule", "api_client", "boundary_version")

    exclude = ("citizen_secret_hash",)  # useless to read, and nobody should copy it around

    def get_readonly_fields(self, request, obj=None):
        # Only the publication flag may be edited here (e.g. to unpublish personal data posted by mistake).
        return [f.name for f in Report._meta.fields if f.name not in ("public", "citizen_secret_hash")]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportEvent)
class ReportEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("report", "at", "action", "from_state", "to_state", "actor_label")
    list_filter = ("action",)
    search_fields = ("report__code",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ReportEvent._meta.fields]
