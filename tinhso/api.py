"""The native JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/docs).

Each app contributes a router from its ``api`` module; user errors become 4xx JSON bodies.
"""

from __future__ import annotations

from django.http import Http404
from django.http.request import RawPostDataException
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from tinhso.core import limits
from tinhso.core.api_schemas import ErrorOut
from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import


class BoundedJSONParser(Parser):
    """Schema bodies parsed within :mod:`tinhso.core.limits`: no deep nesting, no lone surrogates
    (ninja answers any error here with a 400)."""

    def parse_body(self, request):
        return limits.load_json(request.body, "JSON", field="body")


api = NinjaAPI(title="tinhso API", version="1", urls_namespace="api-v1", parser=BoundedJSONParser(),
               description="Tỉnh số — administrative geography, field reports, plan indicators, composite indices")


@api.exception_handler(UserError)
def _user_error(request, exc: UserError):
    return api.create_response(request, {"error": exc.as_dict()}, status=exc.status)


@api.exception_handler(AuthenticationError)
def _not_signed_in(request, exc: AuthenticationError):
    return _user_error(request, UserError("not_authenticated", "Cần đăng nhập bằng tài khoản cán bộ.",
                                          "Sign in with a staff account.", status=401))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Raised by ninja itself, e.g. 403 "CSRF check Failed" for a session POST without the token.
    code = "csrf_failed" if "CSRF" in str(exc) else f"http_{exc.status_code}"
    return _user_error(request, UserError(code, f"Yêu cầu bị từ chối: {exc}", f"Request refused: {exc}",
                                          status=exc.status_code))


@api.exception_handler(RawPostDataException)
def _not_json(request, exc: RawPostDataException):
    # A form or multipart body sent to an endpoint that reads JSON: the form was already parsed from
    # the stream (tinhso.core.nul_guard checks its fields), so the raw body is gone. Not the client's
    # fault alone, but what they must change is the body's type.
    return _user_error(request, UserError(
        "unsupported_media_type", "Điểm cuối này nhận nội dung JSON (Content-Type: application/json).",
        "This endpoint takes a JSON body (Content-Type: application/json).", field="body", status=415))


@api.exception_handler(Http404)
def _no_such_path(request, exc: Http404):
    return _user_error(request, UserError("not_found", "Không tìm thấy.", "Not found.", status=404))


# Pydantic's error types, in Vietnamese; anything else reads "không hợp lệ" (invalid).
_REASONS_VI = {
    "missing": "bắt buộc, chưa có",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số",
    "bool_parsing": "phải là true/false",
    "date_from_datetime_parsing": "phải là ngày YYYY-MM-DD",
    "date_parsing": "phải là ngày YYYY-MM-DD",
    "datetime_parsing": "phải là thời điểm ISO 8601",
    "string_type": "phải là chuỗi ký tự",
    "list_type": "phải là danh sách",
    "dict_type": "phải là đối tượng JSON",
    "model_attributes_type": "phải là đối tượng JSON",
    "json_invalid": "không phải JSON hợp lệ",
}


def _field(loc: list) -> str:
    # ["query", "milestone"] → "milestone"; ["body", "payload", "lat"] → "lat" (the parameter name is ours).
    parts = [str(p) for p in loc[1:]]
    if loc and loc[0] == "body" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or str(loc[0] if loc else "")


@api.exception_handler(ValidationError)
def _invalid_input(request, exc: ValidationError):
    """Ninja's schema errors in the house shape (code, Vietnamese, English, field) instead of ``{"detail"}``."""
    problems = [{"field": _field(list(e.get("loc", []))), "where": str((e.get("loc") or [""])[0]),
                 "type": e.get("type", ""), "reason": e.get("msg", "")} for e in exc.errors]
    vi = "; ".join(f"{p['field']}: {_REASONS_VI.get(p['type'], 'không hợp lệ')}" for p in problems)
    en = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    error = UserError("invalid_input", f"Dữ liệu không hợp lệ — {vi}", f"Invalid input — {en}",
                      field=problems[0]["field"] if problems else None, status=400, details=problems)
    return _user_error(request, error)


def _document_platform_errors(router) -> None:
    """Add to every operation the error answers the platform gives whatever the view does: 400 (input
    that fails the schema, a NUL character, a ``UserError`` without a status), 404 when the path names
    an object, 401 and 403 on staff endpoints (not signed in; not staff, or no CSRF token), and 414 (a
    request line over the HTTP server's limit, refused by gunicorn before Django, with its own small HTML
    page: documented without a body schema). A view's own statuses (409, 413, 429, ...) are declared by
    its router with :func:`tinhso.core.api_schemas.errors`; tests/test_openapi_contract.py checks both."""
    for child in getattr(router, "_routers", []):  # (prefix, router, tags) of nested routers
        _document_platform_errors(child[1])
    for path, path_view in router.path_operations.items():
        for operation in path_view.operations:
            statuses = {400}
            if "{" in path:
                statuses.add(404)
            if operation.auth_callbacks:
                statuses |= {401, 403}
            for status in sorted(statuses - set(operation.response_models)):
                # ninja wraps each response model the same way when it reads ``response={...}``.
                operation.response_models[status] = operation._create_response_model(ErrorOut)
            operation.response_models.setdefault(414, None)


for _app, _prefix in [("geo", "/"), ("reports", "/reports/"), ("indicators", "/"), ("indices", "/indices/"),
                      ("dossiers", "/dossiers/"), ("ioc", "/ioc/")]:
    _module = optional_import(f"tinhso.{_app}.api")
    if _module is not None:
        _document_platform_errors(_module.router)
        api.add_router(_prefix, _module.router, tags=[_app])
