"""The IOC wall over 1,000,000 reports: summary latency, first paint, and the cost of fresh aggregates.

    .venv/bin/python bench/ioc.py                          # SQLite (fresh temp database)
    scripts/with-postgres .venv/bin/python bench/ioc.py    # PostgreSQL 15
    options: --reports 1000000 --repeat 30 --intake 400 (0: skip) --work DIR (keep and reuse the
    loaded fixture, see bench/open311_query.py) --load-only --rebuild (time aggregates.rebuild())

1. Bulk-inserts synthetic reports over two years (``bench/open311_query.py``'s loader), builds the
   pre-aggregates once (one INSERT … SELECT, checked against the product's per-day computation on
   sample days; ``--rebuild``: the product's ``aggregates.rebuild()``) and times it.
2. ``GET /api/v1/ioc/summary`` (today / week / month) through Django's full stack in-process
   (middleware, permission check, JSON), p50/p95 — against the **baseline**: the same month's
   per-unit figures computed by a direct query of the report table (``reports.stats.unit_stats``,
   what the wall would cost without pre-aggregates).
3. First paint of ``/ioc`` in headless chromium against ``tinhso serve`` (first-contentful-paint and
   the time until the charts have drawn).
4. Cost of keeping the aggregates fresh: CPU per submitted report through the intake service with
   the upkeep switched off (``aggregates.JOURNAL = False``) and on (each report journalled, a wall
   refresh adding the journal in after every ``--every`` reports), interleaved rounds of the same
   run; then the kept aggregates are compared with a rebuild.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import open311_intake as common  # noqa: E402
import open311_query as loader  # noqa: E402


def cpu() -> float:
    return time.process_time()


def pct(values, q):
    return common.percentile(values, q) * 1000


def timed_calls(fn, repeat: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def day_rows_timings(repeat: int) -> dict:
    """The province summary in-process, summing the per-day rows (the way before the roll-ups) and
    from the roll-ups, same data, backlog cache cleared each call."""
    from django.core.cache import cache

    from tinhso.ioc import summary

    out = {}
    for label, rollups in (("day rows", False), ("roll-ups", True)):
        def call(rollups=rollups):
            cache.delete("ioc:backlog:*")
            summary.summary(period="month", rollups=rollups)
        out[label] = timed_calls(call, repeat)
    return out


def build_aggregates_sql() -> int:
    """The pre-aggregates of every report in one ``INSERT … SELECT … GROUP BY`` (bench only).

    What :func:`tinhso.ioc.aggregates.rebuild` computes, written by the database in one statement
    instead of a Python loop over the days (the product's rebuild is being made set-based
    elsewhere; this keeps the 1,000,000-report fixture quick to build meanwhile). The roll-ups come
    from :func:`aggregates.roll_up` (already SQL). :func:`check_sample_days` compares the result
    with the product's own per-day computation."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tinhso.ioc import aggregates
    from tinhso.ioc.models import RefreshMark, ReportDay, ReportRollup
    from tinhso.reports.models import Report

    started = timezone.now()
    if connection.vendor == "sqlite":
        offset = dt.datetime.now(aggregates.local_tz()).utcoffset()  # no DST in Asia/Ho_Chi_Minh
        day = f"date(created_at, '{int(offset.total_seconds())} seconds')"
        hours = "((julianday(resolved_at) - julianday(created_at)) * 24.0)"
    else:
        day = f"(created_at AT TIME ZONE '{aggregates.local_tz().key}')::date"
        hours = "(EXTRACT(EPOCH FROM resolved_at - created_at) / 3600.0)"
    resolved = "state IN ('resolved', 'closed') AND resolved_at IS NOT NULL"
    edges = aggregates.HOURS_EDGES
    hist = []
    for i in range(len(aggregates.HIST_FIELDS)):
        low = f" AND {hours} >= {edges[i]}" if i else ""
        high = f" AND {hours} < {edges[i + 1]}" if i + 1 < len(edges) else ""
        hist.append(f"SUM(CASE WHEN {resolved}{low}{high} THEN 1 ELSE 0 END)")
    counts = ["COUNT(*)", f"SUM(CASE WHEN {resolved} THEN 1 ELSE 0 END)",
              f"SUM(CASE WHEN {resolved} AND resolved_at <= handle_due THEN 1 ELSE 0 END)",
              "COUNT(rating)", "COALESCE(SUM(rating), 0)", "SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END)",
              "SUM(CASE WHEN synthetic THEN 1 ELSE 0 END)", *hist]
    keys = ", ".join(aggregates.GROUP_KEYS)
    with transaction.atomic():
        ReportRollup.objects.all().delete()
        ReportDay.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {ReportDay._meta.db_table} (day, {keys}, {', '.join(aggregates.COUNT_FIELDS)}) "
                           f"SELECT {day} AS d, {keys}, {', '.join(counts)} FROM {Report._meta.db_table} "
                           f"GROUP BY d, {keys}")
            rows = cursor.rowcount
        aggregates.roll_up()
        RefreshMark.objects.update_or_create(name=aggregates.MARK, defaults={"at": started})
    return rows


def check_sample_days(count: int = 5) -> list[str]:
    """The bench-built day rows of ``count`` sample days against :func:`aggregates._rows_for_day`
    (the product's own computation): the differing days, empty when equal."""
    from tinhso.ioc import aggregates
    from tinhso.ioc.models import ReportDay

    days = sorted(ReportDay.objects.values_list("day", flat=True).distinct())
    fields = ["handling_unit_id", "commune_id", "category_id", *aggregates.COUNT_FIELDS]
    wrong = []
    for day in days[:: max(1, len(days) // count)][:count] + days[-1:]:
        ours = sorted(tuple(getattr(r, f) for f in fields) for r in aggregates._rows_for_day(day))
        stored = sorted(ReportDay.objects.filter(day=day).values_list(*fields))
        if [tuple(x if x is not None else -1 for x in r) for r in ours] != \
                [tuple(x if x is not None else -1 for x in r) for r in stored]:
            wrong.append(str(day))
    return wrong


def api_timings(repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    user = get_user_model().objects.filter(username="bench-ioc").first() or \
        get_user_model().objects.create_superuser("bench-ioc", password="x")
    client = Client()
    client.force_login(user)
    out = {}
    for period in ("today", "week", "month"):
        def call(period=period):
            cache.delete("ioc:backlog:*")  # the province backlog snapshot (cached 10 s): measure it uncached
            response = client.get(f"/api/v1/ioc/summary?period={period}")
            assert response.status_code == 200, response.content[:300]
        out[period] = timed_calls(call, repeat)
    return out


def baseline_timings(repeat: int) -> list[float]:
    from django.utils import timezone

    from tinhso.reports import stats

    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(today.replace(day=1), dt.time(), tzinfo=tz)
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return timed_calls(lambda: (stats.unit_stats(since=since, until=until),
                                stats.category_stats(since=since, until=until)), repeat)


def intake_cost(count: int, every: int) -> dict:
    """CPU per submitted report without any aggregate upkeep (the journal switched off) and with it
    (each report journalled, a wall refresh applying the journal after every ``every`` reports),
    in interleaved rounds of the same run; the aggregates are checked against a rebuild at the end."""
    import random

    from tinhso.geo.models import Unit
    from tinhso.ioc import aggregates
    from tinhso.ioc.models import ReportDay
    from tinhso.reports.intake import submit_report
    from tinhso.reports.models import Category

    rng = random.Random(7)
    categories = list(Category.objects.filter(active=True).values_list("code", flat=True))
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code="68")
                    .values_list("lat", "lon")[:200])
    refreshes = []

    def burst(n, upkeep):
        aggregates.JOURNAL = upkeep
        try:
            started, database = cpu(), common.database_cpu()
            for i in range(n):
                lat, lon = rng.choice(communes)
                submit_report(category=rng.choice(categories), description=f"Bench wall intake {i}", lat=lat,
                              lon=lon)
                if upkeep and (i + 1) % every == 0:
                    t = cpu()
                    aggregates.refresh()
                    refreshes.append(cpu() - t)
            return (cpu() - started) / n, (common.database_cpu() - database) / n
        finally:
            aggregates.JOURNAL = True

    burst(20, True)  # warm caches (policy, locator)
    aggregates.refresh()
    # Interleaved rounds, so that noise from other processes hits both; this process's CPU plus, on
    # PostgreSQL, the database's (its backends do the journal's INSERTs and the refreshes' SQL).
    rounds = [(burst(count // 16, False), burst(count // 16, True)) for _ in range(8)]
    without = statistics.median(sum(r[0]) for r in rounds)
    with_upkeep = statistics.median(sum(r[1]) for r in rounds)
    database = (statistics.median(r[0][1] for r in rounds), statistics.median(r[1][1] for r in rounds))
    # The reports submitted with the journal off are missing from the aggregates by design: a rebuild
    # brings them in; then the upkeep must agree with it (checked on a last journalled burst).
    aggregates.rebuild()
    burst(every * 2, True)
    aggregates.refresh()
    kept = {(r.day, r.handling_unit_id, r.commune_id, r.category_id): [getattr(r, f) for f in aggregates.COUNT_FIELDS]
            for r in ReportDay.objects.all()}
    aggregates.rebuild()
    rebuilt = {(r.day, r.handling_unit_id, r.commune_id, r.category_id): [getattr(r, f) for f in aggregates.COUNT_FIELDS]
               for r in ReportDay.objects.all()}
    return {"without_ms": without * 1000, "with_ms": with_upkeep * 1000, "every": every,
            "database_without_ms": database[0] * 1000, "database_with_ms": database[1] * 1000,
            "overhead": (with_upkeep - without) / without, "equal_to_rebuild": kept == rebuilt,
            "refresh_ms": statistics.median(refreshes) * 1000 if refreshes else None}


def first_paint(env) -> dict:
    from django.contrib.auth import get_user_model

    password = "bench-ioc-paint"
    user = get_user_model().objects.get(username="bench-ioc")
    user.set_password(password)
    user.save()
    from django.db import connections

    connections.close_all()
    server = common.Server(env, 1).start()
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            base = f"http://127.0.0.1:{server.port}"
            page.goto(base + "/dang-nhap?next=/ioc")
            page.fill("input[name=username]", "bench-ioc")
            page.fill("input[name=password]", password)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/ioc**")
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                page.goto(base + "/ioc?period=month")
                page.wait_for_selector("#chart-trend[data-drawn='1']", state="attached")
                drawn = time.perf_counter() - started
                fcp = page.evaluate("() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime")
                runs.append((fcp / 1000 if fcp else None, drawn))
            browser.close()
    finally:
        server.kill()
    fcps = [r[0] for r in runs if r[0] is not None]
    return {"fcp_s": statistics.median(fcps) if fcps else None, "charts_s": statistics.median(r[1] for r in runs)}


def report_intake_cost(args) -> dict:
    cost = intake_cost(args.intake, args.every)
    print(f"  intake CPU per report (this process + PostgreSQL): {cost['without_ms']:.2f} ms without upkeep, "
          f"{cost['with_ms']:.2f} ms with the journal and a wall refresh after every {cost['every']} reports: "
          f"{cost['overhead'] * 100:+.1f} % (goal < 10 %: {'met' if cost['overhead'] < 0.10 else 'MISSED'}); "
          f"of which PostgreSQL {cost['database_without_ms']:.2f} / {cost['database_with_ms']:.2f} ms; one refresh "
          f"(the journal added in) {cost['refresh_ms']:.1f} ms CPU; aggregates equal to a rebuild: "
          f"{cost['equal_to_rebuild']}; load average {os.getloadavg()[0]:.1f}")
    return cost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--intake", type=int, default=600, help="reports submitted to measure the refresh cost (0: skip)")
    parser.add_argument("--every", type=int, default=50,
                        help="a wall refresh after every N reports (50 = every 5 s at 10 reports/s)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--baseline-repeat", type=int, default=0,
                        help="calls of the direct-query baseline (default: repeat / 3, at least 5; each takes "
                             "tens of seconds at 1,000,000 reports)")
    parser.add_argument("--rebuild", action="store_true",
                        help="build the pre-aggregates with the product's `aggregates.rebuild()` (timed) instead of "
                             "the bench's one INSERT … SELECT (a per-day loop: slow at 1,000,000 reports)")
    loader.add_work_argument(parser)
    parser.add_argument("--intake-only", action="store_true",
                        help="after loading, measure only the aggregate upkeep's share of intake CPU")
    parser.add_argument("--open-days", type=float, default=30,
                        help="reports older than this are closed (a realistic backlog; the loader's default "
                             "keeps 45 %% of all reports open)")
    args = parser.parse_args()

    db = common.database_label()
    print(f"IOC wall benchmark — {db}, {os.cpu_count()} cores, {args.reports:,} reports, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    key = loader.fixture_key("ioc", args.reports, args.open_days)
    env, kept = loader.prepare_fixture("ioc", args.work, key)

    from tinhso.ioc import aggregates
    from tinhso.ioc.models import ReportDay, ReportRollup
    from tinhso.reports.models import Report

    if kept is None:
        loaded_at = dt.datetime.now(dt.UTC)
        started_cpu = cpu()
        loader.bulk_insert(args.reports, loaded_at, open_days=args.open_days)
        print(f"  loader CPU (this process): {cpu() - started_cpu:.1f} s")
        started, started_cpu = time.perf_counter(), cpu()
        rows = aggregates.rebuild() if args.rebuild else build_aggregates_sql()
        how = "aggregates.rebuild()" if args.rebuild else "the bench's INSERT … SELECT + aggregates.roll_up()"
        print(f"  pre-aggregates built by {how}: {rows:,} day rows in {time.perf_counter() - started:.1f} s "
              f"(CPU of this process {cpu() - started_cpu:.1f} s)")
        wrong = check_sample_days()
        print(f"  sample days checked against aggregates._rows_for_day: {'equal' if not wrong else 'DIFFER: ' + ', '.join(wrong)}")
        if wrong:
            return 1
        loader.save_fixture({**key, "loaded_at": loaded_at.isoformat()})
    else:
        started = time.perf_counter()
        days = aggregates.refresh()  # the reports a previous run's intake measure added
        print(f"  refresh of the kept pre-aggregates: {days} days in {time.perf_counter() - started:.1f} s")
    print(f"  {ReportDay.objects.count():,} day rows, {ReportRollup.objects.count():,} roll-up rows; "
          f"{Report.objects.count():,} reports, {Report.objects.filter(is_open=True).count():,} open")
    if args.load_only:
        return 0

    if args.intake_only:
        report_intake_cost(args)
        return 0

    from django.core.cache import cache

    # The wall's request path calls aggregates.refresh_if_due() (at most every 5 s). Its refresh is
    # upkeep, measured apart (--intake), so a lease is held here while the read path is timed.
    cache.set("ioc:refresh-lease", 1, 3600)
    api = api_timings(args.repeat)
    base = baseline_timings(args.baseline_repeat or max(5, args.repeat // 3))
    print(f"  baseline: the month's unit + category figures by direct query   p50 {pct(base, 50):7.1f} ms  "
          f"p95 {pct(base, 95):7.1f} ms")
    for period, values in api.items():
        print(f"  GET /api/v1/ioc/summary?period={period:<5}  (whole wall)            p50 {pct(values, 50):7.1f} ms  "
              f"p95 {pct(values, 95):7.1f} ms  (baseline / wall: {pct(base, 50) / pct(values, 50):.1f}×)")
    inproc = day_rows_timings(max(5, args.repeat // 3))
    for label, values in inproc.items():
        print(f"  in-process summary(period=month) from {label:<9}                p50 {pct(values, 50):7.1f} ms  "
              f"p95 {pct(values, 95):7.1f} ms")
    worst = max(pct(v, 95) for v in api.values())
    print(f"  goal: summary p95 < 50 ms — worst {worst:.1f} ms: {'met' if worst < 50 else 'MISSED'}")

    cost = None
    if args.intake:
        cache.delete("ioc:refresh-lease")
        cost = report_intake_cost(args)
        cache.set("ioc:refresh-lease", 1, 3600)  # the browser's server reads the same (database) cache

    if not args.no_browser:
        paint = first_paint(env)
        fcp = f"{paint['fcp_s']:.2f} s" if paint["fcp_s"] is not None else "n/a"
        print(f"  /ioc in headless chromium (1920×1080): first contentful paint {fcp}, charts drawn "
              f"{paint['charts_s']:.2f} s (goal: first paint < 1.5 s)")
    print(f"  load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}; CPU of this process "
          f"{cpu():.1f} s")
    print(json.dumps({"api_p95_ms": {k: round(pct(v, 95), 1) for k, v in api.items()},
                      "month_in_process_p95_ms": {k: round(pct(v, 95), 1) for k, v in inproc.items()},
                      "baseline_p95_ms": round(pct(base, 95), 1), "intake": cost}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
