"""Locator benchmark (issues 2 §4 and 15): accuracy, batch throughput, single-lookup latency, index load
time, against two baselines measured in the same run on the same points: a naive shapely
``STRtree.query(points, predicate="within")`` (issue 15: goal ≥ 20×) and PostGIS (``ST_Contains`` with a
GiST index). The grid path is also checked to give the same answers as the plain STRtree path
(``LocatorIndex.lookup_tree``) on every throughput point.

    .venv/bin/python bench/locator.py --points 1000000

Needs the shared polygons (/work/shared/data/vn-communes-2025-s5m.geojson.gz, or --file). tinhso runs on
a temporary SQLite database (registry loaded, file imported through ``tinhso.geo.boundaries``). PostGIS
runs on a throwaway cluster: the script re-runs itself under ``scripts/with-postgres`` (installing
``postgresql-15-postgis-3`` with apt-get when it is missing and we are root); ``--no-postgis`` skips it.

Point sets (seeded):
- accuracy: 10,000 points, one per randomly chosen commune (uniform over communes, so small urban wards
  count as much as mountain communes), sampled uniformly inside that commune's polygon as read from the
  file independently of the importer; right = located to that commune;
- throughput: N points, 95 % area-weighted inside Vietnam (like uniform GPS reports over the land), 5 %
  uniform over Vietnam's bounding box (sea and neighbours: the outside and 200 m gap paths).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from machine import cpu_model  # bench/machine.py (scripts run from bench/)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = Path("/work/shared/data/vn-communes-2025-s5m.geojson.gz")
BBOX = (102.0, 8.3, 117.9, 23.5)  # lon/lat box around Vietnam including Trường Sa / Hoàng Sa


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Point sets


def read_polygons(path: Path) -> tuple[list[str], np.ndarray]:
    data = json.loads(gzip.decompress(path.read_bytes()))
    codes = [f["properties"]["code"] for f in data["features"]]
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in data["features"]], dtype=object)
    return codes, geoms


def sample_inside(geoms: np.ndarray, which: np.ndarray, rng) -> np.ndarray:
    """One uniform point inside geoms[i] for each i in ``which`` (rejection sampling, vectorised)."""
    shapely.prepare(geoms)
    out = np.full((len(which), 2), np.nan)
    bounds = shapely.bounds(geoms)
    fill = shapely.area(geoms) / np.maximum((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]), 1e-12)
    for poly in np.unique(which):
        slots = np.flatnonzero(which == poly)
        got = 0
        while got < len(slots):
            need = len(slots) - got
            k = int(need / max(fill[poly], 0.02) * 1.5) + 8
            minx, miny, maxx, maxy = bounds[poly]
            x, y = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
            inside = shapely.contains_xy(geoms[poly], x, y)
            x, y = x[inside][:need], y[inside][:need]
            out[slots[got:got + len(x)]] = np.column_stack([x, y])
            got += len(x)
    return out  # lon, lat


def throughput_points(geoms, n, rng) -> np.ndarray:
    n_inside = int(n * 0.95)
    areas = shapely.area(geoms) * np.cos(np.radians(shapely.get_y(shapely.centroid(geoms))))
    which = rng.choice(len(geoms), n_inside, p=areas / areas.sum())
    inside = sample_inside(geoms, which, rng)
    box = np.column_stack([rng.uniform(BBOX[0], BBOX[2], n - n_inside), rng.uniform(BBOX[1], BBOX[3], n - n_inside)])
    points = np.vstack([inside, box])
    return points[rng.permutation(len(points))]


# --------------------------------------------------------------------------------------------------
# tinhso


def setup_tinhso(workdir: Path):
    os.environ["TINHSO_VAR_DIR"] = str(workdir / "var")
    os.environ["TINHSO_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from tinhso.geo import registry

    registry.ensure_loaded(out=log)


def percentiles_us(samples: list[float]) -> tuple[float, float]:
    a = np.array(samples) * 1e6
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def bench_tinhso(args, codes, geoms, accuracy_points, accuracy_expected, points) -> dict:
    from shapely import STRtree

    from tinhso.geo import boundaries, locator, locator_grid

    r: dict = {}
    t = time.perf_counter()
    version = boundaries.import_boundaries(args.file, out=log)
    r["import_s"] = time.perf_counter() - t

    loads = []
    for _ in range(3):
        locator.invalidate()
        t = time.perf_counter()
        index = locator.current_index()
        loads.append(time.perf_counter() - t)
    r["index_load_s"] = loads[0]           # includes building and storing the grid (first use of a version)
    r["index_load_best_s"] = min(loads[1:])  # the grid read back memory-mapped
    grid_dir = locator_grid.grid_root() / index.grid.key
    r["grid_mb"] = sum(f.stat().st_size for f in grid_dir.iterdir()) / 1e6
    t = time.perf_counter()
    locator_grid.load(grid_dir)
    r["grid_open_ms"] = (time.perf_counter() - t) * 1000
    g = index.grid
    r["grid_shape"] = (g.width, g.height, len(g.offsets) - 1, len(g.candidates))

    # Accuracy.
    found = index.lookup(accuracy_points[:, 1], accuracy_points[:, 0])[0]
    got = np.array([index.codes[f] if f >= 0 else None for f in found], dtype=object)
    r["accuracy"] = float(np.mean(got == accuracy_expected))
    r["accuracy_misses"] = [(e, g) for e, g in zip(accuracy_expected, got) if e != g][:10]

    # Batch throughput: the vectorised lookup (commune per point) over all N points, in chunks as the CSV
    # path does, and full answers (dicts with province and legacy) for a subset.
    lat, lon = points[:, 1], points[:, 0]
    t = time.perf_counter()
    codes_found = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), 100_000):
        codes_found[start:start + 100_000] = index.lookup(lat[start:start + 100_000], lon[start:start + 100_000])[0]
    r["batch_s"] = time.perf_counter() - t
    r["batch_per_s"] = len(points) / r["batch_s"]
    r["batch_codes"] = np.array([index.codes[f] if f >= 0 else None for f in codes_found], dtype=object)
    r["batch_outside_share"] = float(np.mean(codes_found < 0))
    # The same in one call (no chunks), as the outside check may call it.
    t = time.perf_counter()
    whole = index.lookup(lat, lon)
    r["batch_one_call_s"] = time.perf_counter() - t
    # Baseline 1 (issue 15): a naive shapely STRtree over the same polygons, `within` on the same points.
    naive_tree = STRtree(index.geometries)
    t = time.perf_counter()
    naive = naive_tree.query(shapely.points(lon, lat), predicate="within")
    r["naive_s"] = time.perf_counter() - t
    del naive
    # Baseline 2: this locator before the grid (the plain STRtree path), and the equality check.
    t = time.perf_counter()
    tree = index.lookup_tree(lat, lon)
    r["tree_s"] = time.perf_counter() - t
    r["same_as_tree"] = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(whole, tree))
    x0, y0, width, height = index._grid_box
    row = np.floor((lat - y0) * 256)
    col = np.floor((lon - x0) * 256)
    on = (row >= 0) & (row < height) & (col >= 0) & (col < width)
    cell = index._cells[(row[on] * width + col[on]).astype(np.int64)]
    r["cell_shares"] = (float(np.mean(cell >= 0)), float(np.mean(cell == -1)), float(np.mean(cell <= -2)),
                        float(1 - on.mean()))
    sub = min(len(points), 100_000)
    pairs = list(zip(lat[:sub].tolist(), lon[:sub].tolist()))
    t = time.perf_counter()
    locator.locate_many(pairs, index=index)
    r["full_answers_per_s"] = sub / (time.perf_counter() - t)

    # Single lookups through the public function (includes the active-version check in SQLite).
    single = []
    for la, lo in pairs[: args.single]:
        t = time.perf_counter()
        locator.locate(la, lo)
        single.append(time.perf_counter() - t)
    r["single_p50_us"], r["single_p99_us"] = percentiles_us(single)
    inside_pairs = [p for p, f in zip(pairs, codes_found[:sub].tolist()) if f >= 0][: args.single]
    single_inside = []
    for la, lo in inside_pairs:
        t = time.perf_counter()
        locator.locate(la, lo)
        single_inside.append(time.perf_counter() - t)
    r["single_inside_p50_us"], r["single_inside_p99_us"] = percentiles_us(single_inside)
    core = []
    for la, lo in pairs[: args.single]:
        t = time.perf_counter()
        index.lookup_one(la, lo)
        core.append(time.perf_counter() - t)
    r["single_core_p50_us"], r["single_core_p99_us"] = percentiles_us(core)

    # Approximate boundaries (what a fresh machine gets), on the same accuracy points.
    boundaries.build_approximate(out=log)
    approx = locator.current_index()
    found = approx.lookup(accuracy_points[:, 1], accuracy_points[:, 0])[0]
    got = np.array([approx.codes[f] if f >= 0 else None for f in found], dtype=object)
    r["approximate_accuracy"] = float(np.mean(got == accuracy_expected))
    r["approximate_outside_share"] = float(np.mean(found < 0))
    r["version"] = version.pk
    return r


# --------------------------------------------------------------------------------------------------
# PostGIS baseline


def bench_postgis(args, wkbs: list[tuple[str, bytes]], points: np.ndarray, accuracy_points) -> dict:
    import psycopg

    url = os.environ["BENCH_PG_URL"]
    r: dict = {}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        r["postgis_version"] = con.execute("SELECT postgis_full_version()").fetchone()[0].split('"')[1]
        r["pg_version"] = con.execute("SHOW server_version").fetchone()[0]
        con.execute("DROP TABLE IF EXISTS communes, pts")
        con.execute("CREATE TABLE communes (code text PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL)")
        with con.cursor().copy("COPY communes (code, geom) FROM STDIN") as copy:
            for code, wkb in wkbs:
                copy.write_row((code, "SRID=4326;" + shapely.from_wkb(wkb).wkt))
        con.execute("CREATE INDEX communes_geom ON communes USING gist (geom)")
        con.execute("ANALYZE communes")
        con.execute("CREATE TABLE pts (id bigint PRIMARY KEY, geom geometry(Point, 4326) NOT NULL)")
        with con.cursor().copy("COPY pts (id, geom) FROM STDIN") as copy:
            for i, (x, y) in enumerate(points.tolist()):
                copy.write_row((i, f"SRID=4326;POINT({x!r} {y!r})"))
        con.execute("ANALYZE pts")
        # Set-based: every point's commune in one query (lowest code on a shared edge, as tinhso).
        t = time.perf_counter()
        rows = con.execute("""
            SELECT p.id, (SELECT c.code FROM communes c WHERE ST_Intersects(c.geom, p.geom)
                          ORDER BY c.code LIMIT 1)
            FROM pts p ORDER BY p.id""").fetchall()
        r["batch_s"] = time.perf_counter() - t
        r["batch_per_s"] = len(points) / r["batch_s"]
        r["batch_codes"] = np.array([row[1] for row in rows], dtype=object)
        t = time.perf_counter()
        con.execute("SELECT count(*) FROM pts p JOIN communes c ON ST_Contains(c.geom, p.geom)").fetchone()
        r["join_s"] = time.perf_counter() - t
        r["join_per_s"] = len(points) / r["join_s"]
        # Single lookups: one parametrised query per point, as an application server would send them.
        single = []
        query = ("SELECT code FROM communes WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
                 "ORDER BY code LIMIT 1")
        with con.cursor() as cur:
            cur.execute(query, (108.1022, 10.9289), prepare=True)
            for x, y in points[: args.single].tolist():
                t = time.perf_counter()
                cur.execute(query, (x, y), prepare=True)
                cur.fetchone()
                single.append(time.perf_counter() - t)
        r["single_p50_us"], r["single_p99_us"] = percentiles_us(single)
    return r


def ensure_postgis() -> bool:
    if list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log("Installing postgresql-15-postgis-3 (apt-get) …")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = subprocess.run(["apt-get", "install", "-y", "postgresql-15-postgis-3"], check=False, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return done.returncode == 0


# --------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = cpu_model()
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, shapely {shapely.__version__} "
            f"(GEOS {shapely.geos_version_string})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000, help="throughput point count")
    parser.add_argument("--accuracy-points", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=10_000, help="single lookups timed for p50/p99")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--seed", type=int, default=20250701)
    args = parser.parse_args()
    if not args.file.exists():
        log(f"{args.file} not found (pass --file)")
        return 2

    if not args.no_postgis and "BENCH_PG_URL" not in os.environ:
        url = os.environ.get("TINHSO_DATABASE_URL", "")
        if url.startswith("postgres"):
            os.environ["BENCH_PG_URL"] = url
        elif ensure_postgis():
            log("Re-running under scripts/with-postgres for the PostGIS baseline …")
            cmd = [str(REPO / "scripts/with-postgres"), "bash", "-c",
                   'BENCH_PG_URL="$TINHSO_DATABASE_URL" exec "$@"', "bench", sys.executable, *sys.argv]
            return subprocess.call(cmd, env=dict(os.environ, TINHSO_PG_FSYNC="off"))
        else:
            log("PostGIS is not available: running without the baseline")
            args.no_postgis = True

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="tinhso-bench-") as tmp:
        setup_tinhso(Path(tmp))
        from tinhso.geo.boundaries import KNOWN_SOURCE_CODE_ALIASES
        from tinhso.geo.models import Boundary

        log("Reading polygons and sampling points …")
        codes, geoms = read_polygons(args.file)
        which = rng.choice(len(codes), args.accuracy_points, replace=True)
        accuracy_points = sample_inside(geoms, which, rng)
        registry_code = [KNOWN_SOURCE_CODE_ALIASES.get(c, (c,))[0] for c in codes]
        accuracy_expected = np.array([registry_code[i] for i in which], dtype=object)
        t = time.perf_counter()
        points = throughput_points(geoms, args.points, rng)
        log(f"{len(points)} throughput points sampled in {time.perf_counter() - t:.1f} s")

        ours = bench_tinhso(args, codes, geoms, accuracy_points, accuracy_expected, points)
        wkbs = [(code, bytes(wkb)) for code, wkb in
                Boundary.objects.filter(version_id=ours["version"]).values_list("unit__code", "wkb")]
    theirs = None if args.no_postgis else bench_postgis(args, wkbs, points, accuracy_points)

    print(f"Locator benchmark — {time.strftime('%Y-%m-%d %H:%M')} — {machine()} — load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"Command: .venv/bin/python bench/locator.py --points {args.points}")
    print(f"File: {args.file.name}, {len(codes)} communes, {int(shapely.get_num_coordinates(geoms).sum()):,} vertices")
    print()
    print("| measure | tinhso | PostGIS baseline |")
    print("|---|---|---|")
    pg = theirs or {}
    print(f"| accuracy, {args.accuracy_points:,} points inside real polygons | {ours['accuracy']:.4%} | |")
    print(f"| accuracy of approximate (Voronoi) boundaries, same points | {ours['approximate_accuracy']:.2%} "
          f"({ours['approximate_outside_share']:.2%} outside) | |")
    print(f"| import of the file (validate + store) | {ours['import_s']:.1f} s | |")
    print(f"| index load: first use of the version (incl. building + storing the grid) / later loads | "
          f"{ours['index_load_s']:.2f} s / {ours['index_load_best_s']:.2f} s | |")
    w, h, mixed, cands = ours["grid_shape"]
    print(f"| grid: {w:,} × {h:,} cells of 1/256°, {mixed:,} mixed cells, {cands:,} candidates; on disk / "
          f"opened memory-mapped | {ours['grid_mb']:.0f} MB / {ours['grid_open_ms']:.1f} ms | |")
    pg_batch = f"{pg['batch_per_s']:,.0f} points/s ({pg['batch_s']:.1f} s)" if pg else "—"
    print(f"| batch, {args.points:,} points → commune | {ours['batch_per_s']:,.0f} points/s "
          f"({ours['batch_s']:.1f} s) | {pg_batch} |")
    if pg:
        print(f"| PostGIS plain join (count of ST_Contains matches) | | {pg['join_per_s']:,.0f} points/s |")
    print(f"| batch with full answers (province, legacy), 100,000 points | {ours['full_answers_per_s']:,.0f} "
          "points/s | |")
    n = args.points
    print(f"| same {n:,} points in one `lookup` call | {n / ours['batch_one_call_s']:,.0f} points/s "
          f"({ours['batch_one_call_s']:.2f} s) | |")
    print(f"| baseline: naive `STRtree.query(points, predicate=\"within\")`, same points | "
          f"{n / ours['naive_s']:,.0f} points/s ({ours['naive_s']:.1f} s) | |")
    print(f"| baseline: the locator before the grid (`lookup_tree`, plain STRtree path), same points | "
          f"{n / ours['tree_s']:,.0f} points/s ({ours['tree_s']:.1f} s) | |")
    pg_single = f"{pg['single_p50_us']:.0f} / {pg['single_p99_us']:.0f} µs" if pg else "—"
    print(f"| single lookup p50 / p99, `locate()` (incl. active-version check) | {ours['single_p50_us']:.0f} / "
          f"{ours['single_p99_us']:.0f} µs | {pg_single} |")
    print(f"| single lookup p50 / p99, `locate()`, points located in a commune | {ours['single_inside_p50_us']:.1f} / "
          f"{ours['single_inside_p99_us']:.0f} µs | |")
    print(f"| single lookup p50 / p99, index only (`lookup_one`) | {ours['single_core_p50_us']:.1f} / "
          f"{ours['single_core_p99_us']:.0f} µs | |")
    print()
    print(f"Throughput points outside every polygon (sea/neighbours, beyond 200 m): "
          f"{ours['batch_outside_share']:.2%}")
    inside, outside, mixed_share, off = ours["cell_shares"]
    print(f"Grid cells of the throughput points: {inside:.1%} wholly inside one commune, {outside:.1%} far outside, "
          f"{mixed_share:.1%} mixed (candidates tested); {off:.2%} off the grid.")
    print(f"**Batch / naive STRtree `within`: {ours['naive_s'] / ours['batch_s']:.1f}×** (goal ≥ 20×; one call "
          f"without chunks: {ours['naive_s'] / ours['batch_one_call_s']:.1f}×); batch / the previous STRtree path: "
          f"{ours['tree_s'] / ours['batch_one_call_s']:.1f}× (one call each).")
    print(f"Grid path = plain STRtree path on all {n:,} points (commune, distance, hit count): "
          f"{'yes' if ours['same_as_tree'] else 'NO'}.")
    if ours["accuracy_misses"]:
        print(f"Accuracy misses (expected, got), first 10: {ours['accuracy_misses']}")
    if pg:
        ratio = ours["batch_per_s"] / pg["batch_per_s"]
        agree = float(np.mean(ours["batch_codes"] == pg["batch_codes"]))
        print(f"tinhso and PostGIS give the same commune (or both none) for {agree:.4%} of the batch points "
              "(differences: points within 200 m of a polygon, which tinhso assigns and ST_Contains does not).")
        print(f"PostGIS {pg['postgis_version']} on PostgreSQL {pg['pg_version']}.")
        print(f"tinhso / PostGIS plain ST_Contains join: {ours['batch_per_s'] / pg['join_per_s']:.1f}×.")
        print(f"tinhso / PostGIS batch per-point throughput: {ratio:.1f}× (goal ≥ 5×); "
              f"single-lookup p50: {pg['single_p50_us'] / ours['single_p50_us']:.1f}× faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
