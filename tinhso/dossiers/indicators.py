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
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from tinhso.core.errors import UserError
from tinhso.dossiers import engine as engines
from tinhso.dossiers import feedback as pakn_records
from tinhso.dossiers import rules, store
from tinhso.dossiers.models import Agency, AgencyKind, OnlineLevel, Procedure, Subjects, SuppliedValue
from tinhso.dossiers.periods import Period
from tinhso.dossiers.periods import parse as parse_period

LEVELS = ("agency", "commune", "province")
METHOD = "svc-766"
GROUPS = ("transparency", "progress", "online_processing", "online_payment", "digitisation", "satisfaction")
SUPPLIED_ONLY = ("1.4", "4.2c", "5.2", "5.3")
ORDER = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3", "3.5", "3.5b", "3.6", "4.1", "4.2", "4.2c",
         "4.3", "4.4", "4.5a", "4.5b", "5.1", "5.2", "5.3", "5.4"]
PUBLICATION_WORKING_DAYS = 5
"""1.1 and 1.2 at province level: the publication decision at least 5 working days before the legal basis
takes effect; publicised within 5 working days of that decision [DVCQG-F 1.1, 1.2; ministries 20 / 10]."""


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


@dataclass
class Indicator:
    numerator: float | None
    denominator: float | None
    rate: float | None
    source: str
    empty: bool = False

    @classmethod
    def ratio(cls, num: float, den: float) -> Indicator:
        if den <= 0:
            return cls(num, den, 100.0, "records", empty=True)
        return cls(num, den, 100.0 * num / den, "records")


def _shift_working_days(calendar, day: dt.date, days: int) -> dt.date:
    step = 1 if days > 0 else -1
    remaining = abs(days)
    while remaining:
        day += dt.timedelta(days=step)
        remaining -= calendar.is_working_day(day)
    return day


class _Catalogue:
    def __init__(self, calendar):
        self.procedures = {p.code: p for p in Procedure.objects.all()}
        self.calendar = calendar

    def publication(self, codes: set[str]) -> dict[str, Indicator | None]:
        """1.1–1.3 over the procedures the unit handled in the period, when the catalogue knows the facts."""
        p11 = p12 = p13 = (0, 0)
        for code in codes:
            p = self.procedures.get(code)
            if p is None:
                continue
            if p.legal_basis_effective and p.publication_decision_date:
                limit = _shift_working_days(self.calendar, p.legal_basis_effective, -PUBLICATION_WORKING_DAYS)
                p11 = (p11[0] + (p.publication_decision_date <= limit), p11[1] + 1)
            if p.publication_decision_date and p.publicised_date:
                limit = _shift_working_days(self.calendar, p.publication_decision_date, PUBLICATION_WORKING_DAYS)
                p12 = (p12[0] + (p.publicised_date <= limit), p12[1] + 1)
            if p.parts_complete is not None:
                p13 = (p13[0] + bool(p.parts_complete), p13[1] + 1)
        return {code: Indicator.ratio(*pair) if pair[1] else None
                for code, pair in (("1.1", p11), ("1.2", p12), ("1.3", p13))}


def _unit_indicators(rows: list[dict], catalogue: _Catalogue, supplied,
                     feedback: dict[str, int] | None) -> tuple[dict[str, Indicator], dict]:
    total: dict[str, int] = defaultdict(int)
    procs: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # per procedure, over agencies
    for r in rows:
        for k, v in r.items():
            if k not in ("agency", "ma_tthc"):
                total[k] += int(v or 0)
                procs[r["ma_tthc"]][k] += int(v or 0)
    cat = catalogue.procedures

    def known(code):
        return cat.get(code)

    def where(pred):
        return [c for c in procs if known(c) is not None and pred(known(c))]

    def with_count(codes, key):
        return sum(1 for c in codes if procs[c][key] > 0)

    def total_over(codes, key):
        return sum(int(procs[c][key] or 0) for c in codes)

    out: dict[str, Indicator] = {}
    out.update({k: v for k, v in catalogue.publication(set(procs)).items() if v is not None})
    on_time = (total["finished_early"] + total["finished_on_due"] + total["in_progress_within"]
               + total["paused_on_time"])
    out["2.1"] = Indicator.ratio(on_time, total["in_scope"])
    done = total["with_result"]
    out["2.2"] = Indicator(total["work_days"], done, total["work_days"] / done if done else None, "records",
                           empty=not done)
    online_service = where(lambda p: p.online_level != OnlineLevel.NONE)
    out["3.1"] = Indicator.ratio(len(online_service), len(where(lambda p: True)))
    out["3.2"] = Indicator.ratio(with_count(online_service, "received_online"), len(online_service))
    paper = where(lambda p: p.requires_paper_result)
    paper_set = set(paper)
    online = sum(int(procs[c]["online_e_result"] if c in paper_set else procs[c]["received_online"]) for c in procs)
    # Unfinished dossiers of paper-result procedures cannot have their e-result yet: undecided, left out
    # of 3.3 and 4.2 (rules.rule_columns, "online_pending", "attached_pending").
    decided_33 = total["received"] - total_over(paper, "online_pending")
    sync = supplied("1.4")
    if sync is not None:
        rate = Indicator.ratio(online, decided_33)
        out["3.3"] = Indicator(online, decided_33, rate.rate * sync / 100.0, "records", empty=rate.empty)
    fee = where(lambda p: p.fee_bearing)
    out["3.5"] = Indicator.ratio(with_count(fee, "fee_info"), len(fee))
    out["3.5b"] = Indicator.ratio(with_count(fee, "paid_online"), len(fee))
    out["3.6"] = Indicator.ratio(total_over(fee, "paid_online"),
                                 total_over(fee, "received") - total_over(fee, "fee_all_zero"))
    out["4.1"] = Indicator.ratio(total_over(paper, "with_result_e_result"), total_over(paper, "with_result"))
    digitised = sum(int(procs[c]["attached_e_result"] if c in paper_set else procs[c]["attached"]) for c in procs)
    out["4.2"] = Indicator.ratio(digitised, total["received"] - total_over(paper, "attached_pending"))
    out["4.3"] = Indicator.ratio(total["reuse"], total["received"])
    out["4.4"] = Indicator.ratio(total["from_store"], total["received"])
    citizens = where(lambda p: p.subjects in (Subjects.CITIZENS, Subjects.BOTH))
    out["4.5a"] = Indicator.ratio(with_count(citizens, "population_data"), len(citizens))
    out["4.5b"] = Indicator.ratio(total["population_data"], total["received"])
    if feedback is not None:  # PAKN kept in tinhso: 5.1–5.3 from records (tinhso.dossiers.feedback)
        out["5.1"] = Indicator.ratio(feedback["regulation"], feedback["scope"])
        out["5.2"] = Indicator.ratio(feedback["on_time"], feedback["scope"])
        out["5.3"] = Indicator.ratio(feedback["scope"] - feedback["unhappy_or_late"], feedback["scope"])
    out["5.4"] = Indicator.ratio(total["in_scope"] - total["unhappy_or_late"], total["in_scope"])
    for code in ("1.1", "1.2", "1.3", *SUPPLIED_ONLY):
        if code not in out:
            value = supplied(code)
            if value is not None:
                out[code] = Indicator(None, None, float(value), "supplied")
    buckets = {k: total[k] for k in ("carried_over", "received", "received_online", "received_direct",
                                     "received_postal", "finished_early", "finished_on_due", "finished_late",
                                     "in_progress_within", "in_progress_over", "paused")}
    buckets["total"] = total["in_scope"]
    return out, buckets


def _supplied_table() -> dict[tuple[str, int | None, str], float]:
    return {(code, agency, p): value for code, agency, p, value
            in SuppliedValue.objects.values_list("indicator", "agency_id", "period", "value")}


def _supplier(period: Period, table: dict | None = None):
    table = _supplied_table() if table is None else table

    def lookup(agency_id: int | None):
        def find(code: str) -> float | None:
            for key in ((code, agency_id, period.code), (code, agency_id, ""), (code, None, period.code),
                        (code, None, "")):
                if key in table:
                    return table[key]
            return None
        return find

    return lookup


def _round(x, digits=4):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


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
    indicator for every agency and commune × 12 months"); same results as calling :func:`compute` each time."""
    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    parsed = [parse_period(p) for p in periods]
    today = today or engines.today_local()
    names, rows = engines.run(many_counts_sql(parsed, mode, today), engine)
    by_period: dict[str, list[dict]] = defaultdict(list)
    for r in engines.as_dicts(names, rows):
        by_period[r.pop("period")].append(r)
    context = Context()
    return {(p.code, level): compute(p.code, level, engine=engine, mode=mode, today=today, rows=by_period[p.code],
                                     context=context)
            for p in parsed for level in levels}


def prefetch_many(periods: list[str], engine: str = "duckdb", mode: str | None = None,
                  today: dt.date | None = None) -> None:
    """Start the store query of :func:`compute_many` with the same arguments in the background
    (:func:`tinhso.dossiers.engine.prefetch`): the later :func:`compute_many` takes its result."""
    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    engines.prefetch(many_counts_sql([parse_period(p) for p in periods], mode, today or engines.today_local()),
                     engine)


class Context:
    """What every document of one computation reads alike — the agencies, the catalogue, the supplied
    values, the svc-766 method, the PAKN counts of each period — read once by :func:`compute_many`
    instead of once per period × level (the same values: nothing changes them during a computation)."""

    def __init__(self):
        from tinhso.dossiers.importer import calendar
        from tinhso.indices.methodology import load_method

        self.agencies = {a.code: a for a in Agency.objects.select_related("unit")}
        self.catalogue = _Catalogue(calendar())
        self.supplied = _supplied_table()
        self.method = load_method(METHOD)
        self._pakn: dict[tuple, object] = {}

    def pakn(self, start: dt.date, end: dt.date, judge: dt.date):
        key = (start, end, judge)
        if key not in self._pakn:
            self._pakn[key] = pakn_records.counts(start, end, judge)
        return self._pakn[key]


def compute(period: str, level: str = "agency", engine: str = "duckdb", mode: str | None = None,
            today: dt.date | None = None, rows: list[dict] | None = None, context: Context | None = None) -> dict:
    """The indicators JSON of one period and level (see docs/dossiers.md); ``today`` (default: the date in
    Vietnam) is when a period that has not ended is judged."""
    from tinhso.indices import engine as index_engine
    from tinhso.indices.ranking import competition_ranks

    if level not in LEVELS:
        raise UserError("bad_level", f"Cấp {level!r} không hợp lệ ({', '.join(LEVELS)})",
                        f"Unknown level {level!r} ({', '.join(LEVELS)})", field="by")
    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    if mode not in rules.SUPPLEMENT_MODES:
        raise UserError("bad_supplement_mode", f"DOSSIER_SUPPLEMENT_MODE phải là pause hoặc restart, không phải {mode!r}",
                        f"DOSSIER_SUPPLEMENT_MODE must be pause or restart, not {mode!r}", field="mode")
    p = parse_period(period)
    if rows is None:
        rows = count_rows(p, mode, engine, today)
    context = context or Context()
    agencies = context.agencies
    units: list[tuple[str, str, int | None, list[dict]]] = []
    if level == "province":
        from tinhso.geo.models import Unit

        province = Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()
        units.append((settings.PROVINCE_CODE, province.name if province else settings.PROVINCE_CODE, None, rows))
    else:
        kind = AgencyKind.DEPARTMENT if level == "agency" else AgencyKind.COMMUNE
        by_agency = defaultdict(list)
        for r in rows:
            by_agency[r["agency"]].append(r)
        for a in sorted((a for a in agencies.values() if a.kind == kind and (a.active or a.code in by_agency)),
                        key=lambda a: a.code):
            units.append((a.code, a.name, a.pk, by_agency.get(a.code, [])))
    judge = min(p.end, today or engines.today_local())
    pakn = context.pakn(p.start, p.end, judge)
    catalogue = context.catalogue
    supplier = _supplier(p, context.supplied)
    method = context.method
    leaves = [c for c in method.order if method.nodes[c].is_leaf]
    given = np.full((len(units), len(method.order)), np.nan)
    computed = []
    for i, (_code, _name, agency_id, unit_rows) in enumerate(units):
        if not unit_rows:
            computed.append(({}, {}))
            continue
        unit_feedback = None
        if pakn is not None:
            unit_feedback = defaultdict(int)
            for aid, c in pakn.items():
                if agency_id is None or aid == agency_id:
                    for k, v in c.items():
                        unit_feedback[k] += v
        found, buckets = _unit_indicators(unit_rows, catalogue, supplier(agency_id), unit_feedback)
        computed.append((found, buckets))
        for code in leaves:
            if code in found and found[code].rate is not None:
                given[i, method.columns[code]] = found[code].rate
    values = index_engine.evaluate(method, given)
    totals = values[:, method.columns[method.score]]
    ranks = competition_ranks(totals, method.decimals)
    out_units = []
    for i, (code, name, _aid, unit_rows) in enumerate(units):
        found, buckets = computed[i]
        indicators = {}
        for key in sorted(found, key=ORDER.index):
            ind = found[key]
            points = None
            if key in method.columns and method.nodes[key].counts:
                points = _round(values[i, method.columns[key]])
            entry = {"numerator": ind.numerator, "denominator": ind.denominator, "rate": _round(ind.rate),
                     "points": points, "source": ind.source}
            if ind.empty:
                entry["empty"] = True
            indicators[key] = entry
        missing = []
        if unit_rows:
            missing = [c for c in leaves if method.nodes[c].counts and math.isnan(given[i, method.columns[c]])]
        out_units.append({
            "code": code, "name": name,
            "total": _round(totals[i], method.decimals),
            "rank": int(ranks[i]) or None,
            "groups": {g: _round(values[i, method.columns[g]]) for g in GROUPS},
            "indicators": indicators, "buckets": buckets,
            **({"missing": missing} if missing else {}),
        })
    out_units.sort(key=lambda u: (u["rank"] is None, u["rank"] or 0, u["code"]))
    return {"period": p.code, "start": p.start.isoformat(), "end": p.end.isoformat(), "level": level,
            "engine": engine, "supplement_mode": mode, "method": METHOD, "units": out_units}
