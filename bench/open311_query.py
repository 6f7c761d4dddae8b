"""Open311 queries over 1,000,000 stored reports: ``GET /open311/v2/requests.json`` with filters.

    .venv/bin/python bench/open311_query.py                              # SQLite (fresh temp database)
    scripts/with-postgres .venv/bin/python bench/open311_query.py        # PostgreSQL 15
    options: --reports 1000000 --repeat 30 --workers N

On a fresh database (see ``bench/open311_intake.py`` for the set-up) it bulk-inserts synthetic
reports (``synthetic=True``; COPY on PostgreSQL, executemany on SQLite) spread over two years,
each with its public history events (received, then forwarded / closed), runs ANALYZE, starts
``tinhso serve`` and times each query ``--repeat`` times from one client (latency, not
throughput). The server runs with ``REPORTS_PUBLIC_CACHE_SECONDS = 0`` (``bench/query_settings.py``):
the uncached path is measured, not the 60 s cache of ``reports/public_cache.py``. Baselines in the same run: ``GET discovery.json`` (no database) and the raw SQL of
the same filtered id query (the database's share). Prints p50/p95 and the server's (+ this
run's PostgreSQL) CPU per request for each query, the ratio to the baselines, and the query plan
of the filtered query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import open311_intake as common  # noqa: E402  (shared set-up and server helpers)

SEED = 1311
TRACKING = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SPAN_DAYS = 730


def code_for(i: int) -> str:
    chars = []
    for _ in range(10):
        i, r = divmod(i, 32)
        chars.append(TRACKING[r])
    text = "".join(reversed(chars))
    return f"PA-{text[:5]}-{text[5:]}"


def bulk_insert(count: int, now: dt.datetime, out=print) -> None:
    """``count`` synthetic reports with 2 public events each, as fast as the database allows."""
    from django.conf import settings
    from django.db import connection, transaction

    from tinhso.geo.models import Unit
    from tinhso.reports import sla
    from tinhso.reports.models import Category, HandlingUnit, Report, ReportEvent, State

    rng = random.Random(SEED)
    policy = sla.Policy.load()
    categories = list(Category.objects.values_list("pk", "default_severity"))
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE)
                    .values_list("pk", "lat", "lon"))
    committee = dict(HandlingUnit.objects.filter(commune__isnull=False).values_list("commune_id", "pk"))
    states = [(State.IN_PROGRESS, 25), (State.ASSIGNED, 15), (State.RESOLVED, 10), (State.CLOSED, 45),
              (State.INFO_REQUESTED, 5)]
    state_names, state_weights = zip(*states, strict=True)
    closed_states = {State.RESOLVED, State.CLOSED}
    sqlite = connection.vendor == "sqlite"

    def stamp(value: dt.datetime):
        # SQLite stores naive UTC text (what Django writes); PostgreSQL takes aware datetimes.
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ") if sqlite else value

    report_fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    report_columns = [f.column for f in report_fields]
    defaults = {f.attname: f.get_default() for f in report_fields}
    event_columns = ["report_id", "at", "actor_id", "actor_label", "actor_role", "action", "from_state", "to_state",
                     "note", "public", "data"]

    started = time.perf_counter()
    base_id = (Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    chunk = 50_000
    with transaction.atomic():
        for start in range(0, count, chunk):
            reports, events = [], []
            for i in range(start, min(count, start + chunk)):
                category_id, severity = rng.choice(categories)
                commune_id, lat, lon = rng.choice(communes)
                created = now - dt.timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
                state = rng.choices(state_names, state_weights)[0]
                verified = created + dt.timedelta(hours=1)
                accepted = created + dt.timedelta(hours=4)
                handle_due = accepted + dt.timedelta(days=7)
                accept_due = created + dt.timedelta(hours=8)
                # expected_at as tinhso.reports.sla stores it: the handle deadline once accepted,
                # else the accept deadline plus the handle allowance.
                expected = (handle_due if state != State.ASSIGNED
                            else policy.due(category_id, severity, "handle", accept_due))
                is_closed = state in closed_states
                row = dict(defaults)
                row.update(code=code_for(base_id + i), category_id=category_id,
                           description=f"Phản ánh tổng hợp số {i} (dữ liệu giả lập)", lat=lat + rng.uniform(-.005, .005),
                           lon=lon + rng.uniform(-.005, .005), commune_id=commune_id, province_code=settings.PROVINCE_CODE,
                           handling_unit_id=committee.get(commune_id), state=state, is_open=not is_closed,
                           severity=severity, channel="web", public=True, synthetic=True,
                           created_at=stamp(created), updated_at=stamp(accepted),
                           verified_at=stamp(verified), assigned_at=stamp(verified),
                           accept_started_at=stamp(created), accept_due=stamp(accept_due),
                           accepted_at=stamp(accepted) if state != State.ASSIGNED else None,
                           handle_due=stamp(handle_due) if state != State.ASSIGNED else None,
                           expected_at=stamp(expected),
                           resolved_at=stamp(accepted + dt.timedelta(days=2)) if is_closed else None,
                           closed_at=stamp(accepted + dt.timedelta(days=4)) if state == State.CLOSED else None,
                           status_note="Đã chuyển UBND xã/phường xử lý.")
                reports.append([row[f.attname] for f in report_fields])
                report_id = base_id + i
                events.append([report_id, stamp(created), None, "citizen", "citizen", "submit", "", "submitted", "",
                               True, "{}"])
                events.append([report_id, stamp(verified), None, "system", "operator", "forward", "verified",
                               "assigned", "Chuyển đến UBND xã/phường.", True, "{}"])
            _write(connection, Report._meta.db_table, ["id", *report_columns],
                   [[base_id + start + n, *r] for n, r in enumerate(reports)], sqlite)
            _write(connection, ReportEvent._meta.db_table, event_columns, events, sqlite)
            out(f"    {min(count, start + chunk):>9,} reports ({time.perf_counter() - started:5.1f} s)")
    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute("ANALYZE")
        else:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Report._meta.db_table}', 'id'), "
                           f"(SELECT max(id) FROM {Report._meta.db_table}))")
    if not sqlite:
        connection.connection.autocommit = True
        with connection.connection.cursor() as raw:
            raw.execute("VACUUM ANALYZE")
    out(f"  inserted {count:,} reports and {2 * count:,} events in {time.perf_counter() - started:.1f} s")


def _write(connection, table: str, columns: list[str], rows: list[list], sqlite: bool) -> None:
    if sqlite:
        marks = ", ".join("?" for _ in columns)
        connection.connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return
    with connection.connection.cursor() as raw, raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def timed(server, path: str, repeat: int) -> dict:
    """p50/p95 of ``repeat`` requests after two warm-up ones, and the server's (+ PostgreSQL's) CPU
    per request over those ``repeat``: the figure the other sessions on the machine distort least."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    latencies, size, status = [], 0, None
    for n in range(repeat + 2):
        if n == 2:
            cpu = common.server_cpu(server) + common.database_cpu()
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - started)
        status, size = response.status, len(body)
    cpu = common.server_cpu(server) + common.database_cpu() - cpu
    conn.close()
    latencies = latencies[2:]  # the first two warm the worker
    return {"status": status, "bytes": size, "p50_ms": common.percentile(latencies, 50) * 1000,
            "p95_ms": common.percentile(latencies, 95) * 1000, "count": len(latencies),
            "cpu_ms": cpu / repeat * 1000}


def raw_sql_ms(query: str, repeat: int) -> tuple[float, str]:
    """p95 of the filtered id query alone (ORM-built, executed on a raw cursor), and its plan."""
    from django.db import connection
    from django.test import RequestFactory

    from tinhso.reports.models import Category, Report
    from tinhso.reports.open311 import params as p
    from tinhso.reports.queries import public_q

    args = p.from_querydict(RequestFactory().get("/", dict(x.split("=") for x in query.split("&"))).GET)
    q = p.request_query(args, dt.datetime.now(dt.UTC))
    qs = Report.objects.filter(public_q(), created_at__gte=q.start, created_at__lt=q.end)
    if q.service_codes:
        qs = qs.filter(category_id__in=list(Category.objects.filter(code__in=q.service_codes).values_list("pk", flat=True)))
    if len(q.statuses) == 1:
        qs = qs.filter(is_open=q.statuses[0] == "open")
    qs = qs.order_by("-created_at", "-id").values_list("id", flat=True)[: q.page_size + 1]
    sql, sql_params = qs.query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeat + 2):
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            cursor.fetchall()
            times.append(time.perf_counter() - started)
        explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        cursor.execute(explain + sql, sql_params)
        plan = "\n".join("      " + " ".join(str(c) for c in row) for row in cursor.fetchall())
    return common.percentile(times[2:], 95) * 1000, plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    db = common.database_label()
    env = common.prepare_environment(db + "-query")
    print(f"Open311 query benchmark — {db}, {os.cpu_count()} cores, {args.reports:,} reports, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {os.getloadavg()[0]:.1f}")
    common.run(env, "init")
    common.load_reference()
    from django.db import connections

    bulk_insert(args.reports, dt.datetime.now(dt.UTC))
    sample = [code_for(1 + i * (args.reports // 20)) for i in range(20)]
    end = dt.date.today() - dt.timedelta(days=30)
    week = f"start_date={end - dt.timedelta(days=7)}&end_date={end}"
    queries = [
        ("default (last 90 days, first 1000)", ""),
        ("service_code + status=open", "service_code=traffic&status=open"),
        ("service_code + 7-day window", f"service_code=environment&{week}"),
        ("status=closed, page 5 of 100", "status=closed&page=5&page_size=100"),
        ("status=open, page_size=50", "status=open&page_size=50"),
        ("service_request_id (20 ids)", "service_request_id=" + ",".join(sample)),
    ]
    sql_p95, plan = raw_sql_ms("service_code=traffic&status=open", args.repeat)
    connections.close_all()

    server = common.Server(env, args.workers, settings="query_settings").start()  # public cache off
    try:
        baseline = timed(server, "/open311/v2/discovery.json", args.repeat)
        results = [(name, timed(server, "/open311/v2/requests.json" + (f"?{q}" if q else ""), args.repeat))
                   for name, q in queries]
    finally:
        server.kill()
    print(f"  load average after the runs: {os.getloadavg()[0]:.1f} (other processes share the 2 cores)")
    print(f"  {'baseline GET discovery.json':<38} p50 {baseline['p50_ms']:7.1f} ms  p95 {baseline['p95_ms']:7.1f} ms  "
          f"CPU {baseline['cpu_ms']:6.1f} ms")
    print(f"  {'raw SQL of the filtered id query':<38} p95 {sql_p95:7.1f} ms")
    for name, r in results:
        print(f"  {name:<38} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  CPU {r['cpu_ms']:6.1f} ms  "
              f"({r['bytes'] / 1024:7.0f} KiB, HTTP {r['status']}, x{r['p95_ms'] / baseline['p95_ms']:.0f} discovery)")
    worst = max(r["p95_ms"] for _, r in results)
    print(f"  goal (issue 15): p95 < 100 ms with filters, uncached — worst p95 {worst:.1f} ms: "
          f"{'met' if worst < 100 else 'MISSED'} on {db}")
    print("  plan of the filtered query (service_code=traffic&status=open):")
    print(plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
