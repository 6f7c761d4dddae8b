"""The duplicate search in SQL gives the answers of the former search in Python, on random points.

The reference below is the former implementation (issue 15 moved the distance, the radius filter,
the order and the limit into the database): candidates in the bounding box read from the
database, the haversine distance of ``duplicates.distance_m`` computed here, sorted by (distance,
id), cut at the radius and the limit; the public-listing check as a second query.
"""

import datetime as dt
import math
import random
import re

import pytest

from tinhso.reports import duplicates
from tinhso.reports.models import OPEN_STATES, PUBLIC_LISTING, Report, State

STATES = [State.SUBMITTED, State.VERIFIED, State.ASSIGNED, State.IN_PROGRESS, State.INFO_REQUESTED,
          State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED, State.REOPENED]


def reference_nearby(*, category_id, lat, lon, now, exclude_pk=None, radius_m=duplicates.RADIUS_M,
                     days=duplicates.WINDOW_DAYS, limit=duplicates.LIMIT):
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    candidates = (Report.objects.filter(category_id=category_id, is_open=True,
                                        created_at__gte=now - dt.timedelta(days=days),
                                        created_at__lte=now + dt.timedelta(seconds=1),
                                        lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))
                  .exclude(state=State.MERGED).exclude(pk=exclude_pk if exclude_pk is not None else -1)
                  .order_by("-created_at")[:500])
    scored = sorted(((duplicates.distance_m(lat, lon, r.lat, r.lon), r.pk, r) for r in candidates),
                    key=lambda x: x[:2])
    result = []
    for d, _, r in scored:
        if d > radius_m or len(result) == limit:
            break
        result.append((r.code, round(d, 1)))
    keep = set(Report.objects.filter(PUBLIC_LISTING, code__in=[c for c, _ in result]).values_list("code", flat=True))
    return result, [c for c, _ in result if c in keep]


def offset(lat, lon, north_m, east_m):
    return lat + north_m / 111_195.0, lon + east_m / (111_195.0 * math.cos(math.radians(lat)))


@pytest.fixture
def scattered(world):
    """300 reports within ±400 m of one point: two categories, every state, two months, some
    sharing a position (ties in distance), some public and verified."""
    rng = random.Random(15)
    now = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
    lat0, lon0 = world.phan_thiet.lat, world.phan_thiet.lon
    rows, positions = [], []
    for i in range(300):
        if positions and rng.random() < 0.1:
            lat, lon = rng.choice(positions)
        else:
            lat, lon = offset(lat0, lon0, rng.uniform(-400, 400), rng.uniform(-400, 400))
            positions.append((lat, lon))
        state = rng.choice(STATES)
        created = now - dt.timedelta(days=rng.uniform(0, 60))
        rows.append(Report(category=rng.choice([world.traffic, world.health]), description=f"Báo cáo {i}",
                           lat=lat, lon=lon, commune=world.phan_thiet, province_code="68", state=state,
                           is_open=state in OPEN_STATES, created_at=created, updated_at=created,
                           public=rng.random() < 0.7, verified_at=created if rng.random() < 0.6 else None))
    Report.objects.bulk_create(rows)
    return world, now, (lat0, lon0), positions, rng


def test_sql_search_matches_the_python_reference_on_random_points(scattered):
    world, now, (lat0, lon0), positions, rng = scattered
    compared = found_any = ties = 0
    for _ in range(120):
        if rng.random() < 0.3:
            lat, lon = rng.choice(positions)  # exactly on a report: distance 0
        else:
            lat, lon = offset(lat0, lon0, rng.uniform(-450, 450), rng.uniform(-450, 450))
        category = rng.choice([world.traffic, world.health])
        at = now - dt.timedelta(days=rng.uniform(0, 30))
        radius = rng.choice([duplicates.RADIUS_M, 100, 400])
        limit = rng.choice([duplicates.LIMIT, 1, 20])
        found = duplicates.find_nearby(category_id=category.pk, lat=lat, lon=lon, now=at, radius_m=radius,
                                       limit=limit)
        expected, expected_listable = reference_nearby(category_id=category.pk, lat=lat, lon=lon, now=at,
                                                       radius_m=radius, limit=limit)
        assert [(r.code, r.distance_m) for r in found] == expected
        assert [r.code for r in duplicates.listable(found)] == expected_listable
        distances = [r.distance_m for r in found]
        ties += len(distances) - len(set(distances))
        compared += 1
        found_any += bool(found)
    assert compared == 120 and found_any > 60 and ties > 0  # the comparison covered real answers and ties


def test_a_report_is_not_its_own_duplicate_and_exact_values_match(scattered):
    world, now, _, _, _ = scattered
    for report in Report.objects.filter(is_open=True).exclude(state=State.MERGED).order_by("id")[:40]:
        found = duplicates.find_nearby(report, now=now)
        expected, _ = reference_nearby(category_id=report.category_id, lat=report.lat, lon=report.lon, now=now,
                                       exclude_pk=report.pk)
        assert report.code not in [r.code for r in found]
        assert [(r.code, r.distance_m) for r in found] == expected
        for r in found:  # the unrounded distance is the Python formula's, to the last bit
            assert r.distance == duplicates.distance_m(report.lat, report.lon, r.lat, r.lon)


def test_listable_without_the_search_still_asks_the_database(scattered):
    world, now, _, _, _ = scattered
    reports = list(Report.objects.order_by("id")[:50])
    keep = set(Report.objects.filter(PUBLIC_LISTING).values_list("pk", flat=True))
    assert [r.pk for r in duplicates.listable(reports)] == [r.pk for r in reports if r.pk in keep]


def test_suggestions_are_the_stored_rows_with_their_types(scattered):
    """The search's Report instances: every selected column equals what the ORM reads for that report, with the same Python types (aware
    timestamps and booleans on SQLite too), and columns not selected still load on access."""
    world, now, (lat0, lon0), _, _ = scattered
    found = duplicates.find_nearby(category_id=world.traffic.pk, lat=lat0, lon=lon0, limit=20, now=now)
    assert found
    for r in found:
        stored = Report.objects.get(pk=r.pk)
        for name in duplicates.SUGGESTION_FIELDS:
            assert getattr(r, name) == getattr(stored, name), name
            assert type(getattr(r, name)) is type(getattr(stored, name)), name
        assert r.created_at.tzinfo is not None
        assert isinstance(r.listed, bool) and isinstance(r.distance_m, float)
        assert r.address == stored.address  # not selected: loaded from the database on access


@pytest.mark.django_db
def test_postgresql_binds_on_the_server_and_prepares_repeated_statements():
    """Intake's statements are prepared by PostgreSQL (settings: server-side binding,
    prepare_threshold), so a repeated INSERT or search is not parsed and planned again."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 2
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT %s::int + 1", [41])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int + 1%"])
        assert cursor.fetchone()[0] == 1


def _search_plan(connection, sql: str, params: list) -> str:
    """The search's plan as the server runs it: on PostgreSQL the generic plan of the prepared statement
    (what a connection uses after a few executions), on SQLite its query plan."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            numbered = iter(range(1, len(params) + 1))
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute("PREPARE nearby_plan AS " + re.sub(r"%s", lambda _m: f"${next(numbered)}", sql))
            # The values written into the statement (client side): EXECUTE's arguments give the server no type.
            cursor.execute(connection.ops.compose_sql(
                "EXPLAIN EXECUTE nearby_plan(" + ", ".join(["%s"] * len(params)) + ")", params))
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("DEALLOCATE nearby_plan")
            return plan
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("without_nearby_index", [False, True])
def test_the_window_never_chooses_the_index(scattered, without_nearby_index):
    """The search finds its rows through the box (reports_open_nearby); the 30-day window is checked on
    them, never used to pick an index. A prepared statement's generic plan built on a young table once
    walked the created_at index instead, reading every report of the window at each submission. Even
    with the box's index gone (dropped inside this test's transaction), no plan may range over
    created_at."""
    from django.db import connection, transaction

    world, now, (lat0, lon0), _, _ = scattered
    sql, params = duplicates.search_statement(world.traffic.pk, lat0, lon0, now, listed_only=True)
    with transaction.atomic():
        if without_nearby_index:
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX reports_open_nearby")
        plan = _search_plan(connection, sql, params)
        transaction.set_rollback(True)
    # What an index is searched with: PostgreSQL's "Index Cond", SQLite's "USING … INDEX x (a=? AND …)".
    index_lines = [line for line in plan.splitlines() if "Index Cond" in line or "USING" in line]
    assert not any("created_at" in line for line in index_lines), plan
    if not without_nearby_index:  # found through the box's index (without it, any plan but the window's)
        assert "reports_open_nearby" in plan and index_lines, plan


CLOSED_ROWS = 20_000


def _add_closed_reports(connection, template_pk: int, count: int) -> None:
    """``count`` closed reports copied from one row, spread over the province (about 1.2° × 1°) and two
    years: what most of a production table is."""
    columns = [f.column for f in Report._meta.concrete_fields if f.column not in ("id", "code", "lat", "lon", "state",
                                                                                   "is_open", "created_at")]
    if connection.vendor == "postgresql":
        numbers = "SELECT g AS n FROM generate_series(1, %s) AS g"
        created = "r.created_at - n * interval '3 minutes'"
    else:
        numbers = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) SELECT n FROM s"
        created = "datetime(r.created_at, '-' || (n * 3) || ' minutes')"
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    copied = ", ".join(f"r.{connection.ops.quote_name(c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO reports_report (code, lat, lon, state, is_open, created_at, {quoted}) "
            "SELECT 'SC-' || n, 11.0 + (n * 7919 %% 10007) / 10007.0 * 1.2, 107.6 + (n * 104729 %% 10009) / 10009.0, "
            f"'closed', %s, {created}, {copied} FROM ({numbers}) AS nums, reports_report AS r WHERE r.id = %s",
            [False, count, template_pk])
        cursor.execute("ANALYZE reports_report")


def test_with_most_reports_closed_the_box_index_wins_the_generic_plan(scattered):
    """In the intake benchmark every report is open, and a generic plan sometimes chose the plain
    (lat, lon) index, reading every report of the box whatever its category and state. In production most
    reports are closed: the partial box index is then much smaller, and the plan, built without the
    parameters' values, must go through it."""
    from django.db import connection

    world, now, (lat0, lon0), _, _ = scattered
    _add_closed_reports(connection, Report.objects.order_by("pk").values_list("pk", flat=True).first(), CLOSED_ROWS)
    assert Report.objects.filter(is_open=False).count() > CLOSED_ROWS
    sql, params = duplicates.search_statement(world.traffic.pk, lat0, lon0, now, listed_only=True)
    plan = _search_plan(connection, sql, params)
    assert "reports_open_nearby" in plan, plan
    assert not re.search(r"reports_rep_lat_\w+", plan), plan
