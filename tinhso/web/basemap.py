"""The street basemap every map uses, configured once for the installation.

An IOC often runs on a closed government network, so tinhso never fetches tiles from the
internet by itself. Two settings (environment variables), either or none:

- ``TINHSO_BASEMAP_TILES``: an XYZ raster tile URL on the province's network, e.g.
  ``https://tiles.tinh.gov.vn/osm/{z}/{x}/{y}.png``;
- ``TINHSO_BASEMAP_PMTILES``: the path of a local PMTiles archive (one file of vector or raster
  tiles, e.g. a Vietnam extract of OpenStreetMap), served by tinhso itself at
  :data:`PMTILES_URL` with HTTP Range requests (:func:`serve_pmtiles`); the page draws vector
  archives with protomaps-leaflet and raster ones with the PMTiles Leaflet layer.

Without either, maps show the commune boundaries with their names and say that no street map is
configured. ``TINHSO_BASEMAP_ATTRIBUTION`` overrides the credit line (OpenStreetMap data is ODbL:
"© OpenStreetMap contributors" must stay visible).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse

PMTILES_URL = "/ban-do/nen.pmtiles"
HEADER_BYTES = 127
MAX_RANGE_BYTES = 16 * 1024 * 1024  # a tile or a directory; PMTiles clients never ask for more
TILE_TYPES = {1: "vector", 2: "raster", 3: "raster", 4: "raster", 5: "raster", 6: "vector"}
OSM_CREDIT = "© OpenStreetMap contributors (ODbL)"
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _pmtiles_path() -> Path | None:
    value = getattr(settings, "TINHSO_BASEMAP_PMTILES", "") or ""
    return Path(value) if value else None


def pmtiles_header(path: Path) -> dict | None:
    """Tile kind and zoom range from a PMTiles v3 header, or ``None`` if the file is not one."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_BYTES)
    except OSError:
        return None
    if len(head) < HEADER_BYTES or head[:7] != b"PMTiles" or head[7] != 3:
        return None
    return {"kind": TILE_TYPES.get(head[99], "unknown"), "min_zoom": head[100], "max_zoom": head[101]}


def config() -> dict:
    """What the pages need to draw the basemap: ``{"kind": "none"|"xyz"|"pmtiles", …}``."""
    attribution = getattr(settings, "TINHSO_BASEMAP_ATTRIBUTION", "") or OSM_CREDIT
    path = _pmtiles_path()
    if path is not None:
        header = pmtiles_header(path)
        if header and header["kind"] in ("vector", "raster"):
            return {"kind": "pmtiles", "tiles": header["kind"], "url": PMTILES_URL, "attribution": attribution,
                    "min_zoom": header["min_zoom"], "max_zoom": header["max_zoom"]}
    tiles = getattr(settings, "TINHSO_BASEMAP_TILES", "") or ""
    if tiles:
        return {"kind": "xyz", "url": tiles, "attribution": attribution, "min_zoom": 0, "max_zoom": 19}
    return {"kind": "none"}


def context(request) -> dict:
    """Template context processor: ``basemap`` on every page."""
    return {"basemap": config()}


def serve_pmtiles(request):
    """The configured PMTiles archive, whole or by one HTTP byte range (206), with a strong ETag."""
    path = _pmtiles_path()
    if path is None or not path.is_file():
        raise Http404("no PMTiles basemap is configured")
    stat = path.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    common = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "public, max-age=86400"}
    header = request.headers.get("Range", "").strip()
    if not header:
        response = FileResponse(path.open("rb"), content_type="application/vnd.pmtiles")
        for key, value in common.items():
            response[key] = value
        return response
    match = RANGE_RE.match(header)
    if match is None or match.groups() == ("", ""):
        return _unsatisfiable(size, common)
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), (int(last) if last else size - 1)
    end = min(end, size - 1)
    if start > end or start >= size or end - start + 1 > MAX_RANGE_BYTES:
        return _unsatisfiable(size, common)
    with path.open("rb") as fh:
        fh.seek(start)
        body = fh.read(end - start + 1)
    response = HttpResponse(body, status=206, content_type="application/vnd.pmtiles")
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    for key, value in common.items():
        response[key] = value
    return response


def _unsatisfiable(size: int, common: dict) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    for key, value in common.items():
        response[key] = value
    return response
