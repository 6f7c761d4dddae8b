"""Monthly analysis benchmark (issue 13): time and peak memory of
:func:`tinhso.analysis.detectors.run_all` for one month, all units, with N reports in the database and
M dossiers in the store.

    .venv/bin/python bench/analysis.py                                   # 1,000,000 reports, 10,000,000 dossiers
    .venv/bin/python bench/analysis.py --reports 200000 --dossiers 1000000   # smaller

Steps (each in its own child process, which reports its peak RSS from ``resource.getrusage`` and
Python's own peak from ``tracemalloc``):

1. **setup**: ``tinhso init`` in a temporary ``TINHSO_VAR_DIR`` (SQLite), the demo reference data of
   reports (categories, a committee per commune, departments, routing) and the dossiers' demo catalogue;
2. **reports**: N reports over the twelve months up to the analysed month, written with ``bulk_create``
   (the rows the detectors read: category, commune, place, handling unit, times, deadlines, ratings;
   states consistent with the times, not full histories — the workflow generator would take hours);
3. **dossiers**: ``--dossier-sample`` dossiers from the real generator through the real importer, then
   replicated to M rows with new codes (as ``bench/dossiers.py`` does);
4. **analysis** (the goal, < 60 s and < 2 GB): ``run_all`` for the month, every detector, all units;
5. **baseline**: the rising-category counts done by loading the window's rows into Python and counting
   them (what the detector avoids by grouping in SQL), at the same N, in the same run — the ratio.

The machine is shared by other jobs (load average printed): figures are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
MONTH = "2025-10"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _django(var_dir: str) -> None:
    os.environ["TINHSO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def _peak() -> dict:
    _cur, py_peak = tracemalloc.get_traced_memory()
    return {"rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "python_peak_mb": round(py_peak / 1048576, 1)}


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
    import datetime as dt
    from zoneinfo import ZoneInfo

    import numpy as np
    from django.conf import settings
    from django.db import transaction

    from tinhso.geo.models import Unit
    from tinhso.reports.models import Category, HandlingUnit, Report, RoutingRule, UnitKind
    from tinhso.reports.synthetic import CATEGORY_WEIGHTS

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    rng = np.random.default_rng(13)
    n = args["reports"]
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE,
                                        lat__isnull=False).order_by("code"))
    committees = {h.commune_id: h.pk for h in HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE)}
    cats = [c for c in Category.objects.filter(code__in=list(CATEGORY_WEIGHTS)).order_by("code")]
    dept = {r.category_id: r.target_id for r in RoutingRule.objects.filter(severity="")}
    cw = np.array([CATEGORY_WEIGHTS[c.code] for c in cats], float)
    weights = np.array([3.0 if c.name.startswith("Phường") else 1.0 for c in communes])
    start = dt.datetime(2024, 11, 1, tzinfo=vn)
    span = (dt.datetime(2025, 11, 5, tzinfo=vn) - start).total_seconds()
    t0 = time.perf_counter()
    made = 0
    chunk = 50_000
    while made < n:
        k = min(chunk, n - made)
        ci = rng.choice(len(communes), size=k, p=weights / weights.sum())
        ki = rng.choice(len(cats), size=k, p=cw / cw.sum())
        offs = rng.uniform(0, span, size=k)
        handle_h = rng.gamma(2.0, 30.0, size=k)
        rated = rng.random(k) < 0.6
        ratings = rng.choice([5, 4, 3, 2, 1], size=k, p=[0.4, 0.3, 0.14, 0.09, 0.07])
        dlat, dlon = rng.normal(0, 0.01, size=k), rng.normal(0, 0.01, size=k)
        rows = []
        for j in range(k):
            c, cat = communes[ci[j]], cats[ki[j]]
            created = start + dt.timedelta(seconds=float(offs[j]))
            resolved = created + dt.timedelta(hours=float(handle_h[j]))
            done = resolved < dt.datetime(2025, 11, 5, tzinfo=vn)
            rows.append(Report(
                code=f"PA-B{made + j:011d}", category_id=cat.pk, commune_id=c.pk, province_code=c.province_code,
                description="[Mô phỏng] bench", lat=c.lat + float(dlat[j]), lon=c.lon + float(dlon[j]),
                created_at=created, updated_at=created, assigned_at=created + dt.timedelta(hours=1),
                handling_unit_id=dept.get(cat.pk) or committees.get(c.pk),
                handle_due=created + dt.timedelta(days=7), resolved_at=resolved if done else None,
                state="closed" if done else "in_progress", is_open=not done, synthetic=True,
                rating=int(ratings[j]) if done and rated[j] else None,
                rated_at=resolved + dt.timedelta(hours=12) if done and rated[j] else None))
        with transaction.atomic():
            Report.objects.bulk_create(rows, batch_size=5000)
        made += k
        log(f"    {made:,} reports")
    return {"reports": made, "write_s": round(time.perf_counter() - t0, 1)}


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


def _set_store(path: str | None) -> None:
    if path:
        from django.conf import settings

        settings.DOSSIER_STORE_DIR = Path(path)


def phase_analysis(args: dict) -> dict:
    import datetime as dt

    from tinhso.analysis.detectors import context_for, registry
    from tinhso.analysis.findings import Context

    _set_store(args.get("store"))
    ctx = Context(month=dt.date.fromisoformat(MONTH + "-01"))
    out = {}
    total = 0.0
    findings = 0
    for kind in registry():
        t0 = time.perf_counter()
        found = registry()[kind](context_for(ctx, kind))
        spent = time.perf_counter() - t0
        total += spent
        findings += len(found)
        out[f"{kind}_s"] = round(spent, 2)
    out.update(total_s=round(total, 2), findings=findings)
    return out


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
          "replicate": phase_replicate, "analysis": phase_analysis, "baseline": phase_baseline}


def child(name: str, args: dict) -> None:
    tracemalloc.start()
    if name != "replicate":
        _django(args["var"])
    result = PHASES[name](args)
    result.update(_peak())
    print(json.dumps(result), flush=True)


def run(name: str, args: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, __file__, "--child", name, json.dumps(args)], env=env, cwd=REPO,
                          stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"  {name}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--dossiers", type=int, default=10_000_000)
    parser.add_argument("--dossier-sample", type=int, default=100_000,
                        help="dossiers generated and imported for real before replication")
    parser.add_argument("--work", help="working directory (default: a temporary one)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child[0], json.loads(opts.child[1]))
        return
    from machine import cpu_model

    work = Path(opts.work or tempfile.mkdtemp(prefix="tinhso-bench-analysis-"))
    var = work / "var"
    common = {"var": str(var), "work": str(work)}
    log(f"{cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} (shared machine)")
    results: dict = {"reports": opts.reports, "dossiers": opts.dossiers, "month": MONTH}
    log("setup …")
    run("setup", common)
    log(f"write {opts.reports:,} reports …")
    results["write"] = run("reports", {**common, "reports": opts.reports})
    store = None
    if opts.dossiers:
        log(f"dossiers: {min(opts.dossier_sample, opts.dossiers):,} generated and imported, replicated to "
            f"{opts.dossiers:,} …")
        results["import"] = run("dossiers", {**common, "sample": min(opts.dossier_sample, opts.dossiers)})
        big = work / "store-big"
        results["store"] = run("replicate", {"src": str(var / "dossiers"), "dst": str(big), "count": opts.dossiers})
        store = str(big)
    log("run_all for the month …")
    results["analysis"] = run("analysis", {**common, "store": store})
    log("baseline: the rising-category counts in Python …")
    results["baseline"] = run("baseline", common)
    results["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
