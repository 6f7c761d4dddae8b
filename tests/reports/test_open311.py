"""Open311 GeoReport v2 at /open311/v2/: every endpoint in JSON and XML, errors, privacy, filters."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.reports.conftest import actor, jpeg_with_exif
from tinhso.reports import apikeys, handling, intake, sla, triage
from tinhso.reports.models import ApiClient, Channel, Report, State

BASE = "/open311/v2"
PRIVATE = {"email": "nguyen.van.a@example.vn", "phone": "0912345678", "first_name": "Nguyễn", "last_name": "Văn A"}


@pytest.fixture(autouse=True)
def _fresh_caches(db):  # the rate-limit counters live in the database cache
    from tinhso.reports.open311 import auth

    cache.clear()  # rate-limit counters
    auth._known_keys.clear()


@pytest.fixture
def key(world):
    return apikeys.create_api_key("app-thu-nghiem")[1]


def point(w):
    return {"lat": str(w.phan_thiet.lat), "long": str(w.phan_thiet.lon)}


def post(client, fmt="json", **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def jsn(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def submit(w, now=None, category="traffic", description="Ổ gà lớn giữa đường", **kw):
    return intake.submit_report(category=category, description=description, lat=w.phan_thiet.lat,
                                lon=w.phan_thiet.lon, now=now, **kw).report


def verified(w, now=None, **kw):
    report = submit(w, now=now, **kw)
    triage.verify(report, actor(w.users["op"]), now=now)
    report.refresh_from_db()
    return report


def assert_error(response, status, fmt="json", mentions=()):
    assert response.status_code == status
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        errors = [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]
    else:
        errors = [(e["code"], e["description"]) for e in jsn(response)]
    assert errors and errors[0][0] == status
    for word in mentions:
        assert word in errors[0][1], errors[0][1]
    return errors[0][1]


# ---------------------------------------------------------------------------------------------
# discovery, services, service definition


def test_discovery_json_and_xml(client, world):
    body = jsn(client.get(f"{BASE}/discovery.json"))
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert body["changeset"] and body["contact"] and body["key_service"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/"


def test_services_list_from_categories(client, world):
    world.traffic.group, world.traffic.keywords = "Hạ tầng", "ổ gà, đèn đường"
    world.traffic.save()
    services = jsn(client.get(f"{BASE}/services.json", {"jurisdiction_id": "lamdong.gov.vn"}))
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"traffic", "environment", "health"}
    assert by_code["traffic"] == {"service_code": "traffic", "service_name": "Giao thông", "description": "",
                                  "metadata": False, "type": "realtime", "keywords": "ổ gà, đèn đường",
                                  "group": "Hạ tầng"}
    english = jsn(client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en"))
    assert {s["service_code"]: s["service_name"] for s in english}["traffic"] == "Traffic"
    world.health.active = False
    world.health.save()
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert sorted(s.findtext("service_code") for s in root.findall("service")) == ["environment", "traffic"]
    assert root.find("service/metadata").text == "false"


def test_service_definition_and_unknown_service(client, world):
    assert jsn(client.get(f"{BASE}/services/traffic.json")) == {"service_code": "traffic", "attributes": []}
    root = xml(client.get(f"{BASE}/services/traffic.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "traffic"
    assert root.find("attributes") is not None
    assert_error(client.get(f"{BASE}/services/pothole.json"), 404, mentions=["service_code", "pothole"])
    assert_error(client.get(f"{BASE}/services/pothole.xml"), 404, "xml", mentions=["Không có lĩnh vực"])


# ---------------------------------------------------------------------------------------------
# POST requests


def test_post_form_encoded_creates_report(client, world, key):
    response = post(client, api_key=key, service_code="traffic", description="Ổ gà sâu trước chợ",
                    address_string="12 Trần Hưng Đạo", account_id="acc-7", device_id="d-1", **point(world),
                    **PRIVATE)
    assert response.status_code == 201
    body = jsn(response)
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice", "account_id", "citizen_token"}
    assert body[0]["account_id"] == "acc-7"
    report = Report.objects.get(code=body[0]["service_request_id"])
    assert report.channel == Channel.OPEN311
    assert report.api_client == ApiClient.objects.get(name="app-thu-nghiem")
    assert (report.reporter_name, report.reporter_phone, report.reporter_email) == (
        "Nguyễn Văn A", PRIVATE["phone"], PRIVATE["email"])
    assert report.description == "Ổ gà sâu trước chợ" and report.address == "12 Trần Hưng Đạo"
    assert report.commune == world.phan_thiet and report.state == State.SUBMITTED
    assert report.code in body[0]["service_notice"]
    assert response["Location"] == f"http://testserver{BASE}/requests/{report.code}.json"


def test_location_follows_each_request_host_and_refuses_an_unknown_one(client, world, key):
    """The site part of Location is kept per host header: another accepted host gets its own, a host
    outside ALLOWED_HOSTS is still refused (400), and the kept ones stay bounded."""
    from tinhso.reports.open311 import views

    for host, secure in (("localhost:8000", False), ("127.0.0.1", True), ("localhost:8000", False)):
        response = client.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "traffic",
                                                         "description": "Đèn tắt", **point(world)},
                                HTTP_HOST=host, secure=secure)
        code = jsn(response)[0]["service_request_id"]
        assert response["Location"] == f"{'https' if secure else 'http'}://{host}{BASE}/requests/{code}.json"
    before = Report.objects.count()
    refused = client.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "traffic",
                                                    "description": "Đèn tắt", **point(world)}, HTTP_HOST="evil.example")
    assert refused.status_code == 400 and Report.objects.count() == before  # refused before anything is stored
    assert len(views._sites) <= views._SITE_KEPT


def test_post_xml_response_and_json_body(client, world, key):
    root = xml(post(client, "xml", api_key=key, service_code="traffic", description="Đèn tắt", **point(world)))
    assert root.tag == "service_requests"
    code = root.findtext("request/service_request_id")
    assert Report.objects.filter(code=code).exists()
    assert root.find("request/service_notice").text
    assert root.find("request/account_id") is not None and not root.findtext("request/account_id")

    payload = {"api_key": key, "service_code": "health", "description": "Rác y tế", "lat": world.phan_thiet.lat,
               "long": world.phan_thiet.lon, "attribute": {"idempotency_key": "j-1"}}
    response = client.post(f"{BASE}/requests.json", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201
    report = Report.objects.get(code=jsn(response)[0]["service_request_id"])
    assert report.category == world.health and report.idempotency_key == "j-1"


def test_post_with_address_string_only_locates_the_named_commune(client, world, key):
    response = post(client, api_key=key, service_code="traffic", description="Ngập nước",
                    address_string="45 Nguyễn Tất Thành, phuong Mui Ne, Lâm Đồng")
    assert response.status_code == 201
    body = jsn(response)[0]
    report = Report.objects.get(code=body["service_request_id"])
    assert report.commune == world.mui_ne
    assert "Phường Mũi Né" in body["service_notice"]
    assert_error(post(client, api_key=key, service_code="traffic", description="x",
                      address_string="Số 1 đường không tên"), 400, mentions=["address_string"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors_in_spec_format(client, world, key, fmt):
    ok = {"service_code": "traffic", "description": "Ổ gà", **point(world)}
    assert_error(post(client, fmt, **ok), 403, fmt, mentions=["api_key"])
    assert_error(post(client, fmt, api_key="not-a-key", **ok), 403, fmt, mentions=["api_key", "Invalid api_key"])
    ApiClient.objects.update(active=False)
    assert_error(post(client, fmt, api_key=key, **ok), 403, fmt, mentions=["api_key"])
    ApiClient.objects.update(active=True)
    assert_error(post(client, fmt, api_key=key, **{**ok, "service_code": ""}), 400, fmt,
                 mentions=["service_code", "Thiếu tham số"])
    assert_error(post(client, fmt, api_key=key, **{**ok, "service_code": "pothole"}), 404, fmt,
                 mentions=["service_code", "pothole", "Không có lĩnh vực"])
    no_place = {k: v for k, v in ok.items() if k not in ("lat", "long")}
    assert_error(post(client, fmt, api_key=key, **no_place), 400, fmt, mentions=["lat", "address_string"])
    assert_error(post(client, fmt, api_key=key, **{**no_place, "lat": "10.9"}), 400, fmt, mentions=["long"])
    assert_error(post(client, fmt, api_key=key, **{**no_place, "address_id": "A-1"}), 400, fmt,
                 mentions=["address_id"])
    assert_error(post(client, fmt, api_key=key, **{**ok, "lat": "abc"}), 400, fmt,
                 mentions=["lat", "không hợp lệ", "not a number"])
    assert_error(post(client, fmt, api_key=key, **{**ok, "lat": "95"}), 400, fmt, mentions=["lat"])
    # Hà Nội: a valid point outside the province.
    text = assert_error(post(client, fmt, api_key=key, **{**ok, "lat": "21.0285", "long": "105.8542"}), 400, fmt,
                        mentions=["lat/long", "thuộc thành phố Hà Nội, ngoài tỉnh Lâm Đồng",
                                                 "is in Ha Noi City, outside Lam Dong Province"])
    assert "[outside_province]" in text
    assert_error(post(client, fmt, api_key=key, **{**ok, "description": ""}), 400, fmt, mentions=["description"])
    assert_error(post(client, fmt, api_key=key, **{**ok, "description": "x" * 4001}), 400, fmt,
                 mentions=["description", "4000"])
    assert_error(post(client, fmt, api_key=key, **{**ok, "email": "not-an-email"}), 400, fmt, mentions=["email"])
    assert_error(post(client, fmt, api_key=key, **{**ok, "phone": "abc"}), 400, fmt, mentions=["phone"])
    assert Report.objects.count() == 0


def test_bad_json_body_is_400(client, world, key):
    response = client.post(f"{BASE}/requests.json", "[1, 2]", content_type="application/json")
    assert_error(response, 400, mentions=["body", "JSON"])
    response = client.post(f"{BASE}/requests.json", "{not json", content_type="application/json")
    assert_error(response, 400, mentions=["JSON"])


def test_idempotent_retry_returns_the_first_report(client, world, key):
    data = {"api_key": key, "service_code": "traffic", "description": "Cây đổ", **point(world)}
    first = client.post(f"{BASE}/requests.json", data, HTTP_IDEMPOTENCY_KEY="retry-42")
    again = client.post(f"{BASE}/requests.json", {**data, "description": "Cây đổ (gửi lại)"},
                        HTTP_IDEMPOTENCY_KEY="retry-42")
    assert first.status_code == again.status_code == 201
    assert jsn(first)[0]["service_request_id"] == jsn(again)[0]["service_request_id"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Report.objects.count() == 1
    by_attribute = {**data, "attribute[idempotency_key]": "attr-1"}
    a, b = post(client, **by_attribute), post(client, "xml", **by_attribute)
    assert jsn(a)[0]["service_request_id"] == xml(b).findtext("request/service_request_id")
    assert Report.objects.count() == 2
    # Keys are per client: another application's same key is another report.
    other = apikeys.create_api_key("app-khac")[1]
    post(client, **{**by_attribute, "api_key": other})
    assert Report.objects.count() == 3


def test_unknown_attributes_are_named_in_the_notice(client, world, key):
    body = jsn(post(client, api_key=key, service_code="traffic", description="x", **point(world),
                    **{"attribute[title]": "Ổ gà", "attribute[report_url]": "http://x"}))[0]
    assert "attribute[report_url]" in body["service_notice"] and "attribute[title]" in body["service_notice"]


def test_media_upload_and_media_url(client, world, key, monkeypatch):
    from tinhso.reports.open311 import resources

    fetched = []
    monkeypatch.setattr(resources, "fetch_media", lambda url: fetched.append(url) or jpeg_with_exif())
    body = jsn(post(client, api_key=key, service_code="traffic", description="Có ảnh", **point(world),
                    media_url="http://anh.example/1.jpg"))[0]
    assert fetched == ["http://anh.example/1.jpg"]
    report = Report.objects.get(code=body["service_request_id"])
    assert report.photos.count() == 1
    # Citizen photos are public only once verified.
    assert jsn(client.get(f"{BASE}/requests/{report.code}.json"))[0]["media_url"] is None
    triage.verify(report, actor(world.users["op"]))
    url = jsn(client.get(f"{BASE}/requests/{report.code}.json"))[0]["media_url"]
    assert url == f"http://testserver/api/v1/reports/photos/{report.photos.get().token}"

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = post(client, api_key=key, service_code="traffic", description="Ảnh tải lên", media=upload,
                    **point(world))
    assert Report.objects.get(code=jsn(response)[0]["service_request_id"]).photos.count() == 1
    monkeypatch.undo()
    assert_error(post(client, api_key=key, service_code="traffic", description="x", **point(world),
                      media_url="file:///etc/passwd"), 400, mentions=["media_url"])


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_media_url_on_loopback_is_refused_without_fetching(client, world, key):
    from tests.loopback_http import LoopbackServer

    with LoopbackServer() as server:
        response = post(client, api_key=key, service_code="traffic", description="Ảnh nội bộ", **point(world),
                        media_url=server.url("/img.jpg"))
        assert server.paths == []  # never fetched: an internal image cannot become a citizen photo
    assert_error(response, 400, mentions=["media_url"])
    assert not Report.objects.exists()


def test_media_url_errors_do_not_tell_an_open_port_from_a_closed_one(client, world, key):
    from tests.loopback_http import LoopbackServer

    with LoopbackServer() as server:
        answers = [post(client, api_key=key, service_code="traffic", description="x", **point(world),
                        media_url=url).content
                   for url in (server.url("/html"), f"http://127.0.0.1:{_closed_port()}/x.jpg",
                               "http://169.254.169.254/latest/meta-data/")]
        assert server.paths == []
    assert answers[0] == answers[1] == answers[2]
    assert b"Errno" not in answers[0] and b"refused" not in answers[0].lower()


def test_fetch_media_checks_size_type_and_keeps_errors_generic(world):
    """Through a server the address policy allows (as an installation's allow-list would)."""
    from tests.loopback_http import LoopbackServer, image_bytes
    from tinhso.core.errors import UserError
    from tinhso.reports.media import MAX_PHOTO_BYTES
    from tinhso.reports.open311.resources import fetch_media

    with LoopbackServer() as server:
        allow = {"allow": lambda ip, port: str(ip) == "127.0.0.1"}
        assert fetch_media(server.url("/img.png"), **allow) == image_bytes("PNG")

        def error(url, **options):
            with pytest.raises(UserError) as caught:
                fetch_media(url, **allow, **options)
            return caught.value

        assert error(server.url(f"/big?n={MAX_PHOTO_BYTES + 70_000}")).code == "photo_too_large"
        assert error(server.url("/html")).code == "photo_type"
        assert error(server.url("/fake.jpg")).code == "photo_type"  # declared image/jpeg, HTML inside
        missing, closed = error(server.url("/missing")), error(f"http://127.0.0.1:{_closed_port()}/x.jpg")
        slow = error(server.url("/drip-body"), deadline=0.3)
    assert missing.code == closed.code == slow.code == "media_unreachable"
    assert missing.message_en == closed.message_en == slow.message_en
    assert "404" not in missing.message_en and "Errno" not in closed.message_en


def test_rate_limit_per_key(client, world, key, settings, monkeypatch):
    from tinhso.reports.open311 import auth

    monkeypatch.setattr(auth, "clock", lambda: 1_800_000_030.0)  # 30 s into a minute
    settings.OPEN311_RATE_LIMITS = {"post": 2, "get": 3}
    data = {"api_key": key, "service_code": "traffic", "description": "x", **point(world)}
    assert [post(client, **data).status_code for _ in range(2)] == [201, 201]
    limited = post(client, **data)
    assert_error(limited, 429, mentions=["api_key", "2"])
    assert limited["Retry-After"] == "30"
    other = apikeys.create_api_key("app-2")[1]
    assert post(client, **{**data, "api_key": other}).status_code == 201
    assert [client.get(f"{BASE}/services.json").status_code for _ in range(4)] == [200, 200, 200, 429]


# ---------------------------------------------------------------------------------------------
# GET requests / request / tokens


def test_get_request_json_and_xml_fields(client, world, key):
    code = jsn(post(client, api_key=key, service_code="traffic", description="Ổ gà", address_string="Số 3 Lê Lợi",
                    **point(world), **PRIVATE))[0]["service_request_id"]
    report = Report.objects.get(code=code)
    item = jsn(client.get(f"{BASE}/requests/{code}.json"))[0]
    assert item["service_request_id"] == code and item["status"] == "open"
    # Not verified yet: only the id, status, state and dates.
    assert item["service_code"] is None and item["description"] is None and item["address"] is None
    assert (item["lat"], item["long"]) == (None, None)
    assert item["requested_datetime"].endswith("+07:00")
    assert dt.datetime.fromisoformat(item["requested_datetime"]) == report.created_at.replace(microsecond=0)
    ext = item["extended_attributes"]
    assert ext["state"] == "submitted" and ext["commune_code"] is None and ext["synthetic"] is False
    assert [n["type"] for n in item["notes"]] == ["opened"]

    triage.verify(report, actor(world.users["op"]))
    item = jsn(client.get(f"{BASE}/requests/{code}.json"))[0]
    assert item["service_code"] == "traffic" and item["service_name"] == "Giao thông"
    assert (item["lat"], item["long"]) == (report.lat, report.lon)
    ext = item["extended_attributes"]
    assert ext["commune_code"] == world.phan_thiet.code and ext["commune_name"] == "Phường Phan Thiết"
    assert ext["province_code"] == "68" and ext["channel"] == "open311"
    assert item["description"] == "Ổ gà" and item["address"] == "Số 3 Lê Lợi"
    assert item["agency_responsible"] == "UBND Phường Phan Thiết"
    assert item["extended_attributes"]["handling_unit"] == "ubnd-phan-thiet"
    assert [n["state"] for n in item["notes"]] == ["submitted", "assigned"]  # verify is internal, forward public

    root = xml(client.get(f"{BASE}/requests/{code}.xml"))
    request = root.find("request")
    assert root.tag == "service_requests" and request.findtext("service_request_id") == code
    assert request.findtext("description") == "Ổ gà"
    assert request.findtext("extended_attributes/commune_code") == world.phan_thiet.code
    assert [n.findtext("type") for n in request.findall("notes/note")] == ["opened", "activity"]
    assert float(request.findtext("lat")) == report.lat and float(request.findtext("long")) == report.lon

    assert_error(client.get(f"{BASE}/requests/PA-00000-00000.json"), 404, mentions=["service_request_id"])
    assert_error(client.get(f"{BASE}/requests/PA-00000-00000.xml"), 404, "xml")


def test_no_personal_data_in_any_get(client, world, key):
    response = post(client, api_key=key, service_code="traffic", description="Ổ gà", **point(world), **PRIVATE)
    code = jsn(response)[0]["service_request_id"]
    report = Report.objects.get(code=code)
    triage.verify(report, actor(world.users["op"]))
    texts = [client.get(url).content.decode() for url in (
        f"{BASE}/requests/{code}.json", f"{BASE}/requests/{code}.xml", f"{BASE}/requests.json",
        f"{BASE}/requests.xml", f"{BASE}/requests.json?service_request_id={code}", f"{BASE}/tokens/{code}.json")]
    assert code in texts[2] and code in texts[3]
    for text in texts:
        for secret in (*PRIVATE.values(), "app-thu-nghiem", key):
            assert secret not in text


def test_list_shows_public_checked_reports_only(client, world):
    unchecked = submit(world)
    shown = verified(world)
    private = verified(world, public=False)
    rejected = submit(world)
    triage.reject(rejected, actor(world.users["op"]), reason="Spam")
    codes = [r["service_request_id"] for r in jsn(client.get(f"{BASE}/requests.json"))]
    assert codes == [shown.code]
    # By id, any report can be followed (field privacy still applies).
    by_id = jsn(client.get(f"{BASE}/requests.json", {"service_request_id": f"{unchecked.code},{private.code}"}))
    assert {r["service_request_id"] for r in by_id} == {unchecked.code, private.code}


def test_list_with_every_query_logged(client, world):
    """TINHSO_DEBUG=1 logs every query through Django's debug cursor, which formats the SQL with
    ``%``: the database-formatted timestamps (``strftime('%Y…')`` on SQLite) made that a 500."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shown = verified(world)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{BASE}/requests.json", {"status": "open"})
    assert response.status_code == 200, response.content
    assert [r["service_request_id"] for r in jsn(response)] == [shown.code]
    assert any("+07:00" in q["sql"] for q in queries.captured_queries)  # the timestamps' SQL, logged


@pytest.mark.parametrize("query, index", [
    ({}, "reports_public_recent"),
    ({"service_code": "traffic", "status": "open"}, "reports_public_category"),
])
def test_sqlite_lists_use_the_public_listing_indexes(world, query, index):
    """SQLite matches a partial index only to a WHERE clause that repeats its condition with the same
    constants: the state names bound as parameters, or a bare ``is_open`` term, made it search
    ``(category, created_at)`` and test every row of the window (115 ms at 1,000,000 reports)."""
    from django.db import connection
    from django.test import RequestFactory

    from tinhso.reports.open311 import params as p
    from tinhso.reports.open311 import resources

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL matches the partial indexes with parameters (its plan: bench/open311_query.py)")
    verified(world)
    args = p.from_querydict(RequestFactory().get("/", query).GET)
    ids = resources.list_queryset(p.request_query(args, timezone.now())).values_list("id", flat=True)[:1001]
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert f"USING INDEX {index} " in plan or f"USING COVERING INDEX {index} " in plan, plan


def test_filters_and_defaults(client, world):
    now = timezone.now()
    old = verified(world, now=now - dt.timedelta(days=100))
    recent = verified(world, now=now - dt.timedelta(days=10))
    health = verified(world, now=now - dt.timedelta(days=5), category="health")
    closed = verified(world, now=now - dt.timedelta(days=3))
    Report.objects.filter(pk=closed.pk).update(state=State.CLOSED, is_open=False)

    def codes(**query):
        response = client.get(f"{BASE}/requests.json", query)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in jsn(response)]

    assert codes() == [closed.code, health.code, recent.code]  # last 90 days, newest first
    assert codes(service_code="health") == [health.code]
    assert codes(service_code="health,traffic") == [closed.code, health.code, recent.code]
    assert codes(status="closed") == [closed.code]
    assert codes(status="open") == [health.code, recent.code]
    assert codes(status="open,closed") == [closed.code, health.code, recent.code]

    def day(d):
        return (now - dt.timedelta(days=d)).astimezone(sla.build_calendar().tz).date().isoformat()

    assert codes(start_date=day(101)) == [closed.code, health.code, recent.code, old.code]
    assert codes(start_date=day(101), end_date=day(50)) == [old.code]
    assert codes(end_date=day(4)) == [health.code, recent.code]  # the 90 days before end_date
    stamp = (now - dt.timedelta(days=6)).astimezone(dt.timezone(dt.timedelta(hours=7))).isoformat(timespec="seconds")
    assert codes(start_date=stamp) == [closed.code, health.code]
    utc = (now - dt.timedelta(days=6)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert codes(start_date=utc) == [closed.code, health.code]
    # service_request_id overrides the other filters.
    assert codes(service_request_id=f"{old.code},{health.code}", status="closed") == [health.code, old.code]
    xml_codes = [r.findtext("service_request_id")
                 for r in xml(client.get(f"{BASE}/requests.xml", {"status": "open"})).findall("request")]
    assert xml_codes == [health.code, recent.code]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_query_errors(client, world, fmt):
    url = f"{BASE}/requests.{fmt}"
    assert_error(client.get(url, {"start_date": "hôm qua"}), 400, fmt, mentions=["start_date", "ISO 8601"])
    assert_error(client.get(url, {"end_date": "2026-13-01"}), 400, fmt, mentions=["end_date"])
    assert_error(client.get(url, {"start_date": "2026-05-01", "end_date": "2026-04-01"}), 400, fmt,
                 mentions=["end_date"])
    assert_error(client.get(url, {"status": "pending"}), 400, fmt, mentions=["status", "open", "closed"])
    assert_error(client.get(url, {"service_code": "traffic,pothole"}), 404, fmt, mentions=["pothole"])
    assert_error(client.get(url, {"page_size": "1001"}), 400, fmt, mentions=["page_size", "1000"])
    assert_error(client.get(url, {"page": "0"}), 400, fmt, mentions=["page"])
    assert_error(client.delete(url), 405, fmt)
    assert_error(client.get(f"{BASE}/nothing.{fmt}"), 404, fmt)


def test_pagination_extension(client, world):
    now = timezone.now()
    made = [verified(world, now=now - dt.timedelta(hours=h)) for h in range(5)]
    newest_first = [r.code for r in made]
    first = client.get(f"{BASE}/requests.json", {"page_size": 2, "status": "open"})
    assert [r["service_request_id"] for r in jsn(first)] == newest_first[:2]
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"] and "status=open" in first["Link"]
    third = client.get(f"{BASE}/requests.json", {"page_size": 2, "page": 3})
    assert [r["service_request_id"] for r in jsn(third)] == newest_first[4:]
    assert "Link" not in third
    assert jsn(client.get(f"{BASE}/requests.json", {"page_size": 2, "page": 4})) == []


def test_default_limit_is_1000(client, world):
    base = verified(world)
    rows = []
    for i in range(1, 1001):
        report = Report(category=base.category, description="x", lat=base.lat, lon=base.lon, commune=base.commune,
                        province_code="68", state=State.VERIFIED, created_at=base.created_at - dt.timedelta(minutes=i),
                        updated_at=base.created_at, verified_at=base.created_at)
        report.code = f"PA-{i:05d}-AAAAA"
        rows.append(report)
    Report.objects.bulk_create(rows)
    response = client.get(f"{BASE}/requests.json")
    assert len(jsn(response)) == 1000 and "page=2" in response["Link"]


def test_expected_datetime_follows_the_deadline_rules(client, world):
    monday_9 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=sla.build_calendar().tz)
    report = submit(world, now=monday_9)
    policy = sla.Policy.load()
    item = jsn(client.get(f"{BASE}/requests/{report.code}.json"))[0]
    # Before acceptance: accept deadline (8 working hours) + handle allowance (5 working days).
    accept_due = policy.due(world.traffic.pk, "normal", "accept", monday_9)
    expected = policy.due(world.traffic.pk, "normal", "handle", accept_due)
    assert dt.datetime.fromisoformat(item["expected_datetime"]) == expected == sla.expected_datetime(report)
    assert item["expected_datetime"] == expected.isoformat(timespec="seconds")
    assert item["expected_datetime"].endswith("+07:00") and expected > accept_due > monday_9
    assert item["expected_datetime"] in jsn(client.get(f"{BASE}/requests.json",
                                                        {"service_request_id": report.code}))[0]["expected_datetime"]
    # Once accepted: the handle deadline.
    triage.verify(report, actor(world.users["op"]), now=monday_9)
    accepted_at = monday_9 + dt.timedelta(hours=1)
    handling.accept(Report.objects.get(pk=report.pk), actor(world.users["h_pt"]), now=accepted_at)
    report.refresh_from_db()
    item = jsn(client.get(f"{BASE}/requests/{report.code}.json"))[0]
    assert dt.datetime.fromisoformat(item["expected_datetime"]) == report.handle_due \
        == policy.due(world.traffic.pk, "normal", "handle", accepted_at)
    # An urgent category has shorter deadlines.
    urgent = submit(world, now=monday_9, category="health")
    got = dt.datetime.fromisoformat(jsn(client.get(f"{BASE}/requests/{urgent.code}.json"))[0]["expected_datetime"])
    assert got == policy.due(world.health.pk, "urgent", "handle", policy.due(world.health.pk, "urgent", "accept",
                                                                            monday_9)) < expected


def test_tokens(client, world):
    report = submit(world)
    assert jsn(client.get(f"{BASE}/tokens/{report.code}.json")) == [
        {"service_request_id": report.code, "token": report.code}]
    root = xml(client.get(f"{BASE}/tokens/{report.code}.xml"))
    assert root.findtext("request/service_request_id") == report.code
    assert_error(client.get(f"{BASE}/tokens/nope.json"), 404, mentions=["token"])
    assert_error(client.get(f"{BASE}/tokens/nope.xml"), 404, "xml", mentions=["token"])
