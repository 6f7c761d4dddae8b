from django.contrib import admin

from tinhso.ioc.models import Camera


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ("name", "commune", "owner", "stream_kind", "status", "public", "synthetic")
    list_filter = ("status", "stream_kind", "public", "synthetic")
    search_fields = ("name", "owner")
    raw_id_fields = ("commune",)
