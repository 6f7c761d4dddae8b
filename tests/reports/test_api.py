"""The native API end to end: submit (multipart, idempotent), track, staff actions, rate, lists."""

import json

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.reports.conftest import jpeg_with_exif, png_bytes
from tinhso.reports.models import Report, State


def post_json(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_full_journey_through_the_api(world):
    anon = Client()
    photo = SimpleUploadedFile("a.jpg", jpeg_with_exif(), content_type="image/jpeg")
    form = {"category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), "reporter_phone": "0912345678", "idempotency_key": "k-1",
            "client_token": "app-install-7f3a9c2e51", "photos": [photo]}
    response = anon.post("/api/v1/reports/submit", data=form)
    assert response.status_code == 201, response.content
    body = response.json()
    code = body["report"]["code"]
    assert body["created"] and body["report"]["state"] == "submitted"
    assert "0912345678" not in response.content.decode()
    again = anon.post("/api/v1/reports/submit", data={**form, "photos": []})
    assert again.status_code == 200 and again.json()["report"]["code"] == code and not again.json()["created"]
    assert Report.objects.count() == 1
    # A prompt retry gets a fresh secret (the first answer may be lost); the first one stops working.
    first, token = body["citizen_token"], again.json()["citizen_token"]
    assert token and token != first and again.json()["private_url"].endswith(f"/phan-anh/{code}?k={token}")

    op = Client()
    op.force_login(world.users["op"])
    queue = op.get("/api/v1/reports/queue").json()
    assert [r["code"] for r in queue["results"]] == [code]
    r = post_json(op, f"/api/v1/reports/staff/{code}/verify", {"note": ""})
    assert r.status_code == 200 and r.json()["state"] == "assigned" and r.json()["reporter_phone"] == "0912345678"

    handler = Client()
    handler.force_login(world.users["h_pt"])
    assert [x["code"] for x in handler.get("/api/v1/reports/inbox").json()["results"]] == [code]
    r = post_json(handler, f"/api/v1/reports/staff/{code}/accept", {"text": ""})
    assert r.json()["state"] == "in_progress" and "reporter_phone" not in r.json()
    assert "resolve" in r.json()["allowed_actions"]
    r = handler.post(f"/api/v1/reports/staff/{code}/resolve", data={"result_text": "Đã vá"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "result_photo_required"
    r = handler.post(f"/api/v1/reports/staff/{code}/resolve",
                     data={"result_text": "Đã vá", "photos": [SimpleUploadedFile("r.png", png_bytes())]})
    assert r.status_code == 200 and r.json()["state"] == "resolved"

    tracked = anon.get(f"/api/v1/reports/track/{code.lower()}", headers={"X-Citizen-Token": token}).json()
    assert tracked["status"] == "closed" and tracked["result_text"] == "Đã vá"
    assert {p["kind"] for p in tracked["photos"]} == {"citizen", "result"}
    r = post_json(anon, f"/api/v1/reports/track/{code}/rate", {"rating": 1, "comment": "Vẫn còn ổ gà",
                                                               "citizen_token": first})
    assert r.status_code == 403 and r.json()["error"]["code"] == "citizen_secret_wrong"
    r = post_json(anon, f"/api/v1/reports/track/{code}/rate", {"rating": 1, "comment": "Vẫn còn ổ gà",
                                                               "citizen_token": token})
    assert r.status_code == 200 and r.json()["state"] == "reopened"
    r = post_json(anon, f"/api/v1/reports/track/{code}/rate", {"rating": 5, "citizen_token": token})
    # Reopened: the rating judged the old result (kept in the history); nothing to rate until resolved again.
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    history = [e["action"] for e in anon.get(f"/api/v1/reports/track/{code}").json()["history"]]
    assert history == ["submit", "forward", "accept", "resolve", "request_reopen"]  # verify is internal


def test_illegal_action_is_409_and_bad_input_400(world):
    anon = Client()
    r = anon.post("/api/v1/reports/submit", data={"category": "traffic", "description": "x", "lat": "21.03",
                                                  "lon": "105.85"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "outside_province"
    r = anon.post("/api/v1/reports/submit", data={"category": "traffic", "description": "x", "lat": "abc",
                                                  "lon": "105.85"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "lat"
    r = anon.post("/api/v1/reports/submit", data={
        "category": "traffic", "description": "x", "lat": str(world.phan_thiet.lat), "lon": str(world.phan_thiet.lon),
        "photos": [SimpleUploadedFile("x.jpg", b"GIF89a not really", content_type="image/jpeg")]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "photo_type"
    r = anon.post("/api/v1/reports/submit", data={"category": "traffic", "description": "x",
                                                  "lat": str(world.phan_thiet.lat), "lon": str(world.phan_thiet.lon)})
    code = r.json()["report"]["code"]
    handler = Client()
    handler.force_login(world.users["h_pt"])
    op = Client()
    op.force_login(world.users["op"])
    r = post_json(op, f"/api/v1/reports/staff/{code}/accept", {"text": ""})
    assert r.status_code == 403
    r = post_json(op, f"/api/v1/reports/staff/{code}/reject", {"text": "Spam"})
    assert r.json()["state"] == "rejected"
    r = post_json(op, f"/api/v1/reports/staff/{code}/verify", {})
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    assert Client().get("/api/v1/reports/queue").status_code == 401


def test_rate_limit_on_submit(world, settings):
    settings.REPORTS_RATE_LIMITS = {"submit": 2}
    cache.clear()
    anon = Client()
    codes = [anon.post("/api/v1/reports/submit", data={"category": "nope"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    cache.clear()


def test_public_list_geojson_and_stats(world):
    anon = Client()
    for _ in range(2):
        anon.post("/api/v1/reports/submit", data={"category": "environment", "description": "Rác",
                                                  "lat": str(world.phan_thiet.lat), "lon": str(world.phan_thiet.lon)})
    handler = Client()
    handler.force_login(world.users["h_pt"])
    code = Report.objects.filter(state=State.ASSIGNED).first().code
    post_json(handler, f"/api/v1/reports/staff/{code}/accept", {})
    listed = anon.get("/api/v1/reports/public?status=open").json()
    assert listed["count"] == 1 and listed["results"][0]["code"] == code  # the other is not checked yet
    geo = json.loads(anon.get("/api/v1/reports/public.geojson").content)
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["properties"]["code"] == code
    stats = anon.get("/api/v1/reports/stats?by=category").json()
    assert {r["key"]: r["received"] for r in stats} == {"environment": 2}
    csv_text = anon.get("/api/v1/reports/stats.csv?by=unit").content.decode()
    assert csv_text.splitlines()[0].startswith("key,name,received")
    assert anon.get("/api/v1/reports/public?status=maybe").status_code == 400
