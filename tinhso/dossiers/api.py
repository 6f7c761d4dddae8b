"""Dossier API, mounted at /api/v1/dossiers/: the 766 indicators (public), and for staff the dossiers
behind every number (paged JSON and CSV) and the due-soon list. Same numbers as the CLI: every view
is a thin call into :mod:`tinhso.dossiers.service`; who sees what is :mod:`tinhso.dossiers.access`."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from ninja import Query, Router, Schema
from ninja.security import SessionAuth

from tinhso.core.api_schemas import errors, file_answer
from tinhso.core.cellsafe import csv_row
from tinhso.dossiers import access, service

router = Router()
staff_auth = SessionAuth()
CSV_MAX_ROWS = 100_000


class DossierIndicatorUnit(Schema):
    code: str
    name: str
    total: float | None
    rank: int | None
    groups: dict[str, float | None]
    indicators: dict[str, dict[str, Any]]
    buckets: dict[str, Any]
    missing: list[str] | None = None
    total_basis: str | None = None  # "missing_as_zero": each missing indicator counts 0 points
    max_possible: float | None = None  # the points the available indicators can give


class DossierIndicatorsOut(Schema):
    period: str
    start: str
    end: str
    level: str
    engine: str
    supplement_mode: str
    method: str
    units: list[DossierIndicatorUnit]


class DueSoonDossier(Schema):
    MaHoSo: str
    MaTTHC: str | None
    NgayTiepNhan: str | None
    due: str | None


class DueSoonOfficer(Schema):
    officer: str | None
    count: int
    dossiers: list[DueSoonDossier]


class DueSoonAgency(Schema):
    code: str
    name: str
    count: int
    officers: list[DueSoonOfficer]


class DueSoonOut(Schema):
    hours: float
    now: str
    until: str
    supplement_mode: str
    count: int
    agencies: list[DueSoonAgency]


class DossierRow(Schema):
    ma_ho_so: str
    ma_tthc: str | None
    agency: str | None
    officer: str | None
    channel: int | None
    status: int | None
    received_at: str | None
    due_at: str | None
    due_pause_at: str | None
    due_restart_at: str | None
    end_at: str | None
    sup_count: int | None
    synthetic: bool | None


class DossierPageOut(Schema):
    total: int
    page: int
    page_size: int
    items: list[DossierRow]


class DossierFilters(Schema):
    period: str | None = None
    bucket: str | None = None
    since: str | None = None  # reception days, inclusive, YYYY-MM-DD (Vietnam)
    until: str | None = None
    agency: str | None = None
    ma_tthc: str | None = None
    procedure: str | None = None  # a procedure's code or name, or words of its name
    status: int | None = None
    channel: int | None = None
    q: str | None = None
    mode: str | None = None


def _filters(q: DossierFilters) -> dict:
    return {k: v for k, v in q.dict().items() if k != "mode" and v not in (None, "")}


@router.get("/indicators", response={200: DossierIndicatorsOut}, exclude_unset=True,
            summary="766 indicators, group points, totals and ranks of a period (public aggregates)")
def indicators(request, period: str, level: str = "agency", mode: str | None = None):
    """``level``: agency (departments), commune (commune People's Committees) or province. ``period``:
    2025-W42, 2025-10, 2025-Q4 or 2025. The JSON of ``tinhso dossiers indicators --json``."""
    return service.indicators(period, level=level, mode=mode)


@router.get("/due-soon", response={200: DueSoonOut}, auth=staff_auth,
            summary="Unfinished dossiers due within N working hours, per agency and officer (staff)")
def due_soon(request, hours: float = 24, agency: str | None = None, mode: str | None = None):
    allowed = access.agencies_for(request.auth)
    if allowed is not access.ALL:
        access.restrict({"agency": agency} if agency else {}, allowed)
    result = service.due_soon(hours=hours, agency=agency, mode=mode)
    if allowed is not access.ALL:
        result["agencies"] = [a for a in result["agencies"] if a["code"] in allowed]
        result["count"] = sum(a["count"] for a in result["agencies"])
    return result


@router.get("/records", response={200: DossierPageOut}, auth=staff_auth,
            summary="The dossiers behind a number: filtered, paged (staff; unit staff see their agency)")
def records(request, filters: Query[DossierFilters], page: int = 1, page_size: int = 50):
    chosen = access.restrict(_filters(filters), access.agencies_for(request.auth))
    return service.list_dossiers(chosen, page=page, page_size=page_size, mode=filters.mode)


@router.get("/records.csv", auth=staff_auth, response={**errors(413)}, openapi_extra=file_answer("text/csv"),
            summary="The same dossiers as CSV (UTF-8 with BOM; at most 100,000 rows, else 413)")
def records_csv(request, filters: Query[DossierFilters]):
    chosen = access.restrict(_filters(filters), access.agencies_for(request.auth))
    names, rows = service.export_dossiers(chosen, limit=CSV_MAX_ROWS, mode=filters.mode)
    return csv_response(names, rows)


def csv_response(names: list[str], rows: list[tuple]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(names)
    for row in rows:
        writer.writerow(csv_row("" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in row))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ho-so-tthc.csv"'
    return response
