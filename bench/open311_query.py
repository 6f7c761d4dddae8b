"""Open311 queries over 1,000,000 stored reports: ``GET /open311/v2/requests.json`` with filters.

    .venv/bin/python bench/open311_query.py                              # SQLite (fresh temp database)
    scripts/with-postgres .venv/bin/python bench/open311_query.py        # PostgreSQL 15
    options: --reports 1000000 --repeat 30 --workers N
    --work DIR: keep the loaded database there and reuse it next time (same size, seed, loader);
      on PostgreSQL with TINHSO_PG_KEEP=DIR/pg-query scripts/with-postgres …; --load-only: load and stop

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


def bulk_insert(count: int, now: dt.datetime, out=print, *, open_days: float | None = None) -> None:
    """``count`` synthetic reports with 2 public events each, as fast as the database allows.

    The values are drawn with numpy, column by column (seeded), and written with the secondary
    indexes of the two tables dropped (COPY on PostgreSQL, ``executemany`` on SQLite), then the
    indexes are rebuilt in one pass each: maintaining a dozen b-trees row by row was most of the
    former loader's time (1,000,000 reports: ~10 minutes on PostgreSQL under load). ``open_days``:
    reports received longer ago than that are all closed (a realistic backlog for the IOC wall;
    by default 45 % of all reports stay open, whatever their age)."""
    import numpy as np
    from django.conf import settings
    from django.db import connection, transaction

    from tinhso.geo.models import Unit
    from tinhso.reports import sla
    from tinhso.reports.models import Category, HandlingUnit, Report, ReportEvent, State

    rng = np.random.default_rng(SEED)
    policy = sla.Policy.load()
    categories = list(Category.objects.values_list("pk", "default_severity"))
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE)
                    .values_list("pk", "lat", "lon"))
    committee = dict(HandlingUnit.objects.filter(commune__isnull=False).values_list("commune_id", "pk"))
    states = [(State.IN_PROGRESS, 25), (State.ASSIGNED, 15), (State.RESOLVED, 10), (State.CLOSED, 45),
              (State.INFO_REQUESTED, 5)]
    state_names = [s for s, _ in states]
    weights = np.array([w for _, w in states], dtype=float)
    closed_states = {State.RESOLVED, State.CLOSED}
    sqlite = connection.vendor == "sqlite"

    report_fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    report_columns = [f.column for f in report_fields]
    defaults = {f.attname: f.get_default() for f in report_fields}
    event_columns = ["report_id", "at", "actor_id", "actor_label", "actor_role", "action", "from_state", "to_state",
                     "note", "public", "data"]
    epoch_now = now.timestamp()

    def stamps(seconds: np.ndarray) -> list[str]:
        """UTC timestamps as text, as Django stores them on SQLite (PostgreSQL: with ``+00``)."""
        text = np.datetime_as_string((seconds * 1e6).astype("datetime64[us]"), unit="us")
        text = np.char.replace(text, "T", " ")
        return (np.char.add(text, "+00") if not sqlite else text).tolist()

    started = time.perf_counter()
    base_id = (Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    dropped = _drop_indexes(connection, [Report._meta.db_table, ReportEvent._meta.db_table])
    chunk = 100_000
    with transaction.atomic():
        for start in range(0, count, chunk):
            n = min(count, start + chunk) - start
            cat = rng.integers(len(categories), size=n)
            com = rng.integers(len(communes), size=n)
            age = rng.uniform(0, SPAN_DAYS * 86400, size=n)
            created = epoch_now - age
            state_index = rng.choice(len(states), size=n, p=weights / weights.sum())
            if open_days is not None:  # older reports are closed
                state_index = np.where(age > open_days * 86400, state_names.index(State.CLOSED), state_index)
            jitter = rng.uniform(-.005, .005, size=(2, n))
            t_created, t_verified = stamps(created), stamps(created + 3600)
            t_accepted, t_accept_due = stamps(created + 4 * 3600), stamps(created + 8 * 3600)
            t_handle_due = stamps(created + 4 * 3600 + 7 * 86400)
            t_resolved, t_closed = stamps(created + 4 * 3600 + 2 * 86400), stamps(created + 4 * 3600 + 4 * 86400)
            cat_id = np.array([c[0] for c in categories])[cat]
            severity = np.array([c[1] for c in categories], dtype=object)[cat]
            commune_id = np.array([c[0] for c in communes])[com]
            unit_of = np.array([committee.get(c[0]) for c in communes], dtype=object)[com]
            lat = (np.array([c[1] for c in communes]) [com] + jitter[0]).tolist()
            lon = (np.array([c[2] for c in communes])[com] + jitter[1]).tolist()
            state = np.array(state_names, dtype=object)[state_index]
            accepted = state != State.ASSIGNED
            is_closed = np.isin(state, list(closed_states))
            # expected_at as tinhso.reports.sla stores it: the handle deadline once accepted, else the
            # accept deadline plus the handle allowance (working-time arithmetic, row by row).
            expected = [t_handle_due[k] if accepted[k] else _stamp(policy.due(
                int(cat_id[k]), severity[k], "handle", dt.datetime.fromtimestamp(created[k] + 8 * 3600, dt.UTC)), sqlite)
                for k in range(n)]
            ids = range(base_id + start, base_id + start + n)
            values = {
                "code": [code_for(i) for i in ids], "category_id": cat_id.tolist(),
                "description": [f"Phản ánh tổng hợp số {i} (dữ liệu giả lập)" for i in range(start, start + n)],
                "lat": lat, "lon": lon, "commune_id": commune_id.tolist(), "handling_unit_id": unit_of.tolist(),
                "province_code": settings.PROVINCE_CODE, "state": state.tolist(), "is_open": (~is_closed).tolist(),
                "severity": severity.tolist(), "channel": "web", "public": True, "synthetic": True,
                "created_at": t_created, "updated_at": t_accepted, "verified_at": t_verified,
                "assigned_at": t_verified, "accept_started_at": t_created, "accept_due": t_accept_due,
                "accepted_at": np.where(accepted, t_accepted, None).tolist(),
                "handle_due": np.where(accepted, t_handle_due, None).tolist(), "expected_at": expected,
                "resolved_at": np.where(is_closed, t_resolved, None).tolist(),
                "closed_at": np.where(state == State.CLOSED, t_closed, None).tolist(),
                "status_note": "Đã chuyển UBND xã/phường xử lý.",
            }
            columns = [list(ids)]
            for f in report_fields:
                value = values.get(f.attname, defaults[f.attname])
                columns.append(value if isinstance(value, list) else [value] * n)
            reports = list(zip(*columns, strict=True))
            events = [row for k, report_id in enumerate(ids) for row in (
                (report_id, t_created[k], None, "citizen", "citizen", "submit", "", "submitted", "", True, "{}"),
                (report_id, t_verified[k], None, "system", "operator", "forward", "verified", "assigned",
                 "Chuyển đến UBND xã/phường.", True, "{}"))]
            _write(connection, Report._meta.db_table, ["id", *report_columns], reports, sqlite)
            _write(connection, ReportEvent._meta.db_table, event_columns, events, sqlite)
            out(f"    {start + n:>9,} reports ({time.perf_counter() - started:5.1f} s)", flush=True)
        indexing = time.perf_counter()
        with connection.cursor() as cursor:
            if not sqlite:  # the deferred foreign-key checks first: PostgreSQL indexes no table with pending ones
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in dropped:
                cursor.execute(statement)
        out(f"    indexes rebuilt in {time.perf_counter() - indexing:.1f} s", flush=True)
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


LOADER_VERSION = 1  # bump when bulk_insert() writes different rows: kept fixtures are then reloaded
FIXTURE_TABLE = "bench_fixture"


def add_work_argument(parser) -> None:
    parser.add_argument("--load-only", action="store_true", help="load (or check) the --work fixture and stop")
    parser.add_argument("--work", type=Path, default=None, help=(
        "keep the loaded database under this directory and reuse it on the next run when the size, seed "
        "and loader options match (SQLite: the database file; PostgreSQL: run under scripts/with-postgres "
        "with TINHSO_PG_KEEP=<dir> so that the cluster's data directory is kept too)"))


def prepare_fixture(label: str, work: Path | None, key: dict, out=print) -> tuple[dict, dict | None]:
    """The environment of a benchmark with ``tinhso init`` and the reference data done, and the
    stored description of the fixture already loaded in it if it equals ``key`` (else None, and the
    database is empty of reports: a kept database with another fixture is wiped first).

    The description is kept in the database itself (table ``bench_fixture``, outside Django's
    models), so it always describes the rows next to it."""
    import json

    env = common.prepare_environment(label, work / f"{common.database_label()}-{label}" if work else None)
    common.setup_django()
    found = _read_fixture() if work else None
    if found is not None and {k: found.get(k) for k in key} != key:
        out(f"  the kept database holds another fixture ({json.dumps(found)}): wiping it")
        _wipe(env)
        found = None
    elif found is None and work:
        _wipe(env)  # a half-loaded database from an interrupted run
    common.run(env, "init")
    common.load_reference()
    if found is not None:
        out(f"  reusing the fixture kept in {env['TINHSO_VAR_DIR']}: {json.dumps(found)}")
    return env, found


def _read_fixture() -> dict | None:
    import json

    from django.db import connection

    if FIXTURE_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {FIXTURE_TABLE} WHERE name = 'fixture'")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def save_fixture(description: dict) -> None:
    import json

    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {FIXTURE_TABLE} (name varchar(40) PRIMARY KEY, value text)")
        cursor.execute(f"DELETE FROM {FIXTURE_TABLE} WHERE name = 'fixture'")
        cursor.execute(f"INSERT INTO {FIXTURE_TABLE} (name, value) VALUES ('fixture', %s)", [json.dumps(description)])


def _wipe(env: dict) -> None:
    from django.db import connection, connections

    if connection.vendor == "sqlite":
        connections.close_all()
        for path in Path(env["TINHSO_VAR_DIR"]).glob("tinhso.sqlite3*"):
            path.unlink()
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connections.close_all()


def fixture_key(kind: str, reports: int, open_days: float | None) -> dict:
    return {"kind": kind, "reports": reports, "seed": SEED, "open_days": open_days, "loader": LOADER_VERSION}


def _stamp(value: dt.datetime, sqlite: bool) -> str:
    text = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return text if sqlite else text + "+00"


def _drop_indexes(connection, tables: list[str]) -> list[str]:
    """Drop the secondary indexes of ``tables`` (not the primary keys or unique constraints, which
    the database needs to check the rows); returns the statements that recreate them."""
    statements = []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                               "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'", [table])
                found = cursor.fetchall()
            else:
                cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                               "AND i.indexname NOT IN (SELECT conname FROM pg_constraint) "
                               "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'", [table])
                found = cursor.fetchall()
            for name, sql in found:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                statements.append(sql)
    return statements


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
    """p95 of the filtered id query alone (the product's ``resources.list_queryset``, ids only,
    executed on a raw cursor), and its plan."""
    from django.db import connection
    from django.test import RequestFactory

    from tinhso.reports.open311 import params as p
    from tinhso.reports.open311 import resources

    args = p.from_querydict(RequestFactory().get("/", dict(x.split("=") for x in query.split("&"))).GET)
    q = p.request_query(args, dt.datetime.now(dt.UTC))
    qs = resources.list_queryset(q).values_list("id", flat=True)[: q.page_size + 1]  # the product's own query
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
    add_work_argument(parser)
    args = parser.parse_args()

    db = common.database_label()
    print(f"Open311 query benchmark — {db}, {os.cpu_count()} cores, {args.reports:,} reports, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    key = fixture_key("open311-query", args.reports, None)
    env, kept = prepare_fixture("query", args.work, key)
    from django.db import connections

    if kept is None:
        loaded_at = dt.datetime.now(dt.UTC)
        cpu = time.process_time()
        bulk_insert(args.reports, loaded_at)
        print(f"  loader CPU (this process): {time.process_time() - cpu:.1f} s")
        save_fixture({**key, "loaded_at": loaded_at.isoformat()})
    if args.load_only:
        return 0
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
    print(f"  load average after the runs: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (other processes share the 2 cores)")
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
