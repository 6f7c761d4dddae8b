"""Composite-index benchmark (issue 5, "Measured"): the engine and the Monte Carlo sensitivity analysis
against straightforward pandas row-by-row implementations measured in the same run.

    .venv/bin/python bench/indices.py [--repeat 200] [--mc-runs 10000] [--baseline-runs 200] [--big-runs 1000000]

(a) 63 synthetic units × 100 components (``synthetic.component_method(100)``, the dti-922 tree with 100
    leaves under its 8 main indices, 113 nodes): ``results.compute`` = every node's value and
    competition rank for every unit (the tidy input is parsed once, outside the timing). Baseline:
    iterrows over the tidy records, a dict per (unit, node), parents summed children-first in Python
    loops, then pandas ``rank(method="min")`` per node. Both give the same values and ranks (checked).
(b) 10,000 Monte Carlo replications with full re-ranking of the 63 units (``sensitivity.analyse``,
    weights perturbed ±25 %, 3 normalisations × 2 aggregations), without and with the Sobol' design
    (≈ 10,000 more replications + SALib's estimators with 50 bootstrap resamples, for the mean rank
    shift and one unit's rank). Baseline: a loop over replications building a DataFrame per replication,
    scoring row by row and ranking with ``.rank(method="min")``, run on ``--baseline-runs`` replications
    and extrapolated linearly to 10,000 (the per-replication cost does not depend on the count).
(c) issue 15: 1,000,000 replications with full re-ranking (``sensitivity.analyse(runs=1000000, sobol=False)``),
    and the Sobol' analysis at runs = 100,000 (default 50 bootstrap resamples, and SALib's 100). Baseline in the same
    run: the ranking as it was before (``column_sort_ranks``: sort along axis 0 of units × replications,
    the replications strided), timed on the same scores as the new row ranking (``ranking.row_ranks`` on
    replications × units, chunks of ``sensitivity.CHUNK_RUNS``), and checked to give the same ranks.
Timings are medians of repeated runs (wall clock, ``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import cpu_model  # bench/machine.py (scripts run from bench/)

from tinhso.indices import dataset, results, sensitivity, synthetic  # noqa: E402
from tinhso.indices.methodology import Method  # noqa: E402
from tinhso.indices.ranking import round_half_up, row_ranks  # noqa: E402


def timed(func, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def cpu_timed(func, repeat: int) -> tuple[float, float, object]:
    """Median wall-clock and median CPU time of this process (the CPU time moves less than the wall
    clock when other processes share the machine)."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = func()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), out


# --------------------------------------------------------------------------------------------------
# (a) baseline: row by row


def _leaf_attainment(node, x: float) -> float:
    rule = node.rule
    if rule.kind == "ratio":
        return x / rule.full
    if rule.kind == "threshold":
        return min(1.0, x / rule.target)
    if rule.kind == "tiers":
        for at_least, share in rule.tiers:
            if x >= at_least:
                return share
        return rule.otherwise
    return x


def baseline_compute(method: Method, rows: list[dict]) -> pd.DataFrame:
    """Values and ranks per node the way a first script would do it: one record at a time."""
    records = pd.DataFrame(rows)
    values: dict[tuple[str, str], float] = {}
    units: list[str] = []
    for _, rec in records.iterrows():
        node = method.nodes[rec["indicator"]]
        if rec["unit"] not in units:
            units.append(rec["unit"])
        a = _leaf_attainment(node, float(rec["value"]))
        values[(rec["unit"], node.code)] = a * node.max if node.unit == "points" else a
    for code in method.order:
        node = method.nodes[code]
        if node.is_leaf:
            continue
        for unit in units:
            points = 0.0
            complete = True
            for child_code in node.children:
                child = method.nodes[child_code]
                if not child.counts:
                    continue
                if (unit, child_code) not in values:
                    complete = False
                    break
                v = values[(unit, child_code)]
                points += v * child.max if child.unit == "share" else v
            if complete:
                values[(unit, code)] = points / node.max if node.unit == "share" else points
    table = pd.Series(values).unstack()
    ranks = {}
    for code in table.columns:
        rounded = pd.Series(round_half_up(table[code].to_numpy(), method.node_decimals(code)), index=table.index)
        ranks[code] = rounded.rank(method="min", ascending=False)
    return pd.concat({"value": table, "rank": pd.DataFrame(ranks)}, axis=1)


# --------------------------------------------------------------------------------------------------
# (b) baseline: one replication at a time


def baseline_monte_carlo(model: sensitivity.Model, runs: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    norms, aggs = sensitivity.NORMALISATIONS, sensitivity.AGGREGATIONS
    base = pd.DataFrame(model.published, index=model.units, columns=model.codes)
    collected = []
    for _ in range(runs):
        w = model.nominal_weights * rng.uniform(0.75, 1.25, len(model.codes))
        w = pd.Series(w / w.sum(), index=model.codes)
        norm, agg = norms[rng.integers(len(norms))], aggs[rng.integers(len(aggs))]
        df = base.copy()
        if norm == "minmax":
            df = 1 + 99 * (df - df.min()) / (df.max() - df.min())
        elif norm == "zscore":
            df = (df - df.mean()) / df.std()
            df = df - df.min().min() + 1
        scores = {}
        for unit, row in df.iterrows():
            if agg == "arithmetic":
                scores[unit] = sum(row[c] * w[c] for c in model.codes)
            else:
                scores[unit] = float(np.prod([max(row[c], sensitivity.GEOMETRIC_FLOOR) ** w[c] for c in model.codes]))
        s = pd.Series(scores) * model.scale
        collected.append(s.round(model.method.decimals).rank(method="min", ascending=False))
    ranks = pd.concat(collected, axis=1)
    return pd.DataFrame({"median": ranks.median(axis=1), "p05": ranks.quantile(0.05, axis=1),
                         "p95": ranks.quantile(0.95, axis=1)})


# --------------------------------------------------------------------------------------------------
# (c) baseline: the ranking before issue 15


def column_sort_ranks(values: np.ndarray, decimals: int | None) -> np.ndarray:
    """Ranks of each column (units × replications) by sorting along axis 0 (strided), as before."""
    data = np.asarray(values, dtype=float)
    if decimals is not None:
        data = round_half_up(data, decimals)
    missing = np.isnan(data)
    filled = np.where(missing, -np.inf, data)
    order = np.argsort(-filled, axis=0, kind="stable")
    ordered = np.take_along_axis(filled, order, axis=0)
    positions = np.broadcast_to(np.arange(filled.shape[0])[:, None], filled.shape)
    starts_group = np.ones(filled.shape, dtype=bool)
    starts_group[1:] = ordered[1:] != ordered[:-1]
    first_of_group = np.maximum.accumulate(np.where(starts_group, positions, 0), axis=0)
    ranks = np.empty(filled.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first_of_group + 1, axis=0)
    ranks[missing] = 0
    return ranks


def before_monte_carlo(model: sensitivity.Model, runs: int, seed: int = 0) -> np.ndarray:
    """The Monte Carlo part of ``analyse`` as it was before issue 15: every replication at once as one
    units × runs matrix, ranked by the column sort, then ``np.quantile`` and means over the ranks."""
    rng = np.random.default_rng(seed)
    k = len(model.codes)
    u = rng.random((runs, k + 2))
    w = sensitivity.sample_weights(model.nominal_weights, u[:, :k], "perturb", 0.25, 50.0)
    choose = lambda col, m: np.minimum((u[:, col] * m).astype(np.int64), m - 1)  # noqa: E731
    scores = model.scores(w, choose(k, 3), choose(k + 1, 2), sensitivity.NORMALISATIONS, sensitivity.AGGREGATIONS)
    ranks = column_sort_ranks(scores, model.method.decimals).astype(float)
    q = np.quantile(ranks, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1, method="linear")
    return np.vstack([q, ranks.mean(axis=1), ranks.min(axis=1), ranks.max(axis=1),
                      (ranks == model.nominal_ranks[:, None]).mean(axis=1)])


def big_monte_carlo(comp, args) -> dict:
    model = sensitivity.build_model(comp)
    k = len(model.codes)
    rng = np.random.default_rng(1)
    n = args.baseline_rank_runs
    u = rng.random((n, k + 2))
    w = sensitivity.sample_weights(model.nominal_weights, u[:, :k], "perturb", 0.25, 50.0)
    choose = lambda col, m: np.minimum((u[:, col] * m).astype(np.int64), m - 1)  # noqa: E731
    scores = model.run_scores(w, choose(k, 3), choose(k + 1, 2), sensitivity.NORMALISATIONS,
                              sensitivity.AGGREGATIONS)                       # runs × units
    decimals = model.method.decimals
    columns = np.ascontiguousarray(scores.T)                                  # units × runs, as before
    old_s, old = timed(lambda: column_sort_ranks(columns, decimals), 3)
    step = sensitivity.CHUNK_RUNS

    def new():
        return np.concatenate([row_ranks(scores[i:i + step], decimals, dtype=np.int32) for i in range(0, n, step)])

    new_s, ranks = timed(new, 3)
    assert np.array_equal(ranks.T, old), "row ranking differs from the column sort"
    sensitivity.analyse(comp, runs=1000, sobol=False)
    before = before_monte_carlo(model, n)
    doc = sensitivity.analyse(comp, runs=n, sobol=False)   # same draws (seed 0): same statistics
    order = {u["unit"]: i for i, u in enumerate(doc["units"])}
    mine = np.array([[doc["units"][order[unit]][key] for unit in model.units]
                     for key in ("p05_rank", "median_rank", "p95_rank", "mean_rank")])
    assert np.allclose(mine, before[[0, 2, 4, 5]], rtol=0, atol=1e-9), "statistics differ from the old way"
    before_wall, before_cpu, _ = cpu_timed(lambda: before_monte_carlo(model, n), args.big_repeat)
    small_wall, small_cpu, _ = cpu_timed(lambda: sensitivity.analyse(comp, runs=n, sobol=False), args.big_repeat)
    big_wall, big_cpu, _ = cpu_timed(lambda: sensitivity.analyse(comp, runs=args.big_runs, sobol=False),
                                     args.big_repeat)
    big_s = big_wall
    unit = comp.period().units[len(comp.period().units) // 2]
    sob_s, sob_cpu, sdoc = cpu_timed(lambda: sensitivity.analyse(comp, runs=100_000, sobol=True, unit=unit, seed=1),
                                     args.big_repeat)
    sob30_s, sob30_cpu, _ = cpu_timed(lambda: sensitivity.analyse(comp, runs=100_000, sobol=True, unit=unit, seed=1,
                                                                  sobol_resamples=100), args.big_repeat)
    return {"old_rank_s": old_s, "new_rank_s": new_s, "rank_runs": n, "big_s": big_s, "big_cpu": big_cpu,
            "before_wall": before_wall, "before_cpu": before_cpu, "small_wall": small_wall, "small_cpu": small_cpu,
            "sobol_s": sob_s, "sobol_cpu": sob_cpu, "sobol30_cpu": sob30_cpu,
            "sobol30_s": sob30_s, "sobol_base": sdoc["settings"]["sobol"]["base_samples"],
            "sobol_evaluations": sdoc["settings"]["sobol"]["evaluations"]}


# --------------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = cpu_model()
    versions = {name: importlib.metadata.version(name) for name in ("numpy", "pandas", "scipy", "SALib")}
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), **versions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="repetitions of the engine timing")
    parser.add_argument("--baseline-repeat", type=int, default=5)
    parser.add_argument("--mc-runs", type=int, default=10000)
    parser.add_argument("--mc-repeat", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=200)
    parser.add_argument("--big-runs", type=int, default=1_000_000, help="(c) replications; 0 skips (c)")
    parser.add_argument("--big-repeat", type=int, default=3)
    parser.add_argument("--baseline-rank-runs", type=int, default=100_000,
                        help="(c) replications ranked by both the old column sort and the new row ranking")
    args = parser.parse_args()

    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))

    method = synthetic.component_method(100)
    rows = synthetic.component_rows(method, 63)
    parse_s, data = timed(lambda: dataset.from_records(method, rows), 5)
    results.compute(data)  # warm-up
    engine_s, comp = timed(lambda: results.compute(data), args.repeat)
    report_s, _ = timed(lambda: results.report(comp), 20)
    base_s, base = timed(lambda: baseline_compute(method, rows), args.baseline_repeat)

    period = comp.period()
    for code in method.order:  # same figures both ways
        j = period.column(code)
        if code not in base["value"]:
            assert np.isnan(period.values[:, j]).all(), code  # no input anywhere (smart_city)
            continue
        expect = base["value"][code].reindex(period.units).to_numpy()
        assert np.allclose(period.values[:, j], expect, rtol=0, atol=1e-9), code
        assert (period.ranks[:, j] == base["rank"][code].reindex(period.units).to_numpy()).all(), code

    sensitivity.analyse(comp, runs=200, sobol=False)  # warm-up (imports, caches)
    mc_s, doc = timed(lambda: sensitivity.analyse(comp, runs=args.mc_runs, sobol=False), args.mc_repeat)
    unit = doc["units"][len(doc["units"]) // 2]["unit"]
    sobol_s, sdoc = timed(lambda: sensitivity.analyse(comp, runs=args.mc_runs, sobol=True, unit=unit), args.mc_repeat)
    model = sensitivity.build_model(comp)
    bmc_s, _ = timed(lambda: baseline_monte_carlo(model, args.baseline_runs), 1)
    bmc_full = bmc_s * args.mc_runs / args.baseline_runs

    ms = lambda s: f"{s * 1000:,.1f} ms"  # noqa: E731
    n_units, n_nodes = len(period.units), len(method.order)
    print(f"\n(a) {n_units} units × {len(rows) // n_units} components ({n_nodes} nodes), median of {args.repeat}:")
    print(f"    tinhso results.compute (values + all ranks)   {ms(engine_s):>12}   target < 20 ms")
    print(f"    pandas row-by-row baseline (median of {args.baseline_repeat})    {ms(base_s):>12}   "
          f"ratio {base_s / engine_s:,.0f}×")
    print(f"    (not timed above: parsing the {len(rows)} tidy records {ms(parse_s)}, the JSON report {ms(report_s)})")
    print(f"\n(b) {args.mc_runs:,} Monte Carlo replications, full re-ranking of {n_units} units, median of "
          f"{args.mc_repeat}:")
    print(f"    sensitivity.analyse(sobol=False)               {ms(mc_s):>12}   target < 2 s")
    print(f"    sensitivity.analyse(sobol=True, unit=…)        {ms(sobol_s):>12}   "
          f"(+ {sdoc['settings']['sobol']['evaluations']:,} Sobol' design replications)")
    print(f"    pandas row-by-row baseline, {args.baseline_runs} replications  {ms(bmc_s):>12}   → "
          f"{args.mc_runs:,} extrapolated {bmc_full:,.1f} s, ratio {bmc_full / mc_s:,.0f}× (sobol=False)")
    if args.big_runs:
        big = big_monte_carlo(comp, args)
        per_m = 1_000_000 / big["rank_runs"]
        print(f"\n(c) ranking {big['rank_runs']:,} replications of {n_units} units (same scores, same ranks), "
              f"median of 3:")
        print(f"    before: column sort (units × runs)             {ms(big['old_rank_s']):>12}   "
              f"(→ {big['old_rank_s'] * per_m:,.2f} s per 1,000,000)")
        print(f"    now: row_ranks (runs × units, chunks of {sensitivity.CHUNK_RUNS:,})  {ms(big['new_rank_s']):>12}   "
              f"ratio {big['old_rank_s'] / big['new_rank_s']:,.1f}×")
        scale = args.big_runs / big["rank_runs"]
        print(f"    Monte Carlo before issue 15 (one matrix, column sort, np.quantile), {big['rank_runs']:,} runs: "
              f"wall {ms(big['before_wall'])}, CPU {ms(big['before_cpu'])} (→ ×{scale:g}: CPU "
              f"{big['before_cpu'] * scale:,.1f} s)")
        print(f"    sensitivity.analyse(runs={big['rank_runs']:,}, sobol=False) now: wall {ms(big['small_wall'])}, "
              f"CPU {ms(big['small_cpu'])}; ratio {big['before_cpu'] / big['small_cpu']:.1f}× (CPU)")
        print(f"    sensitivity.analyse(runs={args.big_runs:,}, sobol=False), median of {args.big_repeat}: wall "
              f"{ms(big['big_s'])}, CPU {ms(big['big_cpu'])}   target < 2 s; per replication "
              f"{big['before_cpu'] * scale / big['big_cpu']:.1f}× the old way (CPU)")
        print(f"    sensitivity.analyse(runs=100,000, sobol=True, unit=…), 50 resamples   {ms(big['sobol_s']):>12} (CPU {ms(big['sobol_cpu'])})   "
              f"(N = {big['sobol_base']:,}, {big['sobol_evaluations']:,} design replications)")
        print(f"    the same with sobol_resamples=100                  {ms(big['sobol30_s']):>12} (CPU {ms(big['sobol30_cpu'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
