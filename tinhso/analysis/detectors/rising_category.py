"""Rising problems: report categories, province-wide and per commune, whose counts in the month
rise beyond what their history leads one to expect.

Two families of tests, one SQL aggregation (weekly counts per category × commune, never rows):

- **Category, province-wide.** The weekly series of the category before the month. With at least
  ``stl_min_weeks`` weeks (two years) the series is decomposed by STL (statsmodels, period 52,
  robust): the month's expectation is the last trend level plus the seasonal component of the same
  weeks a year earlier (Tết, the rainy season), its variance from the STL residuals. With a shorter
  history the expectation is the mean weekly count (no seasonal information: a seasonal rise then
  shows as a rise, which the rule text says) with a quasi-Poisson dispersion. The tail probability
  of the observed count is taken from a negative binomial with that mean and variance.
- **Category × commune.** Conditional on the category's province-wide count in the month, is this
  commune's share larger than its history says? X ~ BetaBinomial(N, a, b): the posterior predictive
  of the commune's share (history counts plus a prior centred on the commune's share of all reports,
  weight ``prior_weight``). Conditioning on the province total makes the test immune to seasons and
  to province-wide trends: the rainy season that raises flooding everywhere does not raise one
  commune's share.

Cells with fewer than ``min_count`` reports in the month or a ratio to expectation below
``min_ratio`` are not reported, but every cell with data counts in the Benjamini–Hochberg
correction at level ``alpha``: when nothing changed, a month raises an alert with probability at
most ``alpha``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import numpy as np
from django.conf import settings
from django.db.models import Count

from tinhso.analysis.detectors._common import (
    VIETNAM,
    benjamini_hochberg,
    clean,
    confidence,
    count_upper_p,
    month_bounds,
    month_stats_url,
    record_links,
    week_index,
    week_monday,
)
from tinhso.analysis.findings import Context, Finding, Link, Series

KIND = "rising_category"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(since: dt.datetime, until: dt.datetime) -> dict[tuple[dt.date, int, int | None], int]:
    """{(week's Monday, category id, commune id): count} of the reports created in [since, until)."""
    from tinhso.reports.models import Report, State

    rows = (Report.objects.filter(created_at__gte=since, created_at__lt=until, province_code=settings.PROVINCE_CODE)
            .exclude(state=State.MERGED)
            .annotate(week=week_index("created_at"))
            .values_list("week", "category_id", "commune_id").annotate(n=Count("id")).order_by())
    return {(week_monday(week), cat, commune): n for week, cat, commune, n in rows}


def month_counts(start: dt.datetime, end: dt.datetime) -> dict[tuple[int, int | None], int]:
    from tinhso.reports.models import Report, State

    rows = (Report.objects.filter(created_at__gte=start, created_at__lt=end, province_code=settings.PROVINCE_CODE)
            .exclude(state=State.MERGED).values_list("category_id", "commune_id").annotate(n=Count("id")).order_by())
    return {(cat, commune): n for cat, commune, n in rows}


def counted_records(start: dt.datetime, end: dt.datetime, category_id: int, commune_id: int | None = None) -> list:
    """The reports a cell's month count counts (:func:`month_counts`: created in [start, end), merged ones
    left out), oldest first, as (code, "", "") for :func:`record_links`."""
    from tinhso.reports.models import Report, State

    qs = (Report.objects.filter(created_at__gte=start, created_at__lt=end, province_code=settings.PROVINCE_CODE,
                                category_id=category_id).exclude(state=State.MERGED))
    if commune_id is not None:
        qs = qs.filter(commune_id=commune_id)
    return [(c, "", "") for c in qs.order_by("created_at", "code").values_list("code", flat=True)]


def _first_report_week() -> dt.date | None:
    from tinhso.reports.models import Report

    first = (Report.objects.filter(province_code=settings.PROVINCE_CODE).order_by("created_at")
             .values_list("created_at", flat=True).first())
    return _monday(first.astimezone(VIETNAM).date()) if first else None


def _expectation(series: np.ndarray, month_weeks: list[float], params: dict) -> tuple[float, float, str,
                                                                                          np.ndarray, np.ndarray]:
    """Expected month count, its variance, the model's name, and the fitted weekly expectation and its
    upper band over the history (for the chart)."""
    n = len(series)
    weeks = sum(month_weeks)
    z = float(params.get("band_z", 2.0))
    if n >= int(params["stl_min_weeks"]):
        from statsmodels.tsa.seasonal import STL

        fit = STL(series.astype(float), period=52, robust=True).fit()
        trend_last = float(fit.trend[-1])
        expected = 0.0
        for j, share in enumerate(month_weeks):
            expected += share * max(0.0, trend_last + float(fit.seasonal[n - 52 + j]))
        resid_var = float(np.var(fit.resid[-104:], ddof=1))
        variance = max(expected, resid_var * max(weeks, 1.0))
        fitted = np.maximum(fit.trend + fit.seasonal, 0.0)
        return expected, variance, "STL", fitted, fitted + z * math.sqrt(max(resid_var, 1e-9))
    mean = float(series.mean()) if n else 0.0
    var = float(series.var(ddof=1)) if n > 1 else mean
    phi = max(1.0, var / mean) if mean > 0 else 1.0
    expected = mean * weeks
    variance = phi * expected * (1.0 + weeks / max(n, 1))
    fitted = np.full(n, mean)
    return expected, variance, "mean", fitted, fitted + z * math.sqrt(phi * max(mean, 1e-9))


def detect(ctx: Context) -> list[Finding]:
    from tinhso.geo.models import Unit
    from tinhso.reports.models import Category, HandlingUnit, UnitKind

    p = ctx.params
    alpha = float(p["alpha"])
    start, end = month_bounds(ctx.month)
    first_week = _first_report_week()
    if first_week is None:
        return []
    hist_end = _monday(start.date())
    hist_start = max(hist_end - dt.timedelta(weeks=int(p["history_weeks"])), first_week)
    n_weeks = (hist_end - hist_start).days // 7
    if n_weeks < int(p["min_history_weeks"]):
        return []
    since = dt.datetime.combine(hist_start, dt.time(), VIETNAM)
    weekly = weekly_counts(since, dt.datetime.combine(hist_end, dt.time(), VIETNAM))
    observed = month_counts(start, end)
    if not observed:
        return []
    week_index = {hist_start + dt.timedelta(weeks=i): i for i in range(n_weeks)}
    # The month's days, as shares of the weeks following the history (for the seasonal lookup).
    month_weeks: list[float] = []
    day = start.date()
    while day < end.date():
        j = (day - hist_end).days // 7
        while len(month_weeks) <= j:
            month_weeks.append(0.0)
        month_weeks[j] += 1 / 7
        day += dt.timedelta(days=1)

    cat_series: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(n_weeks))
    cell_hist: dict[tuple[int, int | None], int] = defaultdict(int)
    commune_hist: dict[int | None, int] = defaultdict(int)
    for (week, cat, commune), n in weekly.items():
        i = week_index.get(week)
        if i is None:
            continue
        cat_series[cat][i] += n
        cell_hist[(cat, commune)] += n
        commune_hist[commune] += n
    total_hist = sum(commune_hist.values())
    cat_month: dict[int, int] = defaultdict(int)
    for (cat, _commune), n in observed.items():
        cat_month[cat] += n

    categories = {c.pk: c for c in Category.objects.filter(pk__in=set(cat_month) | set(cat_series))}
    tests: list[dict] = []
    # Province-wide, per category.
    for cat, n_obs in cat_month.items():
        series = cat_series.get(cat, np.zeros(n_weeks))
        expected, variance, model, fitted, upper = _expectation(series, month_weeks, p)
        tests.append({"level": "province", "cat": cat, "commune": None, "observed": n_obs, "expected": expected,
                      "p": count_upper_p(n_obs, expected, variance), "model": model, "series": series,
                      "fitted": fitted, "upper": upper})
    # Category × commune, conditional on the category's month total.
    communes_seen = {c for (_cat, c) in cell_hist} | {c for (_cat, c) in observed}
    communes_seen.discard(None)
    weight = float(p["prior_weight"])
    for cat, n_cat in cat_month.items():
        h_cat = int(cat_series[cat].sum()) if cat in cat_series else 0
        for commune in communes_seen:
            x = observed.get((cat, commune), 0)
            h = cell_hist.get((cat, commune), 0)
            q = (commune_hist.get(commune, 0) + 1) / (total_hist + len(communes_seen))
            a = h + weight * q
            b = (h_cat - h) + weight * (1 - q)
            expected = n_cat * a / (a + b)
            pval = _beta_binom_sf(x, n_cat, a, b)
            tests.append({"level": "commune", "cat": cat, "commune": commune, "observed": x, "expected": expected,
                          "p": pval, "model": "beta-binomial share", "hist": h})
    keep = benjamini_hochberg([t["p"] for t in tests], alpha)
    chosen = [t for t, k in zip(tests, keep) if k and t["observed"] >= int(p["min_count"])
              and t["observed"] >= float(p["min_ratio"]) * max(t["expected"], 1e-9)]
    if not chosen:
        return []
    unit_ids = {t["commune"] for t in chosen if t["commune"]}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
    committees = dict(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune_id__in=unit_ids)
                      .values_list("commune_id", "code"))
    province = Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()
    month_label = f"{ctx.month:%Y-%m}"
    out = []
    for t in chosen:
        c = categories[t["cat"]]
        subject = {"category": c.code, "category_vi": c.name_vi, "category_en": c.name_en or c.name_vi}
        figures = {"month": month_label, "observed": t["observed"], "expected": clean(t["expected"], 1),
                   "ratio": clean(t["observed"] / t["expected"], 2) if t["expected"] > 0 else None,
                   "excess": clean(t["observed"] - t["expected"], 1), "p_value": clean(t["p"], 6),
                   "history_weeks": n_weeks, "model": t["model"], "alpha": alpha}
        records, more = record_links(counted_records(start, end, t["cat"], t["commune"]))
        if t["level"] == "province":
            hist_x = [(hist_start + dt.timedelta(weeks=i)).isoformat() for i in range(n_weeks)]
            series = Series(title_vi=f"Phản ánh {c.name_vi} mỗi tuần", title_en=f"{subject['category_en']} reports per week",
                            x=hist_x, observed=[float(v) for v in t["series"]],
                            expected=[round(float(v), 2) for v in t["fitted"]],
                            upper=[round(float(v), 2) for v in t["upper"]], unit="reports")
            out.append(Finding(
                kind=KIND, unit_code=settings.PROVINCE_CODE, unit_name=province.name if province else settings.PROVINCE_CODE,
                unit_name_en=(province.name_en or "") if province else "",
                unit_kind="province", severity=_severity(t), confidence=confidence(t["p"]),
                rule=f"{t['model']} weekly expectation, negative-binomial tail p ≤ BH(α = {alpha:g})",
                figures={**figures, "scope": "province", "history_count": int(t["series"].sum())},
                subject={**subject, "scope": "province"},
                # The records counted; the statistics page counts merged reports too: context only.
                links=[*records, Link("Thống kê theo lĩnh vực của các phản ánh tiếp nhận trong tháng",
                                      "Statistics per category of the reports received in the month",
                                      month_stats_url(ctx.month), context=True)],
                more_records=more, series=series))
        else:
            u = units.get(t["commune"])
            if u is None:
                continue
            out.append(Finding(
                kind=KIND, unit_code=u.code, unit_name=u.name, unit_name_en=u.name_en or "", unit_kind="commune",
                severity=_severity(t),
                confidence=confidence(t["p"]),
                rule=f"commune share of the category, beta-binomial tail p ≤ BH(α = {alpha:g})",
                figures={**figures, "scope": "commune", "history_count": t["hist"]},
                subject={**subject, "scope": "commune", "commune_code": u.code, "commune_vi": u.name,
                         "commune_en": u.name_en or u.name,
                         "handling_unit_code": committees.get(u.pk, "")},
                links=records, more_records=more))
    return out


def _beta_binom_sf(x: int, n: int, a: float, b: float) -> float:
    from scipy import stats

    if x <= 0:
        return 1.0
    return float(stats.betabinom.sf(x - 1, n, max(a, 1e-6), max(b, 1e-6)))


def _severity(t: dict) -> float:
    excess = max(0.0, t["observed"] - t["expected"])
    return round(min(10.0, math.log1p(excess) + min(5.0, -math.log10(max(t["p"], 1e-300)) / 4)), 3)
