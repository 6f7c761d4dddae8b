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
