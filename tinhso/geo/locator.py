"""GPS point → current commune (and its province), and the legacy (pre-2025) units behind it.

The index holds the active boundary version's polygons, each *prepared* (GEOS builds a point-in-polygon
locator once per polygon), a shapely 2 ``STRtree`` over them, and a grid that pre-classifies space
(:mod:`tinhso.geo.locator_grid`: 1/256° cells wholly inside one commune, far outside every commune, or
mixed with a short list of candidate polygons). The grid is built once per set of polygons and stored
under ``VAR_DIR`` (memory-mapped when loaded); the rest is loaded from the database on first use, cached
per process and rebuilt when the active version changes (checked with one indexed query at most every
:data:`VERSION_CHECK_SECONDS` per process, and on every call inside a transaction).
A lookup reads each point's cell: most points are answered from it directly; points in mixed cells are
tested with a vectorised ``intersects_xy`` against their cell's candidates only (points on a shared edge
count as inside; when two polygons contain a point the lower commune code wins, deterministically).
:meth:`LocatorIndex.lookup_tree` is the same lookup with the STRtree alone (bounding-box candidates for
every point), kept as the reference the grid path is tested against.

Points in no polygon (a river, the coast, a sliver between imported polygons) take the nearest commune
within :data:`GAP_TOLERANCE_M` metres — measured in metres in a local equirectangular projection around
the point, exact to well under 1 % at that distance — and are flagged ``nearest_within_200m``. Anything
farther is ``status: "outside"``.

The province comes from the commune's registry row (never from province polygons). The legacy commune
comes through the crosswalk: the predecessors of the located commune (``Succession``); when there are
several (a commune merged from several old ones, or an old one split across several), the one whose
registry centroid is nearest to the point; its district and province are its parents. Five đặc khu
(island districts such as Côn Đảo) had no communes before 2025: their legacy answer is the district,
with ``commune: null``.
"""

from __future__ import annotations

import csv
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.db import connection
from shapely import STRtree

from tinhso.core import cellsafe, limits
from tinhso.core.errors import UserError
from tinhso.geo import locator_grid
from tinhso.geo.models import Boundary, BoundaryVersion, Level, Structure, Succession, Unit

GAP_TOLERANCE_M = 200.0
GAP_FLAG = "nearest_within_200m"
METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
# Bounding-box half-size, in degrees of latitude, used to find gap candidates: 200 m is 0.0018° of
# latitude and at most 0.0020° of longitude at 23.4° N; 0.0025° leaves room at any Vietnamese latitude.
GAP_SEARCH_DEG = 0.0025
MAX_BATCH_POINTS = 10_000  # per API request; the CLI streams files of any size
CSV_CHUNK_ROWS = 50_000
# How long a process trusts its index without asking the database which version is active. A
# submission's location was one query of three; another process activating a new version is
# noticed this much later (this process's own imports call invalidate() at once).
VERSION_CHECK_SECONDS = 5.0
CSV_ADDED_COLUMNS = ["status", "commune_code", "province_code", "legacy_commune_code", "legacy_province_code",
                     "flags", "error"]


# ---------------------------------------------------------------------------------------------------
# Input


def _error(code: str, vi: str, en: str, *, field: str | None = None, details: Any = None,
           status: int = 400) -> UserError:
    return UserError(code, vi, en, field=field, details=details, status=status)


def parse_coordinate(value: Any, name: str) -> float:
    """A finite float from a number or a decimal string with a dot; a clear UserError otherwise."""
    label_vi = "Vĩ độ" if name == "lat" else "Kinh độ"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _error("missing_coordinate", f"Thiếu {label_vi.lower()} ({name})", f"Missing {name}", field=name)
    if isinstance(value, bool):
        raise _error("invalid_coordinate", f"{label_vi} ({name}) phải là số", f"{name} must be a number",
                     field=name)
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            hint_vi = " (dùng dấu chấm cho phần thập phân, ví dụ 10.9289)" if "," in text else ""
            hint_en = " (use a dot as the decimal separator, e.g. 10.9289)" if "," in text else ""
            raise _error("invalid_coordinate", f"{label_vi} ({name}) không phải là số: {text!r}{hint_vi}",
                         f"{name} is not a number: {text!r}{hint_en}", field=name) from None
    if not math.isfinite(number):
        raise _error("invalid_coordinate", f"{label_vi} ({name}) phải là số hữu hạn, nhận được {value!r}",
                     f"{name} must be a finite number, got {value!r}", field=name)
    return number


def _in_range(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180


# ---------------------------------------------------------------------------------------------------
# The index


@dataclass(frozen=True)
class LegacyChoice:
    commune: dict | None
    district: dict | None
    province: dict | None
    lat: float
    lon: float


@dataclass(frozen=True)
class _UnitRow:
    id: int
    structure: str
    level: str
    code: str
    name: str
    parent_id: int | None
    province_code: str
    lat: float | None
    lon: float | None

    def ref(self) -> dict:
        return {"code": self.code, "name": self.name}


def _lat_lon(unit: _UnitRow) -> tuple[float, float]:
    return (unit.lat if unit.lat is not None else math.nan, unit.lon if unit.lon is not None else math.nan)


def _ref_or_none(unit: _UnitRow | None) -> dict | None:
    return unit.ref() if unit is not None else None


class LocatorIndex:
    """Prepared polygons of one boundary version, their STRtree, and what to answer for each."""

    def __init__(self, version: BoundaryVersion, version_key: tuple | None = None):
        self.version_id = version.pk
        self.version_key = version_key
        self.quality = version.quality
        self.boundary = {"version": version.pk, "quality": version.quality}
        # Plain value fetches joined in Python: SQLite plans the equivalent ORM joins badly (seconds).
        units = {row[0]: _UnitRow(*row) for row in Unit.objects.values_list(
            "id", "structure", "level", "code", "name", "parent_id", "province_code", "lat", "lon")}
        provinces = {u.code: u for u in units.values()
                     if u.structure == Structure.CURRENT and u.level == Level.PROVINCE}
        rows = sorted(Boundary.objects.filter(version=version).values_list("unit_id", "wkb"),
                      key=lambda row: units[row[0]].code)
        unit_ids = [r[0] for r in rows]
        self.unit_ids = unit_ids  # database id of each polygon's commune (callers store it as a key)
        self.codes = np.array([units[i].code for i in unit_ids], dtype=object)
        wkbs = [bytes(r[1]) for r in rows]
        del rows
        self.geometries = shapely.from_wkb(wkbs) if wkbs else np.empty(0, dtype=object)
        shapely.prepare(self.geometries)
        # Build every polygon's point locator now (GEOS builds it lazily on first use), so that later
        # lookups, possibly from several threads, only read it.
        if len(self.geometries):
            corners = shapely.bounds(self.geometries)
            shapely.intersects_xy(self.geometries, corners[:, 0], corners[:, 1])
        self.tree = STRtree(self.geometries)
        self.communes = [units[i].ref() for i in unit_ids]
        self.provinces = [_ref_or_none(provinces.get(units[i].province_code)) for i in unit_ids]
        position = {unit_id: i for i, unit_id in enumerate(unit_ids)}
        self.legacy: list[list[LegacyChoice]] = [[] for _ in unit_ids]
        # Districts that had no communes (island districts such as Côn Đảo, Bạch Long Vĩ) are the
        # predecessors of today's đặc khu directly: they answer with commune = None.
        whole_districts: list[list[LegacyChoice]] = [[] for _ in unit_ids]
        for old_id, new_id in sorted(Succession.objects.values_list("old_id", "new_id"),
                                     key=lambda edge: units[edge[0]].code):
            old = units[old_id]
            if new_id not in position or old.structure != Structure.LEGACY:
                continue
            if old.level == Level.COMMUNE:
                district = units.get(old.parent_id)
                province = units.get(district.parent_id) if district is not None else None
                self.legacy[position[new_id]].append(LegacyChoice(
                    old.ref(), _ref_or_none(district), _ref_or_none(province), *_lat_lon(old)))
            elif old.level == Level.DISTRICT:
                whole_districts[position[new_id]].append(LegacyChoice(
                    None, old.ref(), _ref_or_none(units.get(old.parent_id)), *_lat_lon(old)))
        for i, choices in enumerate(self.legacy):
            if not choices:
                self.legacy[i] = whole_districts[i]
        self._legacy_coords = [np.array([(c.lat, c.lon) for c in choices], dtype=float).reshape(-1, 2)
                               for choices in self.legacy]
        # Each commune's answer parts as tuples, so that an answer is built from fresh dicts without
        # looking anything up: (code, name) refs, and per legacy choice (commune, district, province, lat, lon).
        self._commune_refs = [(c["code"], c["name"]) for c in self.communes]
        self._province_refs = [(p["code"], p["name"]) if p else None for p in self.provinces]
        self._legacy_refs = [[(_pair(c.commune), _pair(c.district), _pair(c.province), c.lat, c.lon)
                              for c in choices] for choices in self.legacy]
        self.grid = locator_grid.load_or_build(
            [str(c) for c in self.codes], wkbs, self.geometries, gap_m=GAP_TOLERANCE_M,
            metres_per_degree=METRES_PER_DEGREE)
        del wkbs
        # Plain ndarray views of the (memory-mapped) arrays: scalar reads are faster than np.memmap's.
        self._cells = np.asarray(self.grid.cells).reshape(-1)
        self._offsets = np.asarray(self.grid.offsets)
        self._candidates = np.asarray(self.grid.candidates)
        self._grid_box = (self.grid.x0, self.grid.y0, self.grid.width, self.grid.height)

    def __len__(self) -> int:
        return len(self.codes)

    # -- geometry ------------------------------------------------------------------------------------

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised: polygon position (-1 = none), distance in metres (0 inside, NaN none), hit count.

        ``lat``/``lon`` must be finite and in range (callers validate). Same answers as
        :meth:`lookup_tree`, through the grid.
        """
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        n = len(lat)
        found = np.full(n, -1, dtype=np.int64)
        distance = np.full(n, np.nan)
        hits = np.zeros(n, dtype=np.int64)
        if n == 0 or len(self.codes) == 0:
            return found, distance, hits
        x0, y0, width, height = self._grid_box
        row = np.floor((lat - y0) * locator_grid.CELLS_PER_DEG)
        col = np.floor((lon - x0) * locator_grid.CELLS_PER_DEG)
        on_grid = (row >= 0) & (row < height) & (col >= 0) & (col < width)
        where = np.flatnonzero(on_grid)
        cell = self._cells[row[where].astype(np.int64) * width + col[where].astype(np.int64)]
        inside = cell >= 0
        found[where[inside]] = cell[inside]
        distance[where[inside]] = 0.0
        hits[where[inside]] = 1
        mixed = cell <= -2
        if mixed.any():
            self._test_candidates(lat, lon, where[mixed], -2 - cell[mixed].astype(np.int64), found, distance, hits)
        # Off the grid but close to it (only with polygons near the grid's edge): the exact path.
        off = np.flatnonzero(~on_grid)
        if len(off):
            off = off[self.grid.near_extent(lat[off], lon[off])]
        if len(off):
            f, d, h = self.lookup_tree(lat[off], lon[off])
            found[off], distance[off], hits[off] = f, d, h
        # Points of mixed cells in no polygon: the 200 m rule (far-outside cells need no search).
        gaps = where[mixed][found[where[mixed]] < 0] if mixed.any() else where[:0]
        if len(gaps):
            self._nearest_within(lat, lon, gaps, found, distance)
        return found, distance, hits

    def _test_candidates(self, lat, lon, points, mixed_cells, found, distance, hits) -> None:
        """Point-in-polygon tests of each point against its mixed cell's candidates only."""
        starts = self._offsets[mixed_cells]
        counts = self._offsets[mixed_cells + 1] - starts
        point_idx = np.repeat(points, counts)
        # candidate k of point i: candidates[starts[i] + k]
        within = np.arange(len(point_idx)) - np.repeat(np.cumsum(counts) - counts, counts)
        poly_idx = self._candidates[np.repeat(starts, counts) + within].astype(np.int64)
        # Polygon by polygon, as in lookup_tree: each prepared polygon's locator stays in the CPU cache.
        by_polygon = np.argsort(poly_idx, kind="stable")
        point_idx, poly_idx = point_idx[by_polygon], poly_idx[by_polygon]
        inside = shapely.intersects_xy(self.geometries[poly_idx], lon[point_idx], lat[point_idx])
        point_idx, poly_idx = point_idx[inside], poly_idx[inside]
        if len(point_idx):
            order = np.lexsort((poly_idx, point_idx))
            point_idx, poly_idx = point_idx[order], poly_idx[order]
            first = np.flatnonzero(np.r_[True, point_idx[1:] != point_idx[:-1]])
            found[point_idx[first]] = poly_idx[first]
            distance[point_idx[first]] = 0.0
            hits[point_idx[first]] = np.diff(np.r_[first, len(point_idx)])

    def lookup_tree(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`lookup` with the STRtree alone: bounding-box candidates for every point (the reference
        the grid path is tested against, and the path for points off the grid)."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        n = len(lat)
        found = np.full(n, -1, dtype=np.int64)
        distance = np.full(n, np.nan)
        hits = np.zeros(n, dtype=np.int64)
        if n == 0 or len(self.codes) == 0:
            return found, distance, hits
        point_idx, poly_idx = self.tree.query(shapely.points(lon, lat))
        # Test candidates polygon by polygon: each prepared polygon's point locator then stays in the CPU
        # cache (about 4x faster than in point order on the real file).
        by_polygon = np.argsort(poly_idx, kind="stable")
        point_idx, poly_idx = point_idx[by_polygon], poly_idx[by_polygon]
        inside = shapely.intersects_xy(self.geometries[poly_idx], lon[point_idx], lat[point_idx])
        point_idx, poly_idx = point_idx[inside], poly_idx[inside]
        if len(point_idx):
            # Lowest polygon position (= lowest code) first for each point, so overlaps resolve the same way
            # in single and batch lookups.
            order = np.lexsort((poly_idx, point_idx))
            point_idx, poly_idx = point_idx[order], poly_idx[order]
            first = np.unique(point_idx, return_index=True)[1]
            found[point_idx[first]] = poly_idx[first]
            distance[point_idx[first]] = 0.0
            np.add.at(hits, point_idx, 1)
        missing = np.flatnonzero(found < 0)
        if len(missing):
            self._nearest_within(lat, lon, missing, found, distance)
        return found, distance, hits

    def lookup_one(self, lat: float, lon: float) -> tuple[int, int]:
        """Scalar fast path of :meth:`lookup` for a point inside a polygon: (position, hit count), or
        (-1, 0) when no polygon contains it (the caller then takes the vectorised path for gaps)."""
        x0, y0, width, height = self._grid_box
        row = math.floor((lat - y0) * 256)
        col = math.floor((lon - x0) * 256)
        if 0 <= row < height and 0 <= col < width:
            cell = int(self._cells[row * width + col])
            if cell >= 0:
                return cell, 1
            if cell == locator_grid.OUTSIDE:
                return -1, 0
            m = -2 - cell
            candidates = self._candidates[self._offsets[m]:self._offsets[m + 1]]
            inside = candidates[shapely.intersects_xy(self.geometries[candidates], lon, lat)]
            return (int(inside.min()), len(inside)) if len(inside) else (-1, 0)
        if not len(self.codes):
            return -1, 0
        candidates = self.tree.query(shapely.Point(lon, lat))
        if not len(candidates):
            return -1, 0
        inside = candidates[shapely.intersects_xy(self.geometries[candidates], lon, lat)]
        return (int(inside.min()), len(inside)) if len(inside) else (-1, 0)

    def _nearest_within(self, lat, lon, missing, found, distance) -> None:
        lat_m, lon_m = lat[missing], lon[missing]
        cos = np.maximum(np.cos(np.radians(lat_m)), 0.01)
        half_lon = GAP_SEARCH_DEG / cos
        boxes = shapely.box(lon_m - half_lon, lat_m - GAP_SEARCH_DEG, lon_m + half_lon, lat_m + GAP_SEARCH_DEG)
        box_idx, poly_idx = self.tree.query(boxes)
        if not len(box_idx):
            return
        # Cheap vectorised filter in degrees first: metric distance ≥ cos(lat)·(m per degree)·(distance in
        # degrees), so polygons farther than this many degrees are farther than 200 m (1 % margin).
        limit_deg = 1.01 * GAP_TOLERANCE_M / (METRES_PER_DEGREE * cos[box_idx])
        near = shapely.dwithin(self.geometries[poly_idx], shapely.points(lon_m[box_idx], lat_m[box_idx]),
                               limit_deg)
        best: dict[int, tuple[float, int]] = {}
        for b, p in zip(box_idx[near].tolist(), poly_idx[near].tolist()):
            metres = self.distance_m(float(lat_m[b]), float(lon_m[b]), p)
            if metres <= GAP_TOLERANCE_M and (b not in best or (metres, p) < best[b]):
                best[b] = (metres, p)
        for b, (metres, p) in best.items():
            found[missing[b]] = p
            distance[missing[b]] = metres

    def distance_m(self, lat: float, lon: float, position: int) -> float:
        """Metres from the point to polygon ``position``, in a local equirectangular projection.

        The polygon is first clipped to a small box around the point (only its nearby edges matter),
        then both are scaled to metres about the point: x = Δlon·cos(lat)·R, y = Δlat·R.
        """
        half_lon = 4 * GAP_SEARCH_DEG / max(math.cos(math.radians(lat)), 0.01)
        near = shapely.clip_by_rect(self.geometries[position], lon - half_lon, lat - 4 * GAP_SEARCH_DEG,
                                    lon + half_lon, lat + 4 * GAP_SEARCH_DEG)
        if near.is_empty:
            return math.inf
        scale = np.array([math.cos(math.radians(lat)) * METRES_PER_DEGREE, METRES_PER_DEGREE])
        origin = np.array([lon, lat])
        local = shapely.transform(near, lambda xy: (xy - origin) * scale)
        return float(shapely.distance(local, shapely.Point(0, 0)))

    # -- answers -------------------------------------------------------------------------------------

    def _legacy_block(self, position: int, lat: float, lon: float) -> dict | None:
        """The ``legacy`` part of an answer, from the precomputed tuples (same choice as
        :meth:`legacy_for`: nearest registry centroid, the first on a tie, missing centroids last)."""
        choices = self._legacy_refs[position]
        if not choices:
            return None
        if len(choices) == 1:
            best = choices[0]
        else:
            cos = math.cos(math.radians(lat))
            best, best_d2 = choices[0], math.inf
            for choice in choices:
                dlat = choice[3] - lat
                dlon = (choice[4] - lon) * cos
                d2 = dlat * dlat + dlon * dlon
                if d2 < best_d2:  # NaN (no centroid) never wins, as inf in legacy_for
                    best, best_d2 = choice, d2
        commune, district, province = best[0], best[1], best[2]
        return {"commune": _ref(commune), "district": _ref(district), "province": _ref(province),
                "candidates": len(choices),
                "method": ("district_without_communes" if commune is None
                           else "nearest_centroid" if len(choices) > 1 else "only_predecessor")}

    def legacy_for(self, position: int, lat: float, lon: float) -> tuple[LegacyChoice | None, int]:
        choices = self.legacy[position]
        if not choices:
            return None, 0
        if len(choices) == 1:
            return choices[0], 1
        coords = self._legacy_coords[position]
        d2 = (coords[:, 0] - lat) ** 2 + ((coords[:, 1] - lon) * math.cos(math.radians(lat))) ** 2
        d2 = np.where(np.isnan(d2), np.inf, d2)
        return choices[int(np.argmin(d2))], len(choices)

    def answer(self, lat: float, lon: float, position: int, metres: float, hits: int) -> dict:
        """The answer for one point. Nested dicts are fresh copies: callers may change what they get
        without touching the cached index."""
        if position < 0:
            return {"status": "outside", "lat": lat, "lon": lon, "commune": None, "province": None,
                    "legacy": None, "boundary": dict(self.boundary), "flags": [], "distance_m": None}
        flags = []
        if metres > 0:
            flags.append(GAP_FLAG)
        if hits > 1:
            flags.append("multiple_polygons")
        code, name = self._commune_refs[position]
        return {"status": "ok", "lat": lat, "lon": lon, "commune": {"code": code, "name": name},
                "province": _ref(self._province_refs[position]), "legacy": self._legacy_block(position, lat, lon),
                "boundary": {"version": self.version_id, "quality": self.quality}, "flags": flags,
                "distance_m": round(metres, 1)}


def _pair(ref: dict | None) -> tuple[str, str] | None:
    return (ref["code"], ref["name"]) if ref is not None else None


def _ref(pair: tuple[str, str] | None) -> dict | None:
    return {"code": pair[0], "name": pair[1]} if pair is not None else None


# ---------------------------------------------------------------------------------------------------
# Process-wide cache


_index: LocatorIndex | None = None
_lock = threading.Lock()
_checked_at = -math.inf  # time.monotonic() of the last check of the active version outside a transaction


def invalidate() -> None:
    """Forget the cached index (called after an import in this process; other processes notice the
    version change within :data:`VERSION_CHECK_SECONDS`)."""
    global _index, _checked_at
    _index = None
    _checked_at = -math.inf


def store_grid(codes: list[str], wkbs) -> None:
    """Build and store the grid of these polygons (in the index's order: by code) unless it is stored
    already; :func:`tinhso.geo.boundaries.store_version` calls this for every new version."""
    rows = sorted(zip(codes, (bytes(w) for w in wkbs)))
    if not rows:
        return
    ordered_codes = [code for code, _ in rows]
    ordered_wkbs = [wkb for _, wkb in rows]
    locator_grid.load_or_build(ordered_codes, ordered_wkbs, shapely.from_wkb(ordered_wkbs),
                               gap_m=GAP_TOLERANCE_M, metres_per_degree=METRES_PER_DEGREE)


def _active_version_key() -> tuple | None:
    """(id, created_at) of the active version: one indexed query on every call, in plain SQL because the
    ORM's own overhead would be most of a single lookup's time."""
    table = connection.ops.quote_name(BoundaryVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, created_at FROM {table} WHERE is_active = %s ORDER BY id DESC LIMIT 1", [True])
        return cursor.fetchone()


def _in_transaction() -> bool:
    return connection.in_atomic_block


def current_index() -> LocatorIndex:
    """The index of the active version, rebuilt if the active version changed since it was built.

    Outside a transaction, an index checked less than :data:`VERSION_CHECK_SECONDS` ago is used
    as is. Inside one (imports, tests) the database is asked every time: what it answers there may
    be uncommitted or rolled back later, so it never starts the trusted period.
    """
    global _index, _checked_at
    in_transaction = _in_transaction()
    index = _index
    if index is not None and not in_transaction and time.monotonic() - _checked_at < VERSION_CHECK_SECONDS:
        return index
    checked_at = time.monotonic()
    active = _active_version_key()
    if active is None:
        raise _error("no_boundaries", "Chưa có ranh giới xã nào; chạy `tinhso geo import-boundaries TỆP` "
                     "hoặc `tinhso demo`",
                     "No commune boundaries are active; run `tinhso geo import-boundaries FILE` or `tinhso demo`",
                     status=503)
    if index is None or index.version_key != active:
        with _lock:
            if _index is None or _index.version_key != active:
                _index = LocatorIndex(BoundaryVersion.objects.get(pk=active[0]), version_key=active)
            index = _index
    if not in_transaction:
        _checked_at = checked_at
    return index


# ---------------------------------------------------------------------------------------------------
# Public API


def _parse_point(lat_value: Any, lon_value: Any) -> tuple[float, float]:
    return parse_coordinate(lat_value, "lat"), parse_coordinate(lon_value, "lon")


def _out_of_range(lat: float, lon: float) -> UserError:
    field = "lat" if not -90 <= lat <= 90 else "lon"
    return _error("coordinates_out_of_range",
                  f"Toạ độ ngoài phạm vi: vĩ độ phải trong [-90, 90], kinh độ trong [-180, 180] "
                  f"(nhận được lat={lat}, lon={lon})",
                  f"Coordinates out of range: lat must be within [-90, 90] and lon within [-180, 180] "
                  f"(got lat={lat}, lon={lon})", field=field)


def _swapped(lat: float, lon: float, commune: dict) -> UserError:
    return _error(
        "coordinates_swapped",
        f"Vĩ độ và kinh độ có vẻ bị đảo: lat={lon}, lon={lat} nằm ở {commune['name']} ({commune['code']}). "
        "Hãy gửi vĩ độ (lat) trước, kinh độ (lon) sau.",
        f"Latitude and longitude look swapped: lat={lon}, lon={lat} is in {commune['name']} "
        f"({commune['code']}). Send latitude first, then longitude.",
        field="lat", details={"suggested": {"lat": lon, "lon": lat}, "commune": commune})


def _locate_batch(index: LocatorIndex, points: list[tuple[Any, Any]]) -> list[dict | UserError]:
    """Answers (dicts) or errors for each point, with all geometry done in vectorised passes.

    A point is *swapped* when it is out of range or outside every polygon while (lon, lat) lands in a
    commune: that is reported as an error naming the commune, not silently corrected.
    """
    results: list[dict | UserError | None] = [None] * len(points)
    coords = np.full((len(points), 2), np.nan)
    for i, (lat, lon) in enumerate(points):
        try:
            coords[i] = _parse_point(lat, lon)
        except UserError as err:
            results[i] = err
    lat, lon = coords[:, 0], coords[:, 1]
    parsed = ~np.isnan(lat)
    in_range = parsed & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    good = np.flatnonzero(in_range)
    found, distance, hits = index.lookup(lat[good], lon[good])
    # Swap candidates: out of range, or in range but outside; only if (lon, lat) is a valid point.
    unresolved = np.concatenate([np.flatnonzero(parsed & ~in_range), good[found < 0]])
    swappable = unresolved[(np.abs(lon[unresolved]) <= 90) & (np.abs(lat[unresolved]) <= 180)]
    swap_found = index.lookup(lon[swappable], lat[swappable])[0] if len(swappable) else swappable
    swapped = dict(zip(swappable.tolist(), swap_found.tolist()))
    for i in np.flatnonzero(parsed & ~in_range).tolist():
        position = swapped.get(i, -1)
        results[i] = (_swapped(lat[i], lon[i], index.communes[position]) if position >= 0
                      else _out_of_range(lat[i], lon[i]))
    for k, i in enumerate(good.tolist()):
        position = int(found[k])
        if position < 0 and swapped.get(i, -1) >= 0:
            results[i] = _swapped(lat[i], lon[i], index.communes[swapped[i]])
        else:
            results[i] = index.answer(float(lat[i]), float(lon[i]), position, float(distance[k]), int(hits[k]))
    return results


def locate(lat: Any, lon: Any) -> dict:
    """Locate one point (numbers or numeric strings). Raises UserError 400 on bad input."""
    return locate_commune(lat, lon)[0]


def locate_commune(lat: Any, lon: Any) -> tuple[dict, int | None]:
    """:func:`locate`, plus the database id of the located commune (``None`` when outside), so that
    a caller storing it needs no second lookup by code."""
    lat_f, lon_f = _parse_point(lat, lon)  # bad input is the user's first problem, before missing data
    index = current_index()
    if _in_range(lat_f, lon_f):
        position, hits = index.lookup_one(lat_f, lon_f)
        if position >= 0:
            return index.answer(lat_f, lon_f, position, 0.0, hits), index.unit_ids[position]
    # Gaps, outside, out of range, swapped: the batch path holds those rules.
    result = _locate_batch(index, [(lat_f, lon_f)])[0]
    if isinstance(result, UserError):
        raise result
    commune = result.get("commune")
    unit_id = None
    if commune is not None:
        unit_id = index.unit_ids[int(np.searchsorted(index.codes, commune["code"]))]
    return result, unit_id


def _error_item(lat: Any, lon: Any, err: UserError) -> dict:
    return {"status": "error", "lat": lat, "lon": lon, "error": err.as_dict()}


def locate_many(points: Iterable[tuple[Any, Any]], *, index: LocatorIndex | None = None) -> list[dict]:
    """Locate many points at once (vectorised); a bad point gives an ``error`` item, never an exception."""
    index = index or current_index()
    points = list(points)
    return [_error_item(p[0], p[1], r) if isinstance(r, UserError) else r
            for p, r in zip(points, _locate_batch(index, points))]


def _row_columns(result: dict) -> dict:
    if result["status"] == "error":
        return {"status": "error", "error": result["error"]["code"] + ": " + result["error"]["message_en"]}
    if result["status"] == "outside":
        return {"status": "outside"}
    legacy = result["legacy"] or {}
    return {
        "status": "ok",
        "commune_code": result["commune"]["code"],
        "province_code": (result["province"] or {}).get("code", ""),
        "legacy_commune_code": (legacy.get("commune") or {}).get("code", ""),
        "legacy_province_code": (legacy.get("province") or {}).get("code", ""),
        "flags": ";".join(result["flags"]),
    }


def locate_csv(in_path: str | Path, out_path: str | Path) -> dict:
    """Locate every row of a CSV with ``lat`` and ``lon`` columns; keep all columns and rows, add results.

    Streams in chunks, so files of millions of rows work in constant memory.
    """
    in_path, out_path = Path(in_path), Path(out_path)
    if not in_path.exists():
        raise _error("file_not_found", f"Không tìm thấy tệp {in_path}", f"File not found: {in_path}", field="csv")
    index = current_index()
    counts = {"rows": 0, "ok": 0, "outside": 0, "error": 0}
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with open(in_path, newline="", encoding="utf-8-sig") as src, \
                open(partial, "w", newline="", encoding="utf-8") as dst:
            reader = csv.reader(src)
            try:
                header = next(reader, None)
                columns = _check_header(header, in_path)
                lat_col, lon_col = columns.index("lat"), columns.index("lon")
                writer = csv.writer(dst)
                writer.writerow(header + CSV_ADDED_COLUMNS)
                chunk: list[list[str]] = []
                max_columns = limits.limit("table_columns")
                for row in reader:
                    if len(row) > max_columns:
                        raise limits.too_large("table_too_many_columns",
                                               f"{in_path.name}: dòng {reader.line_num} có {len(row)} cột",
                                               f"{in_path.name}: line {reader.line_num} has {len(row)} columns",
                                               "table_columns", field="csv", row=reader.line_num)
                    chunk.append(row)
                    if len(chunk) >= CSV_CHUNK_ROWS:
                        _write_chunk(index, chunk, len(header), lat_col, lon_col, writer, counts)
                        chunk = []
                _write_chunk(index, chunk, len(header), lat_col, lon_col, writer, counts)
            except UnicodeDecodeError as exc:
                raise _error("csv_encoding", f"{in_path.name} không phải UTF-8 (dòng {reader.line_num + 1})",
                             f"{in_path.name} is not UTF-8 text (line {reader.line_num + 1}): {exc.reason}",
                             field="csv") from None
            except csv.Error as exc:
                raise _error("csv_malformed", f"{in_path.name}: CSV hỏng ở dòng {reader.line_num}: {exc}",
                             f"{in_path.name}: malformed CSV at line {reader.line_num}: {exc}",
                             field="csv") from None
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    counts["boundary"] = index.boundary
    return counts


def _check_header(header: list[str] | None, path: Path) -> list[str]:
    if not header:
        raise _error("csv_empty", f"{path.name} trống (cần dòng tiêu đề có cột lat,lon)",
                     f"{path.name} is empty (a header row with lat,lon columns is required)", field="csv")
    columns = [c.strip().lower() for c in header]
    problems = []
    for needed in ("lat", "lon"):
        if columns.count(needed) != 1:
            problems.append(f"{needed}: {'missing' if needed not in columns else 'repeated'}")
    clashes = sorted(set(columns) & set(CSV_ADDED_COLUMNS))
    if clashes:
        problems.append(f"columns {', '.join(clashes)} would be overwritten by the results")
    if problems:
        hint = " (the file seems to use ';' as separator; use ',')" if len(header) == 1 and ";" in header[0] else ""
        raise _error("csv_header", f"Tiêu đề CSV của {path.name} không hợp lệ: {'; '.join(problems)}. "
                     f"Cần đúng một cột lat và một cột lon; các cột có: {header}",
                     f"Invalid CSV header in {path.name}: {'; '.join(problems)}. Exactly one lat and one lon "
                     f"column are required; columns found: {header}{hint}", field="csv")
    return columns


def _write_chunk(index, chunk, width, lat_col, lon_col, writer, counts) -> None:
    if not chunk:
        return
    points, malformed = [], {}
    for i, row in enumerate(chunk):
        if len(row) != width:
            # Keep every field: pad a short row; a long row's extra fields go into the error text.
            extra = f"; extra fields: {row[width:]}" if len(row) > width else ""
            malformed[i] = f"malformed_row: {len(row)} fields, the header has {width}{extra}"
            chunk[i] = (row + [""] * width)[:width]
            points.append((None, None))
        else:
            points.append((row[lat_col], row[lon_col]))
    results = locate_many(points, index=index)
    for i, (row, result) in enumerate(zip(chunk, results)):
        added = {"status": "error", "error": malformed[i]} if i in malformed else _row_columns(result)
        counts["rows"] += 1
        counts[added["status"]] += 1
        # The input's own cells are copied as given; the added ones are written as text (cellsafe).
        writer.writerow(row + cellsafe.csv_row(added.get(c, "") for c in CSV_ADDED_COLUMNS))
