"""Admin building blocks shared by the apps, and the read-only log of failed sign-ins."""

from __future__ import annotations

from django.contrib import admin

from tinhso.core.models import FailedSignIn


class ViewOnlyAdminMixin:
    """For rows written only by services (registry loads, imports, append-only histories): the admin
    shows them but never adds, changes or deletes them. Mix into a ``ModelAdmin`` or an inline."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FailedSignIn)
class FailedSignInAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "username", "address", "door", "refused"]
    list_filter = ["door", "refused"]
    search_fields = ["username", "address"]
    date_hierarchy = "at"
    fields = ["at", "username", "address", "door", "refused"]
