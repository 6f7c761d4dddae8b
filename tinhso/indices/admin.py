from django.contrib import admin

from tinhso.indices.models import PublishedResult


@admin.register(PublishedResult)
class PublishedResultAdmin(admin.ModelAdmin):
    list_display = ("index", "period", "structure", "unit_name", "score", "rank", "of_total")
    list_filter = ("index", "structure", "period")
    search_fields = ("unit_name", "unit_code", "source")
