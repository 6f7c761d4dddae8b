"""Root URL map: pages (web), admin, the native API, Open311 and each app's pages."""

from django.contrib import admin
from django.urls import include, path

from tinhso.api import api
from tinhso.core import signin
from tinhso.core.modules import optional_import
from tinhso.reports.ratelimit import limit_posts

# The admin's sign-in counts against the same per-address limit and the same per-account and
# per-address lockouts as the staff sign-in page.
admin.site.login = limit_posts("login", signin.guard(admin.site.login))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# App page modules (each optional until the app ships pages).
for _module in ["tinhso.reports.open311.urls", "tinhso.reports.urls", "tinhso.indicators.urls", "tinhso.indices.urls",
                "tinhso.geo.urls", "tinhso.ioc.urls", "tinhso.analysis.urls", "tinhso.notify.urls", "tinhso.opendata.urls", "tinhso.dossiers.urls",
                "tinhso.web.urls"]:
    if optional_import(_module) is not None:
        urlpatterns.append(path("", include(_module)))
