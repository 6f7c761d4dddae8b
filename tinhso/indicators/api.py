"""Plan-indicator API (mounted at /api/v1/): plans, status at a milestone, exports, template, history,
merged-unit view. Thin: every answer comes from a service module."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Field, Router, Schema

from tinhso.core.api_schemas import ErrorOut, file_answer
from tinhso.core.errors import UserError
from tinhso.indicators import io, merged, observations, status
from tinhso.indicators.models import Indicator, Plan

router = Router()


class SourceOut(Schema):
    key: str
    title: str
    publisher: str = ""
    url: str = ""
    published: str | None = None
    reference: str = ""


class LatestOut(Schema):
    value: float | None
    period: int
    period_label: str = ""
    qualifier: str = ""
    reported_met_milestone: int | None = None
    source: SourceOut
    quote: str = ""
    note: str = ""


class LevelOut(Schema):
    level: str
    target: float | None
    comparator: str | None
    status: str
    score: float | None
    latest: LatestOut | None
    forecast: dict[str, Any]
    method: str
    method_vi: str = ""  # the same method line in Vietnamese
    level_abolished_on: str | None
    level_note: str


class IndicatorStatusOut(Schema):
    code: str
    name: str
    name_en: str
    pillar: str
    pillar_name: str
    unit_of_measure: str
    direction: str
    status: str
    score: float | None
    latest: LatestOut | None
    target: float | None
    comparator: str | None
    forecast: dict[str, Any]
    to_date: dict[str, Any] | None
    method: str
    method_vi: str = ""  # the same method line in Vietnamese
    levels: list[LevelOut]


class StatusOut(Schema):
    plan: str
    milestone: int
    indicators: list[IndicatorStatusOut]
    summary: dict[str, Any]


class PlanOut(Schema):
    code: str
    title_vi: str
    title_en: str
    issuer: str
    document_number: str
    document_date: str
    unit: str
    unit_name: str
    milestones: list[int]
    base_year: int
    indicators: int


class HistoryOut(Schema):
    period: int
    level: str
    value: float | None
    qualifier: str
    reported_met_milestone: int | None
    source: str
    entered_by: str
    entered_at: str
    superseded: bool
    revision_note: str
    review: str = Field(description="approved | pending | rejected: a figure a person entered counts once "
                                    "a second person approved it (rows needing no review say approved)")


def _plan_out(plan: Plan) -> dict:
    return {"code": plan.code, "title_vi": plan.title_vi, "title_en": plan.title_en, "issuer": plan.issuer,
            "document_number": plan.document_number, "document_date": plan.document_date.isoformat(),
            "unit": observations.unit_ref(plan.unit), "unit_name": plan.unit.name, "milestones": plan.milestones,
            "base_year": plan.base_year, "indicators": plan.items.count()}


@router.get("/plans", response=list[PlanOut], summary="Plans (digital-transformation resolutions, programmes)")
def list_plans(request):
    return [_plan_out(p) for p in Plan.objects.select_related("unit")]


@router.get("/plans/{code}", response={200: PlanOut, 404: ErrorOut}, summary="One plan")
def get_plan(request, code: str):
    return _plan_out(status.get_plan(code))


@router.get("/plans/{code}/status", response={200: StatusOut, 400: ErrorOut, 404: ErrorOut},
            summary="Status of every indicator of a plan at a milestone, with forecasts and method")
def plan_status(request, code: str, milestone: int):
    return status.plan_status(code, milestone)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/plans/{code}/export", response={200: None, 400: ErrorOut, 404: ErrorOut},
            summary="Export series and status (format=csv|xlsx|json; what=series|status for CSV)",
            openapi_extra=file_answer("text/csv", XLSX, "application/json"))
def export(request, code: str, milestone: int, format: str = "csv", what: str = "series"):
    content, content_type = io.export(code, milestone, format, what=what)
    response = HttpResponse(content, content_type=content_type)
    name = f"{code}-{milestone}-{what if format == 'csv' else 'all'}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/plans/{code}/template.xlsx", response={200: None, 404: ErrorOut}, summary="Excel entry template for a plan",
            openapi_extra=file_answer(XLSX))
def template(request, code: str):
    response = HttpResponse(io.template(status.get_plan(code)),
                            content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{code}-template.xlsx"'
    return response


@router.get("/indicators/{code}/history", response={200: list[HistoryOut], 400: ErrorOut, 404: ErrorOut},
            summary="Every figure ever entered for an indicator and unit, revisions included")
def history(request, code: str, unit: str):
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise UserError("indicator_not_found", f"Không có chỉ tiêu {code!r}", f"No indicator {code!r}",
                        field="code", status=404)
    rows = observations.history(indicator, observations.resolve_unit(unit))
    superseded = {o.supersedes_id for o in rows if o.supersedes_id}
    return [{"period": o.period, "level": o.level, "value": o.value, "qualifier": o.qualifier,
             "reported_met_milestone": o.reported_met_milestone, "source": o.source.citation(),
             "entered_by": o.entered_by_name, "entered_at": o.entered_at.isoformat(),
             "superseded": o.pk in superseded, "revision_note": o.revision_note,
             "review": o.review_state} for o in rows]


@router.get("/indicators/merged", response={200: dict[str, Any], 400: ErrorOut, 404: ErrorOut},
            summary="A current unit's series combined from its former units (e.g. unit=current:68)")
def merged_view(request, unit: str = "current:68"):
    return merged.merged_view(unit)
