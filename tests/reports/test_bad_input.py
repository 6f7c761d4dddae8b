"""Bad input is a clear 4xx in the endpoint's own format, never a 500, an HTML page or a silent cut."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.test import Client

from tests.reports.factories import give_secret, make_report
from tinhso.reports import apikeys
from tinhso.reports.models import Report, State

MALFORMED = [
    ("multipart/form-data", b"no boundary at all"),
    ("multipart/form-data; boundary=", b"--\r\n"),
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("content_type,body", MALFORMED)
def test_malformed_multipart_gets_the_georeport_error_format(world, content_type, body):
    key = apikeys.create_api_key("app")[1]
    response = Client().generic("POST", f"/open311/v2/requests.json?api_key={key}", body, content_type=content_type)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    [error] = json.loads(response.content)
    assert error["code"] == 400 and "multipart" in error["description"]
    response = Client().generic("POST", f"/open311/v2/requests.xml?api_key={key}", body, content_type=content_type)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/xml")
    assert ET.fromstring(response.content).findtext("error/code") == "400"
    native = Client().generic("POST", "/api/v1/reports/submit", body, content_type=content_type)
    assert native.status_code == 400 and native.json()["error"]["code"] == "bad_body"


def test_too_many_fields_gets_the_georeport_error_format(world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(20))
    response = Client().generic("POST", "/open311/v2/requests.xml", body,
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/xml")
    assert "too many fields" in ET.fromstring(response.content).findtext("error/description")


def _open311(world, key, **extra):
    data = {"api_key": key, "service_code": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
            "long": str(world.phan_thiet.lon), **extra}
    return Client().post("/open311/v2/requests.json", data)


@pytest.mark.parametrize("field,value,code", [
    ("address_string", "Số 12 Trần Hưng Đạo, " * 20, "address_too_long"),
    ("first_name", "Nguyễn" * 30, "name_too_long"),
    ("email", "a" * 250 + "@example.vn", "email_too_long"),
    ("description", "x" * 4001, "description_too_long"),
])
def test_open311_overlong_text_is_refused_not_cut(world, field, value, code):
    key = apikeys.create_api_key("app")[1]
    response = _open311(world, key, **{field: value})
    assert response.status_code == 400, response.content
    [error] = json.loads(response.content)
    assert error["description"].startswith(f"{field}:") and f"[{code}]" in error["description"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("field,value,code", [
    ("address", "Ngõ 4 " * 60, "address_too_long"),
    ("reporter_email", "b" * 250 + "@example.vn", "email_too_long"),
])
def test_native_api_overlong_text_is_refused_not_cut(world, field, value, code):
    form = {"category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), field: value}
    response = Client().post("/api/v1/reports/submit", form)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field and not Report.objects.exists()


def test_address_at_the_limit_is_kept_whole(world):
    address = "Đ" * 255
    form = {"category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), "address": address}
    assert Client().post("/api/v1/reports/submit", form).status_code == 201
    assert Report.objects.get().address == address


def test_overlong_rating_comment_is_refused_not_cut(world):
    report = make_report(world, State.RESOLVED)
    secret = give_secret(report)
    response = Client().post(f"/api/v1/reports/track/{report.code}/rate",
                             data=json.dumps({"rating": 1, "comment": "c" * 2001, "citizen_token": secret}),
                             content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "comment_too_long"
    report.refresh_from_db()
    assert report.rating is None and report.state == State.RESOLVED


def test_huge_page_number_is_a_400(world):
    response = Client().get("/api/v1/reports/public", {"page": str(2**63)})
    assert response.status_code == 400 and response.json()["error"]["field"] == "page"


@pytest.mark.parametrize("lat,lon", [("inf", "108"), ("11", "-inf"), ("nan", "108"), ("91", "108")])
def test_nearby_with_impossible_coordinates_is_a_400(world, lat, lon):
    response = Client().get("/api/v1/reports/nearby", {"category": "traffic", "lat": lat, "lon": lon})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_coordinates"
