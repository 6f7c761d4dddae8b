"""The native JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/docs).

Each app contributes a router from its ``api`` module; user errors become 4xx JSON bodies.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.parser import Parser

from tinhso.core import limits
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


for _app, _prefix in [("geo", "/"), ("reports", "/reports/"), ("indicators", "/"), ("indices", "/indices/")]:
    _module = optional_import(f"tinhso.{_app}.api")
    if _module is not None:
        api.add_router(_prefix, _module.router, tags=[_app])
