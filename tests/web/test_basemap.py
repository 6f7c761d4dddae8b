"""The street basemap: settings → what the pages draw, and the PMTiles archive served by byte range."""

from __future__ import annotations

import pytest

from tests.web.pmtiles_archive import raster_archive
from tinhso.web import basemap


def test_no_basemap_configured(settings):
    settings.TINHSO_BASEMAP_TILES = ""
    settings.TINHSO_BASEMAP_PMTILES = ""
    assert basemap.config() == {"kind": "none"}


def test_xyz_tiles_with_osm_credit(settings):
    settings.TINHSO_BASEMAP_PMTILES = ""
    settings.TINHSO_BASEMAP_TILES = "https://tiles.tinh.gov.vn/{z}/{x}/{y}.png"
    config = basemap.config()
    assert config["kind"] == "xyz" and config["url"].endswith("{y}.png")
    assert "OpenStreetMap" in config["attribution"]


def test_pmtiles_header_decides_the_layer(settings, tmp_path):
    path = tmp_path / "vn.pmtiles"
    raster_archive(path)
    settings.TINHSO_BASEMAP_PMTILES = str(path)
    config = basemap.config()
    assert config == {"kind": "pmtiles", "tiles": "raster", "url": basemap.PMTILES_URL,
                      "attribution": basemap.OSM_CREDIT, "min_zoom": 0, "max_zoom": 1}
    path.write_bytes(b"not an archive" * 20)
    settings.TINHSO_BASEMAP_TILES = ""
    assert basemap.config() == {"kind": "none"}  # a broken file is ignored, never a broken map


@pytest.mark.django_db
def test_byte_ranges_are_served_exactly(settings, tmp_path, client):
    path = tmp_path / "vn.pmtiles"
    data = raster_archive(path)
    settings.TINHSO_BASEMAP_PMTILES = str(path)
    response = client.get(basemap.PMTILES_URL, HTTP_RANGE="bytes=0-126")
    assert response.status_code == 206
    assert response.content == data[:127]
    assert response["Content-Range"] == f"bytes 0-126/{len(data)}"
    assert response["Accept-Ranges"] == "bytes" and response["ETag"].startswith('"')
    tail = client.get(basemap.PMTILES_URL, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and tail.content == data[-10:]
    open_end = client.get(basemap.PMTILES_URL, HTTP_RANGE=f"bytes={len(data) - 5}-")
    assert open_end.content == data[-5:]
    whole = client.get(basemap.PMTILES_URL)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == data
    for bad in ("bytes=999999-", "bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=-"):
        refused = client.get(basemap.PMTILES_URL, HTTP_RANGE=bad)
        assert refused.status_code == 416, bad
        assert refused["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.django_db
def test_no_archive_is_404(settings, client):
    settings.TINHSO_BASEMAP_PMTILES = ""
    assert client.get(basemap.PMTILES_URL).status_code == 404
