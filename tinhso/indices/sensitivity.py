"""Uncertainty and sensitivity analysis of a composite index's ranking, after the OECD/JRC Handbook
(Nardo et al. 2008, step 7) and COINr's ``get_sensitivity`` (Saisana, Saltelli, Tarantola 2005).

The uncertain inputs act on the top aggregation: the score node and its counted children (the "main
indices", ``Method.main_nodes()``), whose values the engine has already computed for the period.

1. **Weights** of the main indices. For a ``points`` aggregation the effective weights are the
   children's maximum points (DTI's smart city has 0 and stays out); otherwise the node weights.
   ``perturb``: each weight × U(1 − spread, 1 + spread), then renormalised to sum 1.
   ``dirichlet``: the weight vector ~ Dirichlet(concentration × nominal weights normalised), drawn as
   independent gamma variates through the inverse CDF and renormalised, so every weight stays one
   uniform input factor and the Sobol' design applies unchanged. Its mean is the nominal vector.
2. **Normalisation** of the children's values across units, one of:
   ``published`` (as the method has them: absolute attainment for DTI and 766, i.e. value / max, and the
   1–10 sub-index scores for PCI), ``minmax`` (rescaled to [1, 100] across units, as COINr suggests
   before a geometric mean) or ``zscore`` (see :data:`ZSCORE_SHIFT`).
3. **Aggregation**: weighted arithmetic or weighted geometric mean (see :data:`GEOMETRIC_FLOOR`).

Each replication is a point of the unit hypercube, one uniform factor per weight plus one for the
normalisation and one for the aggregation (a discrete choice among k options is ``floor(u × k)``). The
nominal run is the published method (published values, nominal weights, the method's own aggregation);
its ranks are the engine's. Scores are put on the score's published scale (×1000 points / 1000 for
DTI, × 10 for PCI, × 100 points for 766), rounded as published (``method.decimals``) and ranked with
the competition rule, all replications at once, in chunks of :data:`CHUNK_RUNS` replications with the units along contiguous rows
(``ranking.row_ranks``), so that a million replications need little memory: the Monte Carlo keeps only
a count of each unit's ranks, from which the rank statistics are exact.

Outputs: per unit the median rank and the 5–95 % interval from a plain Monte Carlo of ``runs``
replications; first-order and total Sobol' indices (SALib's Saltelli/Jansen estimators) of the mean
absolute rank shift against the nominal ranks (COINr's output for the sensitivity analysis), and of
one unit's rank when asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.indices.methodology import Method
from tinhso.indices.ranking import competition_ranks, row_ranks
from tinhso.indices.results import Computation, clean

WEIGHT_MODES = ("perturb", "dirichlet")
NORMALISATIONS = ("published", "minmax", "zscore")
AGGREGATIONS = ("arithmetic", "geometric")
RUNS_RANGE = (100, 1_000_000)
MINMAX_RANGE = (1.0, 100.0)

# Geometric mean of values ≤ 0: raised to this floor before the logarithm. Only the ``published``
# normalisation can hold a zero (a main index with no points at all, on the 0–1 attainment scale);
# a zero would make the unit's geometric mean 0 whatever its other indices, and log(0) is undefined.
# 0.001 is 0.1 % attainment (1 point of DTI's 1000): the unit stays last on that index while its
# other indices still count. minmax (≥ 1) and shifted z-scores (≥ 1) never reach it.
GEOMETRIC_FLOOR = 1e-3

# z-scores use the sample standard deviation (ddof = 1, as R's sd() in COINr's n_zscore); a column
# where all units are equal scores 0. The whole units × indices matrix of z-scores is then shifted by
# one constant so that its smallest entry is 1: z' = z − min(z) + 1. One shift for all columns keeps
# the indices' relative positions (a per-column shift would turn it into a min–max); with an
# arithmetic mean it adds the same constant to every unit (weights sum to 1), so those ranks are the
# ranks of the plain z-score mean; the geometric mean needs it to have positive values.
ZSCORE_SHIFT = "z' = z - min(z over all units and main indices) + 1 (z with sample sd, ddof=1)"

QUANTILE_METHOD = "linear"   # numpy's default = R's type 7, which COINr's rank statistics use
# Bootstrap resamples for the Sobol' confidence intervals (option ``sobol_resamples``). SALib's default is
# 100; its resampling was 40 % of an analysis and grows with N × resamples. The interval is Z × the standard
# deviation of the resampled estimates, whose relative standard error is about 1/√(2(R − 1)): 10 % at
# R = 50, 7 % at 100. The estimates S1 and ST themselves do not depend on R.
SOBOL_RESAMPLES = 50
RESAMPLES_RANGE = (10, 10_000)
# Replications evaluated at once: 16,384 × 63 units × 8 bytes = 8 MB per intermediate array, which keeps
# the work in the CPU caches (one 1,000,000-replication block was 7× slower than the same in chunks).
CHUNK_RUNS = 16_384


def _bad(code: str, vi: str, en: str, field: str, status: int = 400) -> UserError:
    return UserError(code, vi, en, field=field, status=status)


@dataclass
class Model:
    """What the replications vary: the main indices' values (published scale), nominal weights and the
    nominal ranking."""

    method: Method
    period: str
    units: list[str]
    codes: list[str]                 # main indices carrying weight
    published: np.ndarray            # units × codes, the values a "published" replication aggregates
    nominal_weights: np.ndarray      # sums to 1
    scale: float                     # score = scale × mean (puts replications on the published scale)
    nominal_aggregation: str
    nominal_scores: np.ndarray
    nominal_ranks: np.ndarray

    def normalised(self, name: str) -> np.ndarray:
        x = self.published
        if name == "published":
            return x
        if name == "minmax":
            lo, hi = x.min(axis=0), x.max(axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            low, high = MINMAX_RANGE
            # a column where every unit is equal: all at the top, as the engine's minmax rule does
            return np.where(hi > lo, low + (high - low) * (x - lo) / span, high)
        if name == "zscore":
            sd = x.std(axis=0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1])
            z = np.where(sd > 0, (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
            return z - z.min() + 1.0
        raise ValueError(name)

    def scores(self, weights: np.ndarray, normalisation: np.ndarray, aggregation: np.ndarray,
               normalisations: tuple[str, ...], aggregations: tuple[str, ...]) -> np.ndarray:
        """Scores (units × runs) for weight rows (runs × codes, each summing to 1) and, per run, the
        index of its normalisation and aggregation in the given option tuples (the transpose of
        :meth:`run_scores`)."""
        return self.run_scores(weights, normalisation, aggregation, normalisations, aggregations).T

    def run_scores(self, weights: np.ndarray, normalisation: np.ndarray, aggregation: np.ndarray,
                   normalisations: tuple[str, ...], aggregations: tuple[str, ...]) -> np.ndarray:
        """Scores as runs × units (one replication per contiguous row), see :meth:`scores`.

        The products are einsum, not ``@``: these are thin (units × k × runs, k ≤ 10) and OpenBLAS
        would spread them over both cores, which on a machine already busy made the whole analysis
        4× slower at random (43 vs 180 ms for 10,000 runs); einsum's single loop takes ~3 ms in all.
        """
        out = np.empty((len(weights), len(self.units)))
        for i, norm in enumerate(normalisations):
            values = self.normalised(norm)
            logs = None
            for j, agg in enumerate(aggregations):
                runs = np.flatnonzero((normalisation == i) & (aggregation == j))
                if runs.size == 0:
                    continue
                if agg == "arithmetic":
                    out[runs] = np.einsum("uk,rk->ru", values, weights[runs])
                else:
                    if logs is None:
                        logs = np.log(np.maximum(values, GEOMETRIC_FLOOR))
                    out[runs] = np.exp(np.einsum("uk,rk->ru", logs, weights[runs]))
        out *= self.scale
        return out

    def ranks(self, scores: np.ndarray) -> np.ndarray:
        """Ranks of units × runs scores (see :meth:`run_ranks` for runs × units)."""
        return competition_ranks(scores, self.method.decimals)

    def run_ranks(self, scores: np.ndarray) -> np.ndarray:
        """Ranks of runs × units scores, one replication per row (int32)."""
        return row_ranks(scores, self.method.decimals, dtype=np.int32)


def build_model(comp: Computation, period: str | None = None) -> Model:
    method = comp.method
    result = comp.period(period)
    top = method.score_node
    mains = [n for n in method.main_nodes()
             if (n.max if top.aggregate == "points" else n.weight) not in (None, 0)]
    values = np.column_stack([result.values[:, result.column(n.code)] for n in mains])
    lacking = [u for u, row in zip(result.units, np.isnan(values).any(axis=1)) if row]
    if lacking:
        listed = ", ".join(lacking[:10]) + (f" (+{len(lacking) - 10})" if len(lacking) > 10 else "")
        raise UserError("sensitivity_inputs_missing",
                        f"Phân tích độ nhạy cần giá trị mọi chỉ số chính; thiếu ở: {listed}",
                        f"The sensitivity analysis needs every main index's value; missing for: {listed}",
                        field="input", details=lacking)
    if top.aggregate == "points":
        weights = np.array([n.max for n in mains], dtype=float)
        # published value of a child = attainment (points / max) whether it is kept as a share or as points
        values = np.column_stack([values[:, k] / n.max if n.unit == "points" else values[:, k]
                                  for k, n in enumerate(mains)])
        # Σ (max_i / Σ max) · attainment_i = points / Σ max: the score's value (share) or ×max (points)
        scale = top.max if top.unit == "points" else 1.0
    else:
        weights = np.array([n.weight for n in mains], dtype=float)
        scale = top.scale * (weights.sum() if top.aggregate == "weighted_sum" else 1.0)
    score_col = result.column(method.score)
    return Model(method=method, period=result.period, units=list(result.units), codes=[n.code for n in mains],
                 published=values, nominal_weights=weights / weights.sum(), scale=scale,
                 nominal_aggregation="geometric" if top.aggregate == "geometric_mean" else "arithmetic",
                 nominal_scores=result.values[:, score_col], nominal_ranks=result.ranks[:, score_col])


def sample_weights(nominal: np.ndarray, u: np.ndarray, mode: str, spread: float, concentration: float) -> np.ndarray:
    """Weight rows (runs × k, each summing to 1) from uniform factors ``u`` (runs × k)."""
    if mode == "perturb":
        w = nominal * (1.0 - spread + 2.0 * spread * u)
    else:
        # Dirichlet(α) = normalised independent Gamma(α_i, 1); the inverse CDF keeps one uniform per weight
        w = stats.gamma.ppf(u, concentration * nominal)
        w = np.where(np.isfinite(w), w, 0.0)
        empty = w.sum(axis=1) <= 0  # every variate underflowed (tiny α, u → 0): fall back to the mean
        w[empty] = nominal
    return w / w.sum(axis=1, keepdims=True)


def _choice(u: np.ndarray, k: int) -> np.ndarray:
    return np.minimum((u * k).astype(np.int64), k - 1)


def _options(given, allowed: tuple[str, ...], field: str, label_vi: str, label_en: str) -> tuple[str, ...]:
    items = given.split(",") if isinstance(given, str) else list(given)   # "published,minmax" too
    items = [nfc(str(x)).strip().lower() for x in items]
    unknown = [x for x in items if x not in allowed]
    if not items or unknown:
        shown = ", ".join(unknown) if unknown else "(rỗng / empty)"
        raise _bad("sensitivity_option_invalid",
                   f"{label_vi} không hợp lệ: {shown}; chọn trong: {', '.join(allowed)}",
                   f"Invalid {label_en}: {shown}; choose among: {', '.join(allowed)}", field)
    if len(set(items)) != len(items):
        raise _bad("sensitivity_option_invalid", f"{label_vi} bị lặp: {', '.join(items)}",
                   f"Repeated {label_en}: {', '.join(items)}", field)
    return tuple(items)


def _check_number(value, low: float, high: float, inclusive: bool, field: str, vi: str, en: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and (
        low <= value <= high if inclusive else low < value < high)
    if not ok:
        span = f"[{low:g}, {high:g}]" if inclusive else f"({low:g}, {high:g})"
        raise _bad("sensitivity_option_invalid", f"{vi} phải là số trong {span} (nhận {value!r})",
                   f"{en} must be a number in {span} (got {value!r})", field)
    return float(value)


def _sobol_base(runs: int, d: int) -> int:
    """The power of two N closest (in log scale) to runs / (d + 2): Saltelli's design costs N·(d + 2)."""
    return max(8, 2 ** round(math.log2(max(runs / (d + 2), 1.0))))


def rank_counts(ranks: np.ndarray, counts: np.ndarray) -> None:
    """Add runs × units ranks (0 … units) to ``counts`` (units × (units + 1)): how often each unit had
    each rank."""
    width = counts.shape[1]
    flat = ranks + np.arange(0, counts.size, width, dtype=ranks.dtype)
    counts += np.bincount(flat.reshape(-1), minlength=counts.size).reshape(counts.shape)


def quantiles_from_counts(counts: np.ndarray, qs) -> np.ndarray:
    """``np.quantile(sample, qs, axis=1, method="linear")`` of each row's sample, where row i's sample
    holds ``counts[i, v]`` copies of the value v: the same order statistics and the same interpolation
    formula as numpy's, so the results are identical, without materialising the samples."""
    counts = np.asarray(counts)
    m = int(counts[0].sum())
    qs = np.asarray(qs, dtype=float)
    virtual = (m - 1) * qs
    previous = np.floor(virtual)
    gamma = virtual - previous
    low = np.minimum(previous, m - 1).astype(np.int64)
    high = np.minimum(previous + 1, m - 1).astype(np.int64)
    cumulative = np.cumsum(counts, axis=1)
    # the k-th smallest value (0-based) is the first v whose cumulative count exceeds k
    a = np.stack([np.searchsorted(c, low, side="right") for c in cumulative], axis=1).astype(float)
    b = np.stack([np.searchsorted(c, high, side="right") for c in cumulative], axis=1).astype(float)
    g = gamma[:, None]
    diff = b - a
    out = a + diff * g
    np.subtract(b, diff * (1 - g), out=out, where=np.broadcast_to(g >= 0.5, out.shape))
    return out


def _sobol_indices(problem: dict, y: np.ndarray, names: list[str], n: int, seed: int,
                   resamples: int = SOBOL_RESAMPLES) -> dict:
    from SALib.analyze import sobol as sobol_analyze

    if np.ptp(y) == 0:
        # the output never moved: nothing to apportion (SALib would divide by a zero variance)
        inputs = [{"name": name, "S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0} for name in names]
        return {"samples": n, "variance": 0.0, "inputs": inputs}
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=resamples,
                                print_to_console=False, seed=seed)
    inputs = [{"name": name, "S1": clean(res["S1"][k]), "S1_conf": clean(res["S1_conf"][k]),
               "ST": clean(res["ST"][k]), "ST_conf": clean(res["ST_conf"][k])} for k, name in enumerate(names)]
    return {"samples": n, "variance": clean(float(np.var(y))), "inputs": inputs}


def analyse(comp: Computation, *, period: str | None = None, runs: int = 10000, weights: str = "perturb",
            spread: float = 0.25, concentration: float = 50.0,
            normalisations: tuple[str, ...] = NORMALISATIONS, aggregations: tuple[str, ...] = AGGREGATIONS,
            sobol: bool = True, seed: int = 0, unit: str | None = None,
            sobol_resamples: int = SOBOL_RESAMPLES) -> dict:
    """Rank distributions per unit and Sobol' indices per uncertain input (see the module docstring)."""
    if isinstance(runs, bool) or not isinstance(runs, int) or not RUNS_RANGE[0] <= runs <= RUNS_RANGE[1]:
        raise _bad("sensitivity_option_invalid",
                   f"Số lần chạy phải là số nguyên trong [{RUNS_RANGE[0]}, {RUNS_RANGE[1]}] (nhận {runs!r})",
                   f"runs must be an integer in [{RUNS_RANGE[0]}, {RUNS_RANGE[1]}] (got {runs!r})", "runs")
    if not isinstance(weights, str):
        raise _bad("sensitivity_option_invalid", f"weights phải là {' hoặc '.join(WEIGHT_MODES)}",
                   f"weights must be {' or '.join(WEIGHT_MODES)}", "weights")
    mode = _options(weights, WEIGHT_MODES, "weights", "Cách thay đổi trọng số", "weights mode")[0]
    spread = _check_number(spread, 0.0, 1.0, False, "spread", "Biên độ thay đổi trọng số", "spread")
    concentration = _check_number(concentration, 1e-3, 1e6, True, "concentration", "Độ tập trung Dirichlet",
                                  "concentration")
    norms = _options(normalisations, NORMALISATIONS, "normalisations", "Cách chuẩn hóa", "normalisation")
    aggs = _options(aggregations, AGGREGATIONS, "aggregations", "Cách tổng hợp", "aggregation")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _bad("sensitivity_option_invalid", f"seed phải là số nguyên không âm (nhận {seed!r})",
                   f"seed must be a non-negative integer (got {seed!r})", "seed")

    low, high = RESAMPLES_RANGE
    if (isinstance(sobol_resamples, bool) or not isinstance(sobol_resamples, int)
            or not low <= sobol_resamples <= high):
        raise _bad("sensitivity_option_invalid",
                   f"Số lần lấy mẫu lại (bootstrap) phải là số nguyên trong [{low}, {high}] "
                   f"(nhận {sobol_resamples!r})",
                   f"sobol_resamples must be an integer in [{low}, {high}] (got {sobol_resamples!r})",
                   "sobol_resamples")

    model = build_model(comp, period)
    focus = comp.unit_row(model.units, unit, model.period) if unit is not None else None
    k = len(model.codes)
    names = [f"weight:{c}" for c in model.codes] + ["normalisation", "aggregation"]

    def evaluate(u: np.ndarray):
        """Ranks (runs × units, int32) of the replications ``u`` (runs × inputs), chunk by chunk."""
        for start in range(0, len(u), CHUNK_RUNS):
            part = u[start:start + CHUNK_RUNS]
            w = sample_weights(model.nominal_weights, part[:, :k], mode, spread, concentration)
            yield start, model.run_ranks(model.run_scores(w, _choice(part[:, k], len(norms)),
                                                          _choice(part[:, k + 1], len(aggs)), norms, aggs))

    rng = np.random.default_rng(seed)
    n_units = len(model.units)
    counts = np.zeros((n_units, n_units + 1), dtype=np.int64)    # unit × rank → replications
    for _, chunk in evaluate(rng.random((runs, k + 2))):
        rank_counts(chunk, counts)
    q = quantiles_from_counts(counts, [0.05, 0.25, 0.5, 0.75, 0.95])
    rank_values = np.arange(n_units + 1)
    seen = counts > 0
    nominal = model.nominal_ranks
    units = []
    for i, code in enumerate(model.units):
        item = {"unit": code}
        if code in comp.unit_names:
            item["name"] = comp.unit_names[code]
        # sums of whole numbers are exact in float64: the mean and share equal numpy's on the samples
        item.update(nominal_score=clean(model.nominal_scores[i]), nominal_rank=int(nominal[i]),
                    median_rank=clean(q[2, i]), p05_rank=clean(q[0, i]), p95_rank=clean(q[4, i]),
                    mean_rank=clean(float(counts[i] @ rank_values) / runs), rank_iqr=clean(q[3, i] - q[1, i]),
                    best_rank=int(rank_values[seen[i]].min()), worst_rank=int(rank_values[seen[i]].max()),
                    share_at_nominal_rank=clean(float(counts[i, nominal[i]]) / runs))
        units.append(item)
    units.sort(key=lambda x: (x["nominal_rank"], x["unit"]))

    settings = {
        "weights": mode, "normalisations": list(norms), "aggregations": list(aggs), "seed": seed,
        "nominal": {"normalisation": "published", "aggregation": model.nominal_aggregation,
                    "weights": {c: clean(w) for c, w in zip(model.codes, model.nominal_weights)}},
        "score_scale": model.scale, "decimals": model.method.decimals,
        "minmax_range": list(MINMAX_RANGE), "zscore_shift": ZSCORE_SHIFT, "geometric_floor": GEOMETRIC_FLOOR,
        "quantiles": f"{QUANTILE_METHOD} (R type 7)", "choice": "option = floor(u × number of options)",
        "inputs": names,
    }
    if mode == "perturb":
        settings["spread"] = spread
    else:
        settings["concentration"] = concentration
        settings["dirichlet_alpha"] = {c: clean(a) for c, a in zip(model.codes, concentration * model.nominal_weights)}

    doc = {"method": model.method.code, "period": model.period, "runs": runs, "settings": settings,
           "units": units, "sobol": None, "unit_sobol": None}
    if sobol:
        from SALib.sample import sobol as sobol_sample

        n = _sobol_base(runs, k + 2)
        problem = {"num_vars": k + 2, "names": names, "bounds": [[0.0, 1.0]] * (k + 2)}
        design = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
        design = np.clip(design, 0.0, np.nextafter(1.0, 0.0))   # u = 1 would pick past the last option
        shift = np.empty(len(design))
        focus_ranks = np.empty(len(design)) if focus is not None else None
        nominal_row = nominal.astype(np.int32)
        for start, chunk in evaluate(design):
            shift[start:start + len(chunk)] = np.abs(chunk - nominal_row).mean(axis=1)
            if focus_ranks is not None:
                focus_ranks[start:start + len(chunk)] = chunk[:, focus]
        settings["sobol"] = {"base_samples": n, "evaluations": int(len(design)),
                             "design": f"Saltelli (SALib.sample.sobol, N = {n} power of two with "
                                       f"N·(d+2) = {len(design)} ≈ runs, d = {k + 2}, first-order and total only)",
                             "bootstrap_resamples": sobol_resamples, "confidence": 0.95}
        doc["sobol"] = {"output": "mean absolute rank shift",
                        **_sobol_indices(problem, shift, names, n, seed, sobol_resamples)}
        if focus is not None:
            doc["unit_sobol"] = {"output": "rank", "unit": model.units[focus],
                                 **_sobol_indices(problem, focus_ranks, names, n, seed, sobol_resamples)}
    if focus is not None:
        doc["unit"] = model.units[focus]
    return doc
