"""The native JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/docs).

Each app contributes a router from its ``api`` module; user errors become 4xx JSON bodies.
"""

from __future__ import annotations

from ninja import NinjaAPI

from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import

api = NinjaAPI(title="tinhso API", version="1", urls_namespace="api-v1",
               description="Tỉnh số — administrative geography, field reports, plan indicators")


@api.exception_handler(UserError)
def _user_error(request, exc: UserError):
    return api.create_response(request, {"error": exc.as_dict()}, status=exc.status)


for _app, _prefix in [("geo", "/"), ("reports", "/reports/"), ("indicators", "/")]:
    _module = optional_import(f"tinhso.{_app}.api")
    if _module is not None:
        api.add_router(_prefix, _module.router, tags=[_app])
