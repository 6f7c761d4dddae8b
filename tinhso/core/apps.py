from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = _("Nền tảng")
    default = True  # this module also holds the admin's config below

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tinhso.core import pgstatements, roles, search, signin  # noqa: F401  (signin: the failed sign-in log)

        pgstatements.widen()  # psycopg caches the conversion of intake's long fixed statement too

        connection_created.connect(search.register_sqlite_fold, dispatch_uid="tinhso.core.search.fold")

        post_migrate.connect(roles.on_post_migrate, dispatch_uid="tinhso.core.roles")


class AdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the site of :mod:`tinhso.core.admin_site` (permission, not is_staff)."""

    default = False
    default_site = "tinhso.core.admin_site.TinhsoAdminSite"
