"""Dossier benchmark (issue 10): N synthetic dossiers with supplementation and status logs, imported to
the store, then every 766 indicator for every department and commune People's Committee × 12 months.

    .venv/bin/python bench/dossiers.py                      # 10,000,000 dossiers (the goal)
    .venv/bin/python bench/dossiers.py --count 2000000      # smaller while developing
    # the issue's measure, kept for re-runs: 10 M imported as 5 files of 2 M, then the computation
    .venv/bin/python bench/dossiers.py --count 10000000 --sample 10000 --import-count 10000000 --import-files 5 \
        --baseline-count 1000000 --no-spark --work /tmp/dossvec-work [--import-only] [--reuse]

Steps (each timed phase runs in its own child process, which reports its peak RSS from
``resource.getrusage`` — DuckDB's and Arrow's native memory included — and its CPU time beside the wall
time: on a machine shared with other jobs the CPU time is the fair figure, the wall time an upper bound;
``--trace-python`` adds Python's own peak from ``tracemalloc``, which slows every Python allocation and so
inflates the CPU time of Python and pandas code several times — off by default):

1. ``tinhso init`` and the demo catalogue in ``--work``/var (not timed);
2. **import**: ``--sample`` dossiers written by the real generator (``tinhso dossiers generate``: JSON
   shape → flat Parquet with the supplementation dates) and imported by the real importer (every
   record validated, per-dossier rules derived, all or nothing); with ``--import-count``, that file
   replicated with new codes to ``--import-count`` dossiers written as ``--import-files`` files, imported
   one after the other by the real importer into an empty store (``--import-only`` stops there);
3. **store of N**: the imported store (when ``--import-count`` equals ``--count``) or the sample replicated
   with new dossier codes (DuckDB ``COPY … PARTITION_BY month``) to N rows; then 5 % of them synced again
   as a later version received a week later (some move month), applied by the store's own **upsert**
   (``store._files_holding`` + ``_rewrite_without``, what an import does once recorded), which leaves one
   row per dossier and the store's marker;
4. **computation** (the goal): what :func:`tinhso.dossiers.indicators.compute_many` does —
   :func:`~tinhso.dossiers.indicators.many_counts_sql`, one pass over the current dossiers counting them
   per agency × procedure × month indices, those groups then summed per month × agency × procedure for the
   12 months — then the svc-766 scoring over arrays
   of every unit-month (:func:`~tinhso.dossiers.indicators.score`): group points, totals and competition
   ranks for every department and every commune;
5. **baseline**: a straightforward pandas implementation of the same counts (read the rule columns,
   per month select the dossiers in scope, vectorised boolean masks of the same rules,
   ``groupby().sum()`` — no row loop), then the same scoring; checked equal to DuckDB's counts, and run
   with DuckDB on a ``--baseline-count`` store (pandas holds the whole store in memory) — the ratio is
   measured at equal size in the same run; DuckDB with the former per-unit scoring
   (``tests/dossiers/scoring_oracle.py``) is timed there too;
6. **Spark** local[2] on the ``--baseline-count`` store, the same query (``--no-spark`` skips).

``--work DIR`` keeps everything; ``--reuse`` then takes each finished step's recorded figures (``DIR/phase-*.json``)
and its store instead of redoing it, so a re-run only computes. The machine may be shared (load average
printed): figures are upper bounds.
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
MONTHS = 12
TRACE_PYTHON = False


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _django(var_dir: str) -> None:
    os.environ["TINHSO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def _peak() -> dict:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"rss_peak_mb": round(usage.ru_maxrss / 1024, 1), "process_cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}
    if tracemalloc.is_tracing():
        out["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1048576, 1)
    return out


class Clock:
    """Wall time and this process's CPU time (user + system, every thread: DuckDB's included) of a step;
    on a machine shared with other jobs the CPU time is the fair figure, the wall time an upper bound."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        return round(time.perf_counter() - self.wall, 2), round(time.process_time() - self.cpu, 2)


def _periods(end: str) -> list[str]:
    year, month = int(end[:4]), int(end[5:7])
    first = year * 12 + month - 1 - (MONTHS - 1)
    return [f"{(first + i) // 12}-{(first + i) % 12 + 1:02d}" for i in range(MONTHS)]


# --- child phases ---------------------------------------------------------------------------------

def phase_setup(args: dict) -> dict:
    import datetime as dt

    from tinhso.cli import main
    from tinhso.dossiers import setup
    from tinhso.dossiers.models import SuppliedValue

    main(["init"])
    procedures = setup.demo_catalogue()
    for code, value in setup.DEMO_SUPPLIED.items():  # what records cannot give, as in the demo
        SuppliedValue.objects.update_or_create(indicator=code, agency=None, period="", defaults={"value": value})
    setup.demo_feedback(2000, 766, dt.date.fromisoformat(args["end"]))  # PAKN for 5.1–5.3
    return {"procedures": procedures}


def phase_import(args: dict) -> dict:
    import datetime as dt

    from tinhso.dossiers import importer, synthetic

    end = dt.date.fromisoformat(args["end"])
    path = Path(args["work"]) / "sample.parquet"
    t0 = time.perf_counter()
    synthetic.generate(path, count=args["sample"], seed=766, end=end)
    t1 = time.perf_counter()
    clock = Clock()
    result = importer.import_file(path, synthetic=True)
    t2 = time.perf_counter()
    return {"generate_s": round(t1 - t0, 2), "import_s": round(t2 - t1, 2), "import_cpu_s": clock.lap()[1],
            "records": result.records,
            "file_mb": round(path.stat().st_size / 1048576, 1)}


def phase_import_big(args: dict) -> dict:
    """``count`` dossiers in the portal's flat shape — the generated sample file replicated with new codes
    (DuckDB) — written as ``files`` Parquet files of ``count / files`` dossiers and imported one after the
    other by the real importer into an empty store (file limits raised only when a file exceeds the
    default: at the default 2,000,000-record limit, 10,000,000 dossiers are 5 ordinary imports). The
    files are written before the clock starts; each import's wall/CPU is reported."""
    import duckdb
    from django.conf import settings

    from tinhso.dossiers import importer

    sample = Path(args["work"]) / "sample.parquet"
    files = max(1, args.get("files", 1))
    per_file = -(-args["count"] // files)
    con = duckdb.connect(config={"threads": 2})
    n = con.execute(f"SELECT COUNT(*) FROM read_parquet('{sample}')").fetchone()[0]
    paths = []
    for f in range(files):
        size = min(per_file, args["count"] - f * per_file)
        copies = -(-size // n)
        path = Path(args["work"]) / f"import-{args['count']}-{f + 1}of{files}.parquet"
        con.execute(f"""COPY (SELECT * REPLACE (MaHoSo || '-' || CAST({f} AS VARCHAR) || '-' || CAST(k AS VARCHAR) AS MaHoSo)
                              FROM read_parquet('{sample}'), range({copies}) t(k) LIMIT {size})
                       TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)""")
        paths.append(path)
    con.close()
    from tinhso.core import limits

    if per_file > limits.limit("dossier_records"):
        settings.TINHSO_FILE_LIMITS = {"dossier_records": 50_000_000, "dossier_file_bytes": 1 << 40,
                                       "dossier_uncompressed_bytes": 1 << 40}
    _set_store(args["store"])
    clock = Clock()
    each, records, months = [], 0, set()
    for path in paths:
        one = Clock()
        result = importer.import_file(path, synthetic=True)
        wall, cpu = one.lap()
        each.append({"file": path.name, "records": result.records, "wall_s": wall, "cpu_s": cpu,
                     "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                     "load_average": round(os.getloadavg()[0], 1)})
        log(f"    imported {each[-1]}")
        records += result.records
        months.update(result.months)
    wall, cpu = clock.lap()
    out = {"records": records, "files": files, "months": len(months), "import_s": wall, "import_cpu_s": cpu,
           "each": each, "file_mb": round(sum(p.stat().st_size for p in paths) / 1048576, 1),
           "store_mb": round(sum(p.stat().st_size for p in Path(args["store"]).rglob("*.parquet")) / 1048576, 1)}
    for path in paths:
        path.unlink()
    return out


def phase_replicate(args: dict) -> dict:
    """The imported sample (store under ``src``) copied to ``count`` rows under ``dst`` with new codes."""
    import duckdb

    src, dst, count = Path(args["src"]), Path(args["dst"]), args["count"]
    con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": False})
    pattern = str(src / "month=*" / "*.parquet")
    con.execute(f"CREATE VIEW s AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)")
    n = con.execute("SELECT COUNT(*) FROM s").fetchone()[0]
    copies = max(1, round(count / n))  # whole copies of the sample: the row count is reported
    t0 = time.perf_counter()
    dst.mkdir(parents=True, exist_ok=True)
    con.execute(f"""COPY (SELECT * REPLACE (ma_ho_so || '-' || CAST(k AS VARCHAR) AS ma_ho_so, CAST(1 AS BIGINT) AS import_seq)
                    FROM s, range({copies}) t(k))
                   TO '{dst}' (FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd, FILENAME_PATTERN 'imp-1-{{i}}')""")
    # 5 % synced again as a later version of the same dossier (what a daily sync does), received a week
    # later (so a part of them moves month): applied by the store's upsert in the next phase
    updates = Path(str(dst) + "-updates")
    con.execute(f"""COPY (SELECT * REPLACE (ma_ho_so || '-' || CAST(k AS VARCHAR) AS ma_ho_so, CAST(2 AS BIGINT) AS import_seq,
                                         received_date + 7 AS received_date, received_at + INTERVAL 7 DAY AS received_at,
                                         strftime(received_date + 7, '%Y-%m') AS month)
                    FROM s, range({copies}) t(k) WHERE hash(ma_ho_so, k) % 20 = 0 AND received_date IS NOT NULL)
                   TO '{updates}' (FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd, FILENAME_PATTERN 'imp-2-{{i}}')""")
    rows = con.execute(f"SELECT COUNT(*), COUNT(DISTINCT ma_ho_so) FROM read_parquet('{dst}/month=*/*.parquet')").fetchone()
    return {"rows": rows[0], "dossiers": rows[1], "copy_s": round(time.perf_counter() - t0, 2),
            "store_mb": round(sum(p.stat().st_size for p in dst.rglob("*.parquet")) / 1048576, 1)}


def phase_later(args: dict) -> dict:
    """5 % of an imported store synced again as a later version received a week later (as
    :func:`phase_replicate` does for the replicated store), for the upsert phase."""
    import duckdb

    dst = Path(args["dst"])
    updates = Path(str(dst) + "-updates")
    con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": False})
    con.execute(f"CREATE VIEW s AS SELECT * FROM read_parquet('{dst}/month=*/*.parquet', hive_partitioning = true)")
    seq = con.execute("SELECT MAX(import_seq) FROM s").fetchone()[0] + 1
    con.execute(f"""COPY (SELECT * REPLACE (CAST({seq} AS BIGINT) AS import_seq, received_date + 7 AS received_date,
                                         received_at + INTERVAL 7 DAY AS received_at,
                                         strftime(received_date + 7, '%Y-%m') AS month)
                    FROM s WHERE hash(ma_ho_so) % 20 = 0 AND received_date IS NOT NULL)
                   TO '{updates}' (FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd, FILENAME_PATTERN 'imp-later-{{i}}')""")
    rows = con.execute("SELECT COUNT(*), COUNT(DISTINCT ma_ho_so) FROM s").fetchone()
    return {"rows": rows[0], "dossiers": rows[1],
            "store_mb": round(sum(p.stat().st_size for p in dst.rglob("*.parquet")) / 1048576, 1)}


def phase_upsert(args: dict) -> dict:
    """The later versions applied by the store's own upsert (tinhso.dossiers.store): find the older files
    holding the updated codes, rewrite those without them, move the new files in, mark the store."""
    from tinhso.dossiers import store

    dst = Path(args["dst"])
    updates = Path(str(dst) + "-updates")
    new = sorted(updates.glob("month=*/*.parquet"))
    t0 = time.perf_counter()
    stale = store._files_holding(store.files(dst), new)
    t1 = time.perf_counter()
    for path, codes in stale.items():
        store._rewrite_without(path, codes)
    for path in new:
        (dst / path.parent.name).mkdir(exist_ok=True)
        os.replace(path, dst / path.parent.name / path.name)
    (dst / store.CURRENT_ONLY_MARKER).touch()
    elapsed = time.perf_counter() - t0
    shutil.rmtree(updates, ignore_errors=True)
    import duckdb

    rows = duckdb.connect().execute(f"SELECT COUNT(*), COUNT(DISTINCT ma_ho_so) FROM read_parquet('{dst}/month=*/*.parquet')").fetchone()
    return {"updated": int(sum(len(c) for c in stale.values())), "files_rewritten": len(stale),
            "upsert_s": round(elapsed, 2), "find_s": round(t1 - t0, 2), "rows": rows[0], "dossiers": rows[1]}


def _set_store(path: str) -> None:
    from django.conf import settings

    settings.DOSSIER_STORE_DIR = Path(path)


def phase_compute(args: dict) -> dict:
    import datetime as dt

    from django.conf import settings

    from tinhso.dossiers import engine as engines
    from tinhso.dossiers import indicators, scoring
    from tinhso.dossiers.periods import parse

    _set_store(args["store"])
    if args.get("engine") == "spark":
        from tinhso.dossiers import engine

        t_start = time.perf_counter()
        engine.spark_session()
        start_s = time.perf_counter() - t_start
    # compute_many, with its two halves timed apart: the one pass over the store, then the scoring
    today = dt.date.fromisoformat(args["today"])
    periods = [parse(p) for p in _periods(args["end"])]
    mode = settings.DOSSIER_SUPPLEMENT_MODE
    engine_name = args.get("engine", "duckdb")
    t0 = time.perf_counter()
    clock = Clock()
    names, rows = engines.run(indicators.many_counts_sql(periods, mode, today), engine_name)
    counts = scoring.Counts.from_rows(names, rows)
    counts_cpu = clock.lap()[1]
    t1 = time.perf_counter()
    if args.get("old_scoring"):  # the per-unit scoring this round replaced (kept as the tests' oracle)
        from tests.dossiers.scoring_oracle import old_compute

        by_period: dict[str, list] = {}
        for r in engines.as_dicts(names, rows):
            by_period.setdefault(r.pop("period"), []).append(r)
        context = indicators.Context()
        docs = {(p.code, level): old_compute(p.code, level, engine=engine_name, today=today,
                                             rows=by_period.get(p.code, []), context=context)
                for p in periods for level in ("agency", "commune")}
    else:
        docs = indicators.score(counts, periods, ("agency", "commune"), engine=engine_name, mode=mode, today=today,
                                context=indicators.Context())
    elapsed = time.perf_counter() - t0
    units = sum(len(d["units"]) for d in docs.values())
    scored = sum(1 for d in docs.values() for u in d["units"] if u["total"] is not None)
    out = {"compute_s": round(elapsed, 2), "counts_s": round(t1 - t0, 2), "scoring_s": round(elapsed - t1 + t0, 2),
           "compute_cpu_s": clock.lap()[1], "counts_cpu_s": counts_cpu,
           "documents": len(docs), "unit_periods": units, "scored": scored,
           "checksum": round(sum(u["total"] or 0 for d in docs.values() for u in d["units"]), 2)}
    if args.get("engine") == "spark":
        out["spark_start_s"] = round(start_s, 2)
    return out


FIELD_INPUTS = ("agency", "ma_tthc", "status", "channel", "received_at", "end_at", "due_pause_at", "due_restart_at",
                "sup_count", "sup_open_date", "work_days", "paid_online", "fee_info", "fee_all_zero", "reuse",
                "attached", "e_result", "from_store", "vneid", "unhappy")
"""What the "from fields" baseline reads: the dossier's timestamps as imported (NgayTiepNhan,
NgayKetThucXuLy, and the effective due moment — NgayHenTra moved by the supplementation pauses, which
needs the working calendar and the requests' dates, so it is the one derived input both read), its status,
channel, supplementation count and flags; it derives the calendar dates itself."""


def pandas_counts(store_dir: str, periods: list, mode: str, today, from_fields: bool = False) -> dict[str, list[dict]]:
    """The counts of :func:`tinhso.dossiers.indicators.counts_sql` written plainly in pandas, the way a
    competent analyst would: read only the columns the rules use, keep the latest version of each
    dossier (only when the store may hold superseded rows, as the engine does), then per period select
    the dossiers in scope and sum vectorised boolean masks with ``groupby().sum()``. No row loop.

    ``from_fields``: start from the dossier fields as imported (timestamps, status, channel, flags:
    :data:`FIELD_INPUTS`) and derive the calendar dates in pandas, instead of reading the date columns
    the importer derived for the engine (``received_date``, ``end_date``, ``due_*_date``)."""
    import numpy as np
    import pandas as pd

    from tinhso.dossiers import indicators, rules, store

    columns = list(FIELD_INPUTS if from_fields else indicators.RULE_INPUTS)
    if store.current_only(Path(store_dir)):
        df = pd.read_parquet(store_dir, columns=columns)
    else:
        df = pd.read_parquet(store_dir, columns=columns + ["ma_ho_so", "import_seq"])
        df = df.sort_values("import_seq").drop_duplicates("ma_ho_so", keep="last")
    if from_fields:
        for c in ("received", "end", "due_pause", "due_restart"):
            df[f"{c}_date"] = df.pop(f"{c}_at").dt.floor("D")
    df = df[~df["status"].isin([1, 3]) & df["received_date"].notna()]
    for c in ("received_date", "end_date", "sup_open_date", rules.due_column(mode)):
        df[c] = df[c].astype("datetime64[s]")
    for c in ("e_result", "paid_online", "fee_info", "fee_all_zero", "attached", "reuse", "from_store", "vneid",
              "unhappy"):
        df[c] = df[c].fillna(False).astype(bool)
    out = {}
    for p in periods:
        s, e = np.datetime64(p.start, "s"), np.datetime64(p.end, "s")
        j = np.datetime64(min(p.end, today), "s")
        d = df[(df["received_date"] <= e) & (df["end_date"].isna() | (df["end_date"] >= s))]
        due, received, end_date, sup_open = d[rules.due_column(mode)], d["received_date"], d["end_date"], d["sup_open_date"]
        status, channel = d["status"], d["channel"]
        once = d["sup_count"] <= 1
        finished = end_date.notna() & (end_date <= e)
        unfinished = ~finished
        received_in = received >= s
        judged = sup_open.where(sup_open.notna() & (sup_open < j), j)
        paused = status.isin([5, 6]) & end_date.isna()
        late_end = finished & (~once | (end_date > due))
        over = unfinished & ~paused & (~once | (due < j))
        with_result = finished & status.isin([9, 10])
        cols = {
            "in_scope": pd.Series(True, index=d.index), "carried_over": ~received_in, "received": received_in,
            "received_online": received_in & (channel == 2), "received_direct": received_in & (channel == 1),
            "received_postal": received_in & (channel == 3),
            "finished_early": finished & once & (end_date < due), "finished_on_due": finished & once & (end_date == due),
            "finished_late": late_end, "paused": unfinished & paused,
            "in_progress_within": unfinished & ~paused & once & (due >= j), "in_progress_over": over,
            "paused_on_time": unfinished & paused & once & (judged <= due),
            "online_e_result": received_in & (channel == 2) & d["e_result"],
            "paid_online": received_in & d["paid_online"], "fee_info": received_in & d["fee_info"],
            "fee_all_zero": received_in & d["fee_all_zero"], "attached": received_in & d["attached"],
            "attached_e_result": received_in & d["attached"] & d["e_result"],
            "online_pending": received_in & (channel == 2) & end_date.isna(),
            "attached_pending": received_in & d["attached"] & end_date.isna(),
            "reuse": received_in & d["reuse"], "from_store": received_in & d["from_store"],
            "population_data": received_in & (d["vneid"] | d["from_store"]),
            "with_result": with_result, "with_result_e_result": with_result & d["e_result"],
            "unhappy_or_late": d["unhappy"] | late_end | over,
        }
        frame = pd.DataFrame({k: v.astype("int64") for k, v in cols.items()})
        frame["work_days"] = d["work_days"].where(with_result, 0).fillna(0).astype("int64")
        frame["agency"], frame["ma_tthc"] = d["agency"], d["ma_tthc"]
        sums = frame.groupby(["agency", "ma_tthc"], sort=True).sum().reset_index()
        out[p.code] = [{k: (int(v) if isinstance(v, (np.integer,)) else v) for k, v in r.items()}
                       for r in sums.to_dict("records")]
    return out


def phase_pandas(args: dict) -> dict:
    import datetime as dt

    from django.conf import settings

    from tinhso.dossiers import indicators, scoring
    from tinhso.dossiers.periods import parse

    _set_store(args["store"])
    today = dt.date.fromisoformat(args["today"])
    periods = [parse(p) for p in _periods(args["end"])]
    mode = settings.DOSSIER_SUPPLEMENT_MODE
    t0 = time.perf_counter()
    clock = Clock()
    counts = pandas_counts(args["store"], periods, mode, today, from_fields=args.get("from_fields", False))
    counts_cpu = clock.lap()[1]
    t1 = time.perf_counter()
    table = scoring.Counts.from_dicts([{"period": code, **r} for code, rows in counts.items() for r in rows])
    docs = indicators.score(table, periods, ("agency", "commune"), engine="pandas", mode=mode, today=today,
                            context=indicators.Context())
    elapsed = time.perf_counter() - t0
    compute_cpu = clock.lap()[1]
    # the same counts as the engine's (checked outside the timing)
    from tinhso.dossiers import engine as engines

    names, rows = engines.run(indicators.many_counts_sql(periods, mode, today), "duckdb")
    engine_rows: dict[str, list] = {}
    for r in engines.as_dicts(names, rows):
        engine_rows.setdefault(r.pop("period"), []).append(r)
    same = all(sorted(counts[p.code], key=lambda r: (r["agency"], r["ma_tthc"]))
               == sorted(engine_rows.get(p.code, []), key=lambda r: (r["agency"], r["ma_tthc"])) for p in periods)
    return {"compute_s": round(elapsed, 2), "counts_s": round(t1 - t0, 2), "scoring_s": round(elapsed - t1 + t0, 2),
            "compute_cpu_s": compute_cpu, "counts_cpu_s": counts_cpu,
            "documents": len(docs), "same_counts_as_duckdb": same, "from_fields": args.get("from_fields", False),
            "checksum": round(sum(u["total"] or 0 for d in docs.values() for u in d["units"]), 2)}


PHASES = {"setup": phase_setup, "import": phase_import, "import_big": phase_import_big, "later": phase_later, "replicate": phase_replicate, "upsert": phase_upsert,
          "compute": phase_compute, "pandas": phase_pandas}


def child(name: str, args: dict) -> None:
    if os.environ.get("BENCH_TRACE_PYTHON"):  # Python's own peak; slows every allocation (≈ 5× on the scoring)
        tracemalloc.start()
    if name not in ("replicate", "later"):
        _django(args["var"])
    result = PHASES[name](args)
    result.update(_peak())
    print(json.dumps(result), flush=True)


def run(name: str, args: dict, env_extra: dict | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), **(env_extra or {}))
    if TRACE_PYTHON:
        env["BENCH_TRACE_PYTHON"] = "1"
    done = subprocess.run([sys.executable, __file__, "--child", name, json.dumps(args)], env=env, cwd=REPO,
                          stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"  {name}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000_000, help="dossiers in the store (default 10,000,000)")
    parser.add_argument("--sample", type=int, default=200_000, help="dossiers generated and imported for real")
    parser.add_argument("--import-count", type=int, default=0,
                        help="also import a file of this many dossiers (the sample file replicated); when it equals "
                             "--count, the imported store is the one computed on (default: replicate the store)")
    parser.add_argument("--import-files", type=int, default=1,
                        help="split --import-count into this many files imported one after the other (e.g. 5 files "
                             "of 2,000,000 for 10,000,000: the default per-file record limit)")
    parser.add_argument("--import-only", action="store_true",
                        help="stop after the --import-count import (keeps the imported store under --work)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --work: reuse what an earlier run left there (the setup and sample, the "
                             "imported and replicated stores, with their recorded figures) and only compute")
    parser.add_argument("--baseline-count", type=int, default=1_000_000,
                        help="store size for the pandas baseline and Spark (default 1,000,000); equal to --count: "
                             "the comparison runs on the --count store itself (pandas then needs ≈ 6 GB at 10 M)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds of the same-size comparison (DuckDB, DuckDB with the former "
                             "scoring, both pandas baselines); medians reported (default 3)")
    parser.add_argument("--no-10m-compute", dest="big_compute", action="store_false",
                        help="skip the computation on the --count store (only the same-size comparison)")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--trace-python", action="store_true",
                        help="also report Python's own peak memory (tracemalloc: it slows every allocation, so the "
                             "CPU and wall times of Python code are inflated; off by default)")
    parser.add_argument("--end", default="2025-12-31", help="last day of the twelve months")
    parser.add_argument("--work", help="working directory (default: a temporary one, removed)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child[0], json.loads(opts.child[1]))
        return
    global TRACE_PYTHON
    TRACE_PYTHON = opts.trace_python
    from machine import cpu_model

    work = Path(opts.work or tempfile.mkdtemp(prefix="tinhso-bench-dossiers-"))
    var = work / "var"
    common = {"var": str(var), "work": str(work), "end": opts.end, "today": opts.end}
    if opts.reuse and not opts.work:
        parser.error("--reuse needs --work")
    log(f"{cpu_model()}, {os.cpu_count()} cores; load average {os.getloadavg()} (shared machine)")

    def step(key: str, name: str, args: dict, output: Path | None = None) -> dict:
        """Run a phase, or with --reuse take its recorded figures when its output is still there."""
        saved = work / f"phase-{key}.json"
        if opts.reuse and saved.is_file() and (output is None or output.exists()):
            result = json.loads(saved.read_text())
            log(f"  {key}: reused {saved}")
            return {**result, "reused": True}
        result = run(name, args)
        saved.write_text(json.dumps(result))
        return result

    try:
        results = {"load_average_start": os.getloadavg(), "count": opts.count, "sample": opts.sample}
        log("setup (tinhso init, demo catalogue) …")
        step("setup", "setup", common, var)
        log(f"import {opts.sample:,} generated dossiers through the importer …")
        imp = step("import", "import", {**common, "sample": opts.sample}, var / "dossiers")
        store = var / "dossiers"
        results.update({"import": imp,
                        "import_rate_per_s": round(opts.sample / imp["import_s"]),
                        "import_rate_per_cpu_s": round(opts.sample / imp["import_cpu_s"])})
        big, small = work / "store-big", work / "store-small"
        if opts.import_count:
            log(f"import {opts.import_count:,} dossiers as {opts.import_files} file(s) through the importer …")
            target = big if opts.import_count == opts.count else work / "store-imported"
            big_import = step(f"import-{opts.import_count}-{opts.import_files}", "import_big",
                              {**common, "count": opts.import_count, "files": opts.import_files,
                               "store": str(target)}, target)
            big_import["rate_per_cpu_s"] = round(big_import["records"] / big_import["import_cpu_s"])
            big_import["rate_per_wall_s"] = round(big_import["records"] / big_import["import_s"])
            results["import_big"] = big_import
            if opts.import_only:
                results["load_average_end"] = os.getloadavg()
                print(json.dumps(results, indent=2))
                return
        if opts.import_count != opts.count:
            log(f"replicate to {opts.count:,} …")
            results["store"] = step(f"replicate-{opts.count}", "replicate",
                                    {"src": str(store), "dst": str(big), "count": opts.count}, big)
        else:
            results["store"] = step(f"later-{opts.count}", "later", {"dst": str(big)}, big)
        results["upsert"] = step(f"upsert-{opts.count}", "upsert", {**common, "dst": str(big)}, big)
        if opts.baseline_count == opts.count:
            # the comparison at the goal's size: pandas and DuckDB on the same (imported) store of --count
            small = big
        else:
            log(f"replicate to {opts.baseline_count:,} …")
            results["store_small"] = step(f"replicate-small-{opts.baseline_count}", "replicate",
                                          {"src": str(store), "dst": str(small), "count": opts.baseline_count}, small)
            results["upsert_small"] = step(f"upsert-small-{opts.baseline_count}", "upsert",
                                           {**common, "dst": str(small)}, small)
        log(f"compute: {MONTHS} months × departments and communes on DuckDB, {opts.count:,} …")
        if opts.big_compute and small != big:  # else the rounds below are that computation
            big_runs = [run("compute", {**common, "store": str(big)}) for _ in range(opts.repeat)]
            results["duckdb_runs"] = big_runs
            results["duckdb"] = sorted(big_runs, key=lambda r: r["compute_cpu_s"])[len(big_runs) // 2]  # median by CPU
        log(f"baseline at {opts.baseline_count:,}: DuckDB, then pandas …")
        # interleaved rounds (--repeat), medians: on a shared machine one run of each can be off by 2×
        rounds = []
        for k in range(opts.repeat):
            log(f"  round {k + 1} of {opts.repeat} (load average {os.getloadavg()[0]:.1f})")
            rounds.append({
                "duckdb": run("compute", {**common, "store": str(small)}),
                "duckdb_old_scoring": run("compute", {**common, "store": str(small), "old_scoring": True}),
                "pandas_fields": run("pandas", {**common, "store": str(small), "from_fields": True}),
                "pandas_derived": run("pandas", {**common, "store": str(small)}),
                "load_average": round(os.getloadavg()[0], 1)})
        results["rounds_small"] = rounds

        def median(name, key):
            values = sorted(r[name][key] for r in rounds)
            return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2

        medians = {name: {key: round(median(name, key), 2) for key in ("compute_s", "counts_s", "compute_cpu_s",
                                                                         "counts_cpu_s")}
                   for name in ("duckdb", "duckdb_old_scoring", "pandas_fields", "pandas_derived")}
        for m in medians.values():
            m["scoring_cpu_s"] = round(m["compute_cpu_s"] - m["counts_cpu_s"], 2)
        results["medians_small"] = medians
        for base in ("pandas_fields", "pandas_derived"):
            for key in ("counts_cpu_s", "compute_cpu_s", "counts_s", "compute_s"):
                results[f"ratio_{base}_over_duckdb_{key}"] = round(medians[base][key] / medians["duckdb"][key], 1)
        results["same_counts_as_duckdb"] = all(r[b]["same_counts_as_duckdb"] for r in rounds
                                               for b in ("pandas_fields", "pandas_derived"))
        if not opts.no_spark:
            log(f"Spark local[2] at {opts.baseline_count:,} …")
            results["spark_small"] = run("compute", {**common, "store": str(small), "engine": "spark"},
                                         {"TINHSO_SPARK_MEMORY": "2g"})
        results["load_average_end"] = round(os.getloadavg()[0], 1)
        print(json.dumps(results, indent=2))
    finally:
        if not opts.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
