"""The per-unit svc-766 scoring as it was before it was computed over arrays (tinhso.dossiers.scoring):
kept verbatim (save for imports) as the oracle of ``test_scoring.py``. Not product code."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from tinhso.dossiers import engine as engines
from tinhso.dossiers.importer import calendar
from tinhso.dossiers.indicators import GROUPS, LEVELS, METHOD, ORDER, SUPPLIED_ONLY, Context, _supplied_table  # noqa: F401
from tinhso.dossiers.models import AgencyKind, OnlineLevel, Procedure, Subjects
from tinhso.dossiers.periods import Period
from tinhso.dossiers.periods import parse as parse_period

PUBLICATION_WORKING_DAYS = 5


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


def old_compute(period: str, level: str = "agency", engine: str = "duckdb", mode: str | None = None,
            today: dt.date | None = None, rows: list[dict] | None = None, context: Context | None = None) -> dict:
    """The indicators JSON of one period and level (see docs/dossiers.md); ``today`` (default: the date in
    Vietnam) is when a period that has not ended is judged."""
    from tinhso.indices import engine as index_engine
    from tinhso.indices.ranking import competition_ranks

    mode = mode or settings.DOSSIER_SUPPLEMENT_MODE
    p = parse_period(period)
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
    catalogue = _Catalogue(calendar())
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
    counted = [c for c in leaves if method.nodes[c].counts]
    lacking = [[c for c in counted if math.isnan(given[i, method.columns[c]])] if units[i][3] else []
               for i in range(len(units))]
    for i, codes in enumerate(lacking):  # a missing indicator of a unit with dossiers scores 0 points
        for c in codes:
            given[i, method.columns[c]] = 0.0
    values = index_engine.evaluate(method, given)
    totals = values[:, method.columns[method.score]]
    ranks = competition_ranks(totals, method.decimals)
    out_units = []
    for i, (code, name, _aid, _unit_rows) in enumerate(units):
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
        missing = lacking[i]
        basis = {}
        if missing:
            basis = {"missing": missing, "total_basis": "missing_as_zero",
                     "max_possible": round(100.0 - sum(method.nodes[c].max for c in missing), 4)}
        out_units.append({
            "code": code, "name": name,
            "total": _round(totals[i], method.decimals),
            "rank": int(ranks[i]) or None,
            "groups": {g: _round(values[i, method.columns[g]]) for g in GROUPS},
            "indicators": indicators, "buckets": buckets,
            **basis,
        })
    out_units.sort(key=lambda u: (u["rank"] is None, u["rank"] or 0, u["code"]))
    return {"period": p.code, "start": p.start.isoformat(), "end": p.end.isoformat(), "level": level,
            "engine": engine, "supplement_mode": mode, "method": METHOD, "units": out_units}
