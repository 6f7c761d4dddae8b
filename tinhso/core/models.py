"""Permissions that belong to no capability model (see :mod:`tinhso.core.roles`)."""

from __future__ import annotations

from django.db import models


class Access(models.Model):
    """No table: only the holder of platform-wide permissions (Django needs a model to hang them on)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (
            ("use_admin", "Can sign in to the admin site / Được vào trang quản trị"),
        )
