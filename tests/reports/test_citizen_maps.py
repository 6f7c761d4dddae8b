"""The citizen form's helpers and the public map: nearby open reports (public fields only, limited,
cached, rate-limited), the place of a pin (the province named when outside ours, the same message
the submission gives), and the map showing the same reports as the list for the same filters."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.reports.factories import make_report
from tests.reports.test_pages import html, submit_form
from tinhso.reports import duplicates
from tinhso.reports.api import NearbyOut
from tinhso.reports.models import State

KHANH_HOA = ("12.2388", "109.1967")  # Nha Trang
NEARBY_FIELDS = set(NearbyOut.model_fields)


def published(w, state=State.IN_PROGRESS, **fields):
    now = fields.pop("now", timezone.now())
    return make_report(w, state, public=True, verified_at=now, now=now, **fields)


def metres_north(lat: float, metres: float) -> float:
    return lat + metres / 111_195.0


# ---------------------------------------------------------------------------------------------
# Nearby


@pytest.mark.django_db
def test_nearby_lists_only_published_reports_with_public_fields(world):
    p = world.phan_thiet
    listed = published(world, lat=metres_north(p.lat, 40), lon=p.lon, description="Ổ gà sâu trước chợ")
    unverified = make_report(world, State.SUBMITTED, public=True, lat=metres_north(p.lat, 20), lon=p.lon)
    private = make_report(world, State.IN_PROGRESS, public=False, verified_at=timezone.now(),
                          lat=metres_north(p.lat, 10), lon=p.lon)
    far = published(world, lat=metres_north(p.lat, 400), lon=p.lon)
    other_category = published(world, category=world.environment, lat=p.lat, lon=p.lon)
    closed = published(world, State.CLOSED, lat=p.lat, lon=p.lon)
    response = Client().get("/api/v1/reports/nearby", {"category": "traffic", "lat": p.lat, "lon": p.lon})
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows] == [listed.code]
    row = rows[0]
    assert set(row) == NEARBY_FIELDS
    assert row["url"] == f"/phan-anh/cong-khai/{listed.code}" and row["category_name"] == "Giao thông"
    assert row["description"] == "Ổ gà sâu trước chợ" and 35 < row["distance_m"] < 45
    assert (row["state_label"], row["state_label_en"]) == ("Đang xử lý", "In progress")
    text = response.content.decode()
    # Decree 13: nothing of who sent it (make_report gives every report a name, phone and e-mail).
    for secret in ("Trần Thị B", "0987654321", "b@example.org", "reporter"):
        assert secret not in text
    for hidden in (unverified, private, far, other_category, closed):
        assert hidden.code not in text


@pytest.mark.django_db
def test_nearby_is_limited_nearest_first_and_cached(world, settings):
    p = world.phan_thiet
    made = [published(world, lat=metres_north(p.lat, 10 * (i + 1)), lon=p.lon) for i in range(duplicates.LIMIT + 2)]
    client = Client()
    query = {"category": "traffic", "lat": p.lat, "lon": p.lon}
    rows = client.get("/api/v1/reports/nearby", query).json()
    assert [r["code"] for r in rows] == [r.code for r in made[:duplicates.LIMIT]]
    published(world, lat=p.lat, lon=p.lon)  # a new, nearer one: the cached answer stands for a minute
    assert client.get("/api/v1/reports/nearby", query).json() == rows
    settings.REPORTS_PUBLIC_CACHE_SECONDS = 0
    assert client.get("/api/v1/reports/nearby", query).json()[0]["distance_m"] == 0.0


@pytest.mark.django_db
def test_nearby_and_place_are_rate_limited_and_validate_input(world, settings):
    settings.REPORTS_RATE_LIMITS = {"track": 2}
    p = world.phan_thiet
    client = Client()
    codes = [client.get("/api/v1/reports/nearby", {"category": "traffic", "lat": p.lat, "lon": p.lon}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/api/v1/reports/place", {"lat": p.lat, "lon": p.lon}).status_code == 429
    settings.REPORTS_RATE_LIMITS = {}
    bad = client.get("/api/v1/reports/nearby", {"category": "nope", "lat": p.lat, "lon": p.lon})
    assert bad.status_code in (400, 404) and bad.json()["error"]["code"] == "unknown_category"
    assert client.get("/api/v1/reports/nearby", {"category": "traffic", "lat": "95", "lon": p.lon}).status_code == 400


# ---------------------------------------------------------------------------------------------
# Place of the pin


@pytest.mark.django_db
def test_place_names_commune_and_province(world):
    p = world.phan_thiet
    body = Client().get("/api/v1/reports/place", {"lat": p.lat, "lon": p.lon}).json()
    assert body["commune"]["name"] == "Phường Phan Thiết" and body["commune"]["name_en"] == "Phan Thiet Ward"
    assert body["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng", "name_en": "Lam Dong Province"}


@pytest.mark.django_db
def test_outside_province_names_the_province_it_is_in_and_submission_says_the_same(client, world):
    lat, lon = KHANH_HOA
    response = Client().get("/api/v1/reports/place", {"lat": lat, "lon": lon})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "outside_province"
    assert error["message"] == "Vị trí này thuộc tỉnh Khánh Hòa, ngoài tỉnh Lâm Đồng."
    assert error["message_en"] == "This position is in Khanh Hoa Province, outside Lam Dong Province."
    assert "56" not in error["message"]  # a name, not a code
    page = client.post("/phan-anh", submit_form(world, lat=lat, lon=lon))
    assert page.status_code == 400
    assert f'data-field="lat">{error["message"]}' in html(page)
    api = Client().post("/api/v1/reports/submit", {"category": "traffic", "description": "x", "lat": lat, "lon": lon})
    assert api.status_code == 400 and api.json()["error"]["message"] == error["message"]


@pytest.mark.django_db
def test_outside_every_commune_says_outside_our_province(world):
    body = Client().get("/api/v1/reports/place", {"lat": "1.0", "lon": "100.0"}).json()
    assert body["error"]["message"] == "Vị trí này nằm ngoài tỉnh Lâm Đồng."


# ---------------------------------------------------------------------------------------------
# The public map follows the list's filters


def _list_codes(client, query: dict) -> tuple[set[str], str]:
    page = client.get("/phan-anh/cong-khai", query)
    assert page.status_code == 200
    text = html(page)
    rows = set(re.findall(r'<tr data-code="([^"]+)"', text))
    points = unescape(re.search(r'data-points="([^"]+)"', text).group(1))
    return rows, points


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    {}, {"q": "ổ gà"}, {"q": "Ổ GÀ"}, {"q": "đèn"}, {"status": "open"}, {"status": "closed"},
    {"category": "environment"}, {"category": "traffic", "q": "chợ", "status": "open"},
])
def test_map_shows_the_same_reports_as_the_list(world, query):
    now = timezone.now()
    for i, (text, state, category) in enumerate([
        ("Ổ gà trước chợ", State.IN_PROGRESS, world.traffic), ("Ổ gà đầu hẻm", State.RESOLVED, world.traffic),
        ("Đèn đường hỏng gần chợ", State.ASSIGNED, world.traffic), ("Rác ở chợ", State.IN_PROGRESS, world.environment),
        ("Cây đổ", State.CLOSED, world.environment),
    ]):
        published(world, state, category=category, description=text, now=now - dt.timedelta(minutes=i))
    make_report(world, State.SUBMITTED, public=True, description="Ổ gà chưa kiểm tra")  # never listed
    client = Client()
    rows, points_url = _list_codes(client, query)
    assert dict(parse_qsl(urlsplit(points_url).query)) == query  # the map asks with the list's own filters
    features = client.get(points_url).json()["features"]
    assert {f["properties"]["code"] for f in features} == rows
    assert all(f["properties"]["state"] in State.values for f in features)


@pytest.mark.django_db
def test_public_map_legend_names_every_state_it_colours(client, world):
    text = html(client.get("/phan-anh/cong-khai"))
    legend = re.findall(r'<li data-state="([a-z_]+)" data-colour="(#[0-9a-f]{6})">', text)
    assert {s for s, _c in legend} >= {"verified", "assigned", "in_progress", "resolved", "closed"}
    assert 'data-state="in_progress" data-colour="#b35900"><span class="swatch"></span> Đang xử lý' in text
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<span class=\"swatch\"></span> In progress" in html(client.get("/phan-anh/cong-khai"))


# ---------------------------------------------------------------------------------------------
# Every report map reads the installation's basemap setting


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/phan-anh", "/phan-anh/cong-khai"])
def test_report_maps_use_the_basemap_setting(client, world, settings, path):
    settings.TINHSO_BASEMAP_PMTILES = ""
    settings.TINHSO_BASEMAP_TILES = ""
    text = html(client.get(path))
    assert '<script id="basemap-config" type="application/json">{"kind": "none"}</script>' in text
    assert "Chưa cấu hình bản đồ nền đường phố" in text  # outlines and names only, and said so
    assert "/static/web/basemap.js" in text and "pmtiles.js" not in text
    settings.TINHSO_BASEMAP_TILES = "https://tiles.tinh.gov.vn/osm/{z}/{x}/{y}.png"
    text = html(client.get(path))
    assert '"kind": "xyz", "url": "https://tiles.tinh.gov.vn/osm/{z}/{x}/{y}.png"' in text
    assert "Chưa cấu hình bản đồ nền đường phố" not in text
