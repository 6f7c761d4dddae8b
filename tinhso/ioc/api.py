"""``/api/v1/ioc/…``: the wall's numbers as JSON (the same numbers the page shows)."""

from __future__ import annotations

from typing import Any

from ninja import Router

from tinhso.core.api_schemas import GEOJSON_POINTS, errors, file_answer
from tinhso.ioc import access, summary

router = Router()


@router.get("/summary", response={200: dict[str, Any], **errors(401, 403, 404)})
def wall_summary(request, period: str = "today", unit: str | None = None):
    """Figures of the IOC wall for ``period`` (today, week, month), limited to the caller's unit."""
    scope = access.wall_scope(request.user, unit or None)
    return summary.summary(period=period, unit=scope)


@router.get("/open-reports", response={200: dict[str, Any], **errors(401, 403, 404)},
            openapi_extra=file_answer("application/geo+json", json_schema=GEOJSON_POINTS))
def open_reports(request, unit: str | None = None):
    """Open reports in the caller's scope as GeoJSON (code, state, category, overdue); no personal data."""
    from tinhso.ioc.views import open_reports as view

    return view(request)


@router.get("/public-summary", response={200: dict[str, Any], **errors(429)})
def public_summary(request, period: str = "today"):
    """The public wall's figures: aggregates only, no personal data or internal notes."""
    from tinhso.ioc.views import public_figures

    return public_figures(request, period)
