"""Results of an index computation as people read them: per unit the score and rank, every node's value
and rank, and the change since the previous period in the input.

Values are reported unrounded (to 10 decimals, which only removes floating-point noise); ranks are
computed on the values rounded as published (``decimals`` of the method or node).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinhso.core.errors import UserError
from tinhso.core.text import fold, nfc
from tinhso.indices import engine
from tinhso.indices.dataset import IndexDataset
from tinhso.indices.methodology import Method


@dataclass
class Computation:
    method: Method
    periods: dict[str, engine.PeriodResult]     # in time order
    unit_names: dict[str, str]

    def period(self, period: str | None = None) -> engine.PeriodResult:
        if period is None:
            return list(self.periods.values())[-1]
        if period not in self.periods:
            raise UserError("period_not_found", f"Không có kỳ {period!r} trong dữ liệu (có: {', '.join(self.periods)})",
                            f"No period {period!r} in the input (have: {', '.join(self.periods)})", field="period",
                            status=404)
        return self.periods[period]

    def unit_row(self, units: list[str], unit: str, period: str) -> int:
        """The row of a unit given by its label, or by its label or name in any case and with or without
        diacritics when that matches exactly one unit; 404 listing (up to 10 of) the units otherwise."""
        text = nfc(str(unit)).strip()
        if text in units:
            return units.index(text)
        key = fold(text)
        matches = [i for i, u in enumerate(units) if key and key in (fold(u), fold(self.unit_names.get(u, "")))]
        if len(matches) == 1:
            return matches[0]
        listed = ", ".join(f"{u} ({self.unit_names[u]})" if u in self.unit_names else u for u in units[:10])
        more = f" … (+{len(units) - 10})" if len(units) > 10 else ""
        raise UserError("unit_not_found", f"Không có đơn vị {text!r} trong kỳ {period}; có: {listed}{more}",
                        f"No unit {text!r} in period {period}; units: {listed}{more}", field="unit", status=404)

    def previous(self, period: str) -> engine.PeriodResult | None:
        keys = list(self.periods)
        i = keys.index(period)
        return self.periods[keys[i - 1]] if i > 0 else None


def compute(dataset: IndexDataset) -> Computation:
    method = dataset.method
    return Computation(method=method, unit_names=dataset.unit_names,
                       periods={p: engine.compute_period(method, p, data.units, data.given)
                                for p, data in dataset.periods.items()})


def clean(x: float) -> float | None:
    """A value for JSON: None when missing, floating-point noise removed."""
    return None if x is None or math.isnan(x) else round(float(x), 10)


def period_report(comp: Computation, period: str | None = None) -> dict:
    """The ``tinhso index compute --json`` document for one period (default: the latest)."""
    method = comp.method
    result = comp.period(period)
    before = comp.previous(result.period)
    score_col = result.column(method.score)
    codes = list(method.order)
    prev_rows = {u: i for i, u in enumerate(before.units)} if before else {}
    units = []
    for row, unit in enumerate(result.units):
        nodes = {}
        prev = prev_rows.get(unit)
        for j, code in enumerate(codes):
            entry = {"value": clean(result.values[row, j]), "rank": int(result.ranks[row, j]) or None}
            node = method.nodes[code]
            if node.max is not None and node.unit == "share" and entry["value"] is not None:
                entry["points"] = clean(result.values[row, j] * node.max)
            given = result.given[row, j]
            if not node.is_leaf and not math.isnan(given) and entry["value"] is not None \
                    and not np.isclose(given, result.values[row, j], rtol=0, atol=1e-12):
                entry["given"] = clean(given)  # the user's figure differs from the recomputed one
            if prev is not None and entry["value"] is not None and not math.isnan(before.values[prev, j]):
                entry["change"] = clean(result.values[row, j] - before.values[prev, j])
                entry["rank_change"] = int(before.ranks[prev, j]) - entry["rank"]
            nodes[code] = entry
        item = {"unit": unit, "score": nodes[method.score]["value"], "rank": nodes[method.score]["rank"],
                "nodes": nodes}
        if unit in comp.unit_names:
            item["name"] = comp.unit_names[unit]
        if prev is not None:
            item["change"] = {"previous_period": before.period, "score": nodes[method.score].get("change"),
                              "rank": nodes[method.score].get("rank_change")}
        units.append(item)
    order = sorted(range(len(units)), key=lambda i: (result.ranks[i, score_col], result.units[i]))
    return {"method": method.code, "method_title": method.title_vi, "period": result.period,
            "previous_period": before.period if before else None, "decimals": method.decimals,
            "units": [units[i] for i in order]}


def report(comp: Computation, period: str | None = None, all_periods: bool = False) -> dict:
    if not all_periods:
        return period_report(comp, period)
    return {"method": comp.method.code, "periods": [period_report(comp, p) for p in comp.periods]}
