"""Hotspots: clusters of reports in space and time, and places reported again after a report there
was closed.

**Clusters (grid scan).** Reports are counted per square grid cell of ``cell_m`` metres (cell indexes
computed in SQL from latitude/longitude: one grouped query per half-cell, with a count for the month and
one for the ``history_months`` before it, summed into the cells of both grids). Two grids, the second
shifted by half a cell in both directions, so that a cluster on a cell edge is whole in one of them. A cell's monthly count is compared with
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
    record_links,
)
from tinhso.analysis.findings import Context, Finding

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


def _grid_counts(start, end, hist_start, dlat: float, dlon: float) -> dict[float, tuple[dict, dict]]:
    """{shift: (counts of the month [start, end), counts of the history [hist_start, start))} for both
    grids (shift 0 and 0.5) from **one** grouped query: reports are counted per half-cell
    ``(floor(2·lat/dlat), floor(2·lon/dlon))`` with one conditional count per period, and the half-cells
    are summed into the cells of either grid (``m // 2`` and ``(m + 1) // 2``). The same counts as
    the plain per-grid, per-period counts (``tests/analysis/detectors/test_query_paths.py``): ``2·lat/dlat`` is exactly twice ``lat/dlat`` in floating point, and
    ``floor(q + 0.5) = (floor(2q) + 1) // 2``."""
    from tinhso.reports.models import Report, State

    rows = (Report.objects.filter(created_at__gte=hist_start, created_at__lt=end,
                                  province_code=settings.PROVINCE_CODE)
            .exclude(state=State.MERGED)
            .annotate(hy=FloorInt(F("lat") * Value(2.0) / Value(dlat)),
                      hx=FloorInt(F("lon") * Value(2.0) / Value(dlon)))
            .values_list("hy", "hx")
            .annotate(now=Count("id", filter=Q(created_at__gte=start)), past=Count("id", filter=Q(created_at__lt=start)))
            .order_by())
    out: dict[float, tuple[dict, dict]] = {0.0: ({}, {}), 0.5: ({}, {})}
    for hy, hx, now, past in rows:
        hy, hx = int(hy), int(hx)
        for shift, (cy, cx) in ((0.0, (hy // 2, hx // 2)), (0.5, ((hy + 1) // 2, (hx + 1) // 2))):
            for counts, n in zip(out[shift], (now, past)):
                if n:
                    counts[(cy, cx)] = counts.get((cy, cx), 0) + n
    return out


def _committees(commune_ids) -> dict[int, str]:
    """commune id -> the code of its People's Committee (the handling unit whose report is the commune's)."""
    from tinhso.reports.models import HandlingUnit, UnitKind

    return dict(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune_id__in=list(commune_ids))
                .values_list("commune_id", "code"))


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
    grids = _grid_counts(start, end, max(first, hist_start), dlat, dlon)
    for shift in (0.0, 0.5):
        now_counts, past = grids[shift]
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
        records, more = record_links((r[0], "", "") for r in rows)
        out.append(Finding(
            kind=KIND, unit_code=commune.code, unit_name=commune.name, unit_name_en=commune.name_en or "",
            unit_kind="commune",
            severity=round(min(10.0, math.log1p(t["observed"]) + min(5.0, -math.log10(max(t["p"], 1e-300)) / 4)), 3),
            confidence=confidence(t["p"]),
            rule=f"grid cell {p['cell_m']:g} m vs its {hist_months}-month history, negative-binomial tail "
                 f"p ≤ BH(α = {alpha:g})",
            figures={"month": f"{ctx.month:%Y-%m}", "observed": t["observed"], "expected": clean(t["expected"], 2),
                     "p_value": clean(t["p"], 6), "cell_m": float(p["cell_m"]), "category_count": cat_n,
                     "first_day": min(days).isoformat(), "last_day": max(days).isoformat(),
                     "lat": round(lat, 5), "lon": round(lon, 5), "alpha": alpha, "history_months": hist_months},
            subject={"type": "cluster", "commune_code": commune.code, "commune_vi": commune.name,
                     "commune_en": commune.name_en or commune.name,
                     "handling_unit_code": _committees([commune.pk]).get(commune.pk, ""),
                     "category": cat, "category_vi": cat_vi, "category_en": cat_en or cat_vi,
                     "lat": round(lat, 5), "lon": round(lon, 5)},
            links=records, more_records=more))
    return out


def _micros(values: list) -> np.ndarray:
    """Microseconds since 1970 (UTC) of datetimes: aware, or naive in UTC as the SQLite driver gives them
    when read raw (Django's conversion of 400,000 values to aware datetimes cost seconds)."""
    aware, naive = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(1970, 1, 1)
    one_us = dt.timedelta(microseconds=1)
    return np.fromiter(((v - (naive if v.tzinfo is None else aware)) // one_us for v in values), np.int64,
                       len(values))


def _raw_rows(qs) -> list[tuple]:
    """The rows of a ``values_list`` query as the database driver gives them (no Django converters:
    on SQLite, naive datetimes in UTC, see :func:`_micros`)."""
    from django.db import connection

    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _repeat_pairs(closed: list[tuple], month: list[tuple], dlat: float, dlon: float, radius: float,
                  days: int) -> list[int | None]:
    """For each report of ``month`` (code, category id, …, lat, lon, created_at), the index in ``closed``
    (code, category id, lat, lon, resolved_at) of the latest other report of its category resolved before
    it, at most ``days`` days before and within ``radius`` metres, or None.

    Vectorised: the closed reports are sorted by (category, cell of ``radius`` metres), each month
    report's nine neighbouring cells are looked up with binary searches, and the candidates are filtered
    on time with integer microseconds; only the few that remain have their distance computed (with
    ``math.hypot``, as before). Ties on the resolution time keep the first candidate in the order of the
    neighbouring cells and of ``closed`` (the order of the Python pass this replaced, tested equal)."""
    n_month = len(month)
    found: list[int | None] = [None] * n_month
    if not closed or not n_month:
        return found
    c_cat = np.fromiter((r[1] for r in closed), np.int64, len(closed))
    c_lat = np.fromiter((r[2] for r in closed), float, len(closed))
    c_lon = np.fromiter((r[3] for r in closed), float, len(closed))
    c_at = _micros([r[4] for r in closed])
    m_cat = np.fromiter((r[1] for r in month), np.int64, n_month)
    m_lat = np.fromiter((r[4] for r in month), float, n_month)
    m_lon = np.fromiter((r[5] for r in month), float, n_month)
    m_at = _micros([r[6] for r in month])
    c_cy, c_cx = np.floor(c_lat / dlat).astype(np.int64), np.floor(c_lon / dlon).astype(np.int64)
    m_cy, m_cx = np.floor(m_lat / dlat).astype(np.int64), np.floor(m_lon / dlon).astype(np.int64)
    cats = np.unique(np.concatenate([c_cat, m_cat]))
    y0 = min(c_cy.min(), m_cy.min()) - 1
    x0 = min(c_cx.min(), m_cx.min()) - 1
    ny = max(c_cy.max(), m_cy.max()) + 2 - y0
    nx = max(c_cx.max(), m_cx.max()) + 2 - x0

    def key(cat, cy, cx):
        return (np.searchsorted(cats, cat) * ny + (cy - y0)) * nx + (cx - x0)

    c_key = key(c_cat, c_cy, c_cx)
    order = np.argsort(c_key, kind="stable")  # within a cell, the order of ``closed``
    sorted_keys = c_key[order]
    pairs_m, pairs_c = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            q = key(m_cat, m_cy + dy, m_cx + dx)
            lo = np.searchsorted(sorted_keys, q, "left")
            hi = np.searchsorted(sorted_keys, q, "right")
            counts = hi - lo
            total = int(counts.sum())
            if not total:
                continue
            mi = np.repeat(np.arange(n_month), counts)
            within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            pairs_m.append(mi)
            pairs_c.append(order[np.repeat(lo, counts) + within])
    if not pairs_m:
        return found
    mi, ci = np.concatenate(pairs_m), np.concatenate(pairs_c)
    gen = np.arange(len(mi))  # the order in which the Python pass met the candidates
    at, created = c_at[ci], m_at[mi]
    ok = (at < created) & (created - at <= days * 86_400_000_000)
    mi, ci, gen = mi[ok], ci[ok], gen[ok]
    cos = math.cos(math.radians(_province_lat()))
    best: dict[int, tuple[int, int, int]] = {}  # month index -> (resolved µs, -generation order, closed index)
    for m, c, g in zip(mi.tolist(), ci.tolist(), gen.tolist()):
        code, _cat, olat, olon, _at = closed[c]
        row = month[m]
        if code == row[0]:
            continue
        if math.hypot((olat - row[4]) * M_PER_DEG_LAT, (olon - row[5]) * M_PER_DEG_LAT * cos) > radius:
            continue
        candidate = (int(c_at[c]), -g, c)
        if m not in best or candidate > best[m]:
            best[m] = candidate
    for m, (_at, _g, c) in best.items():
        found[m] = c
    return found


def repeats(ctx: Context) -> list[Finding]:
    from tinhso.geo.models import Unit
    from tinhso.reports.models import Report, State

    p = ctx.params
    start, end = month_bounds(ctx.month)
    radius = float(p["repeat_m"])
    dlat, dlon = _steps(radius)
    lookback = start - dt.timedelta(days=int(p["repeat_days"]))
    closed = _raw_rows(Report.objects.filter(province_code=settings.PROVINCE_CODE, resolved_at__isnull=False,
                                             resolved_at__gte=lookback, resolved_at__lt=end)
                       .filter(Q(state__in=(State.RESOLVED, State.CLOSED)))
                       .values_list("code", "category_id", "lat", "lon", "resolved_at"))
    if not closed:
        return []
    month = _raw_rows(Report.objects.filter(province_code=settings.PROVINCE_CODE, created_at__gte=start,
                                            created_at__lt=end)
                      .exclude(state=State.MERGED)
                      .values_list("code", "category_id", "category__code", "commune_id", "lat", "lon",
                                   "created_at"))
    per_commune: dict[int, list] = defaultdict(list)
    for row, earlier in zip(month, _repeat_pairs(closed, month, dlat, dlon, radius, int(p["repeat_days"]))):
        if earlier is not None and row[3]:
            per_commune[row[3]].append((row[0], closed[earlier][0], row[2]))
    out = []
    units = {u.pk: u for u in Unit.objects.filter(pk__in=list(per_commune))}
    committees = _committees(per_commune)
    for commune_id, found in per_commune.items():
        u = units.get(commune_id)
        if u is None or len(found) < int(p["min_repeats"]):
            continue
        cats = Counter(c for _a, _b, c in found)
        records, more = record_links((a, f"trước: {b}", f"earlier: {b}") for a, b, _c in found)
        out.append(Finding(
            kind=KIND, unit_code=u.code, unit_name=u.name, unit_name_en=u.name_en or "", unit_kind="commune",
            severity=round(min(10.0, 1.0 + math.log1p(len(found))), 3), confidence=0.9,
            rule=f"reported again within {radius:g} m and {int(p['repeat_days'])} days after a report of the same "
                 f"category was resolved; at least {int(p['min_repeats'])} in the month",
            figures={"month": f"{ctx.month:%Y-%m}", "observed": len(found), "repeat_m": radius,
                     "repeat_days": int(p["repeat_days"]), "top_category_count": cats.most_common(1)[0][1],
                     "min_repeats": int(p["min_repeats"])},
            subject={"type": "repeat", "commune_code": u.code, "commune_vi": u.name, "commune_en": u.name_en or u.name,
                     "handling_unit_code": committees.get(u.pk, ""), "category": cats.most_common(1)[0][0]},
            links=records, more_records=more))
    return out


def detect(ctx: Context) -> list[Finding]:
    return clusters(ctx) + repeats(ctx)
