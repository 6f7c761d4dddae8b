"""Platform-wide records (no domain data): the log of failed sign-ins, and the permissions that
belong to no capability model (see :mod:`tinhso.core.roles`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.history import AppendOnlyModel


class FailedSignIn(AppendOnlyModel):
    """One failed sign-in on the staff page or the admin: who was tried, from where, when.
    Never the password. Append-only: written by :mod:`tinhso.core.signin`, read in the admin."""

    at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    username = models.CharField(_("tên đăng nhập đã thử"), max_length=150)
    # The throttle's key: the name case-folded (NFC), so "Admin" and "admin" share one counter.
    username_key = models.CharField(verbose_name=_("khóa tên đăng nhập"), max_length=150, editable=False)
    address = models.CharField(_("địa chỉ"), max_length=64)
    door = models.CharField(_("trang"), max_length=20)
    refused = models.BooleanField(_("bị chặn (quá số lần)"), default=False)

    class Meta:
        verbose_name = _("đăng nhập thất bại")
        verbose_name_plural = pgettext_lazy("plural", "đăng nhập thất bại")
        ordering = ["-at"]
        indexes = [models.Index(fields=["username_key", "at"]), models.Index(fields=["address", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} @ {self.address}"


class Access(models.Model):
    """No table: only the holder of platform-wide permissions (Django needs a model to hang them on)."""

    class Meta:
        verbose_name = _("quyền truy cập")
        verbose_name_plural = pgettext_lazy("plural", "quyền truy cập")
        managed = False
        default_permissions = ()
        permissions = (
            ("use_admin", "Can sign in to the admin site / Được vào trang quản trị"),
        )
