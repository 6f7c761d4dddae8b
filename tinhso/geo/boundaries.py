"""Commune boundaries: versioned imports of official polygons, and approximate ones built from centroids.

A *boundary version* is one complete set of commune polygons (``BoundaryVersion`` + ``Boundary`` rows,
WKB in WGS84). Versions are never overwritten: an import adds a version, makes it the active one and
deactivates (but keeps) the previous one. The locator (:mod:`tinhso.geo.locator`) always uses the newest
active version.

Imports are all-or-nothing. Every feature is checked first — commune code known to the registry as a
*current* commune, geometry present, readable, a (multi)polygon, valid (GEOS ``is_valid`` with its
reason), inside lon/lat range, code not repeated — and every problem is reported by feature index and
code. One problem means nothing is written.

Known code discrepancies between sources are data (:data:`KNOWN_SOURCE_CODE_ALIASES`), applied only when
the feature's own name agrees with the registry's, and reported on every import that uses them; an
operator may add their own with ``code_map`` (``--code-map SRC=DST``).

Approximate boundaries (for a fresh machine without official polygons): Voronoi cells of the registry's
current-commune centroids, clipped to an approximate country outline derived from the registry too —
see :func:`approximate_outline`. They are labelled ``quality="approximate"`` wherever they show.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.db import transaction

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.text import fold, nfc
from tinhso.geo.models import Boundary, BoundaryQuality, BoundaryVersion, Level, Structure, Unit

Out = Callable[..., None]

# Feature properties that may carry the commune code, in order of preference.
COMMUNE_CODE_PROPERTIES = ("code", "ma_xa", "id")
# Feature properties that may carry the commune name (used only to confirm a code alias).
COMMUNE_NAME_PROPERTIES = ("name", "ten_xa", "fullName", "ten")

# Codes some published sources use that differ from the official (registry) code of the same commune.
# source code -> (registry code, commune name as the source writes it, why)
KNOWN_SOURCE_CODE_ALIASES: dict[str, tuple[str, str, str]] = {
    "06978": (
        "06970",
        "Xã Ba Chẽ",
        ("thanglequoc/vietnamese-provinces-database writes Xã Ba Chẽ (Quảng Ninh) as 06978; the GSO list, "
         "vietnamadminunits and vietnam-provinces use 06970"),
    ),
}

# Approximate country outline (see approximate_outline): radius of the disc around every current and
# legacy commune centroid, then a morphological closing that fills gaps narrower than twice its radius.
# In degrees (1° ≈ 111 km; at Vietnam's latitudes 1° of longitude is 102–110 km). 0.08° / 0.15° keeps
# about 98 % of the real land area inside the outline and adds about 13 % of sea and neighbours' land
# (checked against the 2025 commune polygons).
OUTLINE_DISC_DEG = 0.08
OUTLINE_CLOSING_DEG = 0.15
OUTLINE_QUAD_SEGS = 4

APPROXIMATE_SOURCE = "voronoi(registry current-commune centroids) ∩ outline(buffered current+legacy centroids)"

# Mean Earth radius (IUGG), metres; used for areas and local metric projections.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180

BULK_BATCH = 200


def _silent(*args, **kwargs) -> None:
    return None


# ---------------------------------------------------------------------------------------------------
# Reading source files


@dataclass
class SourceFeature:
    """One feature as read from a boundary file, before validation."""

    index: int
    code: str | None
    name: str | None
    geometry: Any  # GeoJSON geometry dict, WKB bytes, or None
    problems: list[str] = field(default_factory=list)


def _pick(props: dict, keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in props.items()}
    for key in keys:
        if key.lower() in lowered and lowered[key.lower()] not in (None, ""):
            return lowered[key.lower()]
    return None


def _normalise_code(value: Any) -> tuple[str | None, str | None]:
    """Commune codes are five-digit zero-padded strings. A *number* (e.g. 6970 from a DBF or an INTEGER
    column, where the padding cannot be stored) is padded; text is taken exactly as written.

    Returns (code, note) where note says the code was padded, so the import can report it.
    """
    if value is None:
        return None, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 100_000:
        padded = f"{value:05d}"
        return padded, (f"{value} → {padded}" if padded != str(value) else None)
    return nfc(str(value)), None


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise UserError("file_not_found", f"Không tìm thấy tệp {path}", f"File not found: {path}", field="file")
    size = path.stat().st_size
    if size > limits.limit("geo_file_bytes"):
        raise limits.too_large("file_too_large", f"{path.name} có {size / limits.MiB:.1f} MB",
                               f"{path.name} is {size / limits.MiB:.1f} MB", "geo_file_bytes", size=size)
    return path.read_bytes()


def _check_feature_count(count: int, name: str) -> None:
    if count > limits.limit("geo_features"):
        raise limits.too_large("too_many_features", f"{name} có {count} đối tượng", f"{name} has {count} features",
                               "geo_features", count=count)


def _property(value: Any, what: str, problems: list[str]) -> Any:
    """A code or name property as read: text, or a number for a code; anything else is a problem."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        problems.append(f"bad_property:{what} is a {type(value).__name__}, not text or a number")
        return None
    cap = limits.limit("geo_property_chars")
    if len(value) > cap:
        problems.append(f"bad_property:{what} is {len(value)} characters long (limit geo_property_chars = {cap})")
        return None
    return value


def _source_feature(index: int, props: Any, fallback_code: Any, geometry: Any,
                    problems: list[str] | None = None) -> SourceFeature:
    problems = list(problems or [])
    if not isinstance(props, dict):
        problems.append(f"bad_property:properties is a {type(props).__name__}, not an object")
        props = {}
    code = _property(_pick(props, COMMUNE_CODE_PROPERTIES), "the code", problems)
    if code is None and not problems:
        code = _property(fallback_code, "the id", problems)
    name = _property(_pick(props, COMMUNE_NAME_PROPERTIES), "the name", problems)
    return SourceFeature(index, code, str(name) if name is not None else None, geometry, problems)


def read_geojson(raw: bytes, name: str) -> list[SourceFeature]:
    """Features of a GeoJSON FeatureCollection (gzipped or not), read within :mod:`tinhso.core.limits`."""
    if raw[:2] == b"\x1f\x8b":
        raw = limits.gunzip(raw, name, "geo_uncompressed_bytes")
    elif len(raw) > limits.limit("geo_uncompressed_bytes"):
        raise limits.too_large("file_too_large", f"{name} có {len(raw) / limits.MiB:.1f} MB",
                               f"{name} is {len(raw) / limits.MiB:.1f} MB", "geo_uncompressed_bytes")
    data = limits.load_json(raw, name, field="file", code="unreadable_file")
    del raw
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise UserError("not_feature_collection", f"{name} phải là một GeoJSON FeatureCollection",
                        f"{name} must be a GeoJSON FeatureCollection", field="file")
    _check_feature_count(len(data["features"]), name)
    crs = data.get("crs")
    crs = crs.get("properties") if isinstance(crs, dict) else None
    crs = crs.get("name", "") if isinstance(crs, dict) else ""
    if crs and (not isinstance(crs, str) or not any(tag in crs.upper() for tag in ("4326", "CRS84"))):
        shown = str(crs)[:100]
        raise UserError("unsupported_crs", f"{name} dùng hệ toạ độ {shown}; cần WGS84 (EPSG:4326)",
                        f"{name} uses CRS {shown}; reproject to WGS84 (EPSG:4326) first", field="file")
    features = []
    for index, feature in enumerate(data["features"]):
        if not isinstance(feature, dict):
            features.append(SourceFeature(index, None, None, None, ["not_a_feature"]))
            continue
        features.append(_source_feature(index, feature.get("properties") or {}, feature.get("id"),
                                        feature.get("geometry")))
    return features


def _gpkg_blob_to_wkb(blob: bytes) -> bytes:
    """GeoPackage geometry blob → WKB (header: 'GP', version, flags, srs_id, optional envelope)."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    envelope_sizes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    envelope = (flags >> 1) & 0b111
    if envelope not in envelope_sizes:
        raise ValueError(f"invalid envelope indicator {envelope}")
    return bytes(blob[8 + envelope_sizes[envelope]:])


def read_geopackage(path: Path) -> list[SourceFeature]:
    """Read the one feature table of a GeoPackage (an SQLite file) without GDAL."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UserError("unreadable_file", f"{path.name} không phải GeoPackage: {exc}",
                        f"{path.name} is not a GeoPackage: {exc}", field="file") from exc
    try:
        return _geopackage_features(con, path.name)
    except (sqlite3.Error, KeyError, TypeError, ValueError) as exc:  # a damaged or hand-made file
        raise UserError("unreadable_file", f"{path.name} không phải GeoPackage đọc được: {exc}",
                        f"{path.name} is not a readable GeoPackage: {exc}", field="file") from exc
    finally:
        con.close()


def _geopackage_features(con: sqlite3.Connection, name: str) -> list[SourceFeature]:
    layers = con.execute("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns").fetchall()
    if len(layers) != 1:
        names = ", ".join(str(layer[0])[:100] for layer in layers[:20]) or "none"
        raise UserError("geopackage_layers", f"GeoPackage cần đúng một lớp đối tượng (có: {names})",
                        f"The GeoPackage must hold exactly one feature table (found: {names})", field="file")
    table, column, srs_id = layers[0]
    org = con.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id=?",
                      (srs_id,)).fetchone()
    if not org or (str(org[0]).upper(), int(org[1])) != ("EPSG", 4326):
        raise UserError("unsupported_crs", f"{name} dùng hệ toạ độ {org}; cần WGS84 (EPSG:4326)",
                        f"{name} uses CRS {org}; reproject to WGS84 (EPSG:4326) first", field="file")
    quoted = '"' + str(table).replace('"', '""') + '"'
    _check_feature_count(con.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0], name)
    cursor = con.execute(f"SELECT * FROM {quoted}")
    columns = [d[0] for d in cursor.description]
    features = []
    for index, row in enumerate(cursor):
        record = dict(zip(columns, row))
        blob = record.pop(column)
        geometry, problems = None, []
        if isinstance(blob, bytes):
            try:
                geometry = _gpkg_blob_to_wkb(blob)
            except (ValueError, IndexError) as exc:
                problems.append(f"unreadable_geometry:{exc}")
        elif blob is not None:
            problems.append(f"unreadable_geometry:the geometry column holds a {type(blob).__name__}, not a blob")
        features.append(_source_feature(index, record, None, geometry, problems))
    return features


def read_features(path: Path, raw: bytes) -> list[SourceFeature]:
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith((".shp", ".shp.zip", ".zip")):
        raise UserError(
            "unsupported_format",
            "Chưa hỗ trợ Shapefile; hãy chuyển sang GeoJSON (ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson in.shp)",
            "Shapefile is not supported; convert it: ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson in.shp",
            field="file",
        )
    if raw[:16] == b"SQLite format 3\x00":
        return read_geopackage(path)
    return read_geojson(raw, path.name)


# ---------------------------------------------------------------------------------------------------
# Validation


@dataclass
class ValidatedImport:
    units: list[Unit]
    geometries: np.ndarray
    problems: list[dict]
    notices: list[str]


def _problem(feature: SourceFeature, code: str, detail: str) -> dict:
    return {"feature": feature.index, "code": feature.code, "problem": code, "detail": detail}


def parse_code_map(pairs: list[str] | None) -> dict[str, str]:
    mapping = {}
    for pair in pairs or []:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise UserError("invalid_code_map", f"--code-map cần dạng MÃ_NGUỒN=MÃ_ĐĂNG_KÝ, nhận được {pair!r}",
                            f"--code-map must look like SOURCE=REGISTRY, got {pair!r}", field="code_map")
        mapping[source.strip()] = target.strip()
    return mapping


def _resolve_code(feature: SourceFeature, code: str, current: dict[str, Unit], other: dict[str, Unit],
                  code_map: dict[str, str], use_known_aliases: bool, present_codes: set) -> tuple:
    """The registry commune a feature's code stands for: (unit, problem detail, notice).

    Order: the operator's ``--code-map`` (explicit, wins even over a code the registry knows), the
    code itself, then the table of known source discrepancies — applied only when the registry code
    is not also in the file and the feature's name (when it has one) is the commune's name.
    """
    if code in code_map:
        target = code_map[code]
        if target not in current:
            return None, f"--code-map {code}={target}: {target} is not a current commune", None
        return current[target], None, f"code {code} → {target} ({current[target].name}) by --code-map"
    if code in current:
        return current[code], None, None
    if use_known_aliases and code in KNOWN_SOURCE_CODE_ALIASES:
        target, alias_name, why = KNOWN_SOURCE_CODE_ALIASES[code]
        unit = current.get(target)
        names = {fold(alias_name), fold(unit.name)} if unit else set()
        if unit is None:
            reason = f"{target} is not in the registry"
        elif target in present_codes:
            reason = f"the file also has {target}"
        elif feature.name is not None and fold(feature.name) not in names:
            reason = f"the feature is named {feature.name!r}, not {alias_name!r}"
        else:
            return unit, None, f"code {code} → {target} ({unit.name}): known source discrepancy — {why}"
        return None, (f"{code} is not a current commune; the known alias {code}→{target} does not apply "
                      f"because {reason}"), None
    known = other.get(code)
    if known is not None:
        return None, f"{code} is a {known.structure} {known.level} ({known.name}), not a current commune", None
    return None, f"{code} is not a current commune in the registry", None


def validate_features(
    features: list[SourceFeature], *, code_map: dict[str, str] | None = None, use_known_aliases: bool = True
) -> ValidatedImport:
    """Check every feature; return the import plan and *all* problems (nothing is raised here)."""
    current = {u.code: u for u in Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE)}
    other = {
        u.code: u for u in Unit.objects.exclude(structure=Structure.CURRENT, level=Level.COMMUNE).only(
            "code", "name", "structure", "level")
    }
    present_codes = {_normalise_code(f.code)[0] for f in features}
    code_map = dict(code_map or {})
    problems: list[dict] = []
    notices: list[str] = []
    padded: list[str] = []
    candidates: list[tuple[SourceFeature, Unit, Any]] = []

    for feature in features:
        for problem in feature.problems:
            kind, _, detail = problem.partition(":")
            problems.append(_problem(feature, kind, detail or kind))
        if feature.problems:
            continue
        code, pad_note = _normalise_code(feature.code)
        feature.code = code
        if pad_note:
            padded.append(pad_note)
        if code is None:
            problems.append(_problem(feature, "missing_code",
                                     f"no commune code in properties {'/'.join(COMMUNE_CODE_PROPERTIES)}"))
            continue
        unit, detail, notice = _resolve_code(feature, code, current, other, code_map,
                                             use_known_aliases, present_codes)
        if unit is None:
            problems.append(_problem(feature, "unknown_code", detail))
            continue
        if notice:
            notices.append(notice)
        if feature.geometry is None:
            problems.append(_problem(feature, "missing_geometry", "the feature has no geometry"))
            continue
        if not isinstance(feature.geometry, (dict, bytes)):
            problems.append(_problem(feature, "unreadable_geometry",
                                     f"geometry is a {type(feature.geometry).__name__}, not a GeoJSON object"))
            continue
        try:
            if isinstance(feature.geometry, dict):
                geometry = shapely.geometry.shape(feature.geometry)
            else:
                geometry = shapely.from_wkb(feature.geometry)
        # shapely raises these for malformed coordinate nesting, unknown types or bad WKB
        except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            problems.append(_problem(feature, "unreadable_geometry", f"{type(exc).__name__}: {exc}"))
            continue
        candidates.append((feature, unit, geometry))

    # Duplicates: after code maps/aliases, a registry commune may appear only once.
    seen: dict[str, int] = {}
    for feature, unit, _ in candidates:
        if unit.code in seen:
            problems.append(_problem(feature, "duplicate_code",
                                     f"commune {unit.code} already given by feature {seen[unit.code]}"))
        else:
            seen[unit.code] = feature.index

    geometries = np.array([g for _, _, g in candidates], dtype=object)
    if len(candidates):
        types = shapely.get_type_id(geometries)
        polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
        empty = shapely.is_empty(geometries)
        bounds = shapely.bounds(geometries)
        reasons = shapely.is_valid_reason(geometries)
        for i, (feature, _, geometry) in enumerate(candidates):
            if empty[i]:
                problems.append(_problem(feature, "missing_geometry", "the geometry is empty"))
            elif not polygonal[i]:
                problems.append(_problem(feature, "not_polygon",
                                         f"{geometry.geom_type} is not a Polygon or MultiPolygon"))
            elif not np.all(np.isfinite(bounds[i])):
                problems.append(_problem(feature, "invalid_geometry", "non-finite coordinates"))
            elif not (-180 <= bounds[i][0] <= bounds[i][2] <= 180 and -90 <= bounds[i][1] <= bounds[i][3] <= 90):
                problems.append(_problem(
                    feature, "coordinates_out_of_range",
                    "bounds {:.4f},{:.4f},{:.4f},{:.4f} exceed lon ±180 / lat ±90 (projected coordinates? "
                    "reproject to EPSG:4326)".format(*bounds[i])))
            elif reasons[i] != "Valid Geometry":
                problems.append(_problem(feature, "invalid_geometry", reasons[i]))
    if padded:
        notices.append(f"{len(padded)} numeric codes zero-padded to 5 digits, e.g. {padded[0]}")
    problems.sort(key=lambda p: p["feature"])
    return ValidatedImport([u for _, u, _ in candidates], geometries, problems, notices)


# ---------------------------------------------------------------------------------------------------
# Storing versions


def approximate_area_km2(geometries: np.ndarray) -> np.ndarray:
    """Area on the sphere, approximated per polygon by scaling degrees² at its centroid's latitude.

    Within a commune (at most ~100 km across) this is within a fraction of a percent of the geodesic
    area; good enough for a display figure (the registry keeps the official areas).
    """
    if not len(geometries):
        return np.zeros(0)
    lat = shapely.get_y(shapely.centroid(geometries))
    return shapely.area(geometries) * np.cos(np.radians(lat)) * (METRES_PER_DEGREE / 1000) ** 2


@transaction.atomic
def store_version(units: list[Unit], geometries: np.ndarray, *, source: str, sha256: str, quality: str,
                  note: str = "") -> BoundaryVersion:
    """Write a new version and make it the only active one (earlier versions are kept, inactive)."""
    BoundaryVersion.objects.filter(is_active=True).update(is_active=False)
    version = BoundaryVersion.objects.create(source=source[:255], sha256=sha256, quality=quality,
                                             feature_count=len(units), is_active=True, note=note)
    areas = approximate_area_km2(geometries)
    wkbs = shapely.to_wkb(geometries) if len(units) else []
    Boundary.objects.bulk_create(
        (Boundary(version=version, unit=unit, wkb=wkb, area_km2=round(float(area), 3))
         for unit, wkb, area in zip(units, wkbs, areas)),
        batch_size=BULK_BATCH,
    )
    _invalidate_locator()
    codes = [unit.code for unit in units]
    # After the commit: the build takes seconds and must not hold the database's write lock.
    transaction.on_commit(lambda: _store_locator_grid(codes, wkbs))
    return version


def _invalidate_locator() -> None:
    from tinhso.geo import locator

    locator.invalidate()


def _store_locator_grid(codes: list[str], wkbs) -> None:
    """Build the locator's grid of the new polygons once they are committed, so that no server process
    pays for it (a process that needs it earlier builds it itself, see ``locator_grid.load_or_build``)."""
    from tinhso.geo import locator

    locator.store_grid(codes, wkbs)


def import_boundaries(path: str | Path, *, quality: str = BoundaryQuality.OFFICIAL, note: str = "",
                      code_map: dict[str, str] | None = None, use_known_aliases: bool = True,
                      out: Out = print) -> BoundaryVersion:
    """Validate a boundary file completely, then import it as the new active version (or nothing)."""
    path = Path(path)
    if quality not in BoundaryQuality.values:
        raise UserError("invalid_quality", f"Chất lượng phải là một trong {BoundaryQuality.values}",
                        f"quality must be one of {BoundaryQuality.values}", field="quality")
    raw = _read_bytes(path)
    sha256 = hashlib.sha256(raw).hexdigest()
    features = read_features(path, raw)
    del raw
    if not features:
        raise UserError("no_features", f"{path.name} không có đối tượng nào", f"{path.name} has no features",
                        field="file")
    plan = validate_features(features, code_map=code_map, use_known_aliases=use_known_aliases)
    if plan.problems:
        count = len(plan.problems)
        raise UserError(
            "boundary_import_invalid",
            f"{path.name}: {count} lỗi trong {len(features)} đối tượng; không nhập gì",
            f"{path.name}: {count} problems in {len(features)} features; nothing was imported",
            field="file", details=plan.problems,
        )
    missing = Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE).count() - len(plan.units)
    for notice in plan.notices:
        out(f"  note: {notice}")
    if missing:
        out(f"  note: {missing} current communes have no polygon in this file (they will locate as outside)")
    notes = [note] if note else []
    notes += plan.notices
    version = store_version(plan.units, plan.geometries, source=str(path.resolve()), sha256=sha256,
                            quality=quality, note="\n".join(notes))
    out(f"Imported {version.feature_count} commune boundaries as version {version.pk} ({quality}); "
        f"sha256 {sha256[:12]}…")
    return version


# ---------------------------------------------------------------------------------------------------
# Approximate boundaries


def approximate_outline(points_lonlat: np.ndarray) -> shapely.Geometry:
    """A rough country outline from unit centroids alone.

    Method: a disc of :data:`OUTLINE_DISC_DEG` around every centroid (current and legacy communes:
    ~13,000 points, dense enough to trace the coast and borders), unioned, then closed morphologically
    (buffer out and back in by :data:`OUTLINE_CLOSING_DEG`) so that sparse mountain areas between
    centroids are filled. Islands with a commune (Phú Quốc, Côn Đảo, Trường Sa…) stay separate parts.
    """
    discs = shapely.buffer(shapely.points(points_lonlat), OUTLINE_DISC_DEG, quad_segs=OUTLINE_QUAD_SEGS)
    blobs = shapely.union_all(discs)
    closed = blobs.buffer(OUTLINE_CLOSING_DEG, quad_segs=OUTLINE_QUAD_SEGS).buffer(
        -OUTLINE_CLOSING_DEG, quad_segs=OUTLINE_QUAD_SEGS)
    return shapely.make_valid(shapely.union(closed, blobs))


_approximate_cache: dict[str, np.ndarray] = {}


def approximate_cells(current_lonlat: np.ndarray, legacy_lonlat: np.ndarray) -> np.ndarray:
    """Voronoi cell of each current centroid (same order), clipped to :func:`approximate_outline`.

    Pure function of the centroids; memoised per process (tests and the demo rebuild it often).
    """
    key = hashlib.sha256(np.ascontiguousarray(current_lonlat).tobytes()
                         + np.ascontiguousarray(legacy_lonlat).tobytes()).hexdigest()
    if key not in _approximate_cache:
        outline = approximate_outline(np.vstack([current_lonlat, legacy_lonlat]))
        diagram = shapely.voronoi_polygons(shapely.multipoints(current_lonlat), extend_to=outline, ordered=True)
        cells = np.asarray(shapely.get_parts(diagram))
        if len(cells) != len(current_lonlat):
            raise RuntimeError("Voronoi diagram lost cells: duplicate centroids?")
        clipped = shapely.make_valid(shapely.intersection(cells, outline))
        # A cell clipped by the coast may come back as a collection with slivers of lines: keep the polygons.
        clipped = np.array([_polygonal(g) for g in clipped], dtype=object)
        _approximate_cache.clear()
        _approximate_cache[key] = shapely.to_wkb(clipped)
    return shapely.from_wkb(_approximate_cache[key])


def _polygonal(geometry):
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def build_approximate(out: Out = print) -> BoundaryVersion:
    """Build and activate approximate boundaries from the registry's centroids (see module doc)."""
    communes = list(Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE,
                                        lat__isnull=False, lon__isnull=False).order_by("code"))
    if len(communes) < 3:
        raise UserError("registry_empty", "Chưa có danh mục đơn vị hành chính; chạy `tinhso init` trước",
                        "The unit registry is empty; run `tinhso init` first", status=409)
    # Two communes at one centroid would share one Voronoi cell: refuse rather than drop one.
    coords = [(u.lon, u.lat) for u in communes]
    if len(set(coords)) != len(coords):
        raise UserError("duplicate_centroids", "Có xã trùng toạ độ tâm; không dựng được ranh giới gần đúng",
                        "Several communes share a centroid; cannot build approximate boundaries", status=409)
    legacy = np.array(
        list(Unit.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE, lat__isnull=False,
                                 lon__isnull=False).values_list("lon", "lat")), dtype=float).reshape(-1, 2)
    cells = approximate_cells(np.array(coords, dtype=float), legacy)
    without = Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE, lat__isnull=True).count()
    note = ("Approximate: Voronoi cells of commune centroids clipped to a country outline made of "
            f"{OUTLINE_DISC_DEG}° discs around {len(communes) + len(legacy)} current+legacy centroids, closed "
            f"by {OUTLINE_CLOSING_DEG}°. Not an official boundary.")
    if without:
        note += f" {without} communes without a centroid have no cell."
    version = store_version(communes, cells, source=APPROXIMATE_SOURCE, sha256="",
                            quality=BoundaryQuality.APPROXIMATE, note=note)
    out(f"Built approximate boundaries (Voronoi of {len(communes)} commune centroids) as version {version.pk}; "
        "import official polygons with `tinhso geo import-boundaries FILE`.")
    return version


def active_version() -> BoundaryVersion | None:
    return BoundaryVersion.objects.filter(is_active=True).order_by("-id").first()


def ensure_active(out: Out = print) -> BoundaryVersion:
    """The active version; builds approximate boundaries when there is none (fresh machine / demo)."""
    version = active_version()
    if version is not None:
        out(f"Boundaries: version {version.pk} ({version.quality}, {version.feature_count} communes) is active.")
        return version
    return build_approximate(out=out)


def summarise(version: BoundaryVersion) -> dict:
    return {
        "version": version.pk,
        "quality": version.quality,
        "feature_count": version.feature_count,
        "source": version.source,
        "sha256": version.sha256,
        "created_at": version.created_at.isoformat(),
        "is_active": version.is_active,
        "note": version.note,
    }


def active_summary() -> dict | None:
    version = active_version()
    return summarise(version) if version else None


def list_versions() -> list[dict]:
    return [summarise(v) for v in BoundaryVersion.objects.order_by("-id")]
