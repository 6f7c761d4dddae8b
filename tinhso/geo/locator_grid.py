"""A grid that pre-classifies space for the locator, built once per boundary version and kept on disk.

Space is cut into square cells of :data:`CELL_DEG` degrees (1/256°, ~430 m). Each cell is one of:

- **inside** polygon *p* (value ``p ≥ 0``): no polygon boundary touches it and exactly one polygon
  contains its centre, so every point of the cell is in *p* and in no other polygon;
- **far outside** (``-1``): no polygon contains it and no boundary passes within ``radius`` cells, which
  is chosen so that every polygon is farther than the locator's 200 m gap search from every point of
  the cell;
- **mixed** (``≤ -2``, cell number ``-2 - value``): anything else (touched by a boundary, inside two
  overlapping polygons, or outside but within ``radius`` cells of a boundary). Its *candidates* (the
  polygons whose boundary touches it, plus those containing its centre) are every polygon that can
  contain a point of the cell; the locator tests only those, then the gap rule if none does.

How the cells are found: every polygon boundary is densified to samples at most half a cell apart, so any
cell a boundary touches is the cell of a sample or one of its eight neighbours. The sample cells are
touched; each neighbour is tested exactly (``shapely.intersects`` of the boundary with the cell's box);
the sample cells dilated by ``radius`` ≥ 1 cells are the *near* cells. Cell centres inside each polygon
come from ``shapely.contains_xy`` over the polygon's bounding box. The grid extends ``radius + 1`` cells beyond the
polygons; a point outside it but within :data:`OUTER_MARGIN_DEG` is left to the locator's exact path.

The arrays are saved as ``.npy`` files in a directory named by a hash of the polygons (codes + WKB) and
the grid's parameters, under ``VAR_DIR/locator-grid`` (setting ``LOCATOR_GRID_DIR``), and opened
memory-mapped: a process start reads a few kilobytes, not the 64 MB grid of the whole country.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

CELL_DEG = 1 / 256       # a power of two: (lat - origin) × 256 is exact scaling
CELLS_PER_DEG = 256
OUTSIDE = -1
OUTER_MARGIN_DEG = 1.0   # points off the grid but this close to it take the exact path
FORMAT = 2               # bump when the files' meaning changes: older grids are then rebuilt


@dataclass
class Grid:
    """The cell classification of one set of polygons (arrays possibly memory-mapped)."""

    x0: float                 # west edge of column 0 (degrees of longitude)
    y0: float                 # south edge of row 0
    width: int
    height: int
    radius: int               # dilation in cells (see the module docstring)
    cells: np.ndarray         # int32, height × width
    offsets: np.ndarray       # int64, mixed cell m's candidates are candidates[offsets[m]:offsets[m + 1]]
    candidates: np.ndarray    # int32 polygon positions, ascending within each mixed cell
    key: str = ""

    def contains_extent(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return ((lon >= self.x0) & (lon < self.x0 + self.width * CELL_DEG)
                & (lat >= self.y0) & (lat < self.y0 + self.height * CELL_DEG))

    def near_extent(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        m = OUTER_MARGIN_DEG
        return ((lon >= self.x0 - m) & (lon < self.x0 + self.width * CELL_DEG + m)
                & (lat >= self.y0 - m) & (lat < self.y0 + self.height * CELL_DEG + m))


def _max_gap_deg(lat_extreme: float, gap_m: float, metres_per_degree: float) -> float:
    """The locator's widest gap filter in degrees at latitudes up to ``lat_extreme`` (see locator)."""
    cos = max(math.cos(math.radians(min(lat_extreme, 90.0))), 0.01)
    return 1.01 * gap_m / (metres_per_degree * cos)


def content_key(codes: list[str], wkbs: list[bytes], gap_m: float) -> str:
    digest = hashlib.sha256(f"grid{FORMAT}:{CELL_DEG!r}:{gap_m!r}:{len(codes)}".encode())
    for code, wkb in zip(codes, wkbs):
        digest.update(code.encode() + b"\0" + len(wkb).to_bytes(8, "little"))
        digest.update(wkb)
    return digest.hexdigest()


def build(geometries: np.ndarray, *, gap_m: float, metres_per_degree: float) -> Grid:
    """Classify the cells around ``geometries`` (shapely polygons, their positions are the answers)."""
    n = len(geometries)
    if n == 0:
        return Grid(0.0, 0.0, 0, 0, 1, np.full((0, 0), OUTSIDE, np.int32), np.zeros(1, np.int64),
                    np.zeros(0, np.int32))
    bounds = shapely.bounds(geometries)
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    lat_extreme = max(abs(miny), abs(maxy)) + 1.0
    radius = max(1, math.ceil(_max_gap_deg(lat_extreme, gap_m, metres_per_degree) / CELL_DEG + 0.3))
    margin = radius + 1
    x0 = math.floor(minx * CELLS_PER_DEG) / CELLS_PER_DEG - margin * CELL_DEG
    y0 = math.floor(miny * CELLS_PER_DEG) / CELLS_PER_DEG - margin * CELL_DEG
    width = math.floor((maxx - x0) * CELLS_PER_DEG) + 1 + margin
    height = math.floor((maxy - y0) * CELLS_PER_DEG) + 1 + margin
    total = width * height

    # Touched cells: (polygon, cell) for every cell the polygon's boundary touches; near cells: within
    # `radius` cells of a boundary sample.
    outlines = shapely.boundary(geometries)
    lines = shapely.segmentize(outlines, CELL_DEG / 2)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    del lines
    row = np.floor((coords[:, 1] - y0) * CELLS_PER_DEG).astype(np.int64)
    col = np.floor((coords[:, 0] - x0) * CELLS_PER_DEG).astype(np.int64)
    del coords
    sampled = np.unique(owner.astype(np.int64) * total + row * width + col)
    del row, col, owner
    poly, cell = np.divmod(sampled, total)
    row, col = np.divmod(cell, width)
    near_mask = np.zeros(total, dtype=bool)
    ring = []
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            near_mask[(row + dr) * width + (col + dc)] = True
            if max(abs(dr), abs(dc)) == 1:
                ring.append(poly * total + (row + dr) * width + (col + dc))
    ring_pairs = np.setdiff1d(np.concatenate(ring), sampled, assume_unique=False)
    del ring, poly, cell, row, col
    r_poly, r_cell = np.divmod(ring_pairs, total)
    r_row, r_col = np.divmod(r_cell, width)
    boxes = shapely.box(x0 + r_col * CELL_DEG, y0 + r_row * CELL_DEG,
                        x0 + (r_col + 1) * CELL_DEG, y0 + (r_row + 1) * CELL_DEG)
    shapely.prepare(outlines)
    touching = shapely.intersects(outlines[r_poly], boxes)
    del boxes, r_poly, r_cell, r_row, r_col
    near_pairs = np.concatenate([sampled, ring_pairs[touching]])   # touched (polygon, cell) pairs
    del sampled, ring_pairs, touching, outlines
    touched_mask = np.zeros(total, dtype=bool)
    touched_mask[near_pairs % total] = True

    # Centres inside each polygon, over its bounding box.
    shapely.prepare(geometries)
    inside_pairs = []
    for p in range(n):
        bx0, by0, bx1, by1 = bounds[p]
        c0 = max(int(math.floor((bx0 - x0) * CELLS_PER_DEG)), 0)
        c1 = min(int(math.floor((bx1 - x0) * CELLS_PER_DEG)) + 1, width)
        r0 = max(int(math.floor((by0 - y0) * CELLS_PER_DEG)), 0)
        r1 = min(int(math.floor((by1 - y0) * CELLS_PER_DEG)) + 1, height)
        rows = np.arange(r0, r1)
        cols = np.arange(c0, c1)
        cy = y0 + (rows + 0.5) * CELL_DEG
        cx = x0 + (cols + 0.5) * CELL_DEG
        xx, yy = np.meshgrid(cx, cy)
        hit = shapely.contains_xy(geometries[p], xx.ravel(), yy.ravel())
        if hit.any():
            rr, cc = np.meshgrid(rows, cols, indexing="ij")
            inside_pairs.append(p * total + (rr.ravel()[hit] * width + cc.ravel()[hit]))
    inside = np.concatenate(inside_pairs) if inside_pairs else np.zeros(0, np.int64)
    del inside_pairs
    inside_poly, inside_cell = np.divmod(inside, total)
    per_cell = np.bincount(inside_cell, minlength=total)

    cells = np.full(total, OUTSIDE, dtype=np.int32)
    clear = ~touched_mask[inside_cell] & (per_cell[inside_cell] == 1)
    cells[inside_cell[clear]] = inside_poly[clear].astype(np.int32)

    # Mixed cells: touched by a boundary, inside overlapping polygons, or outside but near a boundary
    # (the gap rule may apply there: a mixed cell without candidates).
    mixed_pairs = np.unique(np.concatenate([near_pairs, inside[~clear]]))
    del near_pairs, inside
    empty_near = near_mask & ~touched_mask & (per_cell == 0)
    m_poly, m_cell = np.divmod(mixed_pairs, total)   # sorted by (polygon, cell): re-sort by cell
    order = np.lexsort((m_poly, m_cell))
    m_poly, m_cell = m_poly[order], m_cell[order]
    # every mixed cell, with its number of candidates (0 for the empty near cells)
    mixed_cells = np.union1d(m_cell, np.flatnonzero(empty_near))
    counts = np.bincount(np.searchsorted(mixed_cells, m_cell), minlength=len(mixed_cells))
    offsets = np.zeros(len(mixed_cells) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    cells[mixed_cells] = (-2 - np.arange(len(mixed_cells))).astype(np.int32)
    return Grid(x0, y0, width, height, radius, cells.reshape(height, width), offsets,
                m_poly.astype(np.int32))


# ---------------------------------------------------------------------------------------------------
# On disk


def grid_root() -> Path:
    from django.conf import settings

    configured = getattr(settings, "LOCATOR_GRID_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "locator-grid"


def save(grid: Grid, directory: Path) -> None:
    """Write the grid to ``directory`` atomically (a temporary directory renamed into place)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    try:
        np.save(tmp / "cells.npy", grid.cells)
        np.save(tmp / "offsets.npy", grid.offsets)
        np.save(tmp / "candidates.npy", grid.candidates)
        meta = {"format": FORMAT, "x0": grid.x0, "y0": grid.y0, "width": grid.width, "height": grid.height,
                "radius": grid.radius, "cell_deg": CELL_DEG}
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.rename(tmp, directory)
        except OSError:
            if not (directory / "meta.json").exists():  # not another process's finished grid
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load(directory: Path) -> Grid | None:
    """The grid in ``directory`` (memory-mapped), or None when it is missing or unreadable."""
    try:
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("format") != FORMAT or meta.get("cell_deg") != CELL_DEG:
            return None
        cells = np.load(directory / "cells.npy", mmap_mode="r")
        offsets = np.load(directory / "offsets.npy", mmap_mode="r")
        candidates = np.load(directory / "candidates.npy", mmap_mode="r")
    except (OSError, ValueError, KeyError):
        return None
    if cells.shape != (meta["height"], meta["width"]):
        return None
    return Grid(meta["x0"], meta["y0"], meta["width"], meta["height"], meta["radius"], cells, offsets,
                candidates, key=directory.name)


def load_or_build(codes: list[str], wkbs: list[bytes], geometries: np.ndarray, *, gap_m: float,
                  metres_per_degree: float) -> Grid:
    """The stored grid of these polygons, built and stored first if there is none yet."""
    key = content_key(codes, wkbs, gap_m)
    directory = grid_root() / key
    grid = load(directory)
    if grid is None:
        built = build(geometries, gap_m=gap_m, metres_per_degree=metres_per_degree)
        try:
            if directory.exists():
                shutil.rmtree(directory, ignore_errors=True)   # unreadable or of an older format
            save(built, directory)
            grid = load(directory)
        except OSError:
            grid = None  # a read-only VAR_DIR: keep it in memory for this process
        if grid is None:
            built.key = key
            grid = built
    return grid
