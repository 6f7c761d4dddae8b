"""Composite-index API (mounted at /api/v1/indices/): the shipped methods, and compute, what-if and
sensitivity on an input the caller sends. Nothing is stored: every call brings its own data.

Each POST endpoint takes its input three ways (see ``INPUT_BODY`` for the OpenAPI description):
a JSON object ``{"rows": [{"unit", "period", "indicator", "value"}, …], <options>}``; a multipart
form with a ``file`` field (CSV or XLSX) and the options as form fields; or a raw ``text/csv`` (or
XLSX) body with the options in the query string. The answers are exactly the service documents
(:func:`results.report`, :func:`whatif.analyse`, :func:`sensitivity.analyse`). Public endpoints,
limited per client IP (``INDICES_RATE_LIMITS``, see :func:`check_rate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from ninja import Router, Schema

from tinhso.core import clientaddr, limits, ratelimit
from tinhso.core.api_schemas import ErrorOut
from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.indices import methodology

router = Router()

MAX_UPLOAD_BYTES = 5 * 1024 * 1024          # a file or a raw CSV/XLSX body
MAX_JSON_BYTES = 40 * 1024 * 1024           # JSON rows: room for dataset.MAX_ROWS short rows
MAX_API_RUNS = 20_000                        # Monte Carlo replications per sensitivity call
DEFAULT_RATE_LIMITS = {"compute": 60, "whatif": 60, "sensitivity": 10}   # requests per minute per IP
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel")

# Options each operation accepts, with their kind; anything else is refused (never silently ignored).
OPTIONS: dict[str, dict[str, str]] = {
    "compute": {"period": "text", "all_periods": "bool"},
    "whatif": {"unit": "text", "target_rank": "int", "target_score": "float", "period": "text", "step": "float"},
    "sensitivity": {"runs": "int", "weights": "text", "spread": "float", "concentration": "float",
                    "normalisations": "list", "aggregations": "list", "sobol": "bool", "seed": "int",
                    "sobol_resamples": "int",
                    "unit": "text", "period": "text"},
}
COMMON_OPTIONS = {"merge_provinces_2025": "bool"}


class MethodOut(Schema):
    code: str
    title: str
    title_en: str
    used_for: str
    score: str


# --- limits --------------------------------------------------------------------------------------

def client_ip(request) -> str:
    return clientaddr.client_ip(request)


def check_rate(request, scope: str) -> None:
    """Count one request of ``scope`` (compute, whatif, sensitivity) for the client IP; 429 past the
    per-minute limit of ``settings.INDICES_RATE_LIMITS`` (0 switches a scope off)."""
    limits = {**DEFAULT_RATE_LIMITS, **getattr(settings, "INDICES_RATE_LIMITS", {})}
    ratelimit.hit(f"indices:{scope}:ip:{client_ip(request)}", int(limits.get(scope, 0)), details={"scope": scope})


def too_large(size: int, limit: int, field: str) -> UserError:
    return UserError("input_too_large", f"Dữ liệu {size / 1048576:.1f} MB, tối đa {limit / 1048576:.0f} MB",
                     f"The input is {size / 1048576:.1f} MB; at most {limit / 1048576:.0f} MB", field=field,
                     status=413, details={"size": size, "limit": limit})


# --- options -------------------------------------------------------------------------------------

def _bad_option(name: str, kind: str, value: Any) -> UserError:
    kinds_vi = {"int": "số nguyên", "float": "số", "bool": "true/false", "list": "danh sách", "text": "chuỗi"}
    return UserError("invalid_option", f"Tùy chọn {name} phải là {kinds_vi[kind]} (nhận {value!r})",
                     f"Option {name} must be a {kind} (got {value!r})", field=name)


def coerce_option(name: str, kind: str, value: Any) -> Any:
    """An option's value from JSON (typed) or a form/query string (text), or None when empty."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if kind == "list":
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",")]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [v.strip() for v in value]
        else:
            raise _bad_option(name, kind, value)
        return tuple(nfc(v) for v in items if v)
    if isinstance(value, list):
        if len(value) != 1:
            raise _bad_option(name, kind, value)
        value = value[0]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise _bad_option(name, kind, value)
    if kind == "text":
        if isinstance(value, (dict, list, bool)):
            raise _bad_option(name, kind, value)
        return nfc(str(value).strip())
    if isinstance(value, (bool, dict, list)):
        raise _bad_option(name, kind, value)
    try:
        number = float(str(value).strip()) if kind == "float" else int(str(value).strip())
    except ValueError:
        raise _bad_option(name, kind, value) from None
    if kind == "float" and number != number:  # NaN
        raise _bad_option(name, kind, value)
    return number


def parse_options(operation: str, raw: dict[str, Any]) -> dict[str, Any]:
    kinds = {**OPTIONS[operation], **COMMON_OPTIONS}
    unknown = sorted(set(raw) - set(kinds))
    if unknown:
        allowed = ", ".join(sorted(kinds))
        raise UserError("unknown_option", f"Tùy chọn không biết: {', '.join(unknown)} (có: {allowed})",
                        f"Unknown option(s): {', '.join(unknown)} (allowed: {allowed})", field=unknown[0])
    return {name: coerce_option(name, kinds[name], raw[name]) for name in kinds if name in raw}


# --- input ---------------------------------------------------------------------------------------

@dataclass
class Upload:
    """What a caller sent: rows (JSON) or a file's bytes and name, plus the raw options."""

    rows: list[dict] | None = None
    content: bytes | None = None
    filename: str = ""
    options: dict[str, Any] | None = None


def _query_options(request) -> dict[str, Any]:
    return {k: (v if len(v) > 1 else v[0]) for k, v in request.GET.lists()}


def read_request(request) -> Upload:
    """The input of a POST in any of the three shapes; UserError (400/413/415) otherwise."""
    content_type = (request.content_type or "").lower()
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if content_type == "application/json":
        if length > MAX_JSON_BYTES:
            raise too_large(length, MAX_JSON_BYTES, "rows")
        body = limits.load_json(request.body or b"null", "JSON", field="body")
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            raise UserError("invalid_body", 'Cần một đối tượng JSON {"rows": [{"unit", "period", "indicator", '
                                            '"value"}, …]} cùng các tùy chọn',
                            'Expected a JSON object {"rows": [{"unit", "period", "indicator", "value"}, …]} '
                            "with the options", field="rows")
        rows = body.pop("rows")
        bad = [i for i, r in enumerate(rows, start=1) if not isinstance(r, dict)]
        if bad:
            raise UserError("index_input_invalid", f"Dòng {bad[0]} không phải đối tượng JSON",
                            f"Row {bad[0]} is not a JSON object", field="rows",
                            details=[{"row": i, "column": "", "reason": "phải là đối tượng / must be an object"}
                                     for i in bad[:100]])
        return Upload(rows=rows, options={**_query_options(request), **body})
    if content_type == "multipart/form-data":
        if length > MAX_UPLOAD_BYTES + 64 * 1024:  # refuse before parsing; the slack is the form's other fields
            raise too_large(length, MAX_UPLOAD_BYTES, "file")
        upload = request.FILES.get("file")
        if upload is None:
            raise UserError("file_required", "Thiếu trường tệp 'file' (CSV hoặc XLSX)",
                            "The multipart field 'file' (CSV or XLSX) is missing", field="file")
        if upload.size > MAX_UPLOAD_BYTES:
            raise too_large(upload.size, MAX_UPLOAD_BYTES, "file")
        options = {**_query_options(request),
                   **{k: (v if len(v) > 1 else v[0]) for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}}
        return Upload(content=upload.read(), filename=upload.name or "input.csv", options=options)
    if content_type in ("text/csv", "text/plain", *XLSX_TYPES):
        if length > MAX_UPLOAD_BYTES:
            raise too_large(length, MAX_UPLOAD_BYTES, "body")
        content = request.body
        if len(content) > MAX_UPLOAD_BYTES:
            raise too_large(len(content), MAX_UPLOAD_BYTES, "body")
        name = "input.xlsx" if content_type in XLSX_TYPES else "input.csv"
        return Upload(content=content, filename=name, options=_query_options(request))
    raise UserError("unsupported_media_type",
                    f"Kiểu nội dung {content_type or '(không có)'} không được hỗ trợ: dùng application/json, "
                    "multipart/form-data hoặc text/csv",
                    f"Content type {content_type or '(none)'} is not supported: use application/json, "
                    "multipart/form-data or text/csv", field="Content-Type", status=415)


def computation(method, upload: Upload, *, merge_provinces_2025: bool = False):
    """The computation for an upload: rows or file checked row by row, merged if asked, computed."""
    from tinhso.indices import dataset, merge, results

    if upload.rows is not None:
        data = dataset.from_records(method, upload.rows)
    else:
        data = dataset.read_file(method, upload.content or b"", upload.filename)
    if merge_provinces_2025:
        data = merge.merge_provinces_2025(data)
    return results.compute(data)


def _prepare(request, method_code: str, operation: str):
    check_rate(request, operation)
    method = methodology.load_method(method_code, allow_files=False)
    upload = read_request(request)
    options = parse_options(operation, upload.options or {})
    merged = bool(options.pop("merge_provinces_2025", False))
    return computation(method, upload, merge_provinces_2025=merged), options


def run_compute(comp, options: dict) -> dict:
    from tinhso.indices import results

    return results.report(comp, options.get("period"), all_periods=bool(options.get("all_periods")))


def run_whatif(comp, options: dict) -> dict:
    from tinhso.indices import whatif

    unit = options.pop("unit", None)
    if not unit:
        raise UserError("unit_required", "Cần chọn đơn vị (unit) để phân tích", "A unit is required", field="unit")
    return whatif.analyse(comp, unit, **{k: v for k, v in options.items() if v is not None})


def run_sensitivity(comp, options: dict) -> dict:
    from tinhso.indices import sensitivity

    runs = options.get("runs")
    if runs is not None and runs > MAX_API_RUNS:  # the service's own lower bound applies as it is
        raise UserError("runs_too_many", f"Qua API tối đa {MAX_API_RUNS} lần mô phỏng (runs = {runs}); dùng lệnh "
                                         "`tinhso index sensitivity` cho số lần lớn hơn",
                        f"At most {MAX_API_RUNS} runs through the API (runs = {runs}); use "
                        "`tinhso index sensitivity` for more", field="runs")
    return sensitivity.analyse(comp, **{k: v for k, v in options.items() if v is not None})


# --- OpenAPI description of the three request shapes ---------------------------------------------

_ROW_SCHEMA = {"type": "object", "required": ["unit", "period", "indicator", "value"], "properties": {
    "unit": {"type": "string", "description": "unit code or name, e.g. \"48\""},
    "unit_name": {"type": "string"},
    "period": {"type": "string", "example": "2022"},
    "indicator": {"type": "string", "description": "node code, alias or name of the method", "example": "awareness"},
    "value": {"oneOf": [{"type": "number"}, {"type": "string"}], "example": 0.8917}}}
_OPTION_SCHEMAS = {
    "text": {"type": "string"}, "int": {"type": "integer"}, "float": {"type": "number"},
    "bool": {"type": "boolean"}, "list": {"type": "array", "items": {"type": "string"}},
}


def _input_body(operation: str, description: str) -> dict:
    options = {name: dict(_OPTION_SCHEMAS[kind]) for name, kind in {**OPTIONS[operation], **COMMON_OPTIONS}.items()}
    if operation == "sensitivity":
        options["runs"].update(minimum=100, maximum=MAX_API_RUNS)
    form_options = {name: {"type": "string"} for name in options}
    query = [{"name": name, "in": "query", "required": False, "schema": schema,
              "description": "with a text/csv body (or any body); JSON and form fields win"}
             for name, schema in options.items()]
    return {
        "description": description,
        "parameters": query,
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["rows"], "properties": {
                "rows": {"type": "array", "items": _ROW_SCHEMA, "description": "at most 200,000 rows"},
                **options}}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary", "description": "CSV or XLSX, at most 5 MB: "
                         "columns unit, period, indicator, value (optional unit_name, source, note)"},
                **form_options}}},
            "text/csv": {"schema": {"type": "string", "description": "the tidy CSV itself, at most 5 MB; "
                                                                     "options in the query string"}},
        }},
    }


_COMPUTE_DOC = ("Every node's value and competition rank for every unit, and the change since the previous "
                "period. Input as JSON rows, a multipart `file`, or a raw `text/csv` body.")
_WHATIF_DOC = ("For one `unit`, with the others fixed: the smallest improvement that reaches `target_rank` or "
               "`target_score`, the rank gained per step of each main index, and strengths and weaknesses.")
_SENSITIVITY_DOC = ("Monte Carlo over weights (`perturb` or `dirichlet`), normalisation and aggregation: per unit "
                    f"the median rank and its 5–95 % interval, and Sobol' indices. `runs` ≤ {MAX_API_RUNS}; "
                    "`sobol_resamples` (default 50) sets the bootstrap of the Sobol' confidence intervals.")
_ERRORS = {400: ErrorOut, 404: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut}


# --- endpoints -----------------------------------------------------------------------------------

@router.get("/methods", response=list[MethodOut], summary="Shipped index methodologies")
def list_methods(request):
    return [{"code": m.code, "title": m.title_vi, "title_en": m.title_en, "used_for": m.used_for, "score": m.score}
            for m in (methodology.load_method(c) for c in methodology.available_methods())]


@router.get("/methods/{code}", response={200: dict[str, Any], 404: ErrorOut},
            summary="One methodology: tree, points or weights, rules, status, sources")
def get_method(request, code: str):
    return methodology.load_method(code, allow_files=False).as_dict()


@router.post("/{method}/compute", response={200: dict[str, Any], **_ERRORS}, summary="Compute an index",
             openapi_extra=_input_body("compute", _COMPUTE_DOC))
def compute(request, method: str):
    comp, options = _prepare(request, method, "compute")
    return run_compute(comp, options)


@router.post("/{method}/whatif", response={200: dict[str, Any], **_ERRORS}, summary="What-if and gap analysis",
             openapi_extra=_input_body("whatif", _WHATIF_DOC))
def whatif_analysis(request, method: str):
    comp, options = _prepare(request, method, "whatif")
    return run_whatif(comp, options)


@router.post("/{method}/sensitivity", response={200: dict[str, Any], **_ERRORS},
             summary="Uncertainty and sensitivity analysis", openapi_extra=_input_body("sensitivity", _SENSITIVITY_DOC))
def sensitivity_analysis(request, method: str):
    comp, options = _prepare(request, method, "sensitivity")
    return run_sensitivity(comp, options)
