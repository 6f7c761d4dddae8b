"""Composite-index pages: /chi-so (methods, upload, ranked table, Excel, what-if, sensitivity),
/chi-so/phuong-phap/<code> (a method's tree) and /chi-so/vi-du/<name> (example inputs).

Thin: every figure comes from the service modules through the same helpers as the API
(:mod:`tinhso.indices.api`). An upload is kept on the server for an hour (:class:`UploadStore`) so that
the result page offers the workbook, what-if and sensitivity without uploading the file again.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now, pick
from tinhso.indices import api, dataset, methodology, synthetic

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
STORE_SECONDS = 3600
STORE_MAX_BYTES = 200 * 1024 * 1024      # all kept uploads together; the oldest go first
SESSION_KEY = "indices_uploads"
SESSION_MAX_UPLOADS = 5
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{24}$")
PAGE_DEFAULT_RUNS = 2000
STATUS_LABELS = {"official": ("chính thức", "official"), "verified": ("đã kiểm chứng", "verified"),
                 "inferred": ("suy luận", "inferred"), "third_party": ("bên thứ ba", "third party"),
                 "user": ("người dùng", "user")}
UNCERTAIN_STATUSES = ("inferred", "third_party", "user")
STEP_UNITS = {"points": ("điểm", "points"), "score": ("điểm", "score points"), "share": ("đơn vị giá trị", "value"),
              "sub-index points (1–10 scale)": ("điểm chỉ số thành phần (thang 1–10)", "sub-index points (1–10 scale)")}
# The fields of each result-page form an error's ``field`` points at: the message is shown in that form's
# panel, under the first of them, and each is marked aria-invalid. Another field: above the form.
PANEL_FIELDS = {
    "whatif": {"unit": ("unit",), "target_rank": ("target_rank",), "target_score": ("target_score",),
               "target": ("target_rank", "target_score")},
    "sensitivity": {"runs": ("runs",), "weights": ("weights",)},
}
WEIGHT_MODES = {"perturb": ("nhiễu ±{spread} %", "perturbed ±{spread} %"),
                "dirichlet": ("phân phối Dirichlet", "Dirichlet distribution")}
SOBOL_INPUTS = {"normalisation": ("Cách chuẩn hóa", "Normalisation"), "aggregation": ("Cách tổng hợp", "Aggregation")}
SOBOL_OUTPUTS = {"mean absolute rank shift": ("độ lệch hạng tuyệt đối trung bình so với xếp hạng gốc",
                                              "mean absolute rank shift from the published ranking"),
                 "rank": ("thứ hạng của đơn vị", "the unit's rank")}
DEFAULT_SPREAD = 0.25


_english = english_now  # tinhso.core.i18n


_pick = pick  # tinhso.core.i18n


# --- uploads kept for follow-up actions ------------------------------------------------------------

class UploadStore:
    """Uploaded inputs on disk under ``VAR_DIR/indices-uploads`` (``INDICES_UPLOAD_DIR``), one hour each.

    On disk rather than in the cache: the default cache lives in one worker process, and the next
    request of the same person may reach another worker. A token is only honoured in the session
    that uploaded it.
    """

    def __init__(self) -> None:
        configured = getattr(settings, "INDICES_UPLOAD_DIR", None)
        self.root = Path(configured) if configured else Path(settings.VAR_DIR) / "indices-uploads"

    def _paths(self, token: str) -> tuple[Path, Path]:
        return self.root / f"{token}.bin", self.root / f"{token}.json"

    def _sweep(self, now: float) -> None:
        """Remove expired uploads, then the oldest while all of them take more than STORE_MAX_BYTES."""
        entries = []
        for path in self.root.glob("*.bin"):
            try:  # another worker may be sweeping at the same time
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        entries.sort()
        total = sum(size for _, size, _ in entries)
        for mtime, size, path in entries:
            if now - mtime <= STORE_SECONDS and total <= STORE_MAX_BYTES:
                break
            total -= size
            for p in self._paths(path.stem):
                p.unlink(missing_ok=True)

    def put(self, request, content: bytes, meta: dict) -> str:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = time.time()
        self._sweep(now)
        token = secrets.token_urlsafe(18)
        data_path, meta_path = self._paths(token)
        data_path.write_bytes(content)
        meta_path.write_text(json.dumps({**meta, "created": now}, ensure_ascii=False), encoding="utf-8")
        tokens = [t for t in request.session.get(SESSION_KEY, []) if t != token] + [token]
        for old in tokens[:-SESSION_MAX_UPLOADS]:
            for p in self._paths(old):
                p.unlink(missing_ok=True)
        request.session[SESSION_KEY] = tokens[-SESSION_MAX_UPLOADS:]
        return token

    def get(self, request, token: str) -> tuple[bytes, dict]:
        gone = UserError("upload_expired", "Tệp đã tải lên không còn (quá 1 giờ hoặc phiên khác): hãy tải lên lại",
                         "The uploaded file is gone (older than an hour, or another session): upload it again",
                         field="file", status=404)
        if not TOKEN_RE.match(token) or token not in request.session.get(SESSION_KEY, []):
            raise gone
        data_path, meta_path = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            content = data_path.read_bytes()
        except (OSError, ValueError):
            raise gone from None
        if time.time() - meta.get("created", 0) > STORE_SECONDS:
            for p in self._paths(token):
                p.unlink(missing_ok=True)
            raise gone
        return content, meta


# --- shared page pieces ------------------------------------------------------------------------

def _methods() -> list:
    return [methodology.load_method(c) for c in methodology.available_methods()]


@cache
def _described_examples() -> tuple[dict, ...]:
    """Example files with the README's 'real or synthetic' and provenance columns, in English and in
    Vietnamese (package data: read once)."""
    described: dict[str, list[str]] = {}
    readme = EXAMPLES_DIR / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cells = [c.strip().replace("**", "") for c in line.strip().strip("|").split("|")]
            if len(cells) >= 5 and cells[0].startswith("`"):
                # Markdown's code marks are not shown on the page (the command stays, without backticks).
                described[cells[0].strip("`")] = [c.replace("`", "") for c in cells[1:5]]
    items = []
    for path in sorted(EXAMPLES_DIR.glob("*.csv")) + sorted(EXAMPLES_DIR.glob("*.xlsx")):
        kind_en, provenance_en, kind_vi, provenance_vi = described.get(path.name, ["", "", "", ""])
        items.append({"name": path.name, "kind_en": kind_en, "provenance_en": provenance_en, "kind_vi": kind_vi,
                      "provenance_vi": provenance_vi,
                      "synthetic": "synthetic" in kind_en.lower() or "synthetic" in path.name})
    return tuple(items)


def _examples() -> list[dict]:
    """The example files, each described in the page's language."""
    return [{**e, "kind": _pick(e["kind_vi"], e["kind_en"]), "provenance": _pick(e["provenance_vi"], e["provenance_en"])}
            for e in _described_examples()]


def _error_rows(err: UserError) -> list[dict]:
    """Row-level problems of an error, as (row, column, reason) whatever the service's detail shape."""
    if not isinstance(err.details, list):
        return []
    rows = []
    for e in err.details:
        if not isinstance(e, dict):
            rows.append({"row": "", "column": "", "reason": str(e)})
        elif "row" in e:
            rows.append({"row": e["row"], "column": e.get("column", ""), "reason": e.get("reason", "")})
        elif "missing" in e or "missing_members" in e:
            missing = e.get("missing") or e.get("missing_members") or []
            rows.append({"row": "", "column": f"{e.get('unit', '')} ({e.get('period', '')})",
                         "reason": "thiếu / missing: " + ", ".join(map(str, missing))})
        else:
            rows.append({"row": e.get("row", ""), "column": e.get("field", e.get("column", "")),
                         "reason": e.get("reason", json.dumps(e, ensure_ascii=False))})
    return rows


def _error_context(err: UserError | None) -> dict:
    """The error once, in the page's language, with its code; with row errors, a one-line summary
    above their table (the message itself repeats the first rows, which the table already shows)."""
    if err is None:
        return {"error": None, "error_rows": [], "error_text": ""}
    rows = _error_rows(err)
    text = _pick(err.message_vi, err.message_en)
    if rows and err.code == "index_input_invalid":
        more = len(rows) >= dataset.MAX_ERRORS
        text = _pick(f"Dữ liệu đầu vào có {'ít nhất ' if more else ''}{len(rows)} lỗi, chưa tính gì. "
                     "Từng lỗi ở bảng dưới (dòng, cột, lý do).",
                     f"The input has {'at least ' if more else ''}{len(rows)} error(s); nothing was computed. "
                     "Each is listed below (row, column, reason).")
    return {"error": err, "error_rows": rows, "error_text": text}


def _status(node) -> dict:
    vi, en = STATUS_LABELS.get(node.status, (node.status, node.status))
    return {"code": node.status, "label": _pick(vi, en), "uncertain": node.status in UNCERTAIN_STATUSES}


def _index_page(request, *, form: dict | None = None, error: UserError | None = None):
    status = error.status if error else 200
    form = dict(form or {})
    if error is not None and error.code == "looks_like_other_method":
        form["suggested"] = error.details["suggested_method"]
        form["method"] = form["suggested"]  # the form offers the method the file fits: upload again
    return render(request, "indices/index.html", {
        "methods": [{"code": m.code, "title": _pick(m.title_vi, m.title_en), "used_for": _pick(m.used_for, m.used_for_en)}
                    for m in _methods()],
        "examples": _examples(), "form": form, **_error_context(error),
        "max_mb": api.MAX_UPLOAD_BYTES // (1024 * 1024),
    }, status=status)


# --- /chi-so -------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def index(request):
    if request.method == "GET":
        return _index_page(request)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > api.MAX_UPLOAD_BYTES + 64 * 1024:  # refused before the body is parsed
        return _index_page(request, error=api.too_large(length, api.MAX_UPLOAD_BYTES, "file"))
    form = {"method": request.POST.get("method", ""), "period": request.POST.get("period", "").strip(),
            "merge": request.POST.get("merge_provinces_2025") == "on"}
    try:
        api.check_rate(request, "compute")
        upload = request.FILES.get("file")
        if upload is None:
            raise UserError("file_required", "Chưa chọn tệp CSV hoặc XLSX", "No CSV or XLSX file chosen", field="file")
        if upload.size > api.MAX_UPLOAD_BYTES:
            raise api.too_large(upload.size, api.MAX_UPLOAD_BYTES, "file")
        method = methodology.load_method(form["method"], allow_files=False)
        content = upload.read()
        comp = api.computation(method, api.Upload(content=content, filename=upload.name), merge_provinces_2025=form["merge"])
        comp.period(form["period"] or None)  # an unknown period is an error now, not on the result page
    except UserError as err:
        return _index_page(request, form=form, error=err)
    token = UploadStore().put(request, content, {"method": method.code, "filename": upload.name,
                                                 "period": form["period"], "merge": form["merge"]})
    return redirect("indices:result", token=token)


def _load(request, token: str):
    """The stored upload's computation and its metadata."""
    content, meta = UploadStore().get(request, token)
    method = methodology.load_method(meta["method"], allow_files=False)
    comp = api.computation(method, api.Upload(content=content, filename=meta["filename"]),
                           merge_provinces_2025=bool(meta.get("merge")))
    return comp, meta


def _ranked_table(comp, report: dict) -> dict:
    method = comp.method
    mains = method.main_nodes()
    header = [{"code": n.code, "name": _pick(n.name_vi, n.name_en), "status": _status(n),
               "decimals": method.node_decimals(n.code)} for n in mains]
    rows = []
    for u in report["units"]:
        change = (u.get("change") or {}).get("rank")
        rows.append({
            "rank": u["rank"], "unit": u["unit"], "name": u.get("name") or "", "score": u["score"],
            "rank_change": change, "rank_change_abs": abs(change) if change else 0,
            "cells": [{"value": u["nodes"][n.code]["value"], "rank": u["nodes"][n.code]["rank"],
                       "decimals": method.node_decimals(n.code)} for n in mains],
        })
    uncertain = [{"code": n.code, "name": _pick(n.name_vi, n.name_en), "status": _status(n),
                  "note": _pick(n.note_vi, n.note_en)}
                 for n in (method.nodes[c] for c in method.score_tree()) if n.status in UNCERTAIN_STATUSES]
    return {"header": header, "rows": rows, "uncertain": uncertain, "decimals": method.decimals,
            "score_name": _pick(method.score_node.name_vi, method.score_node.name_en)}


def _panel_error(panel: str, err: UserError) -> dict:
    """An error of the what-if or sensitivity form, for its own panel: the message, its code, the fields it
    marks invalid and the one it is shown under ("" when it concerns none of the form's fields)."""
    fields = PANEL_FIELDS[panel].get(err.field or "", ())
    return {"panel": panel, "text": _pick(err.message_vi, err.message_en), "code": err.code,
            "fields": dict.fromkeys(fields, True), "at": fields[0] if fields else ""}


def _result_page(request, token: str, *, whatif: dict | None = None, sensitivity: dict | None = None,
                 error: UserError | None = None, forms: dict | None = None, loaded: tuple | None = None,
                 panel: str | None = None):
    """The result page; an ``error`` of the form in ``panel`` ("whatif" or "sensitivity") is shown in that
    panel, next to its field, where the form's action (``#…-panel``) takes the reader."""
    try:
        comp, meta = loaded or _load(request, token)
        period = request.GET.get("ky") or (forms or {}).get("period") or meta.get("period") or None
        report = api.run_compute(comp, {"period": period})
    except UserError as err:
        return _index_page(request, error=err)
    method = comp.method
    forms = {"runs": PAGE_DEFAULT_RUNS, "weights": "perturb", **(forms or {})}
    context = {
        "token": token, "meta": meta, "method": method, "report": report, "table": _ranked_table(comp, report),
        "periods": list(comp.periods), "unit_count": len(report["units"]),
        "synthetic": all(u["unit"].startswith(synthetic.LABEL + " ") for u in report["units"]),
        "method_title": _pick(method.title_vi, method.title_en), "notes": _pick(method.notes_vi, method.notes_en),
        "whatif": _whatif_view(comp, whatif) if whatif else None,
        "sensitivity": _sensitivity_view(method, sensitivity) if sensitivity else None,
        **_error_context(None if panel else error), "forms": forms,
        "whatif_error": _panel_error(panel, error) if error and panel == "whatif" else None,
        "sensitivity_error": _panel_error(panel, error) if error and panel == "sensitivity" else None,
        "weight_modes": [{"value": k, "label": _weight_mode(k, DEFAULT_SPREAD)} for k in WEIGHT_MODES],
        "whatif_step": method.whatif_step, "whatif_step_unit": method.whatif_step_unit,
        "max_runs": api.MAX_API_RUNS,
    }
    return render(request, "indices/result.html", context, status=error.status if error else 200)


@require_GET
def result(request, token: str):
    return _result_page(request, token)


@require_GET
def result_workbook(request, token: str):
    from tinhso.indices import workbook

    try:
        comp, meta = _load(request, token)
        period = request.GET.get("ky") or meta.get("period") or None
        content = workbook.results_workbook(comp, period)
        chosen = comp.period(period).period
    except UserError as err:
        return _index_page(request, error=err)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    safe_period = re.sub(r"[^0-9A-Za-z_-]", "-", chosen)
    response["Content-Disposition"] = f'attachment; filename="{comp.method.code}-{safe_period}.xlsx"'
    return response


def _form_options(request, names: tuple[str, ...]) -> dict:
    return {k: request.POST.get(k, "").strip() for k in names if request.POST.get(k, "").strip() != ""}


@require_POST
def result_whatif(request, token: str):
    raw = _form_options(request, ("unit", "target_rank", "target_score", "period"))
    forms = {"whatif": raw, "period": raw.get("period", "")}
    loaded = None
    try:
        api.check_rate(request, "whatif")
        options = api.parse_options("whatif", raw)
        loaded = _load(request, token)
        analysis = api.run_whatif(loaded[0], options)
    except UserError as err:
        return _result_page(request, token, error=err, forms=forms, loaded=loaded, panel="whatif")
    return _result_page(request, token, whatif=analysis, forms=forms, loaded=loaded)


@require_POST
def result_sensitivity(request, token: str):
    raw = _form_options(request, ("runs", "weights", "period", "seed"))
    forms = {"runs": raw.get("runs", PAGE_DEFAULT_RUNS), "weights": raw.get("weights", "perturb"),
             "period": raw.get("period", "")}
    loaded = None
    try:
        api.check_rate(request, "sensitivity")
        options = api.parse_options("sensitivity", raw)
        options.setdefault("runs", PAGE_DEFAULT_RUNS)
        loaded = _load(request, token)
        analysis = api.run_sensitivity(loaded[0], options)
    except UserError as err:
        return _result_page(request, token, error=err, forms=forms, loaded=loaded, panel="sensitivity")
    return _result_page(request, token, sensitivity=analysis, forms=forms, loaded=loaded)


# --- what-if and sensitivity documents, arranged for the template ----------------------------------

def _whatif_view(comp, doc: dict) -> dict:
    """Names in the page's language; strengths and weaknesses of the main indices first."""
    def named(items):
        return [{**i, "label": _pick(i.get("name", ""), i.get("name_en", ""))} for i in items or []]

    method = comp.method
    improvement = dict(doc.get("improvement") or {})
    improvement["allocation"] = named(improvement.get("allocation"))
    profile = named(doc.get("strengths_weaknesses"))
    profile.sort(key=lambda r: (not r.get("main"), r.get("rank") or 0))
    return {"doc": doc, "improvement": improvement if doc.get("improvement") else None,
            "per_step": named(doc.get("per_step")), "profile": profile,
            "unit_label": doc.get("name") or doc.get("unit"),
            "score_name": _pick(method.score_node.name_vi, method.score_node.name_en),
            "step_unit": _pick(*STEP_UNITS.get(doc.get("step_unit", ""), (doc.get("step_unit", ""),) * 2))}


def _weight_mode(mode: str, spread) -> str:
    vi, en = WEIGHT_MODES.get(mode, (mode, mode))
    shown = f"{100 * float(spread or DEFAULT_SPREAD):g}"
    return _pick(vi.format(spread=shown.replace(".", ",")), en.format(spread=shown))


def _sobol_input(method, name: str) -> str:
    """An uncertain input of the Sobol' table in words: "weight:<code>" is the weight of that main index."""
    if name.startswith("weight:"):
        node = method.nodes.get(name.split(":", 1)[1])
        label = _pick(node.name_vi, node.name_en) if node else name.split(":", 1)[1]
        return _pick(f"Trọng số: {label}", f"Weight: {label}")
    return _pick(*SOBOL_INPUTS.get(name, (name, name)))


def _sensitivity_view(method, doc: dict) -> dict:
    """Per unit a bar from the 5 % to the 95 % rank (left = rank 1) with a tick at the median; the Sobol'
    inputs and output and the weights mode in words of the page's language."""
    n = max(1, len(doc.get("units") or []))
    span = max(1, n - 1)

    def at(rank) -> str:
        return f"{100.0 * ((rank or 1) - 1) / span:.1f}"

    units = []
    for u in doc.get("units") or []:
        left, right = at(u.get("p05_rank")), at(u.get("p95_rank"))
        units.append({**u, "label": u.get("name") or u["unit"], "bar_left": left,
                      "bar_width": f"{max(0.8, float(right) - float(left)):.1f}", "median_at": at(u.get("median_rank"))})
    sobol = doc.get("sobol") or {}
    output = sobol.get("output", "")
    settings_ = doc.get("settings") or {}
    return {"doc": doc, "units": units,
            "sobol": [{**s, "label": _sobol_input(method, s["name"])} for s in sobol.get("inputs") or []],
            "sobol_output": _pick(*SOBOL_OUTPUTS.get(output, (output, output))),
            "weights_label": _weight_mode(settings_.get("weights", ""), settings_.get("spread"))}


# --- /chi-so/phuong-phap/<code> --------------------------------------------------------------------

def _rule_text(node) -> str:
    """The scoring rule or aggregation of a node with its parameters, in plain words."""
    if node.children:
        how = {"points": "Σ điểm / Σ points", "weighted_sum": "Σ w·x", "weighted_mean": "Σ w·x / Σ w",
               "geometric_mean": "Π x^(w/Σw)"}.get(node.aggregate or "", node.aggregate or "")
        scale = f" × {node.scale:g}" if node.scale != 1.0 else ""
        return f"{node.aggregate}: {how}{scale}"
    rule = node.rule
    if rule.kind == "ratio":
        return f"ratio: x / {rule.full:g}"
    if rule.kind == "threshold":
        return f"threshold: min(1, x / {rule.target:g})"
    if rule.kind == "distance_to_target":
        return f"distance_to_target: (x − {rule.base:g}) / ({rule.target:g} − {rule.base:g}), 0–1"
    if rule.kind == "tiers":
        tiers = "; ".join(f"≥ {a:g} → {s:g}" for a, s in rule.tiers)
        return f"tiers: {tiers}; otherwise → {rule.otherwise:g}"
    if rule.kind == "minmax":
        direction = "" if rule.direction == 1 else ", lower is better"
        return f"minmax: [{rule.low:g}, {rule.high:g}]{direction}"
    return "value"


# Tree rows are indented by CSS classes depth-0 … depth-8 (indices.css): no inline styles under the CSP.
MAX_INDENT = 8


def _node_row(method, code: str, depth: int) -> dict:
    node = method.nodes[code]
    if node.max is not None:
        size = f"{node.max:g}"
        size_kind = "points"
    elif node.weight is not None:
        size, size_kind = f"{node.weight:g}", "weight"
    else:
        size, size_kind = "", ""
    return {"code": node.code, "name_vi": node.name_vi, "name_en": node.name_en, "depth": depth,
            "indent": min(depth, MAX_INDENT), "size": size, "size_kind": size_kind, "rule": _rule_text(node),
            "status": _status(node), "note": _pick(node.note_vi, node.note_en), "role": node.role,
            "counts": node.counts}


@require_GET
def method_page(request, code: str):
    try:
        method = methodology.load_method(code, allow_files=False)
    except UserError as err:
        return _index_page(request, error=err)
    rows: list[dict] = []
    seen: set[str] = set()

    def walk(c: str, depth: int) -> None:
        if c in seen:
            return
        seen.add(c)
        rows.append(_node_row(method, c, depth))
        for child in method.nodes[c].children:
            walk(child, depth + 1)

    walk(method.score, 0)
    others = [_node_row(method, c, 0) for c in method.nodes if c not in seen]
    return render(request, "indices/method.html", {
        "method": method, "rows": rows, "others": others, "title": _pick(method.title_vi, method.title_en),
        "used_for": _pick(method.used_for, method.used_for_en),
        "notes": _pick(method.notes_vi, method.notes_en), "sources": [{"text": x, "link": x.startswith(("https://", "http://"))} for x in method.sources],
        "statuses": [{"code": k, "label": _pick(*v)} for k, v in STATUS_LABELS.items()],
    })


# --- /chi-so/vi-du/<name> ------------------------------------------------------------------------

@require_GET
def example(request, name: str):
    files = {p.name: p for p in EXAMPLES_DIR.iterdir() if p.is_file()} if EXAMPLES_DIR.is_dir() else {}
    path = files.get(name)
    if path is None:
        raise Http404(name)
    content_type = {".csv": "text/csv; charset=utf-8", ".md": "text/markdown; charset=utf-8",
                    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}.get(
        path.suffix, "application/octet-stream")
    response = HttpResponse(path.read_bytes(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{path.name}"'
    return response
