"""A tiny real PMTiles archive for tests (the browser tests serve it as the basemap)."""

from __future__ import annotations

import io

from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer


def _png(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), color).save(buffer, "PNG")
    return buffer.getvalue()


def raster_archive(path) -> bytes:
    """A real PMTiles v3 archive with two PNG tiles (zoom 0 and one tile of zoom 1)."""
    with path.open("wb") as fh:
        writer = Writer(fh)
        writer.write_tile(zxy_to_tileid(0, 0, 0), _png((10, 80, 160)))
        writer.write_tile(zxy_to_tileid(1, 1, 0), _png((200, 60, 30)))
        writer.finalize(
            {"tile_type": TileType.PNG, "tile_compression": Compression.NONE, "min_lon_e7": 1020000000,
             "min_lat_e7": 80000000, "max_lon_e7": 1100000000, "max_lat_e7": 240000000, "center_zoom": 0,
             "center_lon_e7": 1060000000, "center_lat_e7": 160000000},
            {"attribution": "test"})
    return path.read_bytes()
