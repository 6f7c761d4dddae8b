"""The real 2025 commune polygons (shared development file): import once for this module, then locate.

Slow (a few seconds to import 3,321 polygons / 1.7 M vertices); skipped only when the file is absent.
The imported version is removed again when the module ends, so other tests see the usual empty state.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from tinhso.geo import boundaries, locator
from tinhso.geo.models import Boundary, BoundaryVersion, Level, Structure, Unit

SHARED_FILE = Path("/work/shared/data/vn-communes-2025-s5m.geojson.gz")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(not SHARED_FILE.exists(), reason=f"{SHARED_FILE} is not on this machine"),
]


@pytest.fixture(scope="module")
def real_version(django_db_setup, django_db_blocker):
    notes: list[str] = []
    with django_db_blocker.unblock():
        previously_active = list(BoundaryVersion.objects.filter(is_active=True).values_list("pk", flat=True))
        version = boundaries.import_boundaries(SHARED_FILE, out=notes.append)
    yield version, notes
    with django_db_blocker.unblock():
        Boundary.objects.filter(version=version).delete()
        version.delete()
        BoundaryVersion.objects.filter(pk__in=previously_active).update(is_active=True)
    locator.invalidate()


@pytest.fixture(scope="module")
def source_polygons():
    """The file's polygons read independently of the importer: code → geometry."""
    data = json.loads(gzip.decompress(SHARED_FILE.read_bytes()))
    return {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in data["features"]}


def test_the_whole_file_is_imported_with_the_ba_che_code_discrepancy_reported(real_version):
    version, notes = real_version
    assert version.feature_count == 3321 and version.quality == "official" and version.is_active
    communes = Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE).count()
    assert version.boundaries.count() == communes == 3321
    assert any("06978 → 06970" in n for n in notes)
    assert version.boundaries.filter(unit__code="06970").exists()


def test_phan_thiet_check_point(real_version):
    result = locator.locate(10.9289, 108.1022)
    assert result["status"] == "ok" and result["flags"] == []
    assert result["commune"] == {"code": "22945", "name": "Phường Phan Thiết"}
    assert result["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    assert result["legacy"]["province"] == {"code": "60", "name": "Tỉnh Bình Thuận"}
    assert result["boundary"] == {"version": real_version[0].pk, "quality": "official"}


@pytest.mark.parametrize("lat, lon, code", [
    (21.0288, 105.8525, "00070"),  # Hồ Gươm → Phường Hoàn Kiếm
    (10.7725, 106.6980, "26743"),  # Bến Thành market → Phường Bến Thành
    (10.2143, 103.9595, "31078"),  # Dương Đông → Đặc khu Phú Quốc
])
def test_landmarks(real_version, lat, lon, code):
    assert locator.locate(lat, lon)["commune"]["code"] == code


def test_outside_on_real_boundaries(real_version):
    assert locator.locate(13.7563, 100.5018)["status"] == "outside"  # Bangkok
    assert locator.locate(10.2, 107.3)["status"] == "outside"  # open sea off Vũng Tàu


def test_points_sampled_inside_real_polygons_locate_to_their_own_commune(real_version, source_polygons):
    rng = np.random.default_rng(2025)
    codes = sorted(source_polygons)
    codes = [c for c in codes if c != "06978"] + ["06978"] if "06978" in codes else codes
    chosen = rng.choice(len(codes), 500, replace=False)
    expected, lats, lons = [], [], []
    for i in chosen:
        polygon = source_polygons[codes[i]]
        minx, miny, maxx, maxy = polygon.bounds
        while True:  # rejection sampling inside the polygon
            x, y = rng.uniform(minx, maxx, 64), rng.uniform(miny, maxy, 64)
            inside = shapely.contains_xy(polygon, x, y)
            if inside.any():
                k = int(np.argmax(inside))
                break
        expected.append("06970" if codes[i] == "06978" else codes[i])
        lats.append(float(y[k]))
        lons.append(float(x[k]))
    results = locator.locate_many(list(zip(lats, lons)))
    got = [r["commune"]["code"] if r["status"] == "ok" else None for r in results]
    right = sum(g == e for g, e in zip(got, expected))
    assert right / len(expected) >= 0.999, [(e, g) for g, e in zip(got, expected) if g != e]
    provinces = {u.code: u.province_code for u in Unit.objects.filter(structure=Structure.CURRENT,
                                                                      level=Level.COMMUNE)}
    assert all(r["province"]["code"] == provinces[r["commune"]["code"]] for r in results if r["status"] == "ok")
    assert all(r["legacy"] and r["legacy"]["province"] for r in results if r["status"] == "ok")


def test_island_district_without_communes_answers_with_the_legacy_district(real_version, source_polygons):
    point = source_polygons["26732"].representative_point()  # Đặc khu Côn Đảo
    result = locator.locate(point.y, point.x)
    assert result["commune"]["code"] == "26732"
    assert result["legacy"]["commune"] is None and result["legacy"]["method"] == "district_without_communes"
    assert result["legacy"]["district"]["name"] == "Huyện Côn Đảo"
    assert result["legacy"]["province"]["name"] == "Tỉnh Bà Rịa - Vũng Tàu"


def test_grid_answers_as_the_strtree_path_on_real_boundaries(real_version):
    """Issue 15: the grid path equals the plain STRtree path (commune, gap distance, hit count) on random
    points over the country and its sea, and on points on and near the real boundaries."""
    from tests.geo.test_locator_grid import assert_same_as_tree, near_boundary_points

    index = locator.current_index()
    rng = np.random.default_rng(15)
    sample = index.geometries[rng.choice(len(index.geometries), 400, replace=False)]
    lat_lon = np.vstack([
        np.column_stack([rng.uniform(8.0, 23.6, 100_000), rng.uniform(102.0, 118.0, 100_000)]),
        near_boundary_points(sample, rng, 100),
        np.column_stack([rng.uniform(-90, 90, 2_000), rng.uniform(-180, 180, 2_000)]),
    ])
    found, distance, _ = assert_same_as_tree(index, lat_lon[:, 0], lat_lon[:, 1])
    assert (distance > 0).any() and (found < 0).any() and (found >= 0).mean() > 0.3
