"""The Decision 766 indicators of a period, from the store's counts and the catalogue, scored by ``svc-766``.

One query (:func:`counts_sql`, run by :mod:`tinhso.dossiers.engine` on DuckDB or Spark) sums the 0/1
rule columns of :func:`tinhso.dossiers.rules.period_columns` per agency × procedure. Everything after
that is arithmetic on a small table: rolling the rows up to the level asked for (each department, each
commune People's Committee, or the province), the formulas below, and the ``svc-766`` method of
:mod:`tinhso.indices` (its scoring rules, group points, total /100; competition ranks).

Each indicator says where its value comes from: ``records`` (dossiers and the catalogue) or ``supplied``
(a :class:`~tinhso.dossiers.models.SuppliedValue`, for what dossiers cannot show: the sync rate 1.4,
electronic certified copies 4.2c, feedback handling 5.2–5.3 when tinhso holds no PAKN records
(:mod:`tinhso.dossiers.feedback`), and 1.1–1.3 when the catalogue lacks the publication facts). A rate is in percent. When a formula has nothing to count (an agency with no
fee-bearing procedure has no 3.6 denominator) the rate is 100: nothing was done late or left undone;
this follows the portal's practice as far as the research could tell and is marked ``"empty": true``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from django.conf import settings

from tinhso.core.errors import UserError
from tinhso.dossiers import engine as engines
from tinhso.dossiers import feedback as pakn_records
from tinhso.dossiers import rules, scoring, store
from tinhso.dossiers.models import Agency, AgencyKind, Procedure, SuppliedValue
from tinhso.dossiers.periods import Period
from tinhso.dossiers.periods import parse as parse_period
from tinhso.dossiers.scoring import PUBLICATION_WORKING_DAYS, SUPPLIED_ONLY  # noqa: F401 (documented here)

LEVELS = ("agency", "commune", "province")
METHOD = "svc-766"
GROUPS = ("transparency", "progress", "online_processing", "online_payment", "digitisation", "satisfaction")
ORDER = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3", "3.5", "3.5b", "3.6", "4.1", "4.2", "4.2c",
         "4.3", "4.4", "4.5a", "4.5b", "5.1", "5.2", "5.3", "5.4"]


def counts_sql(period: Period, mode: str, today: dt.date | None = None) -> str:
    """The definition of the indicators' counts: rule columns summed per agency × procedure over the
    current version of every dossier (DuckDB dialect), in its plainest form. What runs is
    :func:`many_counts_sql`, the same counts for any set of periods in one pass (tested equal)."""
    cols = rules.period_columns(period.start, period.end, mode, today)
    sums = [f"SUM(CASE WHEN {expr} THEN 1 ELSE 0 END) AS {name}" for name, expr in cols.items()]
    work = rules.SUMMED["work_days"].format(e=f"DATE '{period.end.isoformat()}'")
    sums.append(f"SUM({work}) AS work_days")
    return (f"SELECT agency, ma_tthc, {', '.join(sums)} FROM ({store.LATEST_SQL}) d "
            f"WHERE {rules.in_scope(period.start, period.end)} GROUP BY agency, ma_tthc ORDER BY agency, ma_tthc")


def count_rows(period: Period, mode: str, engine: str = "duckdb", today: dt.date | None = None) -> list[dict]:
    names, rows = engines.run(many_counts_sql([period], mode, today or engines.today_local()), engine)
    out = engines.as_dicts(names, rows)
    for r in out:
        del r["period"]
    return out


def _supplied_table() -> dict[tuple[str, int | None, str], float]:
    return {(code, agency, p): value for code, agency, p, value
            in SuppliedValue.objects.values_list("indicator", "agency_id", "period", "value")}


def periods_sql(periods: list[Period], today: dt.date | None = None) -> str:
    """The periods as a small table ``(period, p_start, p_end, p_judge)`` (an ANSI ``VALUES`` list)."""
    rows = ", ".join(f"('{p.code}', DATE '{p.start.isoformat()}', DATE '{p.end.isoformat()}', "
                     f"DATE '{rules.judged_at(p.end, today).isoformat()}')" for p in periods)
    return f"SELECT * FROM (VALUES {rows}) AS t(period, p_start, p_end, p_judge)"


def many_counts_sql(periods: list[Period], mode: str, today: dt.date | None = None,
                    current: str | None = None) -> str:
    """:func:`counts_sql` of several periods (any mix of weeks, months, quarters, years) in **one pass**
    over the store: the current dossiers (only the rule columns, :func:`tinhso.dossiers.store.current_sql`)
    are joined to the table of periods on the scope condition, so each dossier meets only the periods it
    belongs to (received in it or carried into it — usually one or two months), and the rule columns are
    summed per period × agency × procedure in one hash aggregate. The rule expressions are those of
    :func:`counts_sql` with the period's days read from the joined row instead of literals, so the counts
    are the same (``tests/dossiers/test_compute_regression.py`` checks it against the plain query).

    Why not per-month partial sums rolled up to quarters and years: the scope of a period is not the union
    of its months' scopes (a dossier carried through three months counts once in the quarter, three times
    in the months) and unfinished dossiers are judged at each period's own end, so only the received-in
    counts would add up; the join gives every period exactly, at the cost of a dossier row per period it
    is in, which is small."""
    cols = rules.rule_columns("p.p_start", "p.p_end", "p.p_judge", mode)
    sums = [f"SUM(CASE WHEN {expr} THEN 1 ELSE 0 END) AS {name}" for name, expr in cols.items()]
    sums.append(f"SUM({rules.SUMMED['work_days'].format(e='p.p_end')}) AS work_days")
    source = current if current is not None else store.current_sql(RULE_INPUTS)
    # The scope condition (rules.scope_condition) split in two: the dossier's own part filters the scan;
    # the part comparing with the period is the join condition, wrapped in COALESCE so that DuckDB
    # evaluates it block-wise against the few periods (a nested loop over 12 rows) instead of sorting the
    # dossiers for a range join; Spark broadcasts the periods either way.
    dossier_part, period_part = rules.scope_parts("p.p_start", "p.p_end")
    # The join condition for the widest span of the periods, on the dossier alone: implied by the join
    # (so the counts are the same), it lets the scan skip the dossiers no period can take — finished
    # before the first period or received after the last (Parquet row groups by their min/max) —
    # instead of joining every dossier of the store (a month's analysis: ~10 M rows -> the two months').
    if periods:
        span = rules.scope_parts(f"DATE '{min(p.start for p in periods).isoformat()}'",
                                 f"DATE '{max(p.end for p in periods).isoformat()}'")[1]
        dossier_part = f"{dossier_part} AND {span}"
    return (f"SELECT p.period AS period, d.agency AS agency, d.ma_tthc AS ma_tthc, {', '.join(sums)} "
            f"FROM (SELECT * FROM ({source}) c WHERE {dossier_part}) d JOIN ({periods_sql(periods, today)}) p "
            f"ON COALESCE({period_part}, FALSE) "
            "GROUP BY p.period, d.agency, d.ma_tthc ORDER BY 1, 2, 3")


RULE_INPUTS = ("agency", "ma_tthc", "status", "channel", "received_date", "end_date", "due_pause_date",
               "due_restart_date", "sup_count", "sup_open_date", "work_days", "paid_online", "fee_info",
               "fee_all_zero", "reuse", "attached", "e_result", "from_store", "vneid", "unhappy")
"""The columns the rules read (everything else in the store is for the lists of dossiers)."""


def compute_many(periods: list[str], levels: tuple[str, ...] = ("agency", "commune"), engine: str = "duckdb",
                 mode: str | None = None, today: dt.date | None = None) -> dict[tuple[str, str], dict]:
    """:func:`compute` for every period × level with one pass over the store (the benchmark's "every
    indicator for every agency and commune × 12 months") and one scoring over arrays of every unit-period
    (:mod:`tinhso.dossiers.scoring`); same results as calling :func:`compute` each time."""
    mode = _mode(mode)
    parsed = [parse_period(p) for p in periods]
    today = today or engines.today_local()
    names, rows = engines.run(many_counts_sql(parsed, mode, today), engine)
    counts = scoring.Counts.from_rows(names, rows)
    return score(counts, parsed, levels, engine=engine, mode=mode, today=today)


def prefetch_many(periods: list[str], engine: str = "duckdb", mode: str | None = None,
                  today: dt.date | None = None) -> None:
    """Start the store query of :func:`compute_many` with the same arguments in the background
    (:func:`tinhso.dossiers.engine.prefetch`): the later :func:`compute_many` takes its result."""
    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    engines.prefetch(many_counts_sql([parse_period(p) for p in periods], mode, today or engines.today_local()),
                     engine)


class Context:
    """What every document of one computation reads alike — the agencies, the catalogue's facts, the
    supplied values, the svc-766 method, the PAKN counts of each period — read once per computation
    instead of once per period × level (the same values: nothing changes them during a computation)."""

    def __init__(self):
        from tinhso.dossiers.importer import calendar
        from tinhso.indices.methodology import load_method

        self.agencies = {a.code: a for a in Agency.objects.select_related("unit")}
        self.facts = scoring.ProcedureFacts({p.code: p for p in Procedure.objects.all()}, calendar())
        self.supplied = _supplied_table()
        self.method = load_method(METHOD)
        self._pakn: dict[tuple, object] = {}
        self._province_name: str | None = None

    def pakn(self, start: dt.date, end: dt.date, judge: dt.date):
        key = (start, end, judge)
        if key not in self._pakn:
            self._pakn[key] = pakn_records.counts(start, end, judge)
        return self._pakn[key]

    def supplier(self, period: Period, agency_id: int | None):
        """``code → value``: the supplied value of an indicator for the agency (None: the province) in the
        period — the agency's own for the period, else its own for any period, else the province's."""
        table = self.supplied

        def find(code: str) -> float | None:
            for key in ((code, agency_id, period.code), (code, agency_id, ""), (code, None, period.code),
                        (code, None, "")):
                if key in table:
                    return table[key]
            return None
        return find

    def province_name(self) -> str:
        if self._province_name is None:
            from tinhso.geo.models import Unit

            province = Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()
            self._province_name = province.name if province else settings.PROVINCE_CODE
        return self._province_name


def _mode(mode: str | None) -> str:
    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    if mode not in rules.SUPPLEMENT_MODES:
        raise UserError("bad_supplement_mode", f"DOSSIER_SUPPLEMENT_MODE phải là pause hoặc restart, không phải {mode!r}",
                        f"DOSSIER_SUPPLEMENT_MODE must be pause or restart, not {mode!r}", field="mode")
    return mode


def compute(period: str, level: str = "agency", engine: str = "duckdb", mode: str | None = None,
            today: dt.date | None = None, rows: list[dict] | None = None, context: Context | None = None) -> dict:
    """The indicators JSON of one period and level (see docs/dossiers.md); ``today`` (default: the date in
    Vietnam) is when a period that has not ended is judged. ``rows``: the period's counts, when already
    computed (else they are queried)."""
    if level not in LEVELS:
        raise UserError("bad_level", f"Cấp {level!r} không hợp lệ ({', '.join(LEVELS)})",
                        f"Unknown level {level!r} ({', '.join(LEVELS)})", field="by")
    mode = _mode(mode)
    p = parse_period(period)
    if rows is None:
        rows = count_rows(p, mode, engine, today)
    counts = scoring.Counts.from_dicts(rows, p.code)
    return score(counts, [p], (level,), engine=engine, mode=mode, today=today, context=context)[(p.code, level)]


def score(counts: scoring.Counts, periods: list[Period], levels: tuple[str, ...], *, engine: str, mode: str,
          today: dt.date | None = None, context: Context | None = None) -> dict[tuple[str, str], dict]:
    """The indicators JSON of every period × level from the counts of those periods: the indicators of
    every unit-period of a level at once (:func:`tinhso.dossiers.scoring.indicators`), then per document
    the svc-766 points, group points and total (:func:`tinhso.indices.engine.evaluate`) and the
    competition ranks."""
    for level in levels:
        if level not in LEVELS:
            raise UserError("bad_level", f"Cấp {level!r} không hợp lệ ({', '.join(LEVELS)})",
                            f"Unknown level {level!r} ({', '.join(LEVELS)})", field="by")
    context = context or Context()
    today = today or engines.today_local()
    period_index = {p.code: i for i, p in enumerate(periods)}
    row_period = np.fromiter((period_index.get(c, -1) for c in counts.period), dtype=np.int64, count=len(counts))
    proc = context.facts.index(counts.ma_tthc)
    agency_codes: dict[str, int] = {}
    row_agency = np.fromiter((agency_codes.setdefault(a, len(agency_codes)) for a in counts.agency),
                             dtype=np.int64, count=len(counts))
    present = [set() for _ in periods]  # agency codes with counts, per period
    if len(counts):
        pairs = np.unique(np.stack([row_period, row_agency], axis=1), axis=0)
        names = list(agency_codes)
        for pi, ai in pairs:
            if pi >= 0:
                present[pi].add(names[ai])
    docs: dict[tuple[str, str], dict] = {}
    for level in levels:
        # the units of every document of this level, one after the other: (period index, code, name, agency)
        units: list[tuple[int, str, str, object]] = []
        unit_of = np.full((len(periods), len(agency_codes) + 1), -1, dtype=np.int64)
        if level == "province":
            for pi in range(len(periods)):
                units.append((pi, settings.PROVINCE_CODE, context.province_name(), None))
            row_unit = np.where(row_period >= 0, row_period, -1)
        else:
            kind = AgencyKind.DEPARTMENT if level == "agency" else AgencyKind.COMMUNE
            of_kind = sorted((a for a in context.agencies.values() if a.kind == kind), key=lambda a: a.code)
            for pi in range(len(periods)):
                for a in of_kind:
                    if a.active or a.code in present[pi]:
                        ai = agency_codes.get(a.code)
                        if ai is not None:
                            unit_of[pi, ai] = len(units)
                        units.append((pi, a.code, a.name, a))
            row_unit = unit_of[row_period, row_agency] if len(counts) else np.zeros(0, np.int64)
            row_unit = np.where(row_period >= 0, row_unit, -1)
        docs.update(_documents(level, units, row_unit, proc, counts, periods, context, engine, mode, today))
    return docs


def _documents(level, units, row_unit, proc, counts, periods, context, engine, mode, today):
    from tinhso.indices import engine as index_engine
    from tinhso.indices.ranking import competition_ranks

    method = context.method
    n = len(units)
    unit, procedure, sums = scoring._group(row_unit, proc, counts.values, len(context.facts.codes) + 1)
    pakn = [context.pakn(p.start, p.end, min(p.end, today)) for p in periods]
    feedback: list[dict | None] = []
    for pi, _code, _name, agency in units:
        c = pakn[pi]
        if c is None:  # tinhso holds no PAKN: 5.2 and 5.3 are supplied values
            feedback.append(None)
        elif agency is None:  # the province: every agency's (and unassigned) PAKN
            total: dict[str, int] = defaultdict(int)
            for counts_of in c.values():
                for k, v in counts_of.items():
                    total[k] += v
            feedback.append(total)
        else:
            feedback.append(c.get(agency.pk, {}))
    supplied = [context.supplier(periods[pi], agency.pk if agency is not None else None)
                for pi, _c, _n, agency in units]
    found, total, has_rows = scoring.indicators(n, unit, procedure, sums, context.facts.table, supplied, feedback)
    leaves = [c for c in method.order if method.nodes[c].is_leaf]
    given = np.full((n, len(method.order)), np.nan)
    for code in leaves:
        f = found.get(code)
        if f is not None:
            given[:, method.columns[code]] = np.where(f.present, f.rate, np.nan)
    scored_codes = {c for c in found if c in method.columns and method.nodes[c].counts}
    counted_leaves = [c for c in leaves if method.nodes[c].counts]
    # per-unit lists of Python values, read once
    columns = {}
    for code, f in found.items():
        columns[code] = (f.present.tolist(), None if f.numerator is None else f.numerator.tolist(),
                         None if f.denominator is None else f.denominator.tolist(), scoring.rounded_list(f.rate),
                         f.source.tolist(), f.empty.tolist())
    order = [c for c in ORDER if c in columns]
    totals_py = total.tolist()
    bucket_index = [scoring.K[k] for k in scoring.BUCKETS]
    in_scope = scoring.K["in_scope"]
    has = has_rows.tolist()
    out: dict[tuple[str, str], dict] = {}
    by_doc: dict[int, list[int]] = defaultdict(list)
    for u, (pi, *_rest) in enumerate(units):
        by_doc[pi].append(u)
    for pi, p in enumerate(periods):
        members = by_doc.get(pi, [])
        values = index_engine.evaluate(method, given[members])
        totals = values[:, method.columns[method.score]]
        ranks = competition_ranks(totals, method.decimals).tolist()
        points = {c: scoring.rounded_list(values[:, method.columns[c]]) for c in scored_codes}
        groups = {g: scoring.rounded_list(values[:, method.columns[g]]) for g in GROUPS}
        totals_list = scoring.rounded_list(totals, method.decimals)
        given_missing = {c: np.isnan(given[members, method.columns[c]]).tolist() for c in counted_leaves}
        out_units = []
        for i, u in enumerate(members):
            _pi, code, name, _agency = units[u]
            indicators: dict[str, dict] = {}
            buckets: dict[str, int] = {}
            missing: list[str] = []
            if has[u]:
                for key in order:
                    present, num, den, rate, source, empty = columns[key]
                    if not present[u]:
                        continue
                    supplied_value = source[u] == "supplied"
                    entry = {"numerator": None if supplied_value or num is None else num[u],
                             "denominator": None if supplied_value or den is None else den[u],
                             "rate": rate[u], "points": points[key][i] if key in points else None,
                             "source": source[u]}
                    if empty[u]:
                        entry["empty"] = True
                    indicators[key] = entry
                row = totals_py[u]
                buckets = {k: row[j] for k, j in zip(scoring.BUCKETS, bucket_index)}
                buckets["total"] = row[in_scope]
                missing = [c for c in counted_leaves if given_missing[c][i]]
            out_units.append({
                "code": code, "name": name,
                "total": totals_list[i],
                "rank": ranks[i] or None,
                "groups": {g: groups[g][i] for g in GROUPS},
                "indicators": indicators, "buckets": buckets,
                **({"missing": missing} if missing else {}),
            })
        out_units.sort(key=lambda x: (x["rank"] is None, x["rank"] or 0, x["code"]))
        out[(p.code, level)] = {"period": p.code, "start": p.start.isoformat(), "end": p.end.isoformat(),
                                "level": level, "engine": engine, "supplement_mode": mode, "method": METHOD,
                                "units": out_units}
    return out
