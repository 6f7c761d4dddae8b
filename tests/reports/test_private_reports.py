"""A report that is not public (unverified, rejected, or its sender refused publication) shows only
its code, state and dates at every public door, and its code is never suggested as a nearby report.
"""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from tests.reports.conftest import actor, png_bytes
from tests.reports.factories import give_secret, make_report
from tinhso.reports import apikeys, handling, triage
from tinhso.reports.models import Photo, PhotoKind, Report, State

DESCRIPTION = "Nhà số 9 ngõ 4 xả rác trộm"
ADDRESS = "Số 9 ngõ 4 Trần Hưng Đạo"
RESPONSE = "Đã nhắc nhở hộ gia đình số 9"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _point(w, d_lat=0.0):
    return {"lat": w.phan_thiet.lat + d_lat, "lon": w.phan_thiet.lon}


def _unpublished(world, **fields) -> Report:
    """Verified, handled and resolved with a result photo, but its sender refused publication."""
    report = make_report(world, State.SUBMITTED, public=False, description=DESCRIPTION, address=ADDRESS,
                         **fields)
    op, handler = actor(world.users["op"]), actor(world.users["h_pt"])
    triage.verify(report, op)
    report.refresh_from_db()
    handling.accept(report, handler)
    handling.respond(report, handler, text=RESPONSE)
    handling.resolve(report, handler, result_text=RESPONSE, photos=[png_bytes()])
    report.refresh_from_db()
    return report


def _leaks(text: str, report: Report) -> list[str]:
    """The report's private facts found in ``text``."""
    facts = [DESCRIPTION, ADDRESS, RESPONSE, f"{report.lat:.5f}"[:8], report.category.name_vi]
    return [fact for fact in facts if fact in text]


def test_unpublished_report_shows_only_code_state_and_dates(world):
    report = _unpublished(world)
    secret = give_secret(report)
    photo = report.photos.get(kind=PhotoKind.RESULT)
    anon = Client()

    tracked = anon.get(f"/api/v1/reports/track/{report.code}")
    assert tracked.status_code == 200, tracked.content
    body = tracked.json()
    assert body["code"] == report.code and body["state"] == "resolved" and body["created_at"]
    assert body["description"] is None and body["address"] == "" and body["lat"] is None
    assert body["category"] is None and body["commune"] is None and body["handling_unit"] is None
    assert body["photos"] == [] and body["response_text"] == "" and body["result_text"] == ""
    assert all(event["note"] == "" for event in body["history"])
    assert _leaks(tracked.content.decode(), report) == []

    page = anon.get(f"/phan-anh/{report.code}")
    assert page.status_code == 200 and report.code in page.content.decode()
    assert _leaks(page.content.decode(), report) == []
    assert anon.get(f"/api/v1/reports/photos/{photo.pk}").status_code == 404
    assert anon.get(f"/phan-anh/{report.code}/anh/{photo.pk}").status_code == 404

    for url in (f"/open311/v2/requests/{report.code}.json", f"/open311/v2/requests/{report.code}.xml",
                f"/open311/v2/requests.json?service_request_id={report.code}"):
        response = anon.get(url)
        assert response.status_code == 200 and report.code in response.content.decode()
        assert _leaks(response.content.decode(), report) == [], url
    item = json.loads(anon.get(f"/open311/v2/requests/{report.code}.json").content)[0]
    assert item["lat"] is None and item["media_url"] is None and item["status"] == "closed"

    # The submitter, with the secret, still sees their own report.
    own = anon.get(f"/api/v1/reports/track/{report.code}", headers={"X-Citizen-Token": secret}).json()
    assert own["description"] == DESCRIPTION and own["result_text"] == RESPONSE and own["photos"]
    assert DESCRIPTION in anon.get(f"/phan-anh/{report.code}", {"k": secret}).content.decode()
    # Staff see it whole.
    op = Client()
    op.force_login(world.users["op"])
    assert op.get(f"/api/v1/reports/staff/{report.code}").json()["description"] == DESCRIPTION


def test_rejected_and_unverified_reports_show_nothing_but_their_state(world):
    unverified = make_report(world, State.SUBMITTED, description=DESCRIPTION, address=ADDRESS)
    rejected = make_report(world, State.SUBMITTED, description=DESCRIPTION, address=ADDRESS)
    triage.reject(rejected, actor(world.users["op"]), reason="Tin rác")
    anon = Client()
    for report in (unverified, rejected):
        report.refresh_from_db()
        body = anon.get(f"/api/v1/reports/track/{report.code}").json()
        assert body["state"] == report.state and body["lat"] is None and body["category"] is None
        assert _leaks(json.dumps(body, ensure_ascii=False), report) == []
        assert _leaks(anon.get(f"/phan-anh/{report.code}").content.decode(), report) == []
        item = json.loads(anon.get(f"/open311/v2/requests/{report.code}.json").content)[0]
        assert _leaks(json.dumps(item, ensure_ascii=False), report) == []


def test_a_merged_report_does_not_show_the_results_of_an_unpublished_parent(world):
    parent = _unpublished(world)
    child = make_report(world, State.SUBMITTED, description="Rác ở ngõ 4")
    op = actor(world.users["op"])
    triage.verify(child, op, forward_now=False)
    child.refresh_from_db()
    from tinhso.reports import duplicates

    duplicates.merge(child, parent, op)
    body = Client().get(f"/api/v1/reports/track/{child.code}").json()
    assert body["parent"]["code"] == parent.code
    assert body["parent"]["result_text"] == "" and body["parent"]["photos"] == []


def test_submit_answers_suggest_only_public_nearby_reports(world):
    op = actor(world.users["op"])
    unverified = make_report(world, State.SUBMITTED, **_point(world, 0.0002))
    unpublished = make_report(world, State.SUBMITTED, public=False, **_point(world, 0.0003))
    triage.verify(unpublished, op, forward_now=False)
    listed = make_report(world, State.SUBMITTED, **_point(world, 0.0004))
    triage.verify(listed, op, forward_now=False)

    form = {"category": "traffic", "description": "Ổ gà mới", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon)}
    response = Client().post("/api/v1/reports/submit", data=form)
    assert response.status_code == 201, response.content
    assert [d["code"] for d in response.json()["duplicates"]] == [listed.code]

    key = apikeys.create_api_key("app")[1]
    created = Client().post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "traffic", "description": "Ổ gà nữa",
        "lat": str(world.phan_thiet.lat), "long": str(world.phan_thiet.lon)})
    assert created.status_code == 201, created.content
    notice = json.loads(created.content)[0]["service_notice"]
    assert listed.code in notice
    assert unverified.code not in notice and unpublished.code not in notice


def test_public_lists_map_and_stats_carry_no_unpublished_report(world):
    report = _unpublished(world)
    anon = Client()
    texts = {url: anon.get(url).content.decode() for url in (
        "/api/v1/reports/public", "/api/v1/reports/public.geojson", "/phan-anh/cong-khai",
        "/open311/v2/requests.json", "/api/v1/reports/stats", "/api/v1/reports/stats.csv", "/phan-anh/thong-ke")}
    for url, text in texts.items():
        assert report.code not in text, url
        assert not {DESCRIPTION, ADDRESS, RESPONSE} & {fact for fact in (DESCRIPTION, ADDRESS, RESPONSE)
                                                       if fact in text}, url
    assert anon.get(f"/phan-anh/cong-khai/{report.code}").status_code == 404
    assert Photo.objects.filter(report=report).exists()
