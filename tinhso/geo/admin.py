"""Admin views of the geo app: read-only, because units and the crosswalk come from a registry
package (``tinhso units load``) and boundaries from ``tinhso geo import-boundaries``, each with
provenance; an edit here would leave no trace of where a value came from.

Polygons (``Boundary``) are not listed: they are large binary blobs with nothing to read.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.admin import ViewOnlyAdminMixin
from tinhso.core.text import fold
from tinhso.geo.models import BoundaryVersion, RegistryLoad, Succession, Unit


class ReadOnlyAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    pass


class PredecessorInline(ViewOnlyAdminMixin, admin.TabularInline):
    model = Succession
    fk_name = "new"
    fields = ("old", "whole", "is_default", "effective", "source")
    readonly_fields = fields
    extra = 0
    verbose_name = _("đơn vị trước đây")
    verbose_name_plural = pgettext_lazy("plural", "đơn vị trước đây")


class SuccessorInline(PredecessorInline):
    fk_name = "old"
    fields = ("new", "whole", "is_default", "effective", "source")
    readonly_fields = fields
    verbose_name = _("đơn vị kế thừa")
    verbose_name_plural = pgettext_lazy("plural", "đơn vị kế thừa")


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "name_en", "structure", "level", "unit_type", "parent", "province_code")
    list_filter = ("structure", "level", "unit_type")
    search_fields = ("code", "name_ascii")
    list_select_related = ("parent",)
    ordering = ("structure", "level", "code")
    inlines = (PredecessorInline, SuccessorInline)

    def get_search_results(self, request, queryset, search_term):
        # Fold the term so "phan thiet", "Phan Thiết" and decomposed input all match name_ascii.
        return super().get_search_results(request, queryset, fold(search_term))


@admin.register(Succession)
class SuccessionAdmin(ReadOnlyAdmin):
    list_display = ("old", "new", "whole", "is_default", "effective", "source")
    list_filter = ("whole", "is_default", "old__level")
    search_fields = ("old__code", "new__code", "old__name_ascii", "new__name_ascii")
    list_select_related = ("old", "new")

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, fold(search_term))


@admin.register(RegistryLoad)
class RegistryLoadAdmin(ReadOnlyAdmin):
    list_display = ("loaded_at", "source", "version", "licence")
    ordering = ("-loaded_at",)


@admin.register(BoundaryVersion)
class BoundaryVersionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "source", "quality", "feature_count", "is_active")
    list_filter = ("quality", "is_active")
