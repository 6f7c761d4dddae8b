"""Admin: definitions, plans and thresholds are editable; observations and weights are append-only
(added, never changed or deleted — a correction is a new row)."""

from django.contrib import admin

from tinhso.indicators.models import (
    Indicator,
    Observation,
    Pillar,
    Plan,
    PlanIndicator,
    Source,
    Target,
    ThresholdSet,
    WeightValue,
)


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


@admin.register(PlanIndicator)
class PlanIndicatorAdmin(admin.ModelAdmin):
    list_display = ("plan", "indicator", "pillar", "order")
    list_filter = ("plan", "pillar")
    inlines = (TargetInline,)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "title_vi", "document_number", "document_date", "unit")
    raw_id_fields = ("unit",)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "unit_of_measure", "direction", "aggregation", "weight_name")
    search_fields = ("code", "name_vi", "name_en")


admin.site.register(Pillar)
admin.site.register(Source)
admin.site.register(ThresholdSet)


class AppendOnlyAdmin(admin.ModelAdmin):
    raw_id_fields = ("unit",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Observation)
class ObservationAdmin(AppendOnlyAdmin):
    list_display = ("indicator", "unit", "level", "period", "value", "qualifier", "source", "entered_by_name",
                    "entered_at")
    list_filter = ("indicator",)
    raw_id_fields = ("unit", "supersedes")


@admin.register(WeightValue)
class WeightValueAdmin(AppendOnlyAdmin):
    list_display = ("name", "unit", "period", "value", "source", "entered_at")
