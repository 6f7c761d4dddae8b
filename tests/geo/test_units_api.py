"""``/api/v1/units`` through django.test.Client against the project's one NinjaAPI."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import path

from tinhso.api import api

# Only the API (and the admin, checked at the end) are mounted, so these tests do not depend on
# other apps' page modules.
urlpatterns = [path("api/v1/", api.urls), path("admin/", admin.site.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def client():
    return Client()


def test_search_phan_thiet_returns_current_and_legacy_units(client):
    response = client.get("/api/v1/units", {"q": "phan thiet", "limit": 100})
    assert response.status_code == 200
    body = response.json()
    first = body[0]
    assert (first["code"], first["name"], first["structure"], first["level"]) == (
        "22945", "Phường Phan Thiết", "current", "commune")
    assert first["name_en"] == "Phan Thiet Ward" and first["unit_type"] == "phường"
    assert first["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    assert first["parent"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    assert first["valid_from"] == "2025-07-01" and first["valid_to"] is None
    legacy_city = next(u for u in body if u["code"] == "593")
    assert legacy_city["structure"] == "legacy" and legacy_city["province"]["name"] == "Tỉnh Bình Thuận"
    wards = [u for u in body if (u["parent"] or {}).get("code") == "593"]
    assert len(wards) > 10
    assert all(w["structure"] == "legacy" and w["province"]["code"] == "60" for w in wards)


def test_search_filters_level_province_at_and_structure(client):
    body = client.get("/api/v1/units", {"q": "lam dong", "level": "province"}).json()
    assert [(u["structure"], u["code"]) for u in body] == [("current", "68"), ("legacy", "68")]
    body = client.get("/api/v1/units", {"q": "phan thiet", "at": "2020-01-01"}).json()
    assert body and {u["structure"] for u in body} == {"legacy"}
    body = client.get("/api/v1/units", {"q": "phuong", "province": "60", "structure": "legacy",
                                        "limit": 3}).json()
    assert len(body) == 3 and {u["province"]["code"] for u in body} == {"60"}


def test_search_by_code(client):
    body = client.get("/api/v1/units", {"q": "22945"}).json()
    assert [(u["structure"], u["name"]) for u in body] == [("current", "Phường Phan Thiết"),
                                                            ("legacy", "Phường Lạc Đạo")]


@pytest.mark.parametrize("params,code,field", [
    ({}, "empty_query", "q"),
    ({"q": "phan", "level": "hamlet"}, "invalid_level", "level"),
    ({"q": "phan", "at": "01/07/2025"}, "invalid_date", "at"),
    ({"q": "phan", "limit": "lots"}, "invalid_limit", "limit"),
    ({"q": "phan", "structure": "both"}, "invalid_structure", "structure"),
])
def test_search_bad_input_gives_400_with_the_error_body(client, params, code, field):
    response = client.get("/api/v1/units", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"] and error["message_en"]


def test_unit_detail_with_predecessors(client):
    body = client.get("/api/v1/units/22945").json()
    assert body["name"] == "Phường Phan Thiết" and body["successors"] == []
    preds = {p["code"]: p for p in body["predecessors"]}
    assert set(preds) == {"22930", "22945", "22951"}
    assert preds["22945"] == {"code": "22945", "name": "Phường Lạc Đạo", "level": "commune",
                              "structure": "legacy", "whole": True, "is_default": True}


def test_legacy_unit_detail_with_split_successors(client):
    # Phường Cửa Nam (Hoàn Kiếm, 00073) was split across several new wards, one of them the default.
    body = client.get("/api/v1/units/00073", {"structure": "legacy"}).json()
    assert body["structure"] == "legacy" and body["name"] == "Phường Cửa Nam"
    assert body["predecessors"] == []
    successors = body["successors"]
    assert len(successors) > 1
    assert all(s["structure"] == "current" and s["whole"] is False for s in successors)
    assert sum(s["is_default"] for s in successors) == 1
    assert successors[0]["is_default"]  # the default is listed first


def test_province_detail_lists_the_merged_provinces(client):
    body = client.get("/api/v1/units/68").json()
    assert body["level"] == "province" and body["parent"] is None
    assert body["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    assert {p["name"] for p in body["predecessors"]} == {"Tỉnh Bình Thuận", "Tỉnh Đắk Nông", "Tỉnh Lâm Đồng"}


def test_unknown_code_is_404_with_the_error_body(client):
    response = client.get("/api/v1/units/99999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unit_not_found"
    response = client.get("/api/v1/units/abc", {"structure": "legacy"})
    assert response.status_code == 404


def test_bad_structure_on_detail_is_400(client):
    response = client.get("/api/v1/units/68", {"structure": "new"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_structure"


# --- the admin shows the registry read-only ------------------------------------------------------


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_superuser("geo-admin", "geo@example.org", "x-test-only")
    client = Client()
    client.force_login(user)
    return client


def test_admin_lists_units_with_folded_search_and_no_editing(staff_client):
    response = staff_client.get("/admin/geo/unit/", {"q": "Phan Thiết"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Phường Phan Thiết" in page and "Thành phố Phan Thiết" in page
    assert staff_client.get("/admin/geo/unit/add/").status_code == 403
    unit_id = response.context["cl"].result_list[0].pk
    detail = staff_client.get(f"/admin/geo/unit/{unit_id}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()


def test_admin_registers_registry_models_but_not_polygons(staff_client):
    for model in ("unit", "succession", "registryload", "boundaryversion"):
        assert staff_client.get(f"/admin/geo/{model}/").status_code == 200
    assert staff_client.get("/admin/geo/boundary/").status_code == 404
