"""The detectors' fast query paths give exactly the answers of the plain ones (issue 13's second round).

- hotspots' clusters: the cell counts of both grids (shift 0 and ½) for the month and its history from one
  grouped query over half-cells (:func:`hotspots._grid_counts`) equal the four plain grouped counts
  (:func:`_cell_counts` below, the definition);
- hotspots' repeats: the vectorised search (:func:`hotspots._repeat_pairs`) pairs every report of the month
  with the same earlier resolved report as the Python pass it replaced (kept below verbatim as the
  reference), ties on the resolution time and the time limit included.

The dossier side (the month span pushed into the scan of ``many_counts_sql``) is held to the plain query by
``tests/dossiers/test_compute_regression.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from tests.analysis.detectors.conftest import MONTH
from tinhso.analysis.detectors import context_for, hotspots
from tinhso.analysis.detectors._common import month_bounds
from tinhso.analysis.findings import Context

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _communes(n: int):
    from tinhso.geo.models import Unit

    return list(Unit.objects.filter(structure="current", level="commune", province_code="68", lat__isnull=False)
                .order_by("code")[:n])


def _crowded_reports(seed: int = 5) -> None:
    """Reports packed into a few hundred metres around three commune centres over eight months, two
    categories, many resolved: cells of every size hold several, and most reports of the month have
    earlier resolved neighbours (some resolved at the same instant, some exactly at the time limit)."""
    from tinhso.reports.models import Category, Report, generate_tracking_code

    rng = random.Random(seed)
    cats = list(Category.objects.filter(code__in=["traffic", "environment"]).order_by("code"))
    assert len(cats) == 2
    start = dt.datetime(2025, 3, 1, tzinfo=VN)
    shared = dt.datetime(2025, 9, 20, 8, tzinfo=VN)  # a batch closed at the same instant: ties
    objs = []
    for commune in _communes(3):
        for _ in range(400):
            created = start + dt.timedelta(seconds=rng.randrange(0, 244 * 86400))
            resolved = None
            if rng.random() < 0.6:
                resolved = shared if rng.random() < 0.1 else created + dt.timedelta(hours=rng.randrange(1, 400))
            state = "closed" if resolved else rng.choice(["submitted", "merged", "in_progress"])
            objs.append(Report(code=generate_tracking_code(), category=rng.choice(cats), commune=commune,
                               province_code="68", description="[Mô phỏng] test",
                               lat=commune.lat + rng.gauss(0, 0.0015), lon=commune.lon + rng.gauss(0, 0.0015),
                               created_at=created, updated_at=created, state=state, is_open=resolved is None,
                               synthetic=True, resolved_at=resolved))
    # exactly 90 days after the shared resolution (inside the limit) and one microsecond later (outside)
    for k, delta in enumerate((dt.timedelta(days=90), dt.timedelta(days=90, microseconds=1))):
        commune = _communes(1)[0]
        objs.append(Report(code=generate_tracking_code(), category=cats[0], commune=commune, province_code="68",
                           description="[Mô phỏng] test", lat=commune.lat, lon=commune.lon + 0.00001 * k,
                           created_at=shared + delta, updated_at=shared + delta, state="submitted", is_open=True,
                           synthetic=True))
    Report.objects.bulk_create(objs, batch_size=1000)


def _cell_counts(since, until, dlat: float, dlon: float, shift: float) -> dict[tuple[int, int], int]:
    """{(cell row, cell column): reports created in [since, until)} of the grid shifted by ``shift`` cells,
    one plain grouped query per grid and period: the definition of what ``hotspots._grid_counts`` gives."""
    from django.conf import settings
    from django.db.models import Count, F, Value

    from tinhso.analysis.detectors._common import FloorInt
    from tinhso.reports.models import Report, State

    rows = (Report.objects.filter(created_at__gte=since, created_at__lt=until, province_code=settings.PROVINCE_CODE)
            .exclude(state=State.MERGED)
            .annotate(cy=FloorInt(F("lat") / Value(dlat) + Value(shift)),
                      cx=FloorInt(F("lon") / Value(dlon) + Value(shift)))
            .values_list("cy", "cx").annotate(n=Count("id")).order_by())
    return {(int(cy), int(cx)): n for cy, cx, n in rows}


@pytest.mark.parametrize("cell_m", [250.0, 37.3, 1000.0])
def test_both_grids_from_one_query_equal_the_plain_cell_counts(province, cell_m):
    _crowded_reports()
    start, end = month_bounds(MONTH)
    hist_start, _ = month_bounds(MONTH, 6)
    dlat, dlon = hotspots._steps(cell_m)
    grids = hotspots._grid_counts(start, end, hist_start, dlat, dlon)
    for shift in (0.0, 0.5):
        now = _cell_counts(start, end, dlat, dlon, shift)
        past = _cell_counts(hist_start, start, dlat, dlon, shift)
        assert grids[shift] == (now, past), shift
        assert len(now) > 3 and sum(past.values()) > 500  # real work: many cells, most reports in the history


def _reference_repeats(ctx: Context) -> list[tuple[str, str]]:
    """The Python pass of hotspots.repeats before issue 13's second round: (report, earlier report)."""
    from tinhso.reports.models import Report, State

    p = ctx.params
    start, end = month_bounds(ctx.month)
    radius = float(p["repeat_m"])
    dlat, dlon = hotspots._steps(radius)
    lookback = start - dt.timedelta(days=int(p["repeat_days"]))
    closed = (Report.objects.filter(province_code="68", resolved_at__isnull=False,
                                    resolved_at__gte=lookback, resolved_at__lt=end)
              .filter(state__in=(State.RESOLVED, State.CLOSED))
              .values_list("code", "category_id", "lat", "lon", "resolved_at"))
    grid: dict[tuple[int, int, int], list] = defaultdict(list)
    for code, cat, lat, lon, at in closed.iterator(chunk_size=5000):
        grid[(cat, math.floor(lat / dlat), math.floor(lon / dlon))].append((code, lat, lon, at))
    month = (Report.objects.filter(province_code="68", created_at__gte=start, created_at__lt=end)
             .exclude(state=State.MERGED)
             .values_list("code", "category_id", "category__code", "commune_id", "lat", "lon", "created_at"))
    cos = math.cos(math.radians(hotspots._province_lat()))
    out = []
    for code, cat, _cat_code, commune, lat, lon, created in month.iterator(chunk_size=5000):
        cy, cx = math.floor(lat / dlat), math.floor(lon / dlon)
        earlier = None
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for other, olat, olon, at in grid.get((cat, cy + dy, cx + dx), ()):
                    if other != code and at < created and created - at <= dt.timedelta(days=int(p["repeat_days"])):
                        dist = math.hypot((olat - lat) * hotspots.M_PER_DEG_LAT,
                                          (olon - lon) * hotspots.M_PER_DEG_LAT * cos)
                        if dist <= radius and (earlier is None or at > earlier[1]):
                            earlier = (other, at)
        if earlier and commune:
            out.append((code, earlier[0]))
    return out


@pytest.mark.parametrize("repeat_m", [50.0, 120.0])
def test_vectorised_repeats_pair_the_same_reports_as_the_python_pass(province, repeat_m):
    from tinhso.reports.models import Report, State

    _crowded_reports()
    ctx = context_for(Context(month=MONTH, params={"hotspots": {"repeat_m": repeat_m}}), "hotspots")
    expected = _reference_repeats(ctx)
    start, end = month_bounds(MONTH)
    radius = float(ctx.params["repeat_m"])
    dlat, dlon = hotspots._steps(radius)
    lookback = start - dt.timedelta(days=int(ctx.params["repeat_days"]))
    closed = list(Report.objects.filter(province_code="68", resolved_at__isnull=False, resolved_at__gte=lookback,
                                        resolved_at__lt=end, state__in=(State.RESOLVED, State.CLOSED))
                  .values_list("code", "category_id", "lat", "lon", "resolved_at"))
    month = list(Report.objects.filter(province_code="68", created_at__gte=start, created_at__lt=end)
                 .exclude(state=State.MERGED)
                 .values_list("code", "category_id", "category__code", "commune_id", "lat", "lon", "created_at"))
    pairs = hotspots._repeat_pairs(closed, month, dlat, dlon, radius, int(ctx.params["repeat_days"]))
    got = [(row[0], closed[i][0]) for row, i in zip(month, pairs) if i is not None and row[3]]
    assert got == expected
    assert len(expected) > 30  # most of the month's reports have an earlier resolved neighbour
    # the findings built on them are those of the detector (per commune, at least min_repeats)
    found = hotspots.repeats(ctx)
    assert sum(f.figures["observed"] for f in found) == len(expected)
