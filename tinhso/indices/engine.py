"""Computing a composite index: every node's value for every unit, from whatever level the user has.

The work is columnar: one units × nodes matrix per period, nodes visited children-first, each scoring
rule or aggregation a numpy expression over all units at once. A node the user gives a value for is
taken as given unless its children are all there, in which case it is recomputed from them (and the
given figure is kept beside the computed one, so "published 0.7163, recomputed 0.7164" shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinhso.core.errors import UserError
from tinhso.indices.methodology import Method, Node
from tinhso.indices.ranking import competition_ranks


@dataclass
class PeriodResult:
    """One period's computation: rows are units, columns are the method's nodes in ``method.order``."""

    method: Method
    period: str
    units: list[str]
    given: np.ndarray     # what the user entered (raw input for scored leaves), NaN when absent
    values: np.ndarray    # the node values
    ranks: np.ndarray     # competition ranks per node (0 when the unit has no value)

    def column(self, code: str) -> int:
        return self.method.columns[code]

    def value(self, unit: str, code: str) -> float:
        return float(self.values[self.units.index(unit), self.column(code)])

    @property
    def scores(self) -> np.ndarray:
        return self.values[:, self.column(self.method.score)]


def score_input(node: Node, raw: np.ndarray) -> np.ndarray:
    """A leaf's value from its raw input by the node's scoring rule (vectorised over units)."""
    rule = node.rule
    x = np.asarray(raw, dtype=float)
    if rule.kind == "value":
        return x.copy()
    if rule.kind == "minmax":
        present = x[~np.isnan(x)]
        if present.size == 0:
            return x.copy()
        lo, hi = present.min(), present.max()
        if hi == lo:  # every unit equal: all at the best practice found
            return np.where(np.isnan(x), np.nan, rule.high)
        spread = (x - lo) if rule.direction == 1 else (hi - x)
        return rule.low + (rule.high - rule.low) * spread / (hi - lo)
    lower_better = rule.direction == -1
    if rule.kind == "ratio":
        attainment = (rule.full - x) / rule.full if lower_better else x / rule.full
    elif rule.kind == "threshold":
        with np.errstate(divide="ignore"):
            attainment = np.minimum(1.0, rule.target / x if lower_better else x / rule.target)
    elif rule.kind == "distance_to_target":
        attainment = np.clip((x - rule.base) / (rule.target - rule.base), 0.0, 1.0)
    else:  # tiers, highest first: the first tier reached decides
        attainment = np.full(x.shape, rule.otherwise)
        for at_least, share in reversed(rule.tiers):
            attainment = np.where(x >= at_least, share, attainment)
        attainment = np.where(np.isnan(x), np.nan, attainment)
    if node.unit == "share":
        return attainment
    if node.unit == "points":
        return attainment * (node.max or 0.0)
    return attainment * node.scale


def node_points(node: Node, values: np.ndarray) -> np.ndarray:
    """Points of a share or points node (value × max, or the value itself)."""
    return values * (node.max or 0.0) if node.unit == "share" else values


def aggregate(method: Method, node: Node, child_values: dict[str, np.ndarray],
              weights: dict[str, float] | None = None) -> np.ndarray:
    """A parent's value from its counted children; NaN for a unit missing any of them."""
    children = [method.nodes[c] for c in node.children if method.nodes[c].counts]
    if node.aggregate == "points":
        points = sum(node_points(c, child_values[c.code]) for c in children)
        return points / node.max if node.unit == "share" else points
    w = np.array([(weights or {}).get(c.code, c.weight) for c in children], dtype=float)
    stacked = np.stack([child_values[c.code] for c in children], axis=-1)
    if node.aggregate == "weighted_sum":
        return node.scale * (stacked @ w)
    if node.aggregate == "weighted_mean":
        return node.scale * (stacked @ w) / w.sum()
    if np.any(stacked[~np.isnan(stacked)] < 0):
        raise UserError("geometric_negative", f"Trung bình nhân của {node.code} cần giá trị không âm",
                        f"The geometric mean of {node.code} needs non-negative values", field="method")
    with np.errstate(divide="ignore"):
        return node.scale * np.exp(np.log(stacked) @ (w / w.sum()))


def evaluate(method: Method, given: np.ndarray) -> np.ndarray:
    """Every node's value from the given matrix (units × nodes in ``method.order``; NaN = not given)."""
    values = np.full(given.shape, np.nan)
    column = method.columns
    for code in method.order:
        node = method.nodes[code]
        j = column[code]
        if node.is_leaf:
            values[:, j] = score_input(node, given[:, j])
            continue
        kids = {c: values[:, column[c]] for c in node.children}
        computed = aggregate(method, node, kids)
        values[:, j] = np.where(np.isnan(computed), given[:, j], computed)
    return values


def missing_inputs(method: Method, values: np.ndarray, row: int, code: str) -> list[str]:
    """The highest nodes that stop ``code`` from being computed for one unit: a node with nothing at all
    below it is reported itself; one with some of its inputs is searched for the missing ones."""
    column = method.columns

    def has_value(c: str) -> bool:
        return not np.isnan(values[row, column[c]])

    def anything_below(c: str) -> bool:
        return any(has_value(k) or anything_below(k) for k in method.nodes[c].children)

    def search(c: str) -> list[str]:
        if has_value(c):
            return []
        counted = [k for k in method.nodes[c].children if method.nodes[k].counts]
        if not counted or not anything_below(c):
            return [c]
        return [m for k in counted for m in search(k)]

    return search(code)


def compute_period(method: Method, period: str, units: list[str], given: np.ndarray) -> PeriodResult:
    """Values and ranks for one period; raises a UserError naming each unit whose score cannot be
    computed and the nodes it lacks."""
    values = evaluate(method, given)
    score_col = method.columns[method.score]
    problems = []
    for row in np.flatnonzero(np.isnan(values[:, score_col])):
        lacking = missing_inputs(method, values, int(row), method.score)
        problems.append({"unit": units[row], "period": period, "missing": lacking})
    if problems:
        listed = "; ".join(f"{p['unit']} ({p['period']}): {', '.join(p['missing'])}" for p in problems[:10])
        more = f" (+{len(problems) - 10})" if len(problems) > 10 else ""
        raise UserError("index_inputs_missing",
                        f"Thiếu chỉ số bắt buộc để tính {method.score}: {listed}{more}",
                        f"Required indicators missing to compute {method.score}: {listed}{more}",
                        field="indicator", details=problems)
    decimals = np.array([method.node_decimals(c) for c in method.order])
    sign = np.array([-1.0 if method.nodes[c].ranks_lowest_first else 1.0 for c in method.order])
    ranks = np.zeros(values.shape, dtype=np.int64)
    for d in np.unique(decimals):
        cols = np.flatnonzero(decimals == d)
        ranks[:, cols] = competition_ranks(values[:, cols] * sign[cols], int(d))
    return PeriodResult(method=method, period=period, units=list(units), given=given, values=values, ranks=ranks)
