"""Hotspots: clusters of reports in space and time, and places reported again after a report there
was closed.

**Clusters (grid scan).** Reports are counted per square grid cell of ``cell_m`` metres (cell indexes
computed in SQL from latitude/longitude: one grouped count for the month, one for the
``history_months`` before it). Two grids, the second shifted by half a cell in both directions,
so that a cluster on a cell edge is whole in one of them. A cell's monthly count is compared with
its own history: the posterior predictive of a Poisson rate with a Gamma prior (mean: the average
monthly count of an occupied cell, weight ``prior_months`` months), i.e. a negative binomial; cells
with fewer than ``min_count`` reports are not reported but count in the Benjamini–Hochberg
correction at level ``alpha``. Overlapping cells of the two grids are reported once (the smaller
p-value). The responsible unit is the commune where most of the cell's reports of the month were
located; the finding names the leading category, the first and last day, and the reports.

**Repeats.** A report of the month within ``repeat_m`` metres of an earlier report of the same
category that had been resolved (or closed) before it was made, at most ``repeat_days`` days
before: the problem came back or was not fixed. Per commune, a finding when there are at least
``min_repeats`` such reports (a rule, not a statistical test).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict

import numpy as np
from django.conf import settings
from django.db.models import Count, F, Q, Value

from tinhso.analysis.detectors._common import (
    FloorInt,
    benjamini_hochberg,
    clean,
    confidence,
    count_upper_p_many,
    month_bounds,
)
from tinhso.analysis.findings import Context, Finding, Link

KIND = "hotspots"
M_PER_DEG_LAT = 111_320.0


def _province_lat() -> float:
    from tinhso.geo.models import Unit

    lat = (Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE)
           .values_list("lat", flat=True).first())
    return float(lat) if lat is not None else 16.0


def _steps(cell_m: float) -> tuple[float, float]:
    lat0 = _province_lat()
    return cell_m / M_PER_DEG_LAT, cell_m / (M_PER_DEG_LAT * math.cos(math.radians(lat0)))


def _cell_counts(since, until, dlat: float, dlon: float, shift: float) -> dict[tuple[int, int], int]:
    from tinhso.reports.models import Report, State

    rows = (Report.objects.filter(created_at__gte=since, created_at__lt=until, province_code=settings.PROVINCE_CODE)
            .exclude(state=State.MERGED)
            .annotate(cy=FloorInt(F("lat") / Value(dlat) + Value(shift)),
                      cx=FloorInt(F("lon") / Value(dlon) + Value(shift)))
            .values_list("cy", "cx").annotate(n=Count("id")).order_by())
    return {(int(cy), int(cx)): n for cy, cx, n in rows}


def clusters(ctx: Context) -> list[Finding]:
    from tinhso.geo.models import Unit
    from tinhso.reports.models import Report, State

    p = ctx.params
    alpha = float(p["alpha"])
    start, end = month_bounds(ctx.month)
    hist_months = int(p["history_months"])
    hist_start, _ = month_bounds(ctx.month, hist_months)
    dlat, dlon = _steps(float(p["cell_m"]))
    first = (Report.objects.filter(province_code=settings.PROVINCE_CODE).order_by("created_at")
             .values_list("created_at", flat=True).first())
    if first is None or first >= start:
        return []
    months_seen = min(hist_months, max(1.0, (start - max(first, hist_start)).days / 30.44))
    tests = []
    for shift in (0.0, 0.5):
        now_counts = _cell_counts(start, end, dlat, dlon, shift)
        past = _cell_counts(max(first, hist_start), start, dlat, dlon, shift)
        occupied = len(past) or 1
        prior_mean = sum(past.values()) / occupied / months_seen
        a0 = float(p["prior_months"]) * prior_mean
        b0 = float(p["prior_months"])
        cells = sorted(set(now_counts) | set(past))
        x = np.array([now_counts.get(c, 0) for c in cells], dtype=float)
        shape = a0 + np.array([past.get(c, 0) for c in cells], dtype=float)
        rate = b0 + months_seen
        mean = shape / rate
        variance = mean + shape / rate ** 2  # gamma-Poisson predictive for one month
        pvalues = count_upper_p_many(x, mean, variance)
        for i, cell in enumerate(cells):
            tests.append({"shift": shift, "cell": cell, "observed": int(x[i]), "expected": float(mean[i]),
                          "p": float(pvalues[i])})
    keep = benjamini_hochberg([t["p"] for t in tests], alpha)
    chosen = sorted((t for t, k in zip(tests, keep) if k and t["observed"] >= int(p["min_count"])),
                    key=lambda t: t["p"])
    out: list[Finding] = []
    taken: list[tuple[float, float, float, float]] = []
    for t in chosen:
        cy, cx = t["cell"]
        lat_lo, lon_lo = (cy - t["shift"]) * dlat, (cx - t["shift"]) * dlon
        box = (lat_lo, lat_lo + dlat, lon_lo, lon_lo + dlon)
        if any(box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3] for b in taken):
            continue
        taken.append(box)
        rows = list(Report.objects.filter(created_at__gte=start, created_at__lt=end,
                                          province_code=settings.PROVINCE_CODE,
                                          lat__gte=box[0], lat__lt=box[1], lon__gte=box[2], lon__lt=box[3])
                    .exclude(state=State.MERGED)
                    .values_list("code", "commune_id", "category__code", "category__name_vi", "category__name_en",
                                 "created_at", "lat", "lon").order_by("created_at"))
        if not rows:
            continue
        commune_id = Counter(r[1] for r in rows).most_common(1)[0][0]
        commune = Unit.objects.filter(pk=commune_id).first()
        if commune is None:
            continue
        (cat, cat_vi, cat_en), cat_n = Counter((r[2], r[3], r[4]) for r in rows).most_common(1)[0]
        lat = sum(r[6] for r in rows) / len(rows)
        lon = sum(r[7] for r in rows) / len(rows)
        days = [r[5].date() for r in rows]
        out.append(Finding(
            kind=KIND, unit_code=commune.code, unit_name=commune.name, unit_kind="commune",
            severity=round(min(10.0, math.log1p(t["observed"]) + min(5.0, -math.log10(max(t["p"], 1e-300)) / 4)), 3),
            confidence=confidence(t["p"]),
            rule=f"grid cell {p['cell_m']:g} m vs its {hist_months}-month history, negative-binomial tail "
                 f"p ≤ BH(α = {alpha:g})",
            figures={"month": f"{ctx.month:%Y-%m}", "observed": t["observed"], "expected": clean(t["expected"], 2),
                     "p_value": clean(t["p"], 6), "cell_m": float(p["cell_m"]), "category_count": cat_n,
                     "first_day": min(days).isoformat(), "last_day": max(days).isoformat(),
                     "lat": round(lat, 5), "lon": round(lon, 5), "alpha": alpha, "history_months": hist_months},
            subject={"type": "cluster", "commune_code": commune.code, "commune_vi": commune.name,
                     "category": cat, "category_vi": cat_vi, "category_en": cat_en or cat_vi,
                     "lat": round(lat, 5), "lon": round(lon, 5)},
            links=[Link(f"Phản ánh {r[0]}", f"Report {r[0]}", f"/ioc/phan-anh/{r[0]}") for r in rows[:10]]))
    return out


def repeats(ctx: Context) -> list[Finding]:
    from tinhso.geo.models import Unit
    from tinhso.reports.models import Report, State

    p = ctx.params
    start, end = month_bounds(ctx.month)
    radius = float(p["repeat_m"])
    dlat, dlon = _steps(radius)
    lookback = start - dt.timedelta(days=int(p["repeat_days"]))
    closed = (Report.objects.filter(province_code=settings.PROVINCE_CODE, resolved_at__isnull=False,
                                    resolved_at__gte=lookback, resolved_at__lt=end)
              .filter(Q(state__in=(State.RESOLVED, State.CLOSED)))
              .values_list("code", "category_id", "lat", "lon", "resolved_at"))
    grid: dict[tuple[int, int, int], list] = defaultdict(list)
    for code, cat, lat, lon, at in closed.iterator(chunk_size=5000):
        grid[(cat, math.floor(lat / dlat), math.floor(lon / dlon))].append((code, lat, lon, at))
    if not grid:
        return []
    month = (Report.objects.filter(province_code=settings.PROVINCE_CODE, created_at__gte=start, created_at__lt=end)
             .exclude(state=State.MERGED)
             .values_list("code", "category_id", "category__code", "commune_id", "lat", "lon", "created_at"))
    per_commune: dict[int, list] = defaultdict(list)
    cos = math.cos(math.radians(_province_lat()))
    for code, cat, cat_code, commune, lat, lon, created in month.iterator(chunk_size=5000):
        cy, cx = math.floor(lat / dlat), math.floor(lon / dlon)
        earlier = None
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for other, olat, olon, at in grid.get((cat, cy + dy, cx + dx), ()):
                    if other != code and at < created and created - at <= dt.timedelta(days=int(p["repeat_days"])):
                        dist = math.hypot((olat - lat) * M_PER_DEG_LAT, (olon - lon) * M_PER_DEG_LAT * cos)
                        if dist <= radius and (earlier is None or at > earlier[1]):
                            earlier = (other, at)
        if earlier and commune:
            per_commune[commune].append((code, earlier[0], cat_code))
    out = []
    units = {u.pk: u for u in Unit.objects.filter(pk__in=list(per_commune))}
    for commune_id, found in per_commune.items():
        u = units.get(commune_id)
        if u is None or len(found) < int(p["min_repeats"]):
            continue
        cats = Counter(c for _a, _b, c in found)
        out.append(Finding(
            kind=KIND, unit_code=u.code, unit_name=u.name, unit_kind="commune",
            severity=round(min(10.0, 1.0 + math.log1p(len(found))), 3), confidence=0.9,
            rule=f"reported again within {radius:g} m and {int(p['repeat_days'])} days after a report of the same "
                 f"category was resolved; at least {int(p['min_repeats'])} in the month",
            figures={"month": f"{ctx.month:%Y-%m}", "observed": len(found), "repeat_m": radius,
                     "repeat_days": int(p["repeat_days"]), "top_category_count": cats.most_common(1)[0][1],
                     "min_repeats": int(p["min_repeats"])},
            subject={"type": "repeat", "commune_code": u.code, "commune_vi": u.name,
                     "category": cats.most_common(1)[0][0]},
            links=[Link(f"Phản ánh {a} (trước: {b})", f"Report {a} (earlier: {b})", f"/ioc/phan-anh/{a}")
                   for a, b, _c in found[:10]]))
    return out


def detect(ctx: Context) -> list[Finding]:
    return clusters(ctx) + repeats(ctx)
