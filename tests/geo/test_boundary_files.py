"""`tinhso geo import-boundaries` on hostile or damaged files: exit 2 and a message, never a traceback."""

from __future__ import annotations

import gzip
import json
import sqlite3
import tracemalloc
import zlib

import pytest

from tinhso.cli import main
from tinhso.geo.models import BoundaryVersion

pytestmark = pytest.mark.django_db

PHAN_THIET = "22945"
SQUARE = {"type": "Polygon", "coordinates": [[[108.0, 10.9], [108.1, 10.9], [108.1, 11.0], [108.0, 10.9]]]}


def run(path, capsys) -> str:
    assert main(["geo", "import-boundaries", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert BoundaryVersion.objects.filter(source__endswith=path.name).count() == 0
    return err


def collection(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "bad_crc"])
def test_a_damaged_gz_is_exit_2(tmp_path, capsys, damage):
    whole = gzip.compress(collection([{"type": "Feature", "properties": {"code": PHAN_THIET}, "geometry": SQUARE}]))
    raw = {"truncated": whole[: len(whole) // 2], "garbage": b"\x1f\x8b" + b"not gzip" * 10,
           "bad_crc": whole[:-8] + b"\x00\x00\x00\x00" + whole[-4:]}[damage]
    path = tmp_path / "b.geojson.gz"
    path.write_bytes(raw)
    assert "Cannot gunzip b.geojson.gz" in run(path, capsys)


def test_a_gzip_bomb_is_refused_at_the_limit_without_inflating_it(tmp_path, capsys, settings):
    settings.TINHSO_FILE_LIMITS = {"geo_uncompressed_bytes": 1024 * 1024}
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    raw = b"".join([packer.compress(b" " * (1024 * 1024)) for _ in range(64)] + [packer.flush()])
    path = tmp_path / "bomb.geojson.gz"
    path.write_bytes(raw)
    assert len(raw) < 128 * 1024
    tracemalloc.start()
    try:
        err = run(path, capsys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "bomb.geojson.gz is larger than 1.0 MB uncompressed" in err
    assert "limit geo_uncompressed_bytes = 1048576" in err
    assert peak < 16 * 1024 * 1024, peak   # 64 MB if it had been inflated


def test_deep_nesting_is_exit_2(tmp_path, capsys):
    path = tmp_path / "deep.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert "deep.geojson: nested deeper than 64 levels" in run(path, capsys)


def test_lone_surrogates_are_exit_2(tmp_path, capsys):
    path = tmp_path / "s.geojson"
    path.write_bytes(collection([{"type": "Feature", "properties": {"code": "\\ud800"}, "geometry": SQUARE}])
                     .replace(b"\\\\ud800", b"\\ud800"))
    assert "lone surrogate" in run(path, capsys)


def test_bad_properties_are_reported_per_feature(tmp_path, capsys):
    features = [
        {"type": "Feature", "properties": ["not", "an", "object"], "geometry": SQUARE},
        {"type": "Feature", "properties": {"code": {"nested": PHAN_THIET}}, "geometry": SQUARE},
        {"type": "Feature", "properties": {"code": "9" * 1_000_000}, "geometry": SQUARE},
        {"type": "Feature", "properties": {"code": PHAN_THIET, "name": ["Phan", "Thiết"]}, "geometry": SQUARE},
        {"type": "Feature", "id": [1], "properties": {}, "geometry": SQUARE},
    ]
    path = tmp_path / "props.geojson"
    path.write_bytes(collection(features))
    err = run(path, capsys)
    assert "feature 0: bad_property — properties is a list, not an object" in err
    assert "feature 1: bad_property — the code is a dict, not text or a number" in err
    assert "feature 2: bad_property — the code is 1000000 characters long (limit geo_property_chars = 500)" in err
    assert f"feature 3 code {PHAN_THIET}: bad_property — the name is a list, not text or a number" in err
    assert "feature 4: bad_property — the id is a list, not text or a number" in err
    assert len(err) < 5000   # the million-character code is not echoed back


def test_a_bad_crs_member_is_exit_2(tmp_path, capsys):
    path = tmp_path / "crs.geojson"
    path.write_bytes(json.dumps({"type": "FeatureCollection", "crs": ["EPSG:3857"], "features": []}).encode())
    assert run(path, capsys)
    path.write_bytes(json.dumps({"type": "FeatureCollection", "crs": {"properties": {"name": 3857}},
                                 "features": []}).encode())
    assert "uses CRS 3857" in run(path, capsys)


def test_too_many_features_and_too_large_a_file(tmp_path, capsys, settings):
    path = tmp_path / "many.geojson"
    path.write_bytes(collection([{"type": "Feature", "properties": {"code": str(i)}, "geometry": None}
                                 for i in range(11)]))
    settings.TINHSO_FILE_LIMITS = {"geo_features": 10}
    assert "many.geojson has 11 features (limit geo_features = 10)" in run(path, capsys)
    settings.TINHSO_FILE_LIMITS = {"geo_file_bytes": 100}
    assert "(limit geo_file_bytes = 100)" in run(path, capsys)


def test_a_damaged_geopackage_is_exit_2(tmp_path, capsys):
    path = tmp_path / "b.gpkg"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, srs_id INTEGER);"
        "CREATE TABLE gpkg_spatial_ref_sys (srs_id INTEGER, organization TEXT, organization_coordsys_id INTEGER);"
        "INSERT INTO gpkg_spatial_ref_sys VALUES (4326, 'EPSG', 4326);"
        # the layer names a geometry column the table does not have, and a table name with a quote
        "INSERT INTO gpkg_geometry_columns VALUES ('x\"y', 'geom', 4326);"
        'CREATE TABLE "x""y" (code TEXT, shape BLOB);'
        "INSERT INTO \"x\"\"y\" VALUES ('22945', x'00');")
    con.commit()
    con.close()
    assert "b.gpkg is not a readable GeoPackage" in run(path, capsys)
    con = sqlite3.connect(path)
    con.executescript('ALTER TABLE "x""y" RENAME COLUMN shape TO geom; UPDATE "x""y" SET geom = 42;')
    con.commit()
    con.close()
    assert "feature 0 code 22945: unreadable_geometry — the geometry column holds a int, not a blob" in run(path, capsys)
