"""The wall's figures: pre-aggregates agree with counts taken directly from the reports, stay fresh
as reports change, and are scoped to the viewer's unit."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Sum
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.reports.factories import make_report
from tinhso.ioc import aggregates, summary
from tinhso.ioc.models import ReportDay
from tinhso.reports.models import Report, State

pytestmark = pytest.mark.django_db


def _local(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=aggregates.local_tz())


def _populate(w, today: dt.date, n: int = 60, seed: int = 7) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        day = today - dt.timedelta(days=rng.randrange(0, 45))
        created = _local(day, rng.randrange(0, 24))
        state = rng.choice([State.SUBMITTED, State.ASSIGNED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED])
        unit = rng.choice([w.pt, w.mn, w.syt]) if state != State.SUBMITTED else None
        fields = {}
        if state in (State.RESOLVED, State.CLOSED):
            fields["resolved_at"] = created + dt.timedelta(hours=rng.choice([2, 30, 100, 400]))
            fields["handle_due"] = created + dt.timedelta(hours=rng.choice([50, 200]))
            if rng.random() < 0.7:
                fields["rating"] = rng.randint(1, 5)
        make_report(w, state, unit=unit, category=rng.choice([w.traffic, w.environment, w.health]),
                    now=created, **fields)


def _direct(start: dt.date, end: dt.date, unit=None) -> dict:
    """The same figures counted straight from the report table (the independent baseline)."""
    lo, hi = aggregates.day_bounds(start, end)
    qs = Report.objects.filter(created_at__gte=lo, created_at__lt=hi)
    if unit:
        qs = qs.filter(handling_unit__code=unit)
    resolved = qs.filter(state__in=(State.RESOLVED, State.CLOSED), resolved_at__isnull=False)
    on_time = sum(1 for r in resolved if r.resolved_at <= r.handle_due)
    rated = [r.rating for r in qs if r.rating is not None]
    return {"received": qs.count(), "resolved": resolved.count(),
            "on_time_rate": round(on_time / resolved.count(), 4) if resolved.count() else None,
            "satisfaction_rate": round(sum(1 for x in rated if x >= 4) / len(rated), 4) if rated else None}


@pytest.mark.parametrize("period", ["today", "week", "month"])
@pytest.mark.parametrize("unit", [None, "ubnd-phan-thiet"])
def test_summary_equals_direct_counts(world, period, unit):
    today = timezone.localdate()
    _populate(world, today)
    figures = summary.summary(period=period, unit=unit)
    bounds = summary.period_bounds(period, today)
    expected = _direct(bounds["start"], bounds["end"], unit)
    got = figures["reports"]
    assert {k: got[k] for k in expected} == expected
    previous = _direct(bounds["prev_start"], bounds["prev_end"], unit)
    assert got["received_previous"] == previous["received"]
    assert sum(row["received"] for row in got["categories"]) == expected["received"]


def test_backlog_is_a_snapshot_of_open_reports(world):
    now = timezone.now()
    late = make_report(world, State.ASSIGNED, unit=world.pt, now=now - dt.timedelta(days=30))
    make_report(world, State.ASSIGNED, unit=world.mn, now=now)
    make_report(world, State.CLOSED, unit=world.pt, now=now - dt.timedelta(days=30))
    figures = summary.summary(period="month")
    assert figures["reports"]["open_backlog"] == Report.objects.filter(is_open=True).count() == 2
    assert figures["reports"]["overdue_backlog"] == 1
    league = {row["code"]: row for row in figures["reports"]["units"]}
    assert league[late.handling_unit.code]["overdue"] == 1
    assert league["ubnd-mui-ne"]["overdue"] == 0


def test_changes_reach_the_aggregates_incrementally(world):
    day = timezone.localdate() - dt.timedelta(days=2)
    report = make_report(world, State.IN_PROGRESS, unit=world.pt, now=_local(day))
    make_report(world, State.IN_PROGRESS, unit=world.pt, now=_local(day - dt.timedelta(days=5)))
    assert aggregates.rebuild() == 2
    one_day = lambda: summary._totals(None, day, day + dt.timedelta(days=1))  # noqa: E731
    assert (one_day()["received"], one_day()["resolved"]) == (1, 0)
    assert aggregates.refresh() == 0  # nothing changed since
    # Resolve it late and rate it (the workflow stamps updated_at): only its day is recomputed.
    report.state, report.is_open = State.RESOLVED, False
    report.resolved_at = report.handle_due + dt.timedelta(hours=1)
    report.rating = 5
    report.updated_at = timezone.now()
    report.save()
    assert aggregates.refresh() == 1
    after = one_day()
    assert (after["received"], after["resolved"], after["on_time_rate"], after["satisfaction_rate"]) == (1, 1, 0.0, 1.0)


def test_rebuild_gives_the_same_rows_as_incremental_refresh(world):
    today = timezone.localdate()
    _populate(world, today, n=40, seed=3)
    aggregates.refresh()
    key = lambda r: (r.day, r.handling_unit_id, r.commune_id, r.category_id)  # noqa: E731
    fields = ("received", "resolved", "on_time", "rated", "rating_sum", "satisfied", *aggregates.HIST_FIELDS)
    incremental = {key(r): tuple(getattr(r, f) for f in fields) for r in ReportDay.objects.all()}
    aggregates.rebuild()
    rebuilt = {key(r): tuple(getattr(r, f) for f in fields) for r in ReportDay.objects.all()}
    assert incremental == rebuilt
    assert sum(v[0] for v in rebuilt.values()) == Report.objects.count()


@given(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)), st.sampled_from(summary.PERIODS))
def test_periods_are_to_date_and_compare_like_with_like(today, period):
    b = summary.period_bounds(period, today)
    assert b["start"] <= today < b["end"] == today + dt.timedelta(days=1)
    assert b["prev_end"] <= b["start"]
    assert (b["prev_end"] - b["prev_start"]) <= (b["end"] - b["start"])
    if period != "month":
        assert b["prev_end"] - b["prev_start"] == b["end"] - b["start"]


def test_median_from_histogram():
    hist = [0] * len(aggregates.HOURS_EDGES)
    assert summary.median_from_hist(hist) is None
    for hours in (3, 5, 7, 30, 31):  # median 7 h lies in the [4, 8) bucket
        hist[aggregates.bucket(hours)] += 1
    assert 4 <= summary.median_from_hist(hist) < 8


def test_unknown_period_and_unit_are_user_errors(world):
    from tinhso.core.errors import UserError

    with pytest.raises(UserError):
        summary.summary(period="year")
    with pytest.raises(UserError) as err:
        summary.summary(period="today", unit="nope")
    assert err.value.status == 404


def test_dossiers_and_rankings_say_no_data_instead_of_numbers(world):
    figures = summary.summary(period="today")
    assert figures["dossiers"]["available"] is False
    assert figures["rankings"]["series"] == [] or figures["rankings"]["available"]


def _grant(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="ioc", codename="view_wall"))


def test_api_requires_permission_and_limits_unit_staff_to_their_unit(world, client):
    make_report(world, State.ASSIGNED, unit=world.pt)
    make_report(world, State.ASSIGNED, unit=world.mn)
    assert client.get("/api/v1/ioc/summary").status_code == 401
    client.force_login(world.users["h_pt"])
    assert client.get("/api/v1/ioc/summary").status_code == 403
    _grant(world.users["h_pt"])
    body = client.get("/api/v1/ioc/summary?period=month").json()
    assert body["unit"] == "ubnd-phan-thiet"
    assert {row["code"] for row in body["reports"]["units"]} == {"ubnd-phan-thiet"}
    assert client.get("/api/v1/ioc/summary?unit=ubnd-mui-ne").status_code == 404
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    body = client.get("/api/v1/ioc/summary?period=month").json()
    assert body["unit"] is None and body["reports"]["open_backlog"] == 2


def test_public_summary_has_no_personal_data(world, client):
    make_report(world, State.ASSIGNED, unit=world.pt)
    response = client.get("/api/v1/ioc/public-summary?period=month")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in ("Trần Thị B", "0987654321", "b@example.org", "Đèn đường hỏng"):
        assert secret not in text
    assert client.get("/api/v1/ioc/open-reports").status_code == 401


def test_open_reports_layer_marks_overdue_and_hides_people(world, client):
    now = timezone.now()
    late = make_report(world, State.ASSIGNED, unit=world.pt, now=now - dt.timedelta(days=30))
    fresh = make_report(world, State.ASSIGNED, unit=world.pt, now=now)
    make_report(world, State.CLOSED, unit=world.pt, now=now)
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    features = client.get("/api/v1/ioc/open-reports").json()["features"]
    flags = {f["properties"]["code"]: f["properties"]["overdue"] for f in features}
    assert flags == {late.code: True, fresh.code: False}
    assert "Trần Thị B" not in str(features)


def test_wall_page_renders_the_api_numbers(world, client):
    _populate(world, timezone.localdate(), n=20)
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    page = client.get("/ioc?period=week")
    assert page.status_code == 200
    api = client.get("/api/v1/ioc/summary?period=week").json()
    html = page.content.decode()
    assert f'data-figure="reports.received" data-format="int">{api["reports"]["received"]}<' in html
    assert "Chưa có dữ liệu hồ sơ" in html
    assert client.get("/ioc/cong-khai").status_code == 200


def test_wall_page_redirects_anonymous_and_refuses_without_permission(world, client):
    assert client.get("/ioc").status_code == 302
    client.force_login(world.users["h_mn"])
    assert client.get("/ioc").status_code == 403


def test_refresh_is_throttled_but_a_rebuild_is_not(world):
    from django.core.cache import cache

    make_report(world, State.SUBMITTED)
    assert aggregates.refresh_if_due() == 1
    make_report(world, State.SUBMITTED)
    assert aggregates.refresh_if_due() == 0  # within REFRESH_EVERY seconds of the last one
    cache.delete("ioc:refresh-lease")
    assert aggregates.refresh_if_due() == 1
    assert ReportDay.objects.aggregate(n=Sum("received"))["n"] == Report.objects.count() == 2


def test_rising_categories_compare_this_week_with_the_four_before(world):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    for w in range(1, 5):  # one environment report in each of the four previous weeks
        make_report(world, State.SUBMITTED, category=world.environment, now=_local(monday - dt.timedelta(days=7 * w)))
    for i in range(6):  # six this week: 6 ≥ 5 and 6 ≥ 1.5 × 1
        make_report(world, State.SUBMITTED, category=world.environment, now=_local(monday, 8 + i))
    for w in range(0, 5):  # traffic is flat: two a week
        for i in range(2):
            make_report(world, State.SUBMITTED, category=world.traffic, now=_local(monday - dt.timedelta(days=7 * w), 9 + i))
    rising = summary.summary(period="week")["reports"]["rising"]
    assert [(r["code"], r["this_week"], r["baseline"]) for r in rising] == [("environment", 6, 1.0)]


def _rollups_from_days() -> dict:
    """Every roll-up row as summed here in Python from the ReportDay rows (the independent check)."""
    from tinhso.ioc.models import ReportRollup  # noqa: F401  (the table under test)

    out: dict = {}
    for r in ReportDay.objects.all():
        for dim, column in aggregates.ROLLUP_DIMS.items():
            key = (r.day, dim, getattr(r, column) if column else None)
            sums = out.setdefault(key, [0] * len(aggregates.COUNT_FIELDS))
            for i, field in enumerate(aggregates.COUNT_FIELDS):
                sums[i] += getattr(r, field)
    return out


def _rollups() -> dict:
    from tinhso.ioc.models import ReportRollup

    return {(r.day, r.dim, r.ref): [getattr(r, f) for f in aggregates.COUNT_FIELDS] for r in ReportRollup.objects.all()}


def test_rollups_follow_the_day_rows_through_refresh_and_rebuild(world):
    today = timezone.localdate()
    _populate(world, today, n=50, seed=11)
    aggregates.refresh()
    assert _rollups() == _rollups_from_days() and _rollups()
    # A change to one report: its day's roll-ups move with its day rows, the others stay.
    report = Report.objects.filter(state=State.IN_PROGRESS).first()
    report.state, report.is_open, report.rating = State.RESOLVED, False, 4
    report.resolved_at = report.created_at + dt.timedelta(hours=3)
    report.updated_at = timezone.now()
    report.save()
    assert aggregates.refresh() == 1
    assert _rollups() == _rollups_from_days()
    aggregates.rebuild()
    assert _rollups() == _rollups_from_days()
    total = sum(v[0] for (day, dim, ref), v in _rollups().items() if dim == "t")
    assert total == Report.objects.count()


@pytest.mark.parametrize("period", ["today", "week", "month"])
def test_province_wall_from_rollups_equals_the_day_rows(world, period):
    today = timezone.localdate()
    _populate(world, today, n=80, seed=5)
    from_rollups = summary.summary(period=period)["reports"]
    from_days = summary.summary(period=period, rollups=False)["reports"]
    for block in (from_rollups, from_days):
        block.pop("backlog_as_of")
    assert from_rollups == from_days
    assert from_rollups["received"] and from_rollups["units"] and from_rollups["categories"]


def _aggregate_rows() -> tuple[dict, dict]:
    """Every day row and roll-up row, keyed by what identifies it (ids left out)."""
    from tinhso.ioc.models import ReportRollup

    days = {(r.day, r.handling_unit_id, r.commune_id, r.category_id): [getattr(r, f) for f in aggregates.COUNT_FIELDS]
            for r in ReportDay.objects.all()}
    rollups = {(r.day, r.dim, r.ref): [getattr(r, f) for f in aggregates.COUNT_FIELDS] for r in ReportRollup.objects.all()}
    assert len(days) == ReportDay.objects.count() and len(rollups) == ReportRollup.objects.count()  # no duplicate keys
    return days, rollups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_upkeep_per_change_equals_a_rebuild_after_random_submissions_and_changes(world, seed):
    """Submissions through intake and random workflow transitions (forward, reassign, accept, resolve,
    rate, reopen, reject, merge …) journal their changes; after each batch the refreshed aggregates
    equal those recomputed from scratch by rebuild(), and their totals the report count."""
    from tinhso.reports import intake, workflow
    from tinhso.reports.permissions import CITIZEN, HANDLER, OPERATOR, SUPERVISOR, Actor
    from tinhso.reports.workflow import BY_ACTION

    rng = random.Random(seed)
    staff = Actor("op", frozenset({OPERATOR, HANDLER, SUPERVISOR}), province_wide=True)
    now = timezone.now()
    points = [(world.phan_thiet.lat, world.phan_thiet.lon), (world.mui_ne.lat, world.mui_ne.lon)]
    aggregates.rebuild()
    checked = 0
    for batch in range(6):
        for _ in range(12):
            reports = list(Report.objects.all())
            if not reports or rng.random() < 0.4:
                lat, lon = rng.choice(points)
                created = now - dt.timedelta(days=rng.randrange(0, 40), hours=rng.randrange(0, 24))
                intake.submit_report(category=rng.choice(["traffic", "environment", "health"]),
                                     description="Ổ gà", lat=lat, lon=lon, now=created)
                continue
            report = rng.choice(reports)
            actions = [a for a, t in BY_ACTION.items() if report.state in t.sources and a != "auto_assign"]
            if not actions:  # merged: nothing more happens to it
                continue
            action = rng.choice(actions)
            when = max(report.updated_at, report.created_at) + dt.timedelta(hours=rng.choice([1, 5, 30, 200, 800]))
            changes, actor = {}, staff
            if action in ("forward", "reassign"):
                changes["handling_unit"] = rng.choice([world.pt, world.mn, world.syt])
            elif action == "merge":
                parents = [r for r in reports if r.pk != report.pk and r.state not in (State.REJECTED, State.MERGED)]
                if not parents:
                    continue
                changes["parent"] = rng.choice(parents)
            elif action == "rate":
                changes.update(rating=rng.randint(1, 5), rated_at=when)
            if BY_ACTION[action].roles == {CITIZEN}:
                actor = Actor("citizen", frozenset({CITIZEN}), holds_report=report.code)
            workflow.transition(report, action, actor, note="ghi chú", now=when, changes=changes)
        # An edit outside the workflow (admin-style) that moves a report to another category and day.
        edited = rng.choice(list(Report.objects.all()))
        edited.category = rng.choice([world.traffic, world.environment, world.health])
        edited.created_at -= dt.timedelta(days=1)
        edited.save()
        aggregates.refresh()
        incremental = _aggregate_rows()
        aggregates.rebuild()
        rebuilt = _aggregate_rows()
        assert incremental == rebuilt, f"batch {batch}"
        assert sum(v[0] for (day, dim, ref), v in rebuilt[1].items() if dim == "t") == Report.objects.count()
        checked += 1
    assert checked == 6 and Report.objects.exclude(state=State.SUBMITTED).exists()


def test_upkeep_survives_aggregates_out_of_step(world):
    """A change whose sums do not fit the stored rows (reports loaded without the journal, then
    changed) makes refresh recompute the days concerned instead of failing the wall."""
    from tinhso.ioc.models import ReportChange

    report = make_report(world, State.IN_PROGRESS, unit=world.pt)
    ReportChange.objects.all().delete()  # as if bulk-loaded behind the journal's back
    ReportDay.objects.all().delete()
    report.state, report.is_open, report.resolved_at = State.RESOLVED, False, timezone.now()
    report.save()  # journals −1 (in progress) and +1 (resolved): the −1 has no row to come off
    assert aggregates.refresh() == 1
    days, rollups = _aggregate_rows()
    aggregates.rebuild()
    assert (days, rollups) == _aggregate_rows()
    assert ReportDay.objects.get().resolved == 1


def test_a_save_that_changes_nothing_counted_journals_nothing(world):
    from tinhso.ioc.models import ReportChange

    report = make_report(world, State.SUBMITTED)
    assert ReportChange.objects.count() == 1
    report.description = "Đèn đường vẫn hỏng"
    report.save()
    report.save(update_fields=["description"])
    assert ReportChange.objects.count() == 1
    aggregates.refresh()
    assert ReportChange.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_upkeep_loses_nothing_under_concurrent_submissions_changes_and_refreshes(registry_after_flush, world):
    """PostgreSQL, several connections at once: submissions, workflow changes and refreshes running
    together leave the aggregates equal to a rebuild (no lost or doubly counted change)."""
    import threading

    from django.db import connection, connections

    from tinhso.reports import intake, workflow
    from tinhso.reports.permissions import HANDLER, OPERATOR, SUPERVISOR, Actor

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections (PostgreSQL); SQLite runs one writer at a time")
    staff = Actor("op", frozenset({OPERATOR, HANDLER, SUPERVISOR}), province_wide=True)
    seeded = [make_report(world, State.ASSIGNED, unit=world.pt) for _ in range(20)]
    aggregates.rebuild()
    start, done, errors = threading.Barrier(5), threading.Event(), []

    def submit(seed):
        rng = random.Random(seed)
        for _ in range(15):
            intake.submit_report(category=rng.choice(["traffic", "environment", "health"]), description="Ổ gà",
                                 lat=world.phan_thiet.lat, lon=world.phan_thiet.lon,
                                 now=timezone.now() - dt.timedelta(days=rng.randrange(0, 3)))

    def change():
        for report in seeded:
            workflow.transition(report, "accept", staff)
            workflow.transition(report, "resolve", staff, note="xong")

    def refresh():
        while not done.is_set():
            aggregates.refresh()

    def run(fn, *args):
        try:
            start.wait()
            fn(*args)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(submit, i)) for i in range(3)] + [threading.Thread(target=run, args=(change,))]
    refresher = threading.Thread(target=run, args=(refresh,))
    for t in [*workers, refresher]:
        t.start()
    for t in workers:
        t.join(120)
    done.set()
    refresher.join(60)
    assert not errors
    aggregates.refresh()
    kept = _aggregate_rows()
    aggregates.rebuild()
    assert kept == _aggregate_rows()
    assert sum(v[0] for (day, dim, ref), v in kept[1].items() if dim == "t") == Report.objects.count() == 65
    assert sum(v[1] for (day, dim, ref), v in kept[1].items() if dim == "t") == 20


def test_the_wall_labels_synthetic_reports_wherever_it_shows_them(world, client):
    """Today holds only a real report, but the 30-day chart and the open backlog hold synthetic ones: the
    wall still says its report figures include synthetic data. Without any, no label."""
    today = timezone.localdate()
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    make_report(world, State.SUBMITTED, now=_local(today, 0) + dt.timedelta(minutes=5))
    banner = "số liệu phản ánh trên màn hình này được sinh tự động"
    aggregates.refresh()
    assert banner not in client.get("/ioc?period=today").content.decode()
    make_report(world, State.IN_PROGRESS, unit=world.pt, now=_local(today - dt.timedelta(days=10)), synthetic=True)
    from django.core.cache import cache

    cache.clear()
    aggregates.refresh()
    figures = summary.summary(period="today")["reports"]
    assert figures["synthetic"] == 0 and figures["synthetic_shown"] == 2  # the series and the backlog
    assert banner in client.get("/ioc?period=today").content.decode()


def test_the_wall_leads_each_viewer_to_a_queue_they_may_open(world, client):
    """The overdue tile and the map's points lead an operator to the IOC queue, a unit's supervisor to the
    units' queue (the IOC's is closed to them: it was a 403), each link opening for its viewer."""
    import json
    import re

    from django.contrib.auth import get_user_model

    from tinhso.reports.models import Membership, Role

    make_report(world, State.ASSIGNED, unit=world.pt, now=timezone.now() - dt.timedelta(days=30))
    leader = get_user_model().objects.create_user("leader-tinh", password="x")
    Membership.objects.create(user=leader, role=Role.LEADER, unit=None)  # province-wide, no unit picked
    for user, queue in ((world.users["op"], "/ioc/phan-anh"), (world.users["sup_pt"], "/don-vi/phan-anh"),
                        (leader, "/don-vi/phan-anh")):
        name = user.get_username()
        _grant(user)
        client.force_login(user)
        page = client.get("/ioc").content.decode()
        tile = re.search(r'<a class="tile alert" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        assert tile == f"{queue}?overdue=1", (name, tile)
        assert client.get(tile).status_code == 200, (name, tile)
        config = json.loads(re.search(r'id="ioc-config" type="application/json">(.*?)</script>', page, re.S).group(1))
        assert config["queue"] == queue
        client.logout()


def test_the_wall_names_units_in_the_pages_language(world, client):
    """An English wall names handling units and communes in English (the API carries both names, the
    page's script picks one); the chosen unit's heading is its name, not its code."""
    from tinhso.reports.models import HandlingUnit

    HandlingUnit.objects.filter(code="ubnd-phan-thiet").update(name_en="People's Committee of Phan Thiet Ward")
    _populate(world, timezone.localdate(), n=20)
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    api = client.get("/api/v1/ioc/summary?period=month").json()
    row = next(u for u in api["reports"]["units"] if u["code"] == "ubnd-phan-thiet")
    assert row["name"] == "UBND Phường Phan Thiết" and row["name_en"] == "People's Committee of Phan Thiet Ward"
    communes = {c["name"]: c["name_en"] for c in api["reports"]["communes"]}
    assert communes and all(en for en in communes.values()), communes
    client.cookies["django_language"] = "en"
    html = client.get("/ioc?period=month&unit=ubnd-phan-thiet").content.decode()
    assert '<span id="unit-name">People&#x27;s Committee of Phan Thiet Ward</span>' in html
    # The unit field shows the chosen unit's name, not its code (it was a text box holding the code).
    assert '<option value="ubnd-phan-thiet" selected>People&#x27;s Committee of Phan Thiet Ward</option>' in html
    assert 'value="ubnd-phan-thiet" placeholder' not in html and 'list="unit-list"' not in html
    assert "UBND Phường Phan Thiết" not in html
    client.cookies["django_language"] = "vi"
    html = client.get("/ioc?period=month&unit=ubnd-phan-thiet").content.decode()
    assert '<span id="unit-name">UBND Phường Phan Thiết</span>' in html
    assert '<option value="ubnd-phan-thiet" selected>UBND Phường Phan Thiết</option>' in html
    assert '<optgroup label="UBND xã/phường">' in html and '<optgroup label="Sở, ngành">' in html


def test_the_walls_first_paint_shows_figures_formatted_as_its_script_does(world, client):
    """Before (or without) the script, a tile reads "58,6%" on a Vietnamese wall and "58.6%" on an
    English one, not the API's 0.5858; thousands are grouped the reader's way."""
    from decimal import ROUND_HALF_UP, Decimal

    from django.utils import translation

    from tinhso.ioc.templatetags.wall import figure

    _populate(world, timezone.localdate(), n=120)
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    api = client.get("/api/v1/ioc/summary?period=month").json()["reports"]
    key = next(k for k in ("on_time_rate", "satisfaction_rate") if api[k] is not None and 0 < api[k] < 1)
    rate, marker = api[key], f'data-figure="reports.{key}" data-format="pct">'
    # Halves round away from zero, as the browser's Intl.NumberFormat does.
    percent = Decimal(str(rate * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    expected = f"{percent:f}".rstrip("0").rstrip(".")
    html = client.get("/ioc?period=month").content.decode()
    assert html.split(marker)[1].split("<")[0] == expected.replace(".", ",") + "%", rate
    client.cookies["django_language"] = "en"
    html = client.get("/ioc?period=month").content.decode()
    assert html.split(marker)[1].split("<")[0] == expected + "%", rate
    with translation.override("vi"):
        assert [figure(3612, "int"), figure(0.5858, "pct"), figure(84.0234, "num"), figure(-0.0666, "pp"),
                figure(None, "pct"), figure(0.1875, "pp"), figure(0.0625, "pct")] == [
            "3.612", "58,6%", "84,02", "-6,66 điểm %", "—", "+18,75 điểm %", "6,3%"]
    with translation.override("en"):
        assert [figure(1234567, "int"), figure(1, "pct"), figure(-21, "int")] == ["1,234,567", "100%", "-21"]


def test_open_reports_carry_both_category_names_and_english_cameras_read_illustrative(world, client):
    from tinhso.ioc.models import Camera

    make_report(world, State.ASSIGNED, unit=world.pt, category=world.traffic)
    Camera.objects.create(name="Camera trên cao — Đồi Dương (minh họa)", lat=10.93, lon=108.11,
                          owner="IOC Phan Thiết (minh họa / synthetic)", public=True, synthetic=True)
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    props = client.get("/api/v1/ioc/open-reports").json()["features"][0]["properties"]
    assert (props["category"], props["category_en"]) == ("Giao thông", "Traffic")
    def cameras(language: str) -> list[dict]:
        import json
        import re

        page = client.get("/ioc", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return json.loads(re.search(r'<script id="ioc-config" type="application/json">(.*?)</script>', page, re.S)
                          .group(1))["cameras"]

    english = cameras("en")[0]
    assert (english["name"], english["owner"]) == ("Camera trên cao — Đồi Dương (illustrative)", "IOC Phan Thiết (illustrative)")
    assert cameras("vi")[0]["name"] == "Camera trên cao — Đồi Dương (minh họa)"


def test_an_administrator_without_a_working_role_does_not_see_the_wall(world, client):
    """The wall is work (tinhso.core.roles.WORK_PERMISSIONS): the administrator group does not hold it,
    and an administrator is told the account may not view the wall (not that it has no unit)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from tinhso.core import roles

    roles.ensure_groups()
    group, _ = Group.objects.get_or_create(name=roles.ADMINISTRATOR)
    assert not group.permissions.filter(content_type__app_label="ioc", codename="view_wall").exists()
    admin = get_user_model().objects.create_user("wall-administrator", password="x")  # no membership, not a superuser
    admin.groups.add(group)
    client.force_login(admin)
    answer = client.get("/api/v1/ioc/summary")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert client.get("/ioc").status_code == 403


def test_an_unknown_unit_is_a_404_on_every_answer(world, client):
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    for url in ("/api/v1/ioc/summary?unit=nope", "/api/v1/ioc/open-reports?unit=nope", "/ioc?unit=nope"):
        answer = client.get(url)
        assert answer.status_code == 404, url
    assert client.get("/api/v1/ioc/open-reports?unit=nope").json()["error"]["field"] == "unit"


def test_every_report_tile_leads_to_a_list_the_viewer_may_open(world, client):
    """The received tile leads staff to their queue's list of every state received on the wall's days
    rather than the province's statistics; the on-time tile to the resolved ones of those (not to the
    received list), the satisfaction tile to the rated ones, the backlog to the overdue ones, each with
    the wall's unit when it is scoped to one and their queue spans units; the public wall to the
    statistics of the same days."""
    import re

    from django.contrib.auth import get_user_model

    from tinhso.reports.models import Membership, Role

    make_report(world, State.ASSIGNED, unit=world.pt)
    bounds = summary.period_bounds("week", timezone.localdate())
    since, until = bounds["start"].isoformat(), (bounds["end"] - dt.timedelta(days=1)).isoformat()
    leader = get_user_model().objects.create_user("leader-tinh", password="x")
    Membership.objects.create(user=leader, role=Role.LEADER, unit=None)  # province-wide: the units' queue spans them
    for user, queue, unit, scope in (
            (world.users["op"], "/ioc/phan-anh", "", ""),
            (world.users["op"], "/ioc/phan-anh", "ubnd-mui-ne", "&unit=ubnd-mui-ne"),
            (leader, "/don-vi/phan-anh", "ubnd-mui-ne", "&unit=ubnd-mui-ne"),
            (world.users["sup_pt"], "/don-vi/phan-anh", "ubnd-phan-thiet", "")):  # their queue is that unit's
        _grant(user)
        client.force_login(user)
        page = client.get(f"/ioc?period=week&unit={unit}").content.decode()
        tiles = [h.replace("&amp;", "&") for h in re.findall(r'<a class="tile[^"]*" href="([^"]+)"', page)][:4]
        received = f"{queue}?state=all&since={since}&until={until}{scope}"
        on_time = f"{queue}?state=all&since={since}&until={until}&resolved=1{scope}"
        satisfaction = f"{queue}?state=all&since={since}&until={until}&rated=1{scope}"
        assert tiles == [received, on_time, f"{queue}?overdue=1{scope}", satisfaction], tiles
        for href in set(tiles):
            assert client.get(href).status_code == 200, href
        client.logout()
    public = client.get("/ioc/cong-khai?period=week").content.decode()
    assert f'href="/phan-anh/thong-ke?since={since}&amp;until={until}"' in public
    assert "/ioc/phan-anh" not in public and "/don-vi/" not in public


@pytest.mark.parametrize("period", ["today", "week", "month"])
@pytest.mark.parametrize("unit", ["", "ubnd-phan-thiet"])
def test_a_report_tile_opens_exactly_the_reports_it_counts(world, client, period, unit):
    """Followed, the "received" tile lists as many reports as it shows (every state, received on the
    wall's local days, of the wall's unit), the backlog tile as many as are overdue now; a commune's
    polygon adds its code to the link of the figure the map is shaded by."""
    import json
    import re

    today = timezone.localdate()
    _populate(world, today, n=80)
    make_report(world, State.SUBMITTED, now=_local(today, 0) + dt.timedelta(minutes=5))  # just after local midnight
    make_report(world, State.SUBMITTED, now=_local(today, 0) - dt.timedelta(minutes=5))  # just before
    make_report(world, State.ASSIGNED, unit=world.pt, now=timezone.now() - dt.timedelta(days=30))  # overdue now
    aggregates.rebuild()
    client.force_login(world.users["op"])
    _grant(world.users["op"])
    page = client.get(f"/ioc?period={period}&unit={unit}")
    figures = page.context["figures"]["reports"]
    html = page.content.decode()
    received, on_time, overdue, satisfaction = [
        h.replace("&amp;", "&") for h in re.findall(r'<a class="tile[^"]*" href="([^"]+)"', html)][:4]
    assert client.get(received).context["total"] == figures["received"], received
    assert client.get(overdue).context["total"] == figures["overdue_backlog"] > 0, overdue
    # The rate tiles open the reports they divide by, and those rows give the tile's share.
    resolved = _all_rows(client, on_time)
    assert client.get(on_time).context["total"] == len(resolved) == figures["resolved"], on_time
    assert all(r["resolved_on_time"] is not None for r in resolved)
    shown_on_time = sum(1 for r in resolved if r["resolved_on_time"])
    assert (round(shown_on_time / len(resolved), 4) if resolved else None) == figures["on_time_rate"], on_time
    rated = _all_rows(client, satisfaction)
    assert client.get(satisfaction).context["total"] == len(rated) == figures["rated"], satisfaction
    satisfied = sum(1 for r in rated if r["rating"] >= 4)
    assert (round(satisfied / len(rated), 4) if rated else None) == figures["satisfaction_rate"], satisfaction
    if period == "month" and not unit:
        assert resolved and rated  # the case the rate checks are about
    config = json.loads(re.search(r'id="ioc-config" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert config["report_links"] == {"received": received, "overdue": overdue}
    commune = client.get(received + f"&commune={world.phan_thiet.code}")
    assert commune.status_code == 200 and commune.context["params"].commune == world.phan_thiet.code


def _all_rows(client, href: str) -> list[dict]:
    """Every row of a queue list, page after page."""
    rows, number = [], 1
    while True:
        answer = client.get(href + f"&page={number}")
        rows += answer.context["rows"]
        if not answer.context["page"].has_next():
            return rows
        number += 1


def test_the_on_time_and_satisfaction_lists_say_each_report_s_state_in_words(world, client):
    """The list behind the on-time tile says of each resolved report whether it was resolved on time;
    the one behind the satisfaction tile shows each rating; both name their filter, in either language."""
    now = timezone.now()
    created = now - dt.timedelta(days=2)
    early = make_report(world, State.RESOLVED, unit=world.pt, now=created, resolved_at=created + dt.timedelta(hours=5),
                        handle_due=created + dt.timedelta(hours=50), rating=5)
    late = make_report(world, State.CLOSED, unit=world.pt, now=created, resolved_at=created + dt.timedelta(hours=40),
                       handle_due=created + dt.timedelta(hours=20))
    make_report(world, State.IN_PROGRESS, unit=world.pt, now=created)  # received, neither resolved nor rated
    client.force_login(world.users["op"])
    html = client.get("/ioc/phan-anh?state=all&resolved=1").content.decode()

    def row(code):
        return html.split(f'data-code="{code}"')[1].split("</tr>")[0]

    assert "Xong đúng hạn" in row(early.code) and "Xong không đúng hạn" in row(late.code)
    assert html.count('<tr data-code="') == 2 and "đã xử lý xong (đúng hạn hoặc không)" in html
    html = client.get("/ioc/phan-anh?state=all&rated=1").content.decode()
    assert html.count('<tr data-code="') == 1 and "Đánh giá 5/5 sao" in row(early.code)
    assert "người dân đã đánh giá" in html and 'name="rated" value="1"' in html  # kept when filtering again
    client.cookies["django_language"] = "en"
    html = client.get("/ioc/phan-anh?state=all&resolved=1").content.decode()
    assert "Resolved on time" in row(early.code) and "Resolved late" in row(late.code)
    assert "Rated 5/5 stars" in row(early.code)


def test_the_commune_polygons_carry_the_code_the_queue_filters_by(world, client):
    from tinhso.reports.queue import commune_units

    features = client.get("/phan-anh/ban-do/xa.geojson").json()["features"]
    codes = {f["properties"]["code"] for f in features}
    assert world.phan_thiet.code in codes and codes <= set(commune_units().values_list("code", flat=True))
