"""Admin building blocks shared by the apps (this module registers no model)."""

from __future__ import annotations


class ViewOnlyAdminMixin:
    """For rows written only by services (registry loads, imports, append-only histories): the admin
    shows them but never adds, changes or deletes them. Mix into a ``ModelAdmin`` or an inline."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
