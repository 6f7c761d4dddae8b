"""A tiny real PMTiles archive for tests (the browser tests serve it as the basemap)."""

from __future__ import annotations

import io
import math

from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer


def _png(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), color).save(buffer, "PNG")
    return buffer.getvalue()


def _tile_range(zoom: int, lon_min: float, lat_min: float, lon_max: float, lat_max: float):
    """(x range, y range) of the Web Mercator tiles of ``zoom`` covering the box."""
    n = 2 ** zoom

    def x(lon):
        return min(n - 1, int((lon + 180) / 360 * n))

    def y(lat):
        rad = math.radians(lat)
        return min(n - 1, int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n))

    return range(x(lon_min), x(lon_max) + 1), range(y(lat_max), y(lat_min) + 1)


def raster_archive(path, cover: tuple[float, float, float, float] | None = None, max_zoom: int = 12) -> bytes:
    """A real PMTiles v3 archive of PNG tiles.

    Without ``cover``: two tiles (zoom 0 and one tile of zoom 1; ``max_zoom`` is not used). With ``cover`` (lon_min, lat_min,
    lon_max, lat_max): every tile of zooms 0 to ``max_zoom`` over that box, so that maps at street
    zoom draw tiles scaled a few times, not a zoom-1 tile scaled 2^14 times (an image 4 million
    pixels tall that takes chromium seconds to paint in a full-page screenshot)."""
    colors = (_png((10, 80, 160)), _png((200, 60, 30)))
    tiles: dict[int, bytes] = {}
    if cover is None:
        tiles = {zxy_to_tileid(0, 0, 0): colors[0], zxy_to_tileid(1, 1, 0): colors[1]}
        box, max_zoom = (102.0, 8.0, 110.0, 24.0), 1
    else:
        box = cover
        for zoom in range(max_zoom + 1):
            xs, ys = _tile_range(zoom, *box)
            for tx in xs:
                for ty in ys:
                    tiles[zxy_to_tileid(zoom, tx, ty)] = colors[(tx + ty) % 2]
    with path.open("wb") as fh:
        writer = Writer(fh)
        for tileid in sorted(tiles):
            writer.write_tile(tileid, tiles[tileid])
        e7 = [round(v * 10_000_000) for v in box]
        writer.finalize(
            {"tile_type": TileType.PNG, "tile_compression": Compression.NONE, "min_lon_e7": e7[0],
             "min_lat_e7": e7[1], "max_lon_e7": e7[2], "max_lat_e7": e7[3], "center_zoom": 0,
             "center_lon_e7": (e7[0] + e7[2]) // 2, "center_lat_e7": (e7[1] + e7[3]) // 2,
             "max_zoom": max_zoom},
            {"attribution": "test"})
    return path.read_bytes()
