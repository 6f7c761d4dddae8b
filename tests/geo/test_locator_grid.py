"""The locator's grid (issue 15): the grid path answers exactly as the plain STRtree path on many random
points, near and on boundaries, in gaps and far outside; the grid is built once per set of polygons,
stored under VAR_DIR and read back memory-mapped."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from tests.geo.test_boundaries import feature, quiet, write_geojson
from tinhso.geo import boundaries, locator

pytestmark = pytest.mark.django_db

M_PER_DEG = locator.METRES_PER_DEGREE


@pytest.fixture(autouse=True)
def grid_dir(settings, tmp_path):
    settings.LOCATOR_GRID_DIR = str(tmp_path / "grids")
    locator.invalidate()
    yield tmp_path / "grids"
    locator.invalidate()


def assert_same_as_tree(index, lat, lon):
    grid = index.lookup(lat, lon)
    tree = index.lookup_tree(lat, lon)
    for name, a, b in zip(("position", "distance", "hits"), grid, tree):
        differ = np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))) if a.dtype.kind == "f" else a != b)
        assert not len(differ), (name, [(lat[i], lon[i], a[i], b[i]) for i in differ[:5]])
    return grid


def near_boundary_points(geometries, rng, per_polygon: int) -> np.ndarray:
    """(lat, lon) on each polygon's boundary, and moved off it by 1e-9° to 0.003° (≈ 330 m) either way."""
    out = []
    for geom in geometries:
        line = shapely.boundary(geom)
        along = shapely.line_interpolate_point(line, rng.random(per_polygon), normalized=True)
        x, y = shapely.get_x(along), shapely.get_y(along)
        step = rng.choice([0.0, 1e-9, 1e-6, 1e-4, 0.0015, 0.0019, 0.0025, 0.003], per_polygon)
        angle = rng.uniform(0, 2 * math.pi, per_polygon)
        out.append(np.column_stack([y + step * np.sin(angle), x + step * np.cos(angle)]))
    return np.vstack(out)


@pytest.fixture
def tricky(tmp_path):
    """Squares with a 440 m river between them, a commune with a hole holding an enclave, a
    multipolygon with an island, two polygons sharing an edge, and one overlapping another."""
    ring = Polygon(box(108.20, 10.80, 108.40, 11.00).exterior.coords, [box(108.25, 10.85, 108.35, 10.95).exterior.coords])
    features = [
        feature("22945", box(108.08, 10.91, 108.12, 10.95)),
        feature("22933", box(108.124, 10.91, 108.16, 10.95)),
        feature("22918", ring),
        feature("22924", box(108.26, 10.86, 108.34, 10.94)),            # the enclave, 1 km inside the hole
        feature("22960", shapely.MultiPolygon([box(108.5, 10.5, 108.6, 10.6), box(108.7, 10.5, 108.702, 10.502)])),
        feature("22963", box(108.6, 10.5, 108.65, 10.6)),                 # shares an edge with 22960
        feature("22972", box(108.08, 10.70, 108.13, 10.75)),
        feature("22969", box(108.12, 10.74, 108.18, 10.80)),              # overlaps 22972's corner
    ]
    path = write_geojson(tmp_path / "tricky.geojson", features)
    return boundaries.import_boundaries(path, out=quiet)


def test_grid_equals_the_strtree_path_on_tricky_polygons(tricky):
    index = locator.current_index()
    rng = np.random.default_rng(15)
    g = index.grid
    points = [
        np.column_stack([rng.uniform(10.4, 11.1, 40_000), rng.uniform(107.9, 108.9, 40_000)]),  # the area
        near_boundary_points(index.geometries, rng, 3_000),
        # exactly on cell edges and corners of the grid
        np.column_stack([g.y0 + rng.integers(0, g.height, 3_000) / 256, g.x0 + rng.integers(0, g.width, 3_000) / 256]),
        np.column_stack([rng.uniform(-90, 90, 2_000), rng.uniform(-180, 180, 2_000)]),          # the world
        np.array([[10.93, 108.12 + 150 / (M_PER_DEG * math.cos(math.radians(10.93)))],           # river, 150 m
                  [10.95 + 250 / M_PER_DEG, 108.10], [10.93, 108.12], [10.75, 108.125], [10.5, 108.6]]),
    ]
    lat_lon = np.vstack(points)
    found, distance, hits = assert_same_as_tree(index, lat_lon[:, 0], lat_lon[:, 1])
    assert (distance > 0).any() and (hits > 1).any() and (found < 0).any()   # gaps, overlaps, outside occur
    codes = index.codes
    assert codes[found[-5]] == "22945" and found[-4] < 0
    assert hits[-3] == 1 and codes[found[-3]] == "22945"   # on an edge facing the river
    assert hits[-2] == 2 and codes[found[-2]] == "22969"   # on the overlap's edge: both count, lower code wins
    assert hits[-1] == 2 and codes[found[-1]] == "22960"   # a corner two communes share


def test_single_lookups_equal_the_batch(tricky):
    index = locator.current_index()
    rng = np.random.default_rng(16)
    lat_lon = np.vstack([near_boundary_points(index.geometries, rng, 200),
                         np.column_stack([rng.uniform(10.4, 11.1, 2_000), rng.uniform(107.9, 108.9, 2_000)])])
    found, _, hits = index.lookup_tree(lat_lon[:, 0], lat_lon[:, 1])
    for (lat, lon), f, h in zip(lat_lon.tolist(), found.tolist(), hits.tolist()):
        position, count = index.lookup_one(lat, lon)
        # lookup_one answers points inside a polygon; the gap rule is left to the batch path
        assert (position, count) == ((f, h) if h else (-1, 0))


def test_grid_equals_the_strtree_path_across_the_country(grid_dir):
    boundaries.build_approximate(out=quiet)
    index = locator.current_index()
    rng = np.random.default_rng(17)
    lat_lon = np.vstack([
        np.column_stack([rng.uniform(7.0, 24.5, 60_000), rng.uniform(101.0, 119.0, 60_000)]),  # land, sea, abroad
        near_boundary_points(index.geometries[rng.choice(len(index.geometries), 300, replace=False)], rng, 50),
        np.column_stack([rng.uniform(-90, 90, 2_000), rng.uniform(-180, 180, 2_000)]),
    ])
    found, _, _ = assert_same_as_tree(index, lat_lon[:, 0], lat_lon[:, 1])
    assert (found >= 0).mean() > 0.2 and (found < 0).any()


def test_grid_is_stored_once_and_read_back_memory_mapped(tricky, grid_dir):
    first = locator.current_index()
    stored = list(grid_dir.iterdir())
    assert [d.name for d in stored] == [first.grid.key]
    assert {f.name for f in stored[0].iterdir()} == {"cells.npy", "offsets.npy", "candidates.npy", "meta.json"}
    made = stored[0].stat().st_mtime_ns
    locator.invalidate()
    second = locator.current_index()
    assert second is not first and second.grid.key == first.grid.key
    assert isinstance(second.grid.cells, np.memmap)
    assert stored[0].stat().st_mtime_ns == made                      # read, not rebuilt
    assert np.array_equal(second.grid.cells, first.grid.cells)


def test_an_unreadable_stored_grid_is_rebuilt(tricky, grid_dir):
    key = locator.current_index().grid.key
    (grid_dir / key / "cells.npy").write_bytes(b"not a numpy file")
    locator.invalidate()
    index = locator.current_index()
    assert index.grid.key == key and isinstance(index.grid.cells, np.memmap)
    rng = np.random.default_rng(18)
    assert_same_as_tree(index, rng.uniform(10.4, 11.1, 5_000), rng.uniform(107.9, 108.9, 5_000))


def test_other_polygons_get_their_own_grid(tricky, grid_dir, tmp_path):
    first = locator.current_index().grid.key
    path = write_geojson(tmp_path / "one.geojson", [feature("22945", box(108.0, 10.8, 108.2, 11.0))])
    boundaries.import_boundaries(path, out=quiet)
    second = locator.current_index()
    assert second.grid.key != first and {d.name for d in grid_dir.iterdir()} == {first, second.grid.key}
    assert locator.locate(10.9, 108.1)["commune"]["code"] == "22945"


def test_cell_classes_match_the_polygons(tricky):
    """Every 'inside' cell lies within its polygon and touches no other; every 'far outside' cell is
    farther than the gap search from every polygon."""
    index = locator.current_index()
    g = index.grid
    cells = np.asarray(g.cells)
    rows, cols = np.nonzero(cells != -1)
    boxes = shapely.box(g.x0 + cols / 256, g.y0 + rows / 256, g.x0 + (cols + 1) / 256, g.y0 + (rows + 1) / 256)
    values = cells[rows, cols]
    inside = values >= 0
    assert shapely.covers(index.geometries[values[inside]], boxes[inside]).all()
    union = shapely.union_all(index.geometries)
    outside_rows, outside_cols = np.nonzero(cells == -1)
    centres = shapely.points(g.x0 + (outside_cols + 0.5) / 256, g.y0 + (outside_rows + 0.5) / 256)
    limit = 1.01 * locator.GAP_TOLERANCE_M / (M_PER_DEG * math.cos(math.radians(11.2)))
    assert (shapely.distance(union, centres) > limit + 0.5 * math.sqrt(2) / 256).all()
    for k in np.flatnonzero(inside)[:: max(1, inside.sum() // 500)]:
        others = np.delete(np.arange(len(index.geometries)), values[k])
        assert not shapely.intersects(index.geometries[others], boxes[k]).any()


def test_an_import_stores_the_grid_before_any_lookup(grid_dir, tmp_path, django_capture_on_commit_callbacks):
    path = write_geojson(tmp_path / "one.geojson", [feature("22945", box(108.0, 10.8, 108.2, 11.0))])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        boundaries.import_boundaries(path, out=quiet)
    assert not grid_dir.exists()            # nothing built inside the import's transaction
    for callback in callbacks:              # the commit
        callback()
    stored = [d.name for d in grid_dir.iterdir()]
    assert len(stored) == 1
    assert locator.current_index().grid.key == stored[0]   # found, not built again
    assert list(grid_dir.iterdir())[0].name == stored[0]
