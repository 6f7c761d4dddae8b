"""The admin site, opened by a permission instead of the staff flag.

Django's admin admits ``is_staff`` users; here it admits users holding ``core.use_admin``
(the administrator and IOC operator roles, :mod:`tinhso.core.roles`), and each page still
checks the model permissions of the signed-in user. Anyone else signed in is sent to the admin's
sign-in page, which says the account may not open it.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from tinhso.core.roles import USE_ADMIN
from tinhso.core.search import FoldedSearchMixin


class AdminLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not user.is_active or not user.has_perm(USE_ADMIN):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


class TinhsoAdminSite(admin.AdminSite):
    login_form = AdminLoginForm

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin searches folded (case and diacritics ignored, :mod:`tinhso.core.search`)."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, FoldedSearchMixin):
            admin_class = type(admin_class.__name__, (FoldedSearchMixin, admin_class),
                               {"__module__": admin_class.__module__})
        return super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm(USE_ADMIN)
