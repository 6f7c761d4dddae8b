"""Password guessing on the sign-in pages is rate-limited; the nearby-reports API reveals only
reports the public may list."""

import pytest
from django.core.cache import cache
from django.test import Client

from tinhso.reports import intake, triage
from tinhso.reports.permissions import actor_for_user


@pytest.mark.parametrize("path", ["/dang-nhap", "/admin/login/"])
def test_sign_in_attempts_are_limited_per_ip(db, settings, path):
    settings.REPORTS_RATE_LIMITS = {"login": 3}
    cache.clear()
    client = Client()
    codes = [client.post(path, {"username": "nobody", "password": f"guess-{i}"}).status_code for i in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert client.get(path).status_code == 200  # the page itself stays readable
    cache.clear()


def test_limit_from_the_environment_when_the_setting_is_silent(db, settings, monkeypatch):
    from tinhso.reports import ratelimit

    settings.REPORTS_RATE_LIMITS = {}
    monkeypatch.setenv("TINHSO_RATE_LOGIN", "2")
    assert ratelimit.limit_for("login") == 2 and ratelimit.limit_for("submit") == ratelimit.DEFAULT_LIMITS["submit"]
    cache.clear()
    client = Client()
    codes = [client.post("/dang-nhap", {"username": "nobody", "password": f"guess-{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    settings.REPORTS_RATE_LIMITS = {"login": 5}  # the setting wins
    assert ratelimit.limit_for("login") == 5
    cache.clear()


def test_nearby_lists_only_checked_public_reports(world):
    cache.clear()
    point = {"lat": world.phan_thiet.lat, "lon": world.phan_thiet.lon}
    unchecked = intake.submit_report(category="traffic", description="Ổ gà chưa kiểm tra", **point).report
    checked = intake.submit_report(category="traffic", description="Ổ gà đã kiểm tra",
                                   lat=point["lat"] + 0.0005, lon=point["lon"]).report
    triage.verify(checked, actor_for_user(world.users["op"]), forward_now=False)
    response = Client().get("/api/v1/reports/nearby",
                            {"category": "traffic", "lat": point["lat"], "lon": point["lon"]})
    assert response.status_code == 200, response.content
    codes = [r["code"] for r in response.json()]
    assert checked.code in codes and unchecked.code not in codes


@pytest.mark.django_db
def test_public_list_page_is_rate_limited_like_the_api_list(world, settings):
    """``/phan-anh/cong-khai?q=…`` (a folded text search per request) counts against the "list"
    bucket, as the API's list and ``public.geojson`` do: beyond it, a 429 page in the reader's language."""
    cache.clear()
    settings.REPORTS_RATE_LIMITS = {"list": 2}
    client = Client(REMOTE_ADDR="203.0.113.20")
    codes = [client.get("/phan-anh/cong-khai", {"q": f"đèn {i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/phan-anh/cong-khai", {"q": "đèn"}, headers={"Accept-Language": "vi"})
    assert refused.status_code == 429 and "<html" in refused.content.decode().lower()
    # The map's GeoJSON shares the bucket: the page's visitor cannot go around it there.
    assert client.get("/api/v1/reports/public.geojson").status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.21").get("/phan-anh/cong-khai").status_code == 200
    cache.clear()
