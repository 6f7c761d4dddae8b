"""Boundary versions: validated all-or-nothing imports, versioning, approximate Voronoi boundaries."""

from __future__ import annotations

import gzip
import json
import sqlite3
import struct

import numpy as np
import pytest
import shapely
from shapely.geometry import box, mapping

from tinhso.cli import main
from tinhso.core.errors import UserError
from tinhso.geo import boundaries, locator
from tinhso.geo.models import Boundary, BoundaryVersion, Level, Structure, Unit

pytestmark = pytest.mark.django_db

PHAN_THIET = "22945"
HAM_THANG = "22933"


@pytest.fixture(autouse=True)
def _no_boundaries_yet():
    """Each test starts with no boundary versions, whatever ran before (the reports tests' session
    fixture builds approximate ones); the test's transaction restores them afterwards."""
    Boundary.objects.all().delete()
    BoundaryVersion.objects.all().delete()


def quiet(*args, **kwargs):
    return None


def feature(code, geometry, **props):
    return {"type": "Feature", "properties": {"code": code, **props},
            "geometry": geometry if geometry is None or isinstance(geometry, (dict, str)) else mapping(geometry)}


def write_geojson(path, features, *, gz=False):
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def square_around(code, half=0.01):
    unit = Unit.objects.get(structure=Structure.CURRENT, code=code)
    return box(unit.lon - half, unit.lat - half, unit.lon + half, unit.lat + half)


def import_problems(path, **kwargs):
    with pytest.raises(UserError) as caught:
        boundaries.import_boundaries(path, out=quiet, **kwargs)
    assert caught.value.code == "boundary_import_invalid"
    return caught.value.details


# --- approximate boundaries --------------------------------------------------------------------


def test_ensure_active_builds_approximate_once_and_labels_it():
    assert boundaries.active_summary() is None
    version = boundaries.ensure_active(out=quiet)
    summary = boundaries.active_summary()
    assert summary["version"] == version.pk and summary["quality"] == "approximate"
    communes = Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE, lat__isnull=False).count()
    assert summary["feature_count"] == communes == version.boundaries.count()
    assert {"version", "quality", "feature_count", "source", "created_at"} <= set(summary)
    assert boundaries.ensure_active(out=quiet).pk == version.pk  # idempotent
    assert BoundaryVersion.objects.count() == 1


def test_approximate_cells_are_valid_disjoint_and_hold_their_own_centroid():
    version = boundaries.build_approximate(out=quiet)
    rows = list(Boundary.objects.filter(version=version).values_list("unit__code", "unit__lat", "unit__lon", "wkb"))
    cells = shapely.from_wkb([bytes(r[3]) for r in rows])
    assert shapely.is_valid(cells).all()
    assert set(shapely.get_type_id(cells)) <= {3, 6}
    lat = np.array([r[1] for r in rows])
    lon = np.array([r[2] for r in rows])
    assert shapely.contains_xy(cells, lon, lat).all()
    # A tiling: the cells' areas add up to the area of their union (no overlaps).
    assert shapely.area(cells).sum() == pytest.approx(shapely.union_all(cells).area, rel=1e-6)


def test_approximate_outline_leaves_out_neighbours_and_open_sea():
    communes = np.array(list(Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE)
                             .values_list("lon", "lat")))
    outline = boundaries.approximate_outline(communes)
    assert outline.contains(shapely.Point(108.1022, 10.9289))  # Phan Thiết
    assert outline.contains(shapely.Point(105.8542, 21.0285))  # Hà Nội
    assert not outline.contains(shapely.Point(100.5018, 13.7563))  # Bangkok
    assert not outline.contains(shapely.Point(111.0, 12.0))  # open sea, East Sea
    assert not outline.contains(shapely.Point(102.6, 17.97))  # Vientiane


# --- imports: validation -----------------------------------------------------------------------


def test_valid_import_creates_an_active_official_version(tmp_path):
    path = write_geojson(tmp_path / "b.geojson.gz", [
        feature(PHAN_THIET, square_around(PHAN_THIET)),
        feature(HAM_THANG, square_around(HAM_THANG).buffer(0.001)),
    ], gz=True)
    version = boundaries.import_boundaries(path, note="test file", out=quiet)
    assert version.is_active and version.quality == "official" and version.feature_count == 2
    assert len(version.sha256) == 64 and version.source.endswith("b.geojson.gz") and "test file" in version.note
    stored = {b.unit.code: shapely.from_wkb(bytes(b.wkb)) for b in version.boundaries.select_related("unit")}
    assert stored[PHAN_THIET].equals(square_around(PHAN_THIET))
    assert 4 < Boundary.objects.get(version=version, unit__code=PHAN_THIET).area_km2 < 5.5  # 0.02° square


def test_every_problem_is_reported_by_feature_and_nothing_is_imported(tmp_path):
    bow_tie = {"type": "Polygon", "coordinates": [[[108.0, 10.9], [108.1, 11.0], [108.1, 10.9], [108.0, 11.0],
                                                   [108.0, 10.9]]]}
    path = write_geojson(tmp_path / "bad.geojson", [
        feature(PHAN_THIET, square_around(PHAN_THIET)),  # 0: fine
        feature("99999", square_around(PHAN_THIET)),  # 1: unknown code
        feature(HAM_THANG, bow_tie),  # 2: self-intersection
        feature(PHAN_THIET, square_around(PHAN_THIET)),  # 3: duplicate
        feature("22924", None),  # 4: missing geometry
        feature("22963", shapely.Point(108.1, 10.9)),  # 5: not a polygon
        feature("22981", box(500000, 1200000, 510000, 1210000)),  # 6: projected metres
        feature("68", square_around(PHAN_THIET)),  # 7: a province code, not a commune
        feature("22951", square_around(PHAN_THIET)),  # 8: a legacy commune code
        {"type": "Feature", "properties": {"name": "no code"}, "geometry": mapping(square_around(PHAN_THIET))},
        feature("22969", {"type": "Polygon", "coordinates": [[1, 2]]}),  # 10: unreadable
        feature("22972", "POLYGON((0 0, 1 0, 1 1, 0 0))"),  # 11: geometry given as text
    ])
    problems = import_problems(path)
    by_feature = {p["feature"]: p for p in problems}
    assert 0 not in by_feature
    assert by_feature[1]["problem"] == "unknown_code" and by_feature[1]["code"] == "99999"
    assert by_feature[2]["problem"] == "invalid_geometry" and "Self-intersection" in by_feature[2]["detail"]
    assert by_feature[3]["problem"] == "duplicate_code" and "feature 0" in by_feature[3]["detail"]
    assert by_feature[4]["problem"] == "missing_geometry"
    assert by_feature[5]["problem"] == "not_polygon"
    assert by_feature[6]["problem"] == "coordinates_out_of_range"
    assert by_feature[7]["problem"] == "unknown_code" and "province" in by_feature[7]["detail"]
    assert by_feature[8]["problem"] == "unknown_code" and "legacy" in by_feature[8]["detail"]
    assert by_feature[9]["problem"] == "missing_code"
    assert by_feature[10]["problem"] == "unreadable_geometry"
    assert by_feature[11]["problem"] == "unreadable_geometry"
    assert len(problems) == 11
    assert BoundaryVersion.objects.count() == 0 and Boundary.objects.count() == 0


def test_a_single_bad_feature_keeps_the_previous_version_active(tmp_path):
    first = boundaries.build_approximate(out=quiet)
    path = write_geojson(tmp_path / "b.geojson", [feature(PHAN_THIET, square_around(PHAN_THIET)),
                                                  feature("00000", square_around(HAM_THANG))])
    import_problems(path)
    assert boundaries.active_summary()["version"] == first.pk
    assert BoundaryVersion.objects.count() == 1


def test_not_a_feature_collection_or_missing_file_is_a_clear_error(tmp_path):
    (tmp_path / "x.geojson").write_text('{"type": "Polygon", "coordinates": []}')
    with pytest.raises(UserError) as caught:
        boundaries.import_boundaries(tmp_path / "x.geojson", out=quiet)
    assert caught.value.code == "not_feature_collection"
    (tmp_path / "y.geojson").write_text("{not json")
    with pytest.raises(UserError) as caught:
        boundaries.import_boundaries(tmp_path / "y.geojson", out=quiet)
    assert caught.value.code == "unreadable_file"
    with pytest.raises(UserError) as caught:
        boundaries.import_boundaries(tmp_path / "absent.geojson", out=quiet)
    assert caught.value.code == "file_not_found"


def test_code_property_alternatives_and_numeric_codes(tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [
        {"type": "Feature", "properties": {"ma_xa": PHAN_THIET}, "geometry": mapping(square_around(PHAN_THIET))},
        {"type": "Feature", "id": HAM_THANG, "properties": {}, "geometry": mapping(square_around(HAM_THANG))},
        {"type": "Feature", "properties": {"code": 4}, "geometry": mapping(square_around("00004"))},
    ])
    notes = []
    version = boundaries.import_boundaries(path, out=notes.append)
    assert set(version.boundaries.values_list("unit__code", flat=True)) == {PHAN_THIET, HAM_THANG, "00004"}
    assert any("zero-padded" in n for n in notes)


# --- code discrepancies between sources --------------------------------------------------------


def test_known_alias_06978_is_applied_only_for_ba_che_and_reported(tmp_path):
    ba_che = Unit.objects.get(structure=Structure.CURRENT, code="06970")
    square = box(ba_che.lon - 0.01, ba_che.lat - 0.01, ba_che.lon + 0.01, ba_che.lat + 0.01)
    path = write_geojson(tmp_path / "b.geojson", [feature("06978", square, name="Xã Ba Chẽ")])
    notes = []
    version = boundaries.import_boundaries(path, out=notes.append)
    assert list(version.boundaries.values_list("unit__code", flat=True)) == ["06970"]
    assert any("06978 → 06970" in n for n in notes) and "06978 → 06970" in version.note

    wrong_name = write_geojson(tmp_path / "c.geojson", [feature("06978", square, name="Xã Khác")])
    assert import_problems(wrong_name)[0]["problem"] == "unknown_code"
    assert import_problems(path, use_known_aliases=False)[0]["code"] == "06978"


def test_explicit_code_map(tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [feature("X1", square_around(PHAN_THIET))])
    assert import_problems(path)[0]["problem"] == "unknown_code"
    version = boundaries.import_boundaries(path, code_map=boundaries.parse_code_map([f"X1={PHAN_THIET}"]),
                                           out=quiet)
    assert list(version.boundaries.values_list("unit__code", flat=True)) == [PHAN_THIET]
    with pytest.raises(UserError):
        boundaries.parse_code_map(["X1"])
    # An explicit map wins even over a code the registry knows (and is reported).
    notes = []
    version = boundaries.import_boundaries(
        write_geojson(tmp_path / "c.geojson", [feature(PHAN_THIET, square_around(HAM_THANG))]),
        code_map={PHAN_THIET: HAM_THANG}, out=notes.append)
    assert list(version.boundaries.values_list("unit__code", flat=True)) == [HAM_THANG]
    assert any("by --code-map" in n for n in notes)


# --- versioning --------------------------------------------------------------------------------


def test_second_import_keeps_the_first_and_becomes_active(tmp_path):
    one = write_geojson(tmp_path / "one.geojson", [feature(PHAN_THIET, square_around(PHAN_THIET, 0.01))])
    two = write_geojson(tmp_path / "two.geojson", [feature(PHAN_THIET, square_around(PHAN_THIET, 0.02))])
    first = boundaries.import_boundaries(one, out=quiet)
    second = boundaries.import_boundaries(two, quality="approximate", out=quiet)
    first.refresh_from_db()
    assert not first.is_active and second.is_active
    assert first.boundaries.count() == 1 and second.boundaries.count() == 1
    assert first.sha256 != second.sha256
    assert boundaries.active_summary()["version"] == second.pk
    assert boundaries.active_summary()["quality"] == "approximate"
    assert [v["version"] for v in boundaries.list_versions()] == [second.pk, first.pk]
    # The locator follows the active version.
    unit = Unit.objects.get(structure=Structure.CURRENT, code=PHAN_THIET)
    assert locator.locate(unit.lat + 0.015, unit.lon)["commune"]["code"] == PHAN_THIET


# --- GeoPackage (read without GDAL) ------------------------------------------------------------


def write_geopackage(path, rows, srs_id=4326):
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT,
            organization_coordsys_id INTEGER, definition TEXT, description TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT,
            srs_id INTEGER, z TINYINT, m TINYINT);
        CREATE TABLE communes (fid INTEGER PRIMARY KEY, ma_xa TEXT, ten_xa TEXT, geom BLOB);
    """)
    con.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, '', '')")
    con.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('VN-2000 / UTM 48N', 3405, 'EPSG', 3405, '', '')")
    con.execute("INSERT INTO gpkg_contents VALUES ('communes', 'features', 'communes')")
    con.execute("INSERT INTO gpkg_geometry_columns VALUES ('communes', 'geom', 'MULTIPOLYGON', ?, 0, 0)", (srs_id,))
    for code, name, geometry in rows:
        minx, miny, maxx, maxy = geometry.bounds
        # Header: magic, version 0, flags (little-endian, envelope 1 = xy), srs id, envelope.
        header = b"GP" + bytes([0, 0b00000011]) + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
        con.execute("INSERT INTO communes (ma_xa, ten_xa, geom) VALUES (?, ?, ?)",
                    (code, name, header + shapely.to_wkb(geometry)))
    con.commit()
    con.close()
    return path


def test_geopackage_import(tmp_path):
    path = write_geopackage(tmp_path / "b.gpkg", [(PHAN_THIET, "Phường Phan Thiết", square_around(PHAN_THIET)),
                                                  (HAM_THANG, "Phường Hàm Thắng", square_around(HAM_THANG))])
    version = boundaries.import_boundaries(path, out=quiet)
    stored = {b.unit.code: shapely.from_wkb(bytes(b.wkb)) for b in version.boundaries.select_related("unit")}
    assert stored[HAM_THANG].equals(square_around(HAM_THANG))
    projected = write_geopackage(tmp_path / "utm.gpkg", [(PHAN_THIET, "x", square_around(PHAN_THIET))],
                                 srs_id=3405)
    with pytest.raises(UserError) as caught:
        boundaries.import_boundaries(projected, out=quiet)
    assert caught.value.code == "unsupported_crs"


def test_shapefile_is_refused_with_a_conversion_hint(tmp_path):
    (tmp_path / "b.shp").write_bytes(b"\x00\x00\x27\x0a")
    with pytest.raises(UserError) as caught:
        boundaries.import_boundaries(tmp_path / "b.shp", out=quiet)
    assert caught.value.code == "unsupported_format" and "ogr2ogr" in caught.value.message_en


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_import_lists_every_problem_without_a_traceback(tmp_path, capsys):
    path = write_geojson(tmp_path / "bad.geojson", [feature("99999", square_around(PHAN_THIET)),
                                                    feature(PHAN_THIET, None)])
    assert main(["geo", "import-boundaries", str(path)]) == 2
    err = capsys.readouterr().err
    assert "feature 0 code 99999: unknown_code" in err
    assert f"feature 1 code {PHAN_THIET}: missing_geometry" in err
    assert "Traceback" not in err
    assert BoundaryVersion.objects.count() == 0


def test_cli_import_and_versions(tmp_path, capsys):
    path = write_geojson(tmp_path / "ok.geojson", [feature(PHAN_THIET, square_around(PHAN_THIET))])
    assert main(["geo", "build-approximate"]) == 0
    assert main(["geo", "import-boundaries", str(path), "--note", "hello"]) == 0
    capsys.readouterr()
    assert main(["geo", "versions", "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert [(v["quality"], v["is_active"]) for v in versions] == [("official", True), ("approximate", False)]
    assert versions[0]["note"] == "hello"
