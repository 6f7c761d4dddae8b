"""Fuzzing the public doors' parameters: any value gets an answer below 500 (a clear 4xx at worst)."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.factories import make_report
from tinhso.reports import triage
from tinhso.reports.models import State

# Values that broke parsers elsewhere: calendar edges, huge numbers, not-a-number, odd codes.
EDGES = ["9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00-14:00",
         "0001-01-01T00:00:00+14:00", "0001-01-01", "0000-01-01", "+275760-09-13",
         "9999-12-31", "9999-12", "9999", "0001-01-01", "2026-02-30", "2026-13", "nan", "NaN", "inf", "-inf",
         "1e309", "-1", "0", "99999999999999999999999", str(2**63), str(2**63 - 1), "1000001", "", " ", "PA-", "pa-00000-00000",
         "PA-ZZZZZ-ZZZZZ", "open,closed", "%", "_", "\\", "'", "a" * 5000, "1,2,3,4", "1,2,3,nan",
         "-200,-100,200,100", "traffic,", ",", "2026-01-01T00:00:00Z", "2026-01-01 00:00:00+07:00"]
VALUES = st.one_of(st.sampled_from(EDGES), st.text(max_size=40))

# (path, parameters) of the public GET doors; {code} is a real report's tracking code.
DOORS = [
    ("/api/v1/reports/public", ["category", "commune", "unit", "status", "state", "since", "until", "q", "bbox",
                                "page", "page_size"]),
    ("/api/v1/reports/public.geojson", ["category", "commune", "status", "since", "until", "bbox", "limit"]),
    ("/api/v1/reports/stats", ["by", "since", "until"]),
    ("/api/v1/reports/stats.csv", ["by", "since", "until"]),
    ("/api/v1/reports/nearby", ["category", "lat", "lon"]),
    ("/api/v1/reports/track/{code}", []),
    ("/open311/v2/requests.json", ["service_request_id", "service_code", "start_date", "end_date", "status",
                                   "page", "page_size"]),
    ("/open311/v2/requests.xml", ["start_date", "end_date", "page"]),
    ("/open311/v2/requests/{code}.json", []),
    ("/phan-anh/thong-ke", ["since", "until"]),
    ("/phan-anh/cong-khai", ["category", "status", "q", "page"]),
    ("/phan-anh/tra-cuu", ["ma", "k"]),
    ("/phan-anh/{code}", ["k"]),
]


@pytest.fixture
def doors(world, settings):
    settings.REPORTS_RATE_LIMITS = {"submit": 0, "track": 0, "rate": 0, "login": 0, "stats": 0, "list": 0}
    settings.OPEN311_RATE_LIMITS = {"post": 0, "get": 0, "list": 0}
    report = make_report(world, State.SUBMITTED)
    triage.verify(report, _operator(world), forward_now=False)
    return report


def _operator(world):
    from tests.reports.conftest import actor

    return actor(world.users["op"])


def _check(response, path):
    assert response.status_code < 500, (path, response.status_code, response.content[:300])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(door=st.sampled_from([d for d in DOORS if d[1]]), data=st.data())
def test_public_get_parameters_never_500(doors, door, data):
    path, names = door
    names = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    query = {name: data.draw(VALUES) for name in names}
    cache.clear()
    _check(Client().get(path.format(code=doors.code), query), path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES)
def test_path_codes_never_500(doors, value):
    from urllib.parse import quote

    for path in ("/api/v1/reports/track/{}", "/open311/v2/requests/{}.json", "/open311/v2/tokens/{}.json",
                 "/open311/v2/services/{}.json", "/api/v1/reports/photos/{}"):
        url = path.format(quote(value, safe="") or "x")
        _check(Client().get(url), url)


@pytest.mark.parametrize("name,value", [(n, v) for n in ("since", "until") for v in
                                        ("9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                         "9999-12-31", "0001-01-01")])
@pytest.mark.parametrize("path", ["/api/v1/reports/public", "/api/v1/reports/public.geojson",
                                  "/api/v1/reports/stats", "/api/v1/reports/stats.csv", "/phan-anh/thong-ke"])
def test_dates_beyond_the_calendar_are_400(doors, path, name, value):
    response = Client().get(path, {name: value})
    assert response.status_code == 400, (path, response.status_code)


@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "9999-12-31", "0001-01-01T00:00:00+14:00",
                                   "0001-01-01", "9999"])
def test_open311_dates_beyond_the_calendar_are_400(doors, name, value):
    import json

    response = Client().get("/open311/v2/requests.json", {name: value})
    assert response.status_code == 400
    error = json.loads(response.content)[0]
    assert error["code"] == 400 and name in error["description"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["category", "description", "lat", "lon", "address", "reporter_name",
                              "reporter_phone", "reporter_email", "public", "idempotency_key", "client_token"]),
       value=VALUES)
def test_submit_fields_never_500(doors, world, field, value):
    form = {"category": "traffic", "description": "Ổ gà", "lat": str(world.phan_thiet.lat),
            "lon": str(world.phan_thiet.lon), field: value}
    _check(Client().post("/api/v1/reports/submit", form), field)
