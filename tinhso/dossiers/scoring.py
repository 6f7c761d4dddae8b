"""The Decision 766 indicators of many units × periods from the store's counts, scored by ``svc-766``,
computed over arrays: every unit-month of a computation at once.

The input is the table of :func:`tinhso.dossiers.indicators.many_counts_sql` — rule columns summed per
period × agency × procedure — as columns (:class:`Counts`). For each level asked (each department, each
commune People's Committee, or the province) every row is given the unit-period it counts for; the rows
are summed per unit-period × procedure (:func:`_group`), the procedure's catalogue facts (online service,
paper result, fee-bearing, citizens, the publication facts of 1.1–1.3, read once per computation by
:class:`ProcedureFacts`) are looked up per group, and each formula of the 766 indicators (the formulas and
their sources are documented in :mod:`tinhso.dossiers.indicators`) is a sum per unit-period of those
arrays: a count of procedures with some dossiers, a sum over the procedures of a kind, a rate. The rates
go through the ``svc-766`` method (:func:`tinhso.indices.engine.evaluate`: points, group points, the total)
and competition ranks, one document (period × level) at a time, as before; only the JSON of each unit is
built per unit.

Every number is the one the per-unit computation gave (``tests/dossiers/test_scoring.py`` compares them
on random count tables: the same IEEE operations in the same order — ``100.0 * num / den`` — on integers
below 2**53, so the rates are bit for bit equal).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from tinhso.dossiers.models import OnlineLevel, Subjects

KEYS = ("in_scope", "carried_over", "received", "received_online", "received_direct", "received_postal",
        "finished_early", "finished_on_due", "finished_late", "paused", "in_progress_within", "in_progress_over",
        "paused_on_time", "online_e_result", "paid_online", "fee_info", "fee_all_zero", "attached",
        "attached_e_result", "online_pending", "attached_pending", "reuse", "from_store", "population_data",
        "with_result", "with_result_e_result", "unhappy_or_late", "work_days")
"""The summed columns the formulas read (a missing one counts 0)."""
K = {k: i for i, k in enumerate(KEYS)}
BUCKETS = ("carried_over", "received", "received_online", "received_direct", "received_postal", "finished_early",
           "finished_on_due", "finished_late", "in_progress_within", "in_progress_over", "paused")
PUBLICATION_WORKING_DAYS = 5
"""1.1 and 1.2: the publication decision at least 5 working days before the legal basis takes effect;
publicised within 5 working days of that decision [DVCQG-F 1.1, 1.2; ministries 20 / 10]."""
SUPPLIED_ONLY = ("1.4", "4.2c", "5.2", "5.3")
"""What dossiers cannot show: always a supplied value (5.2 and 5.3 from records when tinhso holds PAKN)."""
SUPPLIABLE = ("1.1", "1.2", "1.3", *SUPPLIED_ONLY)
"""The indicators a supplied value can give (:func:`indicators` reads no other): 1.1–1.3 where the catalogue
lacks the publication facts, and :data:`SUPPLIED_ONLY` (1.4 is also the sync rate of 3.3)."""
FACTS = ("known", "online", "paper", "fee", "citizens", "p11n", "p11d", "p12n", "p12d", "p13n", "p13d")
F = {k: i for i, k in enumerate(FACTS)}


@dataclass
class Counts:
    """Count rows as columns: ``period``, ``agency`` and ``ma_tthc`` (object arrays) and the summed
    columns (``values``: rows × :data:`KEYS`, int64; ``int(v or 0)`` of each value, as the sums are)."""

    period: np.ndarray
    agency: np.ndarray
    ma_tthc: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.period)

    @classmethod
    def from_columns(cls, names: list[str], columns: list, period: str | None = None) -> Counts:
        """From column sequences named ``names`` (``period``, ``agency``, ``ma_tthc`` and the sums);
        ``period`` gives every row that period when the columns have none."""
        index = {n: i for i, n in enumerate(names)}
        n = len(columns[0]) if columns else 0
        values = np.zeros((n, len(KEYS)), dtype=np.int64)
        for key, j in K.items():
            if key in index:
                values[:, j] = _ints(columns[index[key]])
        periods = (np.asarray(columns[index["period"]], dtype=object) if "period" in index
                   else np.full(n, period, dtype=object))
        return cls(periods, _objects(columns[index["agency"]], n) if "agency" in index else np.full(n, None),
                   _objects(columns[index["ma_tthc"]], n) if "ma_tthc" in index else np.full(n, None), values)

    @classmethod
    def from_rows(cls, names: list[str], rows: list[tuple], period: str | None = None) -> Counts:
        """From an engine's result (:func:`tinhso.dossiers.engine.run`)."""
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in names]
        return cls.from_columns(names, columns, period)

    @classmethod
    def from_dicts(cls, rows: list[dict], period: str | None = None) -> Counts:
        """From rows as dicts (:func:`tinhso.dossiers.indicators.count_rows`); every key but ``agency``,
        ``ma_tthc`` and ``period`` is a sum."""
        names: list[str] = []
        seen = set()
        for r in rows:
            for k in r:
                if k not in seen:
                    seen.add(k)
                    names.append(k)
        unknown = [k for k in names if k not in K and k not in ("agency", "ma_tthc", "period")]
        if unknown:
            raise ValueError(f"unknown count columns {unknown}")
        return cls.from_columns(names, [[r.get(k) for r in rows] for k in names], period)


def _objects(column, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = list(column)
    return out


def _ints(column) -> np.ndarray:
    """``int(v or 0)`` of every value (a float truncated towards zero, as ``int`` does)."""
    try:
        array = np.asarray(column)
    except (TypeError, ValueError):
        array = np.asarray([int(v or 0) for v in column], dtype=np.int64)
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        return np.trunc(np.nan_to_num(array, nan=0.0)).astype(np.int64)
    return np.asarray([int(v or 0) for v in column], dtype=np.int64)


def shift_working_days(calendar, day: dt.date, days: int) -> dt.date:
    step = 1 if days > 0 else -1
    remaining = abs(days)
    while remaining:
        day += dt.timedelta(days=step)
        remaining -= calendar.is_working_day(day)
    return day


class ProcedureFacts:
    """The catalogue facts the formulas read, one row per procedure code (:data:`FACTS`), plus a last
    row of zeros for a code the catalogue does not know; built once per computation."""

    def __init__(self, procedures: dict, calendar):
        self.codes = {code: i for i, code in enumerate(procedures)}
        table = np.zeros((len(procedures) + 1, len(FACTS)), dtype=np.int64)
        for code, p in procedures.items():
            row = table[self.codes[code]]
            row[F["known"]] = 1
            row[F["online"]] = p.online_level != OnlineLevel.NONE
            row[F["paper"]] = bool(p.requires_paper_result)
            row[F["fee"]] = bool(p.fee_bearing)
            row[F["citizens"]] = p.subjects in (Subjects.CITIZENS, Subjects.BOTH)
            if p.legal_basis_effective and p.publication_decision_date:
                limit = shift_working_days(calendar, p.legal_basis_effective, -PUBLICATION_WORKING_DAYS)
                row[F["p11n"]], row[F["p11d"]] = p.publication_decision_date <= limit, 1
            if p.publication_decision_date and p.publicised_date:
                limit = shift_working_days(calendar, p.publication_decision_date, PUBLICATION_WORKING_DAYS)
                row[F["p12n"]], row[F["p12d"]] = p.publicised_date <= limit, 1
            if p.parts_complete is not None:
                row[F["p13n"]], row[F["p13d"]] = bool(p.parts_complete), 1
        self.table = table

    def index(self, codes: np.ndarray) -> np.ndarray:
        unknown = len(self.codes)
        get = self.codes.get
        return np.fromiter((get(c, unknown) for c in codes), dtype=np.int64, count=len(codes))


def _group(unit: np.ndarray, proc: np.ndarray, values: np.ndarray, n_proc: int):
    """The rows summed per unit × procedure: (unit of each group, procedure of each group, sums)."""
    keep = unit >= 0
    key = unit[keep] * n_proc + proc[keep]
    vals = values[keep]
    order = np.argsort(key, kind="stable")
    key, vals = key[order], vals[order]
    if key.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, values.shape[1]), np.int64)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sums = np.add.reduceat(vals, starts, axis=0)
    keys = key[starts]
    return keys // n_proc, keys % n_proc, sums


def ratio(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rate in percent and whether it is empty (nothing to count: 100), per unit."""
    empty = den <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = 100.0 * num.astype(np.float64) / den.astype(np.float64)
    return np.where(empty, 100.0, rate), empty


@dataclass
class Found:
    """One indicator over the units of a level: present (bool), numerator, denominator, rate (NaN =
    None), source, empty (bool); numerator/denominator are None where ``None`` is set."""

    present: np.ndarray
    numerator: np.ndarray | None
    denominator: np.ndarray | None
    rate: np.ndarray
    source: np.ndarray  # object: "records" | "supplied"
    empty: np.ndarray


def indicators(n_units: int, unit: np.ndarray, proc: np.ndarray, sums: np.ndarray, facts: np.ndarray,
               supplied: list, feedback: list) -> tuple[dict[str, Found], np.ndarray, np.ndarray]:
    """Every indicator of every unit from the unit × procedure sums (``unit``, ``proc`` and ``sums`` from
    :func:`_group`, ``facts`` the procedure table). ``supplied[u]`` finds a supplied value of unit ``u``
    (``code → float | None``); ``feedback[u]`` is the unit's PAKN counts (None: tinhso holds no PAKN).
    Returns the indicators, the totals per unit (units × :data:`KEYS`) and which units have rows."""
    f = facts[proc]

    def per_unit(v) -> np.ndarray:
        return np.bincount(unit, weights=np.asarray(v, dtype=np.float64), minlength=n_units).astype(np.int64)

    def col(k):
        return sums[:, K[k]]

    def fact(k):
        return f[:, F[k]]

    has_rows = np.bincount(unit, minlength=n_units) > 0
    total = np.zeros((n_units, len(KEYS)), dtype=np.int64)
    if len(unit):
        starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
        total[unit[starts]] = np.add.reduceat(sums, starts, axis=0)

    def t(k):
        return total[:, K[k]]

    records = np.full(n_units, "records", dtype=object)
    out: dict[str, Found] = {}

    def put(code, num, den, present=has_rows, rate=None, empty=None):
        if rate is None:
            rate, empty = ratio(num, den)
        out[code] = Found(present.copy(), num, den, rate, records.copy(), empty)

    for code, n_key, d_key in (("1.1", "p11n", "p11d"), ("1.2", "p12n", "p12d"), ("1.3", "p13n", "p13d")):
        put(code, per_unit(fact(n_key)), per_unit(fact(d_key)), has_rows & (per_unit(fact(d_key)) > 0))
    on_time = t("finished_early") + t("finished_on_due") + t("in_progress_within") + t("paused_on_time")
    put("2.1", on_time, t("in_scope"))
    done = t("with_result")
    with np.errstate(divide="ignore", invalid="ignore"):
        average = np.where(done != 0, t("work_days").astype(np.float64) / done.astype(np.float64), np.nan)
    put("2.2", t("work_days"), done, rate=average, empty=done == 0)
    online_service = fact("known") & fact("online")
    n_online = per_unit(online_service)
    put("3.1", n_online, per_unit(fact("known")))
    put("3.2", per_unit(online_service & (col("received_online") > 0)), n_online)
    paper = fact("known") & fact("paper")
    online = per_unit(np.where(paper == 1, col("online_e_result"), col("received_online")))
    decided_33 = t("received") - per_unit(paper * col("online_pending"))
    sync = np.array([np.nan if (v := s("1.4")) is None else float(v) for s in supplied], dtype=np.float64)
    rate33, empty33 = ratio(online, decided_33)
    put("3.3", online, decided_33, has_rows & ~np.isnan(sync), rate=rate33 * sync / 100.0, empty=empty33)
    fee = fact("known") & fact("fee")
    n_fee = per_unit(fee)
    put("3.5", per_unit(fee & (col("fee_info") > 0)), n_fee)
    put("3.5b", per_unit(fee & (col("paid_online") > 0)), n_fee)
    put("3.6", per_unit(fee * col("paid_online")), per_unit(fee * col("received")) - per_unit(fee * col("fee_all_zero")))
    put("4.1", per_unit(paper * col("with_result_e_result")), per_unit(paper * col("with_result")))
    digitised = per_unit(np.where(paper == 1, col("attached_e_result"), col("attached")))
    put("4.2", digitised, t("received") - per_unit(paper * col("attached_pending")))
    put("4.3", t("reuse"), t("received"))
    put("4.4", t("from_store"), t("received"))
    citizens = fact("known") & fact("citizens")
    put("4.5a", per_unit(citizens & (col("population_data") > 0)), per_unit(citizens))
    put("4.5b", t("population_data"), t("received"))
    with_pakn = has_rows & np.array([c is not None for c in feedback], dtype=bool)
    if with_pakn.any():  # PAKN kept in tinhso: 5.1–5.3 from records (tinhso.dossiers.feedback)
        fb = {k: np.array([0 if c is None else c.get(k, 0) for c in feedback], dtype=np.int64)
              for k in ("scope", "on_time", "unhappy_or_late", "regulation")}
        put("5.1", fb["regulation"], fb["scope"], with_pakn)
        put("5.2", fb["on_time"], fb["scope"], with_pakn)
        put("5.3", fb["scope"] - fb["unhappy_or_late"], fb["scope"], with_pakn)
    put("5.4", t("in_scope") - t("unhappy_or_late"), t("in_scope"))
    # supplied values where records give nothing: 1.1–1.3 without catalogue facts, and what records cannot show
    for code in SUPPLIABLE:
        found = out.get(code)
        for u in np.flatnonzero(has_rows):
            if found is not None and found.present[u]:
                continue
            value = supplied[u](code)
            if value is None:
                continue
            if found is None:
                found = out[code] = Found(np.zeros(n_units, bool), None, None, np.full(n_units, np.nan),
                                          records.copy(), np.zeros(n_units, bool))
            found.present[u], found.rate[u], found.source[u], found.empty[u] = True, float(value), "supplied", False
    return out, total, has_rows


def rounded(x, digits=4):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def rounded_list(values: np.ndarray, digits: int = 4) -> list:
    """:func:`rounded` of every value, as a list; the same floats as Python's ``round``.

    ``round(x, d)`` is the double nearest to the decimal ``x`` rounded to ``d`` places; ``rint(x·10^d) / 10^d``
    is that double too (an integer below 2**53 divided by an exact power of ten, correctly rounded by IEEE
    division) whenever ``x·10^d`` is not within 10^-6 of a half (the product's own error is below 10^-7 for
    ``|x·10^d| < 10^9``): the few values near a half, large or NaN go through :func:`rounded` itself."""
    x = np.asarray(values, dtype=np.float64)
    scaled = x * 10.0 ** digits
    out = (np.rint(scaled) / 10.0 ** digits).tolist()
    with np.errstate(invalid="ignore"):
        doubt = ~((np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) > 1e-6) & (np.abs(scaled) < 1e9))
    for i in np.flatnonzero(doubt).tolist():
        out[i] = rounded(float(x[i]), digits)
    return out
