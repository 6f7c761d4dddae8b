"""Chart data (plain JSON for ECharts, drawn by ``static/indicators/charts.js``): an indicator's
observed values, its targets per milestone and the forecast band; a plan's pillar overview.

Only counted figures are drawn (:meth:`~tinhso.indicators.models.ObservationQuerySet.counted`):
a figure waiting for approval appears in the history, not on a chart.

The forecast band runs from the latest observation to the last milestone between the two
projections of :mod:`tinhso.indicators.progress` — the Statistics Canada CAGR path
``y_t·(1 + CAGR_o)^(year − t)`` and the time-weighted linear regression — each held at the
indicator's natural limit. With fewer than two figures since the base year there is no band
(the page says so, as the status does).
"""

from __future__ import annotations

from tinhso.indicators import progress
from tinhso.indicators.models import AdminLevel, Plan, PlanIndicator
from tinhso.indicators.observations import current_rows
from tinhso.indicators.units import label as uom_label

SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈", "": ""}
LABELS = {
    "observed": ("Số liệu thực hiện", "Observed"),
    "target": ("Mục tiêu theo mốc", "Target per milestone"),
    "band": ("Khoảng dự báo", "Forecast band"),
    "cagr": ("Dự báo CAGR", "CAGR forecast"),
    "regression": ("Dự báo hồi quy", "Regression forecast"),
    "year": ("Năm", "Year"),
}


def _labels(english: bool) -> dict[str, str]:
    return {k: (en if english else vi) for k, (vi, en) in LABELS.items()}


def _hold(value: float, direction: str, limit: float | None) -> float:
    if limit is None:
        return value
    return max(value, limit) if direction == "lower" else min(value, limit)


def forecast_paths(points: list[tuple[int, float]], base_year: int, until: int, direction: str,
                   limit: float | None, params: progress.Params) -> dict[int, tuple[float | None, float | None]]:
    """``{year: (cagr value, regression value)}`` from the latest observed year to ``until``."""
    usable = [(t, v) for t, v in points if t >= base_year]
    if len(usable) < 2 or until <= usable[-1][0]:
        return {}
    (t0, y0), (t, yt) = usable[0], usable[-1]
    growth = None
    if t != t0 and y0 != 0 and (y0 > 0) == (yt > 0) and yt != 0:
        growth = progress.cagr(yt, y0, t, t0)
    intercept, slope = progress.weighted_linear_fit(points, params.regression_weight_power)
    paths = {}
    for year in range(t, until + 1):
        c = None
        if growth is not None:
            try:
                c = _hold(yt * (1 + growth) ** (year - t), direction, limit)
            except OverflowError:
                c = None
        r = _hold(intercept + slope * year, direction, limit) if year > t else yt
        paths[year] = (c if year > t else yt, r)
    return paths


def indicator_chart(item: PlanIndicator, params: progress.Params, english: bool = False) -> dict:
    plan, ind = item.plan, item.indicator
    rows = [o for o in current_rows(ind, plan.unit, AdminLevel.ALL) if o.value is not None]
    points = [(o.period, o.value) for o in rows]
    targets = sorted(item.targets.all(), key=lambda t: (t.milestone, t.level))
    headline = {}
    for t in targets:  # one target per milestone: the whole unit's, else the first level given
        if t.milestone not in headline or t.level == AdminLevel.ALL:
            headline[t.milestone] = t
    last = max([*plan.milestones, *(p for p, _ in points)] or [plan.period_end])
    first = min([plan.base_year, *(p for p, _ in points)])
    years = list(range(first, last + 1))
    observed = {p: v for p, v in points}
    paths = forecast_paths(points, plan.base_year, max(plan.milestones or [last]), ind.direction,
                           ind.natural_limit, params)
    low, width, cagr_line, reg_line = [], [], [], []
    for y in years:
        c, r = paths.get(y, (None, None))
        known = [v for v in (c, r) if v is not None]
        low.append(min(known) if known else None)
        width.append(max(known) - min(known) if known else None)
        cagr_line.append(c)
        reg_line.append(r)
    return {
        "unit": ind.unit_of_measure,
        "unit_label": uom_label(ind.unit_of_measure),  # the axis name, in the reader's language
        "direction": ind.direction,
        "years": years,
        "observed": [observed.get(y) for y in years],
        "targets": [headline[y].value if y in headline else None for y in years],
        "target_notes": {str(m): f"{SYMBOLS.get(t.comparator, '')}{t.value:g}" for m, t in headline.items()},
        "band_low": low, "band_width": width, "cagr": cagr_line, "regression": reg_line,
        "has_band": bool(paths),
        "labels": _labels(english),
    }


def pillar_overview(report: dict, english: bool = False) -> dict:
    """Indicators by status per pillar (a stacked bar), from :func:`status.plan_status`'s summary."""
    pillars = report["summary"]["pillars"]
    return {
        "pillars": [p["name_en"] if english else p["name"] for p in pillars],
        "series": [{"status": cls, "name": (en if english else vi),
                    "data": [p["counts"].get(cls, 0) for p in pillars]}
                   for cls, (vi, en) in progress.CLASS_LABELS.items()],
        "labels": {"count": "Số chỉ tiêu" if not english else "Indicators"},
    }


def plan_items(plan: Plan):
    return plan.items.select_related("indicator", "pillar", "plan", "plan__unit").prefetch_related("targets")
