"""``/api/v1/ioc/…``: the wall's numbers as JSON (the same numbers the page shows)."""

from __future__ import annotations

from ninja import Router

from tinhso.ioc import access, summary

router = Router()


@router.get("/summary")
def wall_summary(request, period: str = "today", unit: str | None = None):
    """Figures of the IOC wall for ``period`` (today, week, month), limited to the caller's unit."""
    scope = access.wall_scope(request.user, unit or None)
    return summary.summary(period=period, unit=scope)


@router.get("/open-reports")
def open_reports(request, unit: str | None = None):
    """Open reports in the caller's scope as GeoJSON (code, state, category, overdue); no personal data."""
    from tinhso.ioc.views import open_reports as view

    return view(request)


@router.get("/public-summary")
def public_summary(request, period: str = "today"):
    """The public wall's figures: aggregates only, no personal data or internal notes."""
    from tinhso.ioc.views import public_figures

    return public_figures(request, period)
