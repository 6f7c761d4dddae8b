"""The units registry's web pages: folded search, a unit with its predecessors and successors on a
map, both languages, errors named with their code."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def boundaries(db):
    """Approximate boundaries inside the test's transaction (other geo tests need none)."""
    from tinhso.geo import boundaries as b

    b.ensure_active(out=lambda *a, **k: None)


@pytest.mark.parametrize("q", ["phan thiet", "PHAN THIẾT", "Phan Thiết", "phan  thiết"])
def test_search_ignores_case_and_diacritics(client, q):
    page = client.get("/don-vi-hanh-chinh", {"q": q}).content.decode()
    assert 'href="/don-vi-hanh-chinh/hien-hanh/22945"' in page  # Phường Phan Thiết
    assert "Thành phố Phan Thiết" in page  # the legacy city too


def test_search_by_level_and_period(client):
    page = client.get("/don-vi-hanh-chinh", {"q": "phan thiet", "cau-truc": "truoc-1-7-2025"}).content.decode()
    assert "/don-vi-hanh-chinh/truoc-1-7-2025/" in page and "/don-vi-hanh-chinh/hien-hanh/22945" not in page


def test_without_a_query_the_province_communes_are_listed(client, settings):
    settings.PROVINCE_CODE = "68"
    page = client.get("/don-vi-hanh-chinh").content.decode()
    assert "Phường Phan Thiết" in page and "Phường Mũi Né" in page


def test_unit_page_shows_predecessors_on_a_map(client, boundaries):
    response = client.get("/don-vi-hanh-chinh/hien-hanh/22945")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Phường Phan Thiết</h1>" in page
    assert "Phường Lạc Đạo" in page and 'href="/don-vi-hanh-chinh/truoc-1-7-2025/22945"' in page
    data = json.loads(re.search(r'<script id="unit-map-data" type="application/json">(.*?)</script>', page,
                                re.S).group(1))
    roles = {(f["properties"]["code"], f["properties"]["role"]) for f in data["features"]}
    assert ("22945", "self") in roles and ("22930", "predecessor") in roles
    self_feature = next(f for f in data["features"] if f["properties"]["role"] == "self")
    assert self_feature["geometry"]["type"] in ("Polygon", "MultiPolygon")  # the boundary, not a point


def test_legacy_unit_page_lists_its_successors(client):
    page = client.get("/don-vi-hanh-chinh/truoc-1-7-2025/00073").content.decode()
    assert "Phường Cửa Nam" in page
    assert page.count('href="/don-vi-hanh-chinh/hien-hanh/') > 1


def test_an_abolished_district_lists_its_wards_and_what_they_became(client, boundaries):
    """Thành phố Phan Thiết (district 593) has no successor of its own: the district level went on
    1 July 2025. Its page lists its wards, and the current wards they went into, on the map too."""
    page = client.get("/don-vi-hanh-chinh/truoc-1-7-2025/593").content.decode()
    assert "Cấp huyện không còn từ 1/7/2025" in page
    assert 'href="/don-vi-hanh-chinh/truoc-1-7-2025/22930"' in page  # Phường Phú Trinh, one of its wards
    assert 'href="/don-vi-hanh-chinh/hien-hanh/22945"' in page  # Phường Phan Thiết, which it went into
    members = re.search(r"Gồm (\d+) đơn vị trực thuộc", page)
    assert members and int(members.group(1)) >= 10
    data = json.loads(re.search(r'<script id="unit-map-data" type="application/json">(.*?)</script>', page,
                                re.S).group(1))
    drawn = {f["properties"]["code"]: f for f in data["features"] if f["properties"]["role"] == "successor"}
    assert drawn["22945"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    english = client.get("/don-vi-hanh-chinh/truoc-1-7-2025/593", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The district level was abolished on 1 July 2025" in english and "units under it" in english


def test_a_commune_has_no_members_section(client):
    page = client.get("/don-vi-hanh-chinh/hien-hanh/22945").content.decode()
    assert "đơn vị trực thuộc" not in page and "Cấp huyện không còn" not in page


def test_unknown_unit_is_a_404_with_the_code_in_the_chosen_language(client):
    response = client.get("/don-vi-hanh-chinh/hien-hanh/99999")
    assert response.status_code == 404
    page = response.content.decode()
    assert "unit_not_found" in page and "Không có đơn vị hành chính mã" in page
    client.cookies["django_language"] = "en"
    page = client.get("/don-vi-hanh-chinh/hien-hanh/99999").content.decode()
    assert "No administrative unit with code" in page and "Không có đơn vị hành chính mã" not in page
    assert client.get("/don-vi-hanh-chinh/khac/22945").status_code == 404


def test_english_page(client):
    client.cookies["django_language"] = "en"
    page = client.get("/don-vi-hanh-chinh/hien-hanh/22945").content.decode()
    assert "Formed from (before 1 July 2025)" in page and "Hình thành từ" not in page


def test_home_and_nav_link_the_page_not_the_json(client):
    page = client.get("/").content.decode()
    assert 'href="/don-vi-hanh-chinh"' in page
    assert 'href="/api/v1/units?q=phan%20thiet">' not in page


def test_the_province_is_named_in_the_pages_language(client, settings):
    """The units page's heading and the home page name the installation's province in the page's
    language: "Tỉnh Lâm Đồng" in Vietnamese, its registry English name "Lam Dong Province" in English."""
    from tinhso.geo.models import Unit

    settings.PROVINCE_CODE = "68"
    province = Unit.objects.get(structure="current", level="province", code="68")
    assert province.name == "Tỉnh Lâm Đồng" and province.name_en == "Lam Dong Province"
    assert "Các xã, phường của Tỉnh Lâm Đồng" in client.get("/don-vi-hanh-chinh").content.decode()
    assert "— Tỉnh Lâm Đồng</h1>" in client.get("/").content.decode()
    client.cookies["django_language"] = "en"
    units = client.get("/don-vi-hanh-chinh").content.decode()
    home = client.get("/").content.decode()
    assert "Lam Dong Province" in units and "Tỉnh Lâm Đồng" not in units
    assert "— Lam Dong Province</h1>" in home and "Tỉnh Lâm Đồng" not in home


def test_the_provinces_communes_are_a_compact_list_and_a_search_a_table(client, settings):
    """Without a query the page lists the province's current communes by name (each linking to its
    page, with its code) rather than a table whose level, parent and period columns would all repeat —
    a phone showed that table as one card per commune; a search still answers with the full table."""
    from tinhso.geo.models import Unit

    settings.PROVINCE_CODE = "68"
    page = client.get("/don-vi-hanh-chinh").content.decode()
    grid = page.split('<ul class="unit-grid">')[1].split("</ul>")[0]
    communes = Unit.objects.filter(structure="current", level="commune", province_code="68")
    assert grid.count("<li>") == communes.count() > 100
    phan_thiet = communes.get(code="22945")
    assert f'<a href="/don-vi-hanh-chinh/hien-hanh/22945">{phan_thiet.name}</a> <small class="muted">22945</small>' in grid
    assert 'class="units cards"' not in page
    found = client.get("/don-vi-hanh-chinh", {"q": "phan thiet"}).content.decode()
    assert 'class="units cards"' in found and "unit-grid" not in found
