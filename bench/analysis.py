"""Monthly analysis benchmark (issue 13): time and peak memory of
:func:`tinhso.analysis.detectors.run_all` for one month, all units, with N reports in the database and
M dossiers in the store.

    .venv/bin/python bench/analysis.py                                   # 1,000,000 reports, 10,000,000 dossiers
    .venv/bin/python bench/analysis.py --reports 200000 --dossiers 1000000   # smaller
    .venv/bin/python bench/analysis.py --work /tmp/x        # keep the loaded fixture there, reuse it next time
    .venv/bin/python bench/analysis.py --work /tmp/x --load-only   # load (or check) it and stop
    .venv/bin/python bench/analysis.py --work /tmp/x --before /tmp/old   # and run_all of an older checkout

Steps (each in its own child process, which reports its peak RSS from ``resource.getrusage`` and
Python's own peak from ``tracemalloc``, except the analysis, where tracing would double the CPU time:
``--python-peak``):

1. **setup**: ``tinhso init`` in a temporary ``TINHSO_VAR_DIR`` (SQLite), the demo reference data of
   reports (categories, a committee per commune, departments, routing) and the dossiers' demo catalogue;
2. **reports**: N reports over the twelve months up to the analysed month, written with ``bulk_create``
   (the rows the detectors read: category, commune, place, handling unit, times, deadlines, ratings;
   states consistent with the times, not full histories — the workflow generator would take hours);
3. **dossiers**: ``--dossier-sample`` dossiers from the real generator through the real importer, then
   replicated to M rows with new codes, and 5 % of them synced again as later versions applied by the
   store's own upsert (as ``bench/dossiers.py`` does), which leaves the store marked one row per dossier;
4. **analysis** (the goal, < 60 s and < 2 GB): ``run_all`` for the month, every detector, all units
   (wall, CPU = user + system of all threads, peak RSS); then each detector alone, in its own process
   (``--no-per-detector`` skips), and with ``--before DIR`` ``run_all`` of an older checkout;
5. **baseline**: the rising-category counts done by loading the window's rows into Python and counting
   them (what the detector avoids by grouping in SQL), at the same N, in the same run — the ratio.

With ``--work DIR`` steps 1–3 are kept in DIR (``fixture.json`` is written once they are complete) and
skipped by the next run with the same sizes (``--load-only``: load and stop).

The machine is shared by other jobs (load average printed): figures are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
MONTH = "2025-10"
LOADER_VERSION = 1  # bump when the setup/reports/dossiers phases write different data: kept fixtures are reloaded
FIXTURE_FILE = "fixture.json"
KINDS = ("rising_category", "hotspots", "units_behind", "targets_at_risk", "ranking_levers")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _django(var_dir: str) -> None:
    os.environ["TINHSO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def _peak() -> dict:
    out = {"rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if tracemalloc.is_tracing():
        out["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1048576, 1)
    return out


def phase_setup(args: dict) -> dict:
    from tinhso.cli import main
    from tinhso.dossiers import setup as dossier_setup
    from tinhso.dossiers.models import SuppliedValue
    from tinhso.reports import setup as report_setup

    main(["init"])
    report_setup.init(out=lambda *a, **k: None)
    report_setup._demo_reference(out=lambda *a, **k: None)
    procedures = dossier_setup.demo_catalogue()
    for code, value in dossier_setup.DEMO_SUPPLIED.items():
        SuppliedValue.objects.update_or_create(indicator=code, agency=None, period="", defaults={"value": value})
    return {"procedures": procedures}


def phase_reports(args: dict) -> dict:
    """N reports drawn column by column with numpy (seeded) and inserted with the secondary indexes
    dropped and rebuilt once (``bench/open311_query.py``'s loader: ``executemany`` on SQLite, COPY on
    PostgreSQL); ``bulk_create`` of model instances ran at ~100 reports/s under load."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import numpy as np
    from django.conf import settings
    from django.db import connection, transaction
    from open311_query import _drop_indexes, _write

    from tinhso.geo.models import Unit
    from tinhso.reports.models import Category, HandlingUnit, Report, RoutingRule, UnitKind
    from tinhso.reports.synthetic import CATEGORY_WEIGHTS

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    rng = np.random.default_rng(13)
    n = args["reports"]
    sqlite = connection.vendor == "sqlite"
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE,
                                        lat__isnull=False).order_by("code").values_list("pk", "lat", "lon", "name"))
    committees = {h.commune_id: h.pk for h in HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE)}
    cats = list(Category.objects.filter(code__in=list(CATEGORY_WEIGHTS)).order_by("code").values_list("pk", "code"))
    dept = {r.category_id: r.target_id for r in RoutingRule.objects.filter(severity="")}
    cw = np.array([CATEGORY_WEIGHTS[code] for _pk, code in cats], float)
    weights = np.array([3.0 if name.startswith("Phường") else 1.0 for *_x, name in communes])
    commune_pk = np.array([c[0] for c in communes])
    commune_lat, commune_lon = np.array([c[1] for c in communes], float), np.array([c[2] for c in communes], float)
    committee_of = np.array([committees.get(c[0]) for c in communes], dtype=object)
    cat_pk = np.array([pk for pk, _code in cats])
    dept_of = np.array([dept.get(pk) for pk, _code in cats], dtype=object)
    start = dt.datetime(2024, 11, 1, tzinfo=vn).timestamp()
    cutoff = dt.datetime(2025, 11, 5, tzinfo=vn).timestamp()

    def stamps(seconds: np.ndarray) -> np.ndarray:
        """UTC timestamps as text, as Django stores them (PostgreSQL: with ``+00``)."""
        text = np.char.replace(np.datetime_as_string((seconds * 1e6).astype("datetime64[us]"), unit="us"), "T", " ")
        return text if sqlite else np.char.add(text, "+00")

    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    base_id = (Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    dropped = _drop_indexes(connection, [Report._meta.db_table])
    chunk = 100_000
    with transaction.atomic():
        for first in range(0, n, chunk):
            k = min(chunk, n - first)
            ci = rng.choice(len(communes), size=k, p=weights / weights.sum())
            ki = rng.choice(len(cats), size=k, p=cw / cw.sum())
            created = start + rng.uniform(0, cutoff - start, size=k)
            resolved = created + rng.gamma(2.0, 30.0, size=k) * 3600
            done = resolved < cutoff
            rated = done & (rng.random(k) < 0.6)
            ratings = rng.choice([5, 4, 3, 2, 1], size=k, p=[0.4, 0.3, 0.14, 0.09, 0.07])
            unit = np.where(dept_of[ki] != None, dept_of[ki], committee_of[ci])  # noqa: E711 (numpy)
            t_created = stamps(created)
            values = {
                "code": [f"PA-B{i:011d}" for i in range(first, first + k)], "category_id": cat_pk[ki].tolist(),
                "commune_id": commune_pk[ci].tolist(), "province_code": settings.PROVINCE_CODE,
                "description": "[Mô phỏng] bench", "lat": (commune_lat[ci] + rng.normal(0, 0.01, size=k)).tolist(),
                "lon": (commune_lon[ci] + rng.normal(0, 0.01, size=k)).tolist(),
                "created_at": t_created.tolist(), "updated_at": t_created.tolist(),
                "assigned_at": stamps(created + 3600).tolist(), "handling_unit_id": unit.tolist(),
                "handle_due": stamps(created + 7 * 86400).tolist(),
                "resolved_at": np.where(done, stamps(resolved), None).tolist(),
                "closed_at": np.where(done, stamps(resolved + 3600), None).tolist(),
                "state": np.where(done, "closed", "in_progress").tolist(), "is_open": (~done).tolist(),
                "synthetic": True, "rating": np.where(rated, ratings, None).tolist(),
                "rated_at": np.where(rated, stamps(resolved + 12 * 3600), None).tolist(),
            }
            columns = [list(range(base_id + first, base_id + first + k))]
            for f in fields:
                value = values.get(f.attname, defaults[f.attname])
                columns.append(value if isinstance(value, list) else [value] * k)
            _write(connection, Report._meta.db_table, ["id", *[f.column for f in fields]],
                   list(zip(*columns, strict=True)), sqlite)
            log(f"    {first + k:,} reports ({time.perf_counter() - t0:.0f} s)")
        indexing = time.perf_counter()
        with connection.cursor() as cursor:
            if not sqlite:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in dropped:
                cursor.execute(statement)
        index_s = time.perf_counter() - indexing
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"reports": n, "write_s": round(time.perf_counter() - t0, 1), "index_s": round(index_s, 1),
            "write_cpu_s": round(time.process_time() - cpu0, 1)}


def phase_dossiers(args: dict) -> dict:
    import datetime as dt

    from tinhso.dossiers import importer, synthetic

    path = Path(args["work"]) / "sample.parquet"
    t0 = time.perf_counter()
    synthetic.generate(path, count=args["sample"], seed=766, end=dt.date(2025, 11, 5), effects=1,
                       effects_month=dt.date(2025, 10, 1))
    result = importer.import_file(path, synthetic=True)
    return {"records": result.records, "generate_import_s": round(time.perf_counter() - t0, 1)}


def phase_replicate(args: dict) -> dict:
    import dossiers as dossier_bench

    return dossier_bench.phase_replicate(args)


def phase_upsert(args: dict) -> dict:
    import dossiers as dossier_bench

    return dossier_bench.phase_upsert(args)


def _set_store(path: str | None) -> None:
    if path:
        from django.conf import settings

        settings.DOSSIER_STORE_DIR = Path(path)


def phase_analysis(args: dict) -> dict:
    """``run_all`` for the month (every detector, or ``args["kinds"]``), timed as a whole: wall time, CPU
    time of the process (user + system, all threads: DuckDB's and SQLite's included) and findings."""
    import datetime as dt

    from tinhso.analysis.detectors import run_all
    from tinhso.analysis.findings import Context

    _set_store(args.get("store"))
    ctx = Context(month=dt.date.fromisoformat(MONTH + "-01"))
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    found = run_all(ctx, kinds=args.get("kinds"))
    spent = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    per_kind: dict[str, int] = {}
    for f in found:
        per_kind[f.kind] = per_kind.get(f.kind, 0) + 1
    return {"run_s": round(spent, 2), "run_cpu_s": round(cpu, 2), "findings": len(found), "per_kind": per_kind}


def phase_baseline(args: dict) -> dict:
    """The rising-category counts from rows loaded into Python (the detector groups them in SQL)."""
    import datetime as dt
    from collections import Counter
    from zoneinfo import ZoneInfo

    from tinhso.analysis.detectors import context_for, rising_category
    from tinhso.analysis.findings import Context
    from tinhso.reports.models import Report

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    ctx = context_for(Context(month=dt.date.fromisoformat(MONTH + "-01")), "rising_category")
    since, until = dt.datetime(2023, 10, 30, tzinfo=vn), dt.datetime(2025, 11, 1, tzinfo=vn)
    t0 = time.perf_counter()
    counts = Counter()
    for created, cat, commune in Report.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
            "created_at", "category_id", "commune_id").iterator(chunk_size=20_000):
        day = created.astimezone(vn).date()
        counts[(day - dt.timedelta(days=day.weekday()), cat, commune)] += 1
    python_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    grouped = rising_category.weekly_counts(since, until)
    sql_s = time.perf_counter() - t1
    assert dict(counts) == grouped, "the two counts differ"
    del ctx
    return {"python_s": round(python_s, 2), "sql_s": round(sql_s, 2), "cells": len(grouped),
            "ratio_python_over_sql": round(python_s / sql_s, 1) if sql_s else None}


PHASES = {"setup": phase_setup, "reports": phase_reports, "dossiers": phase_dossiers,
          "replicate": phase_replicate, "upsert": phase_upsert, "analysis": phase_analysis, "baseline": phase_baseline}


def child(name: str, args: dict) -> None:
    # tracemalloc hooks every allocation: it doubled the analysis' CPU time (55 s with it, 32 s without,
    # same code and fixture), so the analysis, the goal's measurement, runs without it unless asked.
    if name != "analysis" or args.get("python_peak"):
        tracemalloc.start()
    if name != "replicate":
        _django(args["var"])
    result = PHASES[name](args)
    result.update(_peak())
    print(json.dumps(result), flush=True)


def run(name: str, args: dict, tree: Path = REPO) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", name, json.dumps(args)], env=env, cwd=REPO,
                          stdout=subprocess.PIPE, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The whole child (start-up, Django set-up and the phase): wall time and user + system CPU time.
    result["process_wall_s"] = round(time.perf_counter() - t0, 1)
    result["process_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    log(f"  {name}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--dossiers", type=int, default=10_000_000)
    parser.add_argument("--dossier-sample", type=int, default=100_000,
                        help="dossiers generated and imported for real before replication")
    parser.add_argument("--work", help=(
        "working directory (default: a temporary one); the loaded reports and dossiers are kept there and "
        "reused by the next run with the same sizes (a marker file is written once the load is complete)"))
    parser.add_argument("--load-only", action="store_true", help="load (or check) the --work fixture and stop")
    parser.add_argument("--no-per-detector", action="store_true",
                        help="only run_all (not also each detector alone, in its own process, for its peak memory)")
    parser.add_argument("--before", metavar="DIR", help=(
        "also run run_all with the tinhso of DIR, a checkout of an older commit (git worktree add DIR "
        "<commit>), on the same fixture in the same run: the before/after ratios"))
    parser.add_argument("--python-peak", action="store_true",
                        help="trace Python's allocations in the analysis too (its own peak; about doubles its CPU)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the baseline (the rising-category counts in Python: ~3 min at 1 M reports)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child[0], json.loads(opts.child[1]))
        return
    from machine import cpu_model

    work = Path(opts.work or tempfile.mkdtemp(prefix="tinhso-bench-analysis-"))
    work.mkdir(parents=True, exist_ok=True)
    var = work / "var"
    common = {"var": str(var), "work": str(work), "python_peak": opts.python_peak}
    log(f"{cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} (shared machine)")
    results: dict = {"reports": opts.reports, "dossiers": opts.dossiers, "month": MONTH,
                     "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    key = {"loader": LOADER_VERSION, "reports": opts.reports, "dossiers": opts.dossiers,
           "dossier_sample": min(opts.dossier_sample, opts.dossiers), "month": MONTH}
    marker = work / FIXTURE_FILE
    kept = json.loads(marker.read_text()) if opts.work and marker.exists() else None
    big = work / "store-big"
    if kept == key:
        log(f"reusing the fixture kept in {work}: {json.dumps(kept)}")
        results["fixture"] = "reused"
    else:
        if opts.work and any(work.iterdir()):
            # another size, or a load interrupted before its end: start again from nothing
            log(f"{work} holds another or a half-loaded fixture ({kept}): wiping it")
            marker.unlink(missing_ok=True)
            for sub in ("var", "store-big", "sample.parquet"):
                path = work / sub
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        log("setup …")
        run("setup", common)
        log(f"write {opts.reports:,} reports …")
        results["write"] = run("reports", {**common, "reports": opts.reports})
        if opts.dossiers:
            log(f"dossiers: {key['dossier_sample']:,} generated and imported, replicated to {opts.dossiers:,} …")
            results["import"] = run("dossiers", {**common, "sample": key["dossier_sample"]})
            results["store"] = run("replicate", {"src": str(var / "dossiers"), "dst": str(big),
                                                 "count": opts.dossiers})
        if opts.work:
            marker.write_text(json.dumps(key))
    if opts.dossiers and not (big / "_one_row_per_dossier").exists() and Path(str(big) + "-updates").is_dir():
        # The 5 % later versions written by the replication, applied by the store's own upsert (as every
        # import does): the store then holds one row per dossier and is marked so, like a real one, and
        # the queries read it directly instead of choosing each dossier's latest version over 10 M rows.
        log("apply the later versions with the store's upsert …")
        results["upsert"] = run("upsert", {**common, "dst": str(big)})
    store = str(big) if opts.dossiers else None
    if opts.load_only:
        results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(results, indent=1))
        return
    log("run_all for the month …")
    results["analysis"] = run("analysis", {**common, "store": store})
    if opts.before:
        log(f"before: run_all with the tinhso of {opts.before} …")
        results["before"] = run("analysis", {**common, "store": store}, tree=Path(opts.before).resolve())
        results["before_over_after"] = {
            "wall": round(results["before"]["run_s"] / results["analysis"]["run_s"], 2),
            "cpu": round(results["before"]["run_cpu_s"] / results["analysis"]["run_cpu_s"], 2),
            "rss": round(results["before"]["rss_peak_mb"] / results["analysis"]["rss_peak_mb"], 2)}
    if not opts.no_per_detector:
        for kind in KINDS:
            log(f"{kind} alone …")
            results[kind] = run("analysis", {**common, "store": store, "kinds": [kind]})
    if not opts.no_baseline:
        log("baseline: the rising-category counts in Python …")
        results["baseline"] = run("baseline", common)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
