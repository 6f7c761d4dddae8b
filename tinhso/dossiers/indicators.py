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


def many_counts_sql(periods: list[Period], mode: str, today: dt.date | None = None,
                    current: str | None = None) -> str:
    """:func:`counts_sql` of several periods (any mix of weeks, months, quarters, years) in **one pass**
    over the store per kind of period, the dossiers pre-aggregated by period index before they meet the
    periods; the same counts as :func:`counts_sql` (``tests/dossiers/test_compute_regression.py``) and as
    the join it replaced (``tests/dossiers/counts_oracle.py``, ``test_counts_query.py``, DuckDB and Spark).

    Why: the plain way joins every dossier to the periods it is in scope of and evaluates the rule
    columns on every dossier × period (10 M dossiers, 12 months: a nested-loop join to 11.8 M rows, 28
    CASE expressions each, a 29-sum aggregate: 1.4 s). But within one kind the periods are calendar
    periods numbered by an integer index (:func:`_index_sql`: months ``year × 12 + month``, weeks since a
    Monday …), and a dossier's relation to a period of index ``q`` is fixed by a few indices of its own:

    - in scope ⇔ ``q_received ≤ q ≤ q_end`` (the indices of its reception and end dates; open: after
      the last period), received in the period ⇔ ``q = q_received``, finished in it ⇔ ``q = q_end``,
      unfinished at its end ⇔ ``q < q_end``;
    - judged at ``j = min(period end, today)``: due on or after ``j`` ⇔ ``q < q_due`` and the open
      supplementation request before ``j`` ⇔ ``q ≥ q_asked`` (:func:`_one_kind_counts_sql`).

    Everything else a rule reads is the dossier's own (status, channel, flags, end vs due date). So the
    dossiers are first counted per agency × procedure × those indices × a few small classes (channel,
    with a result, how it finished, how it is judged while open) with the flags summed (one hash
    aggregate over 10 M rows into ~7,000 groups, no join), and only those groups are joined to the
    periods (``q BETWEEN q_received AND q_end``) and summed per period with the rules written over the
    classes. The indices are clamped to the range of the periods (a dossier received years before counts
    as received just before the first period), which keeps the groups few and changes no comparison.
    The rules themselves stay defined by :func:`tinhso.dossiers.rules.rule_columns`; a rule added there
    without its counterpart here is an error, not a silent zero.

    Why one pass per kind: weeks, months, quarters and years cut the calendar differently (a dossier's
    indices differ per kind); a mix is rare (the API asks for one period, the benchmark and the monthly
    analysis for months) and each kind's pass is a fraction of the old join anyway. Why not per-month
    partial sums rolled up to quarters: a dossier carried through three months counts once in the
    quarter, and unfinished dossiers are judged at each period's own end."""
    if not periods:
        raise ValueError("many_counts_sql needs at least one period")
    source = current if current is not None else store.current_sql(RULE_INPUTS)
    kinds: dict[str, list[Period]] = {}
    for p in periods:
        kinds.setdefault(p.kind, []).append(p)
    parts = [_one_kind_counts_sql(of_kind, mode, today, source) for of_kind in kinds.values()]
    if len(parts) == 1:
        return f"{parts[0]} ORDER BY 1, 2, 3"
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) u ORDER BY 1, 2, 3"


_WEEK_ZERO = dt.date(2000, 1, 3)  # a Monday: ISO weeks are numbered from it
_NEVER = 1 << 30  # a period index after every period


def _index_sql(kind: str, day: str) -> str:
    """The index of the period of ``kind`` holding the date ``day`` (SQL): consecutive periods have
    consecutive indices, and ``day ≤`` the last day of period ``q`` ⇔ ``index(day) ≤ q``."""
    if kind == "month":
        return f"(YEAR({day}) * 12 + MONTH({day}))"
    if kind == "quarter":
        return f"(YEAR({day}) * 4 + QUARTER({day}))"
    if kind == "year":
        return f"YEAR({day})"
    return f"CAST(FLOOR(DATE_DIFF('day', DATE '{_WEEK_ZERO.isoformat()}', {day}) / 7) AS INTEGER)"


def _index(kind: str, day: dt.date) -> int:
    """:func:`_index_sql` in Python."""
    if kind == "month":
        return day.year * 12 + day.month
    if kind == "quarter":
        return day.year * 4 + (day.month - 1) // 3 + 1
    if kind == "year":
        return day.year
    return (day - _WEEK_ZERO).days // 7


# How a dossier finished (judged in the period of its end): the finished_* rules of rules.rule_columns
# (CASE WHEN: a comparison with a missing date counts nowhere).
FINISHED_EARLY, FINISHED_ON_DUE, FINISHED_LATE = 1, 2, 3
# How a dossier is judged in a period it is unfinished at the end of (open_state; 0: counts in neither
# in_progress_* nor paused_on_time, e.g. no due date). Paused (status 5, 6, not ended) with one request
# at most and a due date: asked by the due date, or not (no request, or asked after it); paused otherwise;
# overdue whatever the day (more than one request); within time until the due date passes (one request);
# overdue once the due date passes (the number of requests unknown).
PAUSED_ASKED_IN_TIME, PAUSED_DUE_DATED, PAUSED_OTHER, OVERDUE, TIMED, OVERDUE_WHEN_DUE = 1, 2, 3, 4, 5, 6


def _one_kind_counts_sql(periods: list[Period], mode: str, today: dt.date | None, source: str) -> str:
    """:func:`many_counts_sql` for periods of one kind (not ordered).

    The judgement indices: a period ``q`` is judged at ``j = min(end(q), today)``. With ``due < today``,
    ``due ≥ j`` ⇔ ``due ≥ end(q)`` ⇔ ``index(due + 1) > q``; with ``due ≥ today`` it holds for every
    period. So ``q_due = index(due + 1)``, or never when due on or after today, and "due on or after the
    judgement day" is ``q < q_due``. Likewise ``sup_open < j`` ⇔ ``sup_open < today`` and
    ``index(sup_open + 1) ≤ q``: ``q ≥ q_asked``. Both only matter for the periods a dossier is unfinished
    at the end of, ``q_received ≤ q < q_end``, so they are clamped into that range (most dossiers finish
    in the period they were received in: one value)."""
    kind = periods[0].kind
    due = rules.due_column(mode)
    once, paused = rules.ONCE_SQL, rules.PAUSED_SQL
    indices = [_index(kind, p.start) for p in periods]
    before, after = min(indices) - 1, max(indices) + 1
    still_open = after + 1  # q_end of a dossier not ended (after = ended after the last period)
    # the dossier's own part of the scope, and the scope of the whole span of the periods (which lets the
    # scan skip the row groups no period can take)
    own, span = rules.scope_parts(f"DATE '{min(p.start for p in periods).isoformat()}'",
                                  f"DATE '{max(p.end for p in periods).isoformat()}'")
    day = f"DATE '{today.isoformat()}'" if today else None
    due_index = (f"CASE WHEN {due} IS NULL THEN {before} " + (f"WHEN {due} >= {day} THEN {_NEVER} " if day else "")
                 + f"ELSE {_index_sql(kind, f'{due} + 1')} END")
    asked_index = ("CASE WHEN sup_open_date IS NULL " + (f"OR sup_open_date >= {day} " if day else "")
                   + f"THEN {_NEVER} ELSE {_index_sql(kind, 'sup_open_date + 1')} END")
    finish = (f"CASE WHEN NOT {once} OR end_date > {due} THEN {FINISHED_LATE} "
              f"WHEN {once} AND end_date < {due} THEN {FINISHED_EARLY} "
              f"WHEN {once} AND end_date = {due} THEN {FINISHED_ON_DUE} ELSE 0 END")
    open_state = (f"CASE WHEN {paused} THEN (CASE WHEN {once} AND {due} IS NOT NULL THEN "
                  f"(CASE WHEN sup_open_date <= {due} THEN {PAUSED_ASKED_IN_TIME} ELSE {PAUSED_DUE_DATED} END) "
                  f"ELSE {PAUSED_OTHER} END) WHEN NOT {once} THEN {OVERDUE} WHEN {due} IS NULL THEN 0 "
                  f"WHEN {once} THEN {TIMED} ELSE {OVERDUE_WHEN_DUE} END")
    carried = "q_end > q_received"  # unfinished at the end of some period
    keys = {"agency": "agency", "ma_tthc": "ma_tthc", "q_received": "q_received", "q_end": "q_end",
            "q_due": f"CASE WHEN {carried} THEN LEAST(GREATEST({due_index}, q_received), q_end) ELSE q_received END",
            "q_asked": f"CASE WHEN {carried} THEN LEAST(GREATEST({asked_index}, q_received), q_end) ELSE q_received END",
            "channel": "channel", "with_result": "status IN (9, 10)", "finish": finish,
            "open_state": f"CASE WHEN {carried} THEN {open_state} ELSE 0 END"}
    # the flags counted per group (COUNT_IF: measured the cheapest form; DuckDB's is NULL over only NULLs,
    # Spark's 0, hence the COALESCE); work_days is summed for every dossier and read only for those
    # completed with a result, in the period of their end
    flags = {"e_result": "e_result", "paid_online": "paid_online", "fee_info": "fee_info",
             "fee_all_zero": "fee_all_zero", "attached": "attached", "attached_e_result": "attached AND e_result",
             "reuse": "reuse", "from_store": "from_store", "population_data": "vneid OR from_store",
             "unhappy": "unhappy"}
    dossiers = (f"SELECT *, GREATEST({_index_sql(kind, 'received_date')}, {before}) AS q_received, "
                f"CASE WHEN end_date IS NULL THEN {still_open} ELSE LEAST({_index_sql(kind, 'end_date')}, {after}) END "
                f"AS q_end FROM ({source}) c WHERE {own} AND {span}")
    keyed = (f"SELECT {', '.join(f'{expr} AS {name}' for name, expr in keys.items())}, "
             f"{', '.join(f'{expr} AS f_{name}' for name, expr in flags.items())}, work_days FROM ({dossiers}) d")
    groups = (f"SELECT {', '.join(keys)}, COUNT(*) AS n, "
              f"{', '.join(f'COALESCE(COUNT_IF(f_{name}), 0) AS {name}' for name in flags)}, SUM(work_days) AS work_days "
              f"FROM ({keyed}) k GROUP BY {', '.join(keys)}")

    def total(condition: str, value: str = "g.n") -> str:
        return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"

    received, ended, unfinished = "p.q = g.q_received", "p.q = g.q_end", "p.q < g.q_end"
    due_ahead, asked_before = "p.q < g.q_due", "p.q >= g.q_asked"
    overdue = (f"{unfinished} AND (g.open_state = {OVERDUE} OR "
               f"(g.open_state IN ({TIMED}, {OVERDUE_WHEN_DUE}) AND NOT {due_ahead}))")
    calm = "(g.n - g.unhappy)"
    cols = {
        "in_scope": "SUM(g.n)",
        "carried_over": total(f"NOT {received}"),
        "received": total(received),
        "received_online": total(f"{received} AND g.channel = 2"),
        "received_direct": total(f"{received} AND g.channel = 1"),
        "received_postal": total(f"{received} AND g.channel = 3"),
        "finished_early": total(f"{ended} AND g.finish = {FINISHED_EARLY}"),
        "finished_on_due": total(f"{ended} AND g.finish = {FINISHED_ON_DUE}"),
        "finished_late": total(f"{ended} AND g.finish = {FINISHED_LATE}"),
        "paused": total(f"{unfinished} AND g.open_state IN ({PAUSED_ASKED_IN_TIME}, {PAUSED_DUE_DATED}, "
                        f"{PAUSED_OTHER})"),
        "in_progress_within": total(f"{unfinished} AND g.open_state = {TIMED} AND {due_ahead}"),
        "in_progress_over": total(overdue),
        "paused_on_time": total(f"{unfinished} AND ((g.open_state = {PAUSED_ASKED_IN_TIME} AND {asked_before}) OR "
                                f"(g.open_state IN ({PAUSED_ASKED_IN_TIME}, {PAUSED_DUE_DATED}) "
                                f"AND NOT {asked_before} AND {due_ahead}))"),
        "online_e_result": total(f"{received} AND g.channel = 2", "g.e_result"),
        "online_pending": total(f"{received} AND g.channel = 2 AND g.q_end = {still_open}"),
        "attached_pending": total(f"{received} AND g.q_end = {still_open}", "g.attached"),
        "with_result": total(f"{ended} AND g.with_result"),
        "with_result_e_result": total(f"{ended} AND g.with_result", "g.e_result"),
        "unhappy_or_late": f"SUM(g.unhappy) + {total(f'{ended} AND g.finish = {FINISHED_LATE}', calm)} "
                           f"+ {total(overdue, calm)}",
    }
    for name in ("paid_online", "fee_info", "fee_all_zero", "attached", "attached_e_result", "reuse", "from_store",
                 "population_data"):
        cols[name] = total(received, f"g.{name}")
    order = list(rules.rule_columns("s", "e", "j", mode))
    if sorted(order) != sorted(cols):
        raise AssertionError(f"rule columns without their pre-aggregated form: {sorted(set(order) ^ set(cols))}")
    cols["work_days"] = total(f"{ended} AND g.with_result", "g.work_days")
    # BIGINT, not DuckDB's HUGEINT sums: the same numbers, fetched into Python several times faster
    sums = [f"CAST({cols[name]} AS BIGINT) AS {name}" for name in [*order, "work_days"]]
    table = ", ".join(f"('{p.code}', {q})" for p, q in zip(periods, indices))
    return (f"SELECT p.period AS period, g.agency AS agency, g.ma_tthc AS ma_tthc, {', '.join(sums)} "
            f"FROM ({groups}) g JOIN (SELECT * FROM (VALUES {table}) AS t(period, q)) p "
            "ON p.q BETWEEN g.q_received AND g.q_end GROUP BY p.period, g.agency, g.ma_tthc")


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
        self._pakn_rows: list | None | bool = False  # not read yet
        self._province_name: str | None = None

    def pakn(self, start: dt.date, end: dt.date, judge: dt.date):
        key = (start, end, judge)
        if key not in self._pakn:
            if self._pakn_rows is False:
                self._pakn_rows = pakn_records.table()  # every PAKN once, counted per period below
            self._pakn[key] = pakn_records.counts_in(self._pakn_rows, start, end, judge)
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


MISSING_RULE = "missing_as_zero"
"""How a unit's total treats an indicator it has no value for (a supplied value not entered: 1.1–1.3 without
catalogue facts, 1.4, 3.3 without the sync rate 1.4, 4.2c, 5.2 and 5.3 without PAKN in tinhso). The research
(indices.md §3, wave2.md §2) finds the index computed in real time from system data and states no rule for a
missing input; tinhso counts it as 0 points, so the total is a lower bound the unit reaches at least once the
value is supplied, and ``max_possible`` says out of how many points it is. Rescaling to the available maximum
was rejected: it would rank a unit higher for the data it lacks."""


def missing_basis(method, missing: list[str]) -> dict:
    """The fields a unit's JSON carries when some indicators are missing: which, the rule, the reachable maximum."""
    lost = sum(float(method.nodes[c].max or 0) for c in missing)
    return {"missing": missing, "total_basis": MISSING_RULE,
            "max_possible": round(float(method.nodes[method.score].max or 100) - lost, 4)}


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
        given_missing = {c: np.isnan(given[members, method.columns[c]]).tolist() for c in counted_leaves}
        # A unit with dossiers but without some (supplied) indicator is scored with 0 points for it: the total
        # is then the lower bound the full method reaches once the value is supplied, out of the points the
        # available indicators can give (MISSING_RULE); rescaling would reward a unit for missing data.
        filled = given[members]
        with_rows = has_rows[members]
        for c in counted_leaves:
            column = filled[:, method.columns[c]]
            column[with_rows & np.isnan(column)] = 0.0
        values = index_engine.evaluate(method, filled)
        totals = values[:, method.columns[method.score]]
        ranks = competition_ranks(totals, method.decimals).tolist()
        points = {c: scoring.rounded_list(values[:, method.columns[c]]) for c in scored_codes}
        groups = {g: scoring.rounded_list(values[:, method.columns[g]]) for g in GROUPS}
        totals_list = scoring.rounded_list(totals, method.decimals)
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
                **(missing_basis(method, missing) if missing else {}),
            })
        out_units.sort(key=lambda x: (x["rank"] is None, x["rank"] or 0, x["code"]))
        out[(p.code, level)] = {"period": p.code, "start": p.start.isoformat(), "end": p.end.isoformat(),
                                "level": level, "engine": engine, "supplement_mode": mode, "method": METHOD,
                                "units": out_units}
    return out
