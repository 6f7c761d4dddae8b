"""The expensive public answers (statistics, Open311 lists, the public list and map) are kept briefly
in Django's cache under the normalised query, and rate-limited per client."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.reports.conftest import actor
from tests.reports.factories import make_report
from tinhso.reports import triage
from tinhso.reports.models import State

CACHED = [
    ("/api/v1/reports/stats", {"by": "category", "since": "2020-01-01T00:00:00+07:00"},
     {"by": "category", "since": "2019-12-31T17:00:00+00:00"}),
    ("/api/v1/reports/stats.csv", {"by": "unit"}, {"by": "unit"}),
    ("/phan-anh/thong-ke", {"since": "2020-01-01"}, {"since": "2020-01-01"}),
    ("/open311/v2/requests.json", {"page_size": "1000", "status": "open,closed"},
     {"status": "closed,open", "page_size": "1000"}),
    ("/open311/v2/requests.xml", {"page_size": "1000"}, {"page_size": "1000"}),
    ("/api/v1/reports/public", {"page_size": "200", "since": "2020-01-01T00:00:00"},
     {"page_size": "200", "since": "2020-01-01T00:00:00+07:00"}),
    ("/api/v1/reports/public.geojson", {"limit": "20000"}, {"limit": "20000"}),
]


@pytest.fixture
def published(world):
    report = make_report(world, State.SUBMITTED, description="Cây đổ chắn đường")
    triage.verify(report, actor(world.users["op"]))
    return report


@pytest.mark.parametrize("path,query,same_query", CACHED)
def test_a_repeated_query_does_not_touch_the_database(published, path, query, same_query):
    first = Client().get(path, query)
    assert first.status_code == 200, first.content[:300]
    with CaptureQueriesContext(connection) as repeated:
        again = Client().get(path, same_query)  # the same query, written differently
    # Only the cache's own reads (the default cache is a database table, shared by every worker).
    touched = [q["sql"] for q in repeated.captured_queries
               if "tinhso_cache" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
    assert touched == []
    assert again.status_code == 200
    if not path.startswith("/phan-anh"):  # a page carries a fresh CSRF token each time
        assert again.content == first.content
    cache.clear()  # the entries live in Django's cache (shared by workers with a shared backend)
    with CaptureQueriesContext(connection) as counted:
        Client().get(path, query)
    assert len(counted.captured_queries) > 0


def test_answers_follow_new_data_once_the_entry_expires(published, world, settings):
    first = Client().get("/open311/v2/requests.json").content
    newer = make_report(world, State.SUBMITTED, description="Ngập nước")
    triage.verify(newer, actor(world.users["op"]))
    assert Client().get("/open311/v2/requests.json").content == first  # within the minute: cached
    settings.REPORTS_PUBLIC_CACHE_SECONDS = 0
    assert newer.code in Client().get("/open311/v2/requests.json").content.decode()


def test_errors_are_not_cached(published):
    assert Client().get("/api/v1/reports/stats", {"by": "nothing"}).status_code == 400
    assert Client().get("/open311/v2/requests.json", {"service_code": "no-such"}).status_code == 404
    with CaptureQueriesContext(connection) as counted:
        assert Client().get("/open311/v2/requests.json", {"service_code": "no-such"}).status_code == 404
    assert len(counted.captured_queries) > 0


@pytest.mark.parametrize("path,scope", [("/api/v1/reports/stats", "stats"), ("/api/v1/reports/stats.csv", "stats"),
                                        ("/phan-anh/thong-ke", "stats"), ("/api/v1/reports/public", "list"),
                                        ("/api/v1/reports/public.geojson", "list")])
def test_statistics_and_lists_are_rate_limited_per_client(published, settings, path, scope):
    settings.REPORTS_RATE_LIMITS = {scope: 3}
    me, other = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
    assert [me.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert other.get(path).status_code == 200


def test_open311_lists_are_rate_limited_per_client(published, settings):
    settings.OPEN311_RATE_LIMITS = {"list": 2}
    me = Client(REMOTE_ADDR="198.51.100.1")
    codes = [me.get("/open311/v2/requests.json", {"page_size": "1000"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = me.get("/open311/v2/requests.xml")
    assert limited.status_code == 429 and limited["Content-Type"].startswith("text/xml")
    assert me.get("/open311/v2/services.json").status_code == 200  # other resources keep their own limit
    assert json.loads(Client(REMOTE_ADDR="198.51.100.2").get("/open311/v2/requests.json").content)
