from django.contrib import admin

from tinhso.dossiers.models import Agency, DossierImport, Feedback, Procedure, SuppliedValue


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "field", "online_level", "legal_time", "legal_time_unit", "fee_bearing", "synthetic")
    list_filter = ("online_level", "fee_bearing", "requires_paper_result", "subjects", "synthetic")
    search_fields = ("code", "name", "name_en", "field")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "unit", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("unit",)


@admin.register(SuppliedValue)
class SuppliedValueAdmin(admin.ModelAdmin):
    list_display = ("indicator", "agency", "period", "value", "synthetic", "updated_at")
    list_filter = ("indicator", "synthetic")


@admin.register(DossierImport)
class DossierImportAdmin(admin.ModelAdmin):
    """The import log is append-only: read-only here."""

    list_display = ("id", "file_name", "file_format", "records", "synthetic", "created_at")
    readonly_fields = [f.name for f in DossierImport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("code", "agency", "kind", "received_at", "due_at", "handled_at", "dissatisfied", "synthetic")
    list_filter = ("kind", "dissatisfied", "synthetic")
    search_fields = ("code", "procedure_code", "dossier_code")
    raw_id_fields = ("agency",)
