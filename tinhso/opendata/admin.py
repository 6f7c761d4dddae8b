from django.contrib import admin

from tinhso.opendata.models import Dataset, DatasetEvent, Distribution, Organization, PlanItem, SharedDatabase


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "title_vi", "kind", "email")
    filter_horizontal = ("members",)


class DistributionInline(admin.TabularInline):
    model = Distribution
    extra = 0
    readonly_fields = ("format", "file_name", "media_type", "size", "sha256", "created", "modified")
    can_delete = False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "title_vi", "publisher", "origin", "state", "metadata_modified")
    list_filter = ("state", "origin", "theme", "publisher")
    search_fields = ("name", "title_vi", "title_en")
    readonly_fields = ("state", "origin", "generator", "issued", "metadata_created", "metadata_modified", "created_by",
                       "table_schema")
    inlines = [DistributionInline]


@admin.register(DatasetEvent)
class DatasetEventAdmin(admin.ModelAdmin):
    list_display = ("dataset", "at", "action", "from_state", "to_state", "actor_name")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(SharedDatabase)
class SharedDatabaseAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "owner", "access_level", "connection_status", "synthetic")
    list_filter = ("access_level", "connection_status")


@admin.register(PlanItem)
class PlanItemAdmin(admin.ModelAdmin):
    list_display = ("title_vi", "organization", "due", "dataset", "synthetic")
