"""Plan pages: the list at /ke-hoach, one page per plan grouped by pillar, history, merged view,
downloads (template, exports) and the import form. Thin: figures come from the service modules."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now, in_language
from tinhso.geo import registry
from tinhso.indicators import (
    approval,
    charts,
    display,
    entry,
    io,
    merged,
    observations,
    permissions,
    plans,
    progress,
    status,
    targets,
)
from tinhso.indicators.models import AdminLevel, Aggregation, Indicator, Observation, ReviewDecision

SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈", "": ""}
# Document types as written in plans (Vietnamese) and in English.
DOCUMENT_TYPES_EN = {"Nghị quyết": "Resolution", "Kế hoạch": "Plan", "Quyết định": "Decision",
                     "Chương trình": "Programme", "Đề án": "Scheme", "Chỉ thị": "Directive"}


def document_type(plan, english: bool) -> str:
    return DOCUMENT_TYPES_EN.get(plan.document_type, plan.document_type) if english else plan.document_type


# The weight series of the demo catalogue (merged view); another name is shown as it is.
WEIGHT_LABELS = {
    "population": _("dân số"), "population-18plus": _("dân số từ 18 tuổi"),
    "population-14plus": _("dân số từ 14 tuổi"), "households": _("số hộ gia đình"), "grdp": _("GRDP"),
    "business-establishments": _("số cơ sở kinh doanh"), "sme-count": _("số doanh nghiệp nhỏ và vừa"),
}


def _level_label(level: str, english: bool) -> str:
    return in_language(AdminLevel(level).label, "en" if english else "vi")


def _error_page(request, err: UserError):
    return render(request, "indicators/error.html", {"error": err}, status=err.status)


def plan_list(request):
    """Plans grouped by the current province they belong to (a former province's plan under its
    successor, labelled "tỉnh cũ"), the installation's province first."""
    english = _english()
    groups = plans.by_province()
    for group in groups:
        for row in group.rows:
            row["document_type"] = document_type(row["plan"], english)
            row["title"] = (row["plan"].title_en or row["plan"].title_vi) if english else row["plan"].title_vi
            row["issuer"] = display.text(row["plan"].issuer, english)
    return render(request, "indicators/plan_list.html", {"groups": groups})


def _labels():
    english = _english()
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
                     latest=display.latest(e["latest"]),
                     method_shown=e["method"] if english else e["method_vi"],
                     levels=[dict(lv, status_label=labels[lv["status"]], comparator=SYMBOLS.get(lv["comparator"], ""),
                                  level_label=_level_label(lv["level"], english),
                                  abolished=dt.date.fromisoformat(lv["level_abolished_on"])
                                  if lv["level_abolished_on"] else None) for lv in e["levels"]])
                for e in report["indicators"] if e["pillar"] == pillar["code"]]
        pillars.append({**pillar, "rows": rows,
                        "counts_labelled": [(labels[k], k, v) for k, v in pillar["counts"].items() if v]})
    summary = report["summary"]
    successors = registry.successors(plan.unit) if plan.unit.structure == "legacy" else []
    can_approve = approval.may_approve(request.user)
    return render(request, "indicators/plan_detail.html", {
        "plan": plan, "report": report, "pillars": pillars, "english": english,
        "summary_counts": [(labels[k], k, v) for k, v in summary["counts"].items()],
        "successors": successors, "unit_ref": observations.unit_ref(plan.unit),
        "issuer": display.text(plan.issuer, english),
        "can_import": permissions.may_import(request.user), "can_approve": can_approve,
        "pending": len(approval.pending(request.user, plan)) if can_approve else 0,
        "former": plans.is_former(plan), "pillar_chart": charts.pillar_overview(report, english),
        "document_type": document_type(plan, english),
        "citation": display.citation(plan.source, english), "method_note": display.method_note(summary["thresholds"]),
    })


def plan_template(request, code: str):
    try:
        plan = status.get_plan(code)
        period = entry.check_period(plan, request.GET["ky"]) if request.GET.get("ky") else None
        content = io.template(plan, period)
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


_english = english_now  # tinhso.core.i18n


@planner_only
def plan_entry(request, code: str):
    """The data-entry form of one plan and period (``?ky=2024``); POST writes every figure or none."""
    try:
        plan = status.get_plan(code)
        years = entry.periods(plan)
        if not years:
            raise UserError("no_period", "Kế hoạch chưa có kỳ nào để nhập", "The plan has no period to enter yet")
        period = entry.check_period(plan, request.POST.get("ky") or request.GET.get("ky") or years[-1])
        entry.check_scope(plan, request.user)
    except UserError as err:
        return _error_page(request, err)
    english = _english()
    context = {"plan": plan, "period": period, "years": years, "english": english,
               "sources": observations_sources(), "qualifiers": QUALIFIERS}
    if request.method == "POST":
        try:
            sub = entry.submit(plan, period, request.POST, request.user, english=english)
        except UserError as err:
            return _error_page(request, err)
        if sub.ok:
            messages.success(request, (f"{len(sub.created)} figure(s) saved, waiting for a second person's approval"
                                       if english else f"Đã lưu {len(sub.created)} số liệu, chờ người thứ hai duyệt")
                             + (f" ({sub.unchanged} unchanged)" if english and sub.unchanged else
                                f" ({sub.unchanged} không đổi)" if sub.unchanged else ""))
            return redirect(f"/ke-hoach/{plan.code}/nhap-so-lieu?ky={period}")
        context.update(rows=sub.rows, errors=sub.errors, error_codes=sub.error_codes, posted=request.POST)
        return render(request, "indicators/entry.html", context, status=400)
    context.update(rows=entry.rows(plan, period), errors={}, error_codes={}, posted={})
    return render(request, "indicators/entry.html", context)


QUALIFIERS = [("", "="), (">", ">"), (">=", "≥"), ("<", "<"), ("<=", "≤"), ("~", "≈")]


def observations_sources():
    from tinhso.indicators.models import Source

    return Source.objects.order_by("title")


def plan_approval(request, code: str):
    """Pending figures of the plan the signed-in person may decide on; POST approves or rejects one."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not approval.may_approve(request.user):
        return _error_page(request, UserError("forbidden", "Tài khoản của bạn không được duyệt số liệu.",
                                              "Your account may not approve figures.", status=403))
    try:
        plan = status.get_plan(code)
    except UserError as err:
        return _error_page(request, err)
    error = None
    if request.method == "POST":
        posted = request.POST.get("decision", "")
        decision = {"approve": ReviewDecision.APPROVED, "reject": ReviewDecision.REJECTED}.get(posted, posted)
        try:
            obs = Observation.objects.filter(pk=int(request.POST.get("observation") or 0)).first()
        except ValueError:
            obs = None
        try:
            if decision not in ReviewDecision.values:  # named as the form sends them
                raise UserError("unknown_decision", f"Quyết định {posted[:40]!r} không hợp lệ (approve|reject)",
                                f"Unknown decision {posted[:40]!r} (approve|reject)", field="decision")
            if obs is None:
                raise UserError("observation_not_found", "Không có số liệu này", "No such figure", status=404)
            approval.decide(obs, request.user, decision, note=request.POST.get("note", ""), plan=plan)
        except UserError as err:
            error = err
        else:
            english = _english()
            messages.success(request, ("Approved" if english else "Đã duyệt") if decision == ReviewDecision.APPROVED
                             else ("Rejected" if english else "Đã trả lại"))
            return redirect("indicators:approval", code=plan.code)
    rows = approval.pending(request.user, plan)
    own = [o for o in approval.pending(None, plan) if o not in rows]
    return render(request, "indicators/approval.html", {"plan": plan, "rows": rows, "own": own, "error": error,
                                                        "english": _english()},
                  status=error.status if error else 200)


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
        plan = status.get_plan(code)
        if upload is None:
            raise UserError("file_required", "Chưa chọn tệp", "No file chosen", field="file")
        limits.check_file_size(upload.size)  # before the upload is read into memory
        counts = io.import_file(upload.read(), upload.name, entered_by=request.user, review_required=True,
                                unit_allowed=permissions.unit_checker(permissions.import_scope(request.user)),
                                plan=plan)
    except UserError as err:
        return render(request, "indicators/import_result.html",
                      {"code": code, "error": err, "rows": io.error_rows(err, _english())}, status=err.status)
    messages.success(request, (f"Imported {counts['rows']} rows: {counts['created']} new, {counts['revised']} revised, "
                               f"{counts['unchanged']} unchanged" if _english() else
                               f"Đã nhập {counts['rows']} dòng: mới {counts['created']}, sửa đổi {counts['revised']}, "
                               f"không đổi {counts['unchanged']}"))
    return redirect("indicators:plan", code=code)


def _field_label(name: str) -> str:
    """A target field's name in the reader's language (its verbose name)."""
    from django.core.exceptions import FieldDoesNotExist

    from tinhso.indicators.models import Target

    try:
        return str(Target._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field recorded by an older version: its name as stored
        return name


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
    for obs in rows:
        display.observation(obs)
        obs.citation_shown = display.citation(obs.source)
    superseded = {o.supersedes_id for o in rows if o.supersedes_id}
    revisions = [{"revision": r, "changed_by": display.changed_by(r.changed_by_name), "note": display.target_note(r),
                  "differences": [(_field_label(field), display.target_value(field, before),
                                   display.target_value(field, after))
                                  for field, before, after in targets.differences(r)]}
                 for r in targets.history(plan, ind)]
    item = charts.plan_items(plan).filter(indicator=ind).first()
    english = _english()
    chart = charts.indicator_chart(item, status.params_for(plan), english) if item and unit == plan.unit else None
    return render(request, "indicators/history.html", {
        "plan": plan, "indicator": ind, "unit": unit, "superseded": superseded, "rows": rows,
        "target_revisions": revisions, "chart": chart, "english": english})


def plan_merged(request, code: str):
    try:
        plan = status.get_plan(code)
        edges = registry.successors(plan.unit) if plan.unit.structure == "legacy" else []
        target = edges[0].new if edges else plan.unit
        codes = [pi.indicator.code for pi in plan.items.select_related("indicator")]
        view = merged.merged_view(observations.unit_ref(target), indicator_codes=codes)
    except UserError as err:
        return _error_page(request, err)
    english = _english()
    labels = {k: (en if english else vi) for k, (vi, en) in merged.STATUS_LABELS.items()}
    language = "en" if english else "vi"
    for ind in view["indicators"]:
        ind["aggregation_label"] = in_language(Aggregation(ind["aggregation"]).label, language)
        ind["weight_label"] = in_language(WEIGHT_LABELS[ind["weight_name"]], language) \
            if ind["weight_name"] in WEIGHT_LABELS else ind["weight_name"]
        ind["aggregation_note_shown"] = display.text(ind["aggregation_note"], english)
        for year in ind["series"]:
            year["status_label"] = labels[year["status"]]
    return render(request, "indicators/merged.html", {"plan": plan, "view": view, "english": english})
