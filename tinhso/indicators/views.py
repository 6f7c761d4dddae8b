"""Plan pages: the list at /ke-hoach, one page per plan grouped by pillar, history, merged view,
downloads (template, exports) and the import form. Thin: figures come from the service modules."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.geo import registry
from tinhso.indicators import io, merged, observations, permissions, progress, status, targets
from tinhso.indicators.models import AdminLevel, Indicator, Plan

SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈", "": ""}


def _level_label(level: str, english: bool) -> str:
    vi, _, en = AdminLevel(level).label.partition(" / ")
    return en if english else vi


def _error_page(request, err: UserError):
    return render(request, "indicators/error.html", {"error": err}, status=err.status)


def plan_list(request):
    plans = Plan.objects.select_related("unit").order_by("-document_date")
    return render(request, "indicators/plan_list.html", {"plans": plans})


def _labels():
    english = (get_language() or "vi").startswith("en")
    return {k: (en if english else vi) for k, (vi, en) in progress.CLASS_LABELS.items()}, english


def plan_detail(request, code: str):
    try:
        plan = status.get_plan(code)
        milestone = request.GET.get("moc") or plan.milestones[0]
        report = status.plan_status(code, milestone)
    except UserError as err:
        return _error_page(request, err)
    labels, english = _labels()
    pillars = []
    for pillar in report["summary"]["pillars"]:
        rows = [dict(e, status_label=labels[e["status"]], comparator=SYMBOLS.get(e["comparator"], ""),
                     levels=[dict(lv, status_label=labels[lv["status"]], comparator=SYMBOLS.get(lv["comparator"], ""),
                                  level_label=_level_label(lv["level"], english)) for lv in e["levels"]])
                for e in report["indicators"] if e["pillar"] == pillar["code"]]
        pillars.append({**pillar, "rows": rows,
                        "counts_labelled": [(labels[k], k, v) for k, v in pillar["counts"].items() if v]})
    summary = report["summary"]
    successors = registry.successors(plan.unit) if plan.unit.structure == "legacy" else []
    return render(request, "indicators/plan_detail.html", {
        "plan": plan, "report": report, "pillars": pillars, "english": english,
        "summary_counts": [(labels[k], k, v) for k, v in summary["counts"].items()],
        "successors": successors, "unit_ref": observations.unit_ref(plan.unit),
        "can_import": permissions.may_import(request.user),
    })


def plan_template(request, code: str):
    try:
        content = io.template(status.get_plan(code))
    except UserError as err:
        return _error_page(request, err)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{code}-mau-nhap-lieu.xlsx"'
    return response


def plan_export(request, code: str, fmt: str):
    try:
        milestone = request.GET.get("moc") or status.get_plan(code).milestones[0]
        content, content_type = io.export(code, milestone, fmt, what=request.GET.get("bang", "series"))
    except UserError as err:
        return _error_page(request, err)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{code}-{milestone}.{fmt}"'
    return response


def planner_only(view):
    """Signed in (else to the sign-in page) with the planner's permission and a scope (else 403),
    checked before anything else, whatever the method."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.may_import(request.user):
            return _error_page(request, UserError(
                "forbidden", "Tài khoản của bạn không được nhập số liệu kế hoạch.",
                "Your account may not enter plan figures.", status=403))
        return view(request, *args, **kwargs)

    return wrapper


@planner_only
def plan_import(request, code: str):
    """POST a file of figures (every row within the planner's scope); GET leads to the form on the plan page."""
    if request.method != "POST":
        try:
            status.get_plan(code)
        except UserError as err:
            return _error_page(request, err)
        return redirect(f"/ke-hoach/{code}#nhap")
    upload = request.FILES.get("file")
    try:
        status.get_plan(code)
        if upload is None:
            raise UserError("file_required", "Chưa chọn tệp", "No file chosen", field="file")
        limits.check_file_size(upload.size)  # before the upload is read into memory
        counts = io.import_file(upload.read(), upload.name, entered_by=request.user,
                                unit_allowed=permissions.unit_checker(permissions.import_scope(request.user)))
    except UserError as err:
        return render(request, "indicators/import_result.html", {"code": code, "error": err}, status=err.status)
    messages.success(request, f"Đã nhập {counts['rows']} dòng: mới {counts['created']}, sửa đổi {counts['revised']}, "
                              f"không đổi {counts['unchanged']} / Imported {counts['rows']} rows")
    return redirect("indicators:plan", code=code)


def indicator_history(request, code: str, indicator: str):
    try:
        plan = status.get_plan(code)
        ind = Indicator.objects.filter(code=indicator).first()
        if ind is None:
            raise UserError("indicator_not_found", f"Không có chỉ tiêu {indicator!r}", f"No indicator {indicator!r}",
                            status=404)
        unit = observations.resolve_unit(request.GET.get("unit")) if request.GET.get("unit") else plan.unit
    except UserError as err:
        return _error_page(request, err)
    rows = observations.history(ind, unit)
    superseded = {o.supersedes_id for o in rows if o.supersedes_id}
    revisions = [{"revision": r, "differences": targets.differences(r)} for r in targets.history(plan, ind)]
    return render(request, "indicators/history.html", {
        "plan": plan, "indicator": ind, "unit": unit, "superseded": superseded, "rows": rows,
        "target_revisions": revisions})


def plan_merged(request, code: str):
    try:
        plan = status.get_plan(code)
        edges = registry.successors(plan.unit) if plan.unit.structure == "legacy" else []
        target = edges[0].new if edges else plan.unit
        codes = [pi.indicator.code for pi in plan.items.select_related("indicator")]
        view = merged.merged_view(observations.unit_ref(target), indicator_codes=codes)
    except UserError as err:
        return _error_page(request, err)
    english = (get_language() or "vi").startswith("en")
    labels = {k: (en if english else vi) for k, (vi, en) in merged.STATUS_LABELS.items()}
    for ind in view["indicators"]:
        for year in ind["series"]:
            year["status_label"] = labels[year["status"]]
    return render(request, "indicators/merged.html", {"plan": plan, "view": view, "english": english})
