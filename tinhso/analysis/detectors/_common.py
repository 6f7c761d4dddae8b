"""What the detectors share: the month's time window, the statistical tests and the
Benjamini–Hochberg control of false alarms across the cells a detector tests.

Every test here is one-sided and returns a p-value: the probability, under the detector's model of
"nothing changed", of a value at least as extreme as the one observed. A detector tests many cells
(category × commune, grid cells, units); :func:`benjamini_hochberg` keeps those whose p-values pass
the step-up rule at level ``alpha``. When nothing changed anywhere, the chance that a run raises any
alert at all is then at most ``alpha`` (for independent tests; BH controls the false discovery rate,
which equals the family-wise error under the global null).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.db.models import FloatField, Func, IntegerField, Value
from scipy import stats

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def month_bounds(month: dt.date, months_back: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month ``months_back`` before ``month``, as aware datetimes in Vietnam time."""
    index = month.year * 12 + month.month - 1 - months_back
    start = dt.date(index // 12, index % 12 + 1, 1)
    nxt = index + 1
    end = dt.date(nxt // 12, nxt % 12 + 1, 1)
    return (dt.datetime.combine(start, dt.time(), VIETNAM), dt.datetime.combine(end, dt.time(), VIETNAM))


def month_label(month: dt.date, months_back: int = 0) -> str:
    index = month.year * 12 + month.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def benjamini_hochberg(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Which hypotheses the Benjamini–Hochberg step-up procedure rejects at level ``alpha``."""
    m = len(pvalues)
    if not m:
        return []
    order = sorted(range(m), key=lambda i: pvalues[i])
    cutoff = -1
    for rank, i in enumerate(order, start=1):
        if pvalues[i] <= alpha * rank / m:
            cutoff = rank
    keep = [False] * m
    for rank, i in enumerate(order, start=1):
        if rank <= cutoff:
            keep[i] = True
    return keep


def count_upper_p(observed: int, mean: float, variance: float) -> float:
    """P(X ≥ observed) for a count with the given mean and variance: negative binomial when the
    variance exceeds the mean (over-dispersion), Poisson otherwise."""
    if observed <= 0:
        return 1.0
    mean = max(mean, 1e-9)
    if variance > mean * (1 + 1e-9):
        r = mean * mean / (variance - mean)
        p = r / (r + mean)
        return float(stats.nbinom.sf(observed - 1, r, p))
    return float(stats.poisson.sf(observed - 1, mean))


def count_upper_p_many(observed, mean, variance):
    """:func:`count_upper_p` over arrays (one call for many cells)."""
    import numpy as np

    x = np.asarray(observed, dtype=float)
    mu = np.maximum(np.asarray(mean, dtype=float), 1e-9)
    var = np.asarray(variance, dtype=float)
    over = var > mu * (1 + 1e-9)
    r = np.where(over, mu * mu / np.where(over, var - mu, 1.0), 1.0)
    p_nb = stats.nbinom.sf(x - 1, r, r / (r + mu))
    p_po = stats.poisson.sf(x - 1, mu)
    return np.where(x <= 0, 1.0, np.where(over, p_nb, p_po))


def share_lower_p(successes: int, trials: int, hist_successes: int, hist_trials: int,
                  prior_rate: float | None = None, prior_weight: float = 0.0) -> float:
    """P(X ≤ successes) for X ~ BetaBinomial(trials, a, b) with a, b from the history plus a prior:
    the posterior predictive of a rate that did not change (its estimation error included). The prior
    is uniform, or (empirical Bayes) ``prior_weight`` pseudo-cases at ``prior_rate`` (e.g. the
    province's rate), which steadies units with a short history."""
    if prior_rate is None or prior_weight <= 0:
        a0 = b0 = 1.0
    else:
        rate = min(max(prior_rate, 0.01), 0.99)
        a0, b0 = prior_weight * rate, prior_weight * (1 - rate)
    a = hist_successes + a0
    b = hist_trials - hist_successes + b0
    return float(stats.betabinom.cdf(successes, trials, a, b))


def share_upper_p(successes: int, trials: int, hist_successes: int, hist_trials: int, prior: float = 0.5) -> float:
    """P(X ≥ successes), the beta-binomial predictive of :func:`share_lower_p` with prior weight ``prior``."""
    if successes <= 0:
        return 1.0
    a = hist_successes + prior
    b = hist_trials - hist_successes + prior
    return float(stats.betabinom.sf(successes - 1, trials, a, b))


def confidence(p: float) -> float:
    return round(max(0.0, min(1.0, 1.0 - p)), 4)


RECORD_CAP = 25  # record links per finding; the rest are counted (Finding.more_records)


def record_links(records, cap: int = RECORD_CAP) -> tuple[list, int]:
    """Links to the records a figure counts, most telling first: ``records`` are (code, note in
    Vietnamese, note in English) with notes "" for none. Returns (the first ``cap`` links, how many more)."""
    from tinhso.analysis.findings import Link

    records = list(records)
    shown = [Link(f"{code} ({vi})" if vi else code, f"{code} ({en})" if en else code, f"/ioc/phan-anh/{code}")
             for code, vi, en in records[:cap]]
    return shown, max(0, len(records) - cap)


def month_stats_url(month: dt.date) -> str:
    """The public report statistics (per unit and per category) of the reports RECEIVED on the month's
    days, merged ones included: context for a finding, not the records it counts."""
    start = month.replace(day=1)
    last = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return f"/phan-anh/thong-ke?since={start.isoformat()}&until={last.isoformat()}"


def rule_alpha(alpha: float) -> str:
    return f"α = {alpha:g}, Benjamini–Hochberg"


def clean(x: float | None, digits: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return None
    return round(float(x), digits)


def unit_matches(finding, unit: str | None) -> bool:
    """A finding is about ``unit`` when it is its responsible unit or one of the units its subject names."""
    if not unit:
        return True
    names = {finding.unit_code, *(finding.subject.get(k) for k in ("commune_code", "handling_unit_code",
                                                                     "agency_code"))}
    return unit in names


# ---------------------------------------------------------------------------------------------
# SQL expressions that stay native on SQLite (Django's date truncation and FLOOR are Python
# functions there, called once per row; these are plain SQL on both SQLite and PostgreSQL).

VIETNAM_OFFSET_S = 7 * 3600  # Vietnam has kept UTC+7 without daylight saving since 1975
WEEK_S = 7 * 86400
MONDAY_1970_S = 4 * 86400  # 1970-01-05 was a Monday


class FloorInt(Func):
    """``floor(x)`` as an integer."""

    function = "FLOOR"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CAST(({sql}) AS INTEGER) - (({sql}) < CAST(({sql}) AS INTEGER)))", params * 3

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(FLOOR({sql}) AS BIGINT)", params


class Epoch(Func):
    """Seconds since 1970-01-01 UTC of a datetime column."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((julianday({sql}) - 2440587.5) * 86400.0)", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"EXTRACT(EPOCH FROM {sql})", params


def week_index(field: str) -> FloorInt:
    """Vietnam-time weeks (Monday to Sunday) since 1970-01-05: an integer, native SQL."""
    return FloorInt((Epoch(field) + Value(float(VIETNAM_OFFSET_S - MONDAY_1970_S))) / Value(float(WEEK_S)))


def week_monday(index: int) -> dt.date:
    return dt.date(1970, 1, 5) + dt.timedelta(weeks=int(index))
