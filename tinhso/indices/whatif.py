"""What-if and gap analysis for one unit: how few points reach a target rank or score, what each main
index is worth per step, and where the unit stands on every node.

The decision variables are the unit's main-index values (``method.main_nodes()``); every other unit keeps
its computed score. Each main index can rise to the top of its range (share: 1; points: its max; score:
the top of its range). Scores are always recomputed with the engine (:func:`engine.evaluate` on the
method with the main indices taken as given) and ranked with :func:`ranking.competition_ranks` on values
rounded as published, exactly as ``tinhso index compute`` does; no aggregation formula is copied here.

"Points" are each main index's own points: DTI main-index points (of 100/200/150), PCI sub-index score
points (1–10 scale), Decision 766 points. A DTI point anywhere is worth 0.001 DTI; a PCI point on a 20 %
sub-index is worth 2 PCI points, on a 5 % one 0.5.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tinhso.core.errors import UserError
from tinhso.indices import engine, ranking
from tinhso.indices.methodology import Method, Node, Rule
from tinhso.indices.results import Computation, clean

ADDITIVE = ("points", "weighted_sum", "weighted_mean")
STRENGTHS_WEAKNESSES = 3          # COINr get_str_weak: the unit's 3 best and 3 worst main indices
GAP_DIGITS = 9                    # scaled gaps equal to this many digits are a tie, not a difference
GREEDY_INCREMENTS = 100           # per main index, for aggregations that are not additive
MAX_NUDGES = 1000
# Reported values are cleaned to 10 decimals (results.clean): a score that differs from a target by less
# is floating-point noise, not a shortfall.
SCORE_TOLERANCE = 1e-10


@dataclasses.dataclass
class _Lever:
    """One main index as a decision variable."""

    node: Node
    column: int            # in method.order
    current: float         # value
    top: float             # highest value it can reach
    per_value: float       # points per unit of value (share: max; points and score: 1)
    decimals: int          # of the value, as entered and published
    top_observed: bool     # the range has no top: capped at the best value among units

    @property
    def headroom_points(self) -> float:
        return max(0.0, (self.top - self.current) * self.per_value)

    def value_after(self, points: float) -> float:
        return min(self.top, self.current + points / self.per_value)


def _points_per_value(node: Node) -> float:
    if node.unit == "share":
        # A share without max (inside a weighted aggregation) is counted in percentage points.
        return float(node.max) if node.max else 100.0
    return 1.0


def _flat_method(method: Method) -> Method:
    """The method with every main index as an input (a leaf whose value is given), so the engine computes
    the score from main-index values whatever sits below them."""
    mains = {n.code for n in method.main_nodes()}
    nodes = {code: (dataclasses.replace(node, children=(), aggregate=None, rule=Rule()) if code in mains else node)
             for code, node in method.nodes.items()}
    return dataclasses.replace(method, nodes=nodes)


class _Scorer:
    """Scores and ranks of the unit for candidate main-index values, others fixed."""

    def __init__(self, method: Method, result: engine.PeriodResult, row: int, levers: list[_Lever]):
        self.flat = _flat_method(method)
        self.levers = levers
        self.row = row
        self.score_col = method.columns[method.score]
        self.decimals = method.node_decimals(method.score)
        self.all_scores = result.scores.astype(float).copy()
        self.base = np.array([lv.current for lv in levers])

    def scores(self, candidates: np.ndarray) -> np.ndarray:
        """Scores for rows of main-index values (candidates × levers)."""
        candidates = np.atleast_2d(candidates)
        given = np.full((candidates.shape[0], len(self.flat.order)), np.nan)
        given[:, [lv.column for lv in self.levers]] = candidates
        return engine.evaluate(self.flat, given)[:, self.score_col]

    def score(self, values: np.ndarray) -> float:
        return float(self.scores(values)[0])

    def ranks(self, scores: np.ndarray) -> np.ndarray:
        """The unit's rank for each candidate score, every other unit as computed."""
        scores = np.atleast_1d(np.asarray(scores, dtype=float))
        matrix = np.repeat(self.all_scores[:, None], scores.size, axis=1)
        matrix[self.row, :] = scores
        return ranking.competition_ranks(matrix, self.decimals)[self.row, :]

    def rank(self, score: float) -> int:
        return int(self.ranks(np.array([score]))[0])


# --- finding the unit and checking the request -----------------------------------------------------

def _check_targets(method: Method, n_units: int, target_rank: int | None, target_score: float | None) -> None:
    if target_rank is not None and target_score is not None:
        raise UserError("whatif_two_targets", "Chỉ chọn một mục tiêu: thứ hạng hoặc điểm, không cả hai",
                        "Give one target, a rank or a score, not both", field="target")
    if target_rank is not None and (isinstance(target_rank, bool) or int(target_rank) != target_rank
                                    or not 1 <= target_rank <= n_units):
        raise UserError("whatif_target_rank",
                        f"Thứ hạng mục tiêu {target_rank} phải là số nguyên từ 1 đến {n_units}",
                        f"Target rank {target_rank} must be a whole number from 1 to {n_units}",
                        field="target_rank")
    if target_score is not None:
        lo, hi = method.score_node.range
        if not math.isfinite(target_score) or not lo <= target_score <= hi:
            span = f"[{lo:g}, {hi:g}]"
            name = method.score_node
            raise UserError("whatif_target_score",
                            f"Giá trị mục tiêu {target_score:g} nằm ngoài khoảng {span} của {name.name_vi}",
                            f"Target value {target_score:g} is outside the range {span} of {name.name_en}",
                            field="target_score")


def _levers(method: Method, result: engine.PeriodResult, row: int) -> list[_Lever]:
    levers, missing = [], []
    for node in method.main_nodes():
        col = result.column(node.code)
        current = float(result.values[row, col])
        if math.isnan(current):
            missing.append(node.code)
            continue
        top, observed = node.range[1], False
        if node.unit == "share":
            top = min(top, 1.0)
        elif node.unit == "points":
            top = min(top, float(node.max or 0.0))
        if math.isinf(top):  # a score node without a top: the best value found among the units
            top, observed = float(np.nanmax(result.values[:, col])), True
        levers.append(_Lever(node=node, column=col, current=current, top=top, per_value=_points_per_value(node),
                             decimals=method.node_decimals(node.code), top_observed=observed))
    if missing:
        raise UserError("whatif_needs_main_indices",
                        f"Phân tích giả định cần giá trị các chỉ số chính của đơn vị; thiếu: {', '.join(missing)}",
                        f"What-if analysis needs the unit's main-index values; missing: {', '.join(missing)}",
                        field="unit", details={"missing": missing})
    return levers


# --- the smallest improvement ----------------------------------------------------------------------

def _reached(scorer: _Scorer, score: float, target_rank: int | None, target_score: float | None) -> bool:
    if target_rank is not None:
        return scorer.rank(score) <= target_rank
    return score >= target_score - SCORE_TOLERANCE * max(1.0, abs(target_score))


def _slopes(scorer: _Scorer, levers: list[_Lever], current_score: float) -> list[float]:
    """Score gained per point on each main index when it is raised to its top, the others unchanged."""
    candidates = np.repeat(scorer.base[None, :], len(levers), axis=0)
    for i, lv in enumerate(levers):
        candidates[i, i] = lv.top
    gains = scorer.scores(candidates) - current_score
    return [float(g / lv.headroom_points) if lv.headroom_points > 0 else 0.0 for g, lv in zip(gains, levers)]


def _knapsack(scorer: _Scorer, levers: list[_Lever], current_score: float, needed: float) -> np.ndarray:
    """Fractional knapsack: fill the main indices with the largest score gain per point first.

    For an additive aggregation (points, weighted sum or mean) the score is linear in each main index with
    a constant gain per point, and the indices are independent; spending a point where it buys most is then
    optimal (exchange argument: moving a point from a cheaper-per-gain index to a dearer one can only cost
    more points for the same gain), so the result is the least total points. Equal gains are filled
    largest headroom first (where the unit is furthest from full marks), then in method order.
    """
    slopes = _slopes(scorer, levers, current_score)
    order = sorted(range(len(levers)), key=lambda i: (-round(slopes[i], 12), -levers[i].headroom_points, i))
    values = scorer.base.copy()
    remaining = needed - current_score
    for i in order:
        if remaining <= 0:
            break
        if slopes[i] <= 0:
            continue
        points = min(levers[i].headroom_points, remaining / slopes[i])
        values[i] = levers[i].value_after(points)
        remaining -= points * slopes[i]
    return values


def _greedy(scorer: _Scorer, levers: list[_Lever], reached) -> np.ndarray:
    """Greedy by marginal gain per point in small increments (1/100 of each index's headroom), the last
    increment cut back by bisection to what is needed. For a geometric mean this is approximate: the
    score is not linear, so the cheapest mix can differ slightly from the greedy path."""
    values = scorer.base.copy()
    steps = np.array([lv.headroom_points / GREEDY_INCREMENTS for lv in levers])
    score = scorer.score(values)
    while not reached(score):
        room = np.array([(lv.top - v) * lv.per_value for lv, v in zip(levers, values)])
        open_ = np.flatnonzero(room > 1e-12)
        if open_.size == 0:
            break
        amounts = np.minimum(steps[open_], room[open_])
        candidates = np.repeat(values[None, :], open_.size, axis=0)
        for k, i in enumerate(open_):
            candidates[k, i] = levers[i].value_after((values[i] - levers[i].current) * levers[i].per_value
                                                     + amounts[k])
        gains = (scorer.scores(candidates) - score) / amounts
        best = int(np.argmax(gains))
        i, full = int(open_[best]), candidates[best]
        if reached(scorer.score(full)):
            lo, hi = values[i], full[i]
            for _ in range(60):
                mid = (lo + hi) / 2
                trial = values.copy()
                trial[i] = mid
                lo, hi = (lo, mid) if reached(scorer.score(trial)) else (mid, hi)
            values[i] = hi
            return values
        values, score = full, scorer.score(full)
    return values


def _representable(levers: list[_Lever], values: np.ndarray) -> np.ndarray:
    """Each raised value rounded up to the decimals it is entered and published with (never above the top)."""
    out = values.copy()
    for i, lv in enumerate(levers):
        if out[i] > lv.current:
            factor = 10.0 ** lv.decimals
            out[i] = min(lv.top, math.ceil(out[i] * factor - 1e-9) / factor)
    return out


def _nudge(scorer: _Scorer, levers: list[_Lever], values: np.ndarray, slopes: list[float], reached) -> np.ndarray:
    """If rounding leaves the unit just short, add the smallest representable step where a point buys most."""
    order = sorted(range(len(levers)), key=lambda i: -slopes[i])
    for _ in range(MAX_NUDGES):
        if reached(scorer.score(values)):
            return values
        for i in order:
            if values[i] < levers[i].top and slopes[i] > 0:
                values = values.copy()
                values[i] = min(levers[i].top, values[i] + 10.0 ** -levers[i].decimals)
                break
        else:
            return values
    return values


def _trim(scorer: _Scorer, levers: list[_Lever], values: np.ndarray, slopes: list[float], reached) -> np.ndarray:
    """Take back what is not needed: each raised index, where a point buys least first, lowered to the
    smallest representable value that still reaches the target (rounding up and coarse greedy increments
    can overshoot)."""
    values = values.copy()
    for i in sorted(range(len(levers)), key=lambda i: slopes[i]):
        lv = levers[i]
        if values[i] <= lv.current:
            continue
        # Representable values above the current one up to the value found, lowest first; lo = -1 stands
        # for the current value.
        candidates = _representable_between(lv.current, float(values[i]), 10.0 ** lv.decimals)
        lo, hi = -1, len(candidates) - 1
        if reached(scorer.score(_replaced(values, i, lv.current))):  # not needed at all
            values = _replaced(values, i, lv.current)
            continue
        if not reached(scorer.score(_replaced(values, i, candidates[hi]))):
            continue
        while hi - lo > 1:  # invariant: candidates[hi] reaches, candidates[lo] does not
            mid = (lo + hi) // 2
            if reached(scorer.score(_replaced(values, i, candidates[mid]))):
                hi = mid
            else:
                lo = mid
        values = _replaced(values, i, candidates[hi])
    return values


def _replaced(values: np.ndarray, i: int, value: float) -> np.ndarray:
    out = values.copy()
    out[i] = value
    return out


def _representable_between(low: float, high: float, factor: float) -> list[float]:
    """Values k / factor strictly above ``low`` up to ``high`` (``high`` itself last, even if not on the grid)."""
    first, last = math.floor(low * factor + 1e-9) + 1, math.floor(high * factor + 1e-9)
    grid = [k / factor for k in range(first, last + 1) if low < k / factor < high]
    return [*grid, high]


def _allocation(levers: list[_Lever], values: np.ndarray, method: Method) -> list[dict]:
    rows = []
    for lv, value in zip(levers, values):
        if value > lv.current:
            rows.append({"node": lv.node.code, "name": lv.node.name_vi, "name_en": lv.node.name_en,
                         "from": clean(lv.current), "to": clean(value),
                         "points": clean((value - lv.current) * lv.per_value),
                         "max_points": clean(lv.top * lv.per_value)})
    rows.sort(key=lambda r: -r["points"])
    return rows


def _improvement(scorer: _Scorer, levers: list[_Lever], values: np.ndarray, current_score: float,
                 method: Method) -> dict:
    score = scorer.score(values)
    allocation = _allocation(levers, values, method)
    return {"points": clean(sum(r["points"] for r in allocation)), "score_gain": clean(score - current_score),
            "allocation": allocation, "result": {"score": clean(score), "rank": scorer.rank(score)}}


def _score_needed(scorer: _Scorer, target_rank: int) -> float | None:
    """The rounded score of the target-rank-th best other unit: reaching it (after rounding) ties it."""
    others = np.delete(ranking.round_half_up(scorer.all_scores, scorer.decimals), scorer.row)
    if target_rank > others.size:
        return None
    return float(np.sort(others)[::-1][target_rank - 1])


# --- per step and strengths/weaknesses -------------------------------------------------------------

def _per_step(scorer: _Scorer, levers: list[_Lever], current_score: float, current_rank: int,
              step: float) -> list[dict]:
    candidates = np.repeat(scorer.base[None, :], len(levers), axis=0)
    added = []
    for i, lv in enumerate(levers):
        points = min(step, lv.headroom_points)
        candidates[i, i] = lv.value_after(points)
        added.append(points)
    scores = scorer.scores(candidates)
    ranks = scorer.ranks(scores)
    return [{"node": lv.node.code, "name": lv.node.name_vi, "name_en": lv.node.name_en, "step": clean(points),
             "capped": points < step, "score_gain": clean(s - current_score), "score_after": clean(s),
             "rank_after": int(r), "ranks_gained": current_rank - int(r)}
            for lv, points, s, r in zip(levers, added, scores, ranks)]


def _strengths_weaknesses(method: Method, result: engine.PeriodResult, row: int) -> list[dict]:
    """The unit's value and rank on every node that has one (monitored items excluded: their direction is
    not 'higher is better'); among the main indices its best-ranked are strengths and its worst-ranked
    weaknesses (3 each, never the same index as both). Equal ranks are ordered by the distance to the
    best unit on the index's own scale (:func:`_scaled_gap`); indices still tied at a cut are all in
    (:func:`_ends`), and none is labelled when nothing tells the indices apart (e.g. a unit last on
    every index by the same distance, or first on all)."""
    tree = [c for c in method.score_tree() if c != method.score]
    views = [c for c, n in method.nodes.items() if n.role == "view" and c not in tree]
    mains = {n.code for n in method.main_nodes()}
    rows = []
    for code in tree + views:
        node = method.nodes[code]
        col = result.column(code)
        value = float(result.values[row, col])
        if node.role == "monitor" or math.isnan(value):
            continue
        column = result.values[:, col]
        best = float(np.nanmax(column))
        entry = {"node": code, "name": node.name_vi, "name_en": node.name_en, "role": node.role,
                 "main": code in mains, "value": clean(value), "rank": int(result.ranks[row, col]),
                 "of": int(np.count_nonzero(~np.isnan(column))), "best": clean(best), "gap_to_best": clean(best - value),
                 "kind": "neutral"}
        if node.unit == "share" and node.max:
            entry["gap_points"] = clean((best - value) * node.max)
        rows.append(entry)
    main_rows = [r for r in rows if r["main"]]
    n_each = min(STRENGTHS_WEAKNESSES, len(main_rows) // 2)
    keys = {r["node"]: (r["rank"], round(_scaled_gap(method.nodes[r["node"]], r["gap_to_best"],
                                                     result.values[:, result.column(r["node"])]), GAP_DIGITS))
            for r in main_rows}
    ranked = sorted(main_rows, key=lambda r: keys[r["node"]])
    strengths, weaknesses = _ends(ranked, n_each, keys)
    for kind, side in (("strength", strengths), ("weakness", weaknesses)):
        for r in side:
            r["kind"] = kind
    return rows


def _scaled_gap(node: Node, gap: float, column: np.ndarray) -> float:
    """The distance to the best unit on the index's own full scale (share: 0–1; points: of its max; score:
    of its range), so that indices of different sizes compare; a range without a top falls back to the
    spread among the units."""
    if node.unit == "share":
        width = 1.0
    elif node.unit == "points" and node.max:
        width = float(node.max)
    else:
        lo, hi = node.range
        width = hi - lo if math.isfinite(hi - lo) else float(np.nanmax(column) - np.nanmin(column))
    return gap / width if width > 0 else 0.0


def _ends(ordered: list[dict], n: int, keys: dict) -> tuple[list[dict], list[dict]]:
    """The first ``n`` and the last ``n`` of ``ordered`` (best first), each with the indices tied with its
    own last one: a tie across the cut is not broken arbitrarily, all the tied indices are in. A group of
    ties reaching from one cut to the other belongs to neither end, so that nothing is both a strength and
    a weakness, and when every index has the same rank and the same distance to the best there is none."""
    if n <= 0:
        return [], []
    low, high = keys[ordered[n - 1]["node"]], keys[ordered[-n]["node"]]
    best = [r for r in ordered if keys[r["node"]] <= low and keys[r["node"]] < high]
    worst = [r for r in ordered[::-1] if keys[r["node"]] >= high and keys[r["node"]] > low]
    return best, worst


# --- the analysis ----------------------------------------------------------------------------------

def analyse(comp: Computation, unit: str, *, target_rank: int | None = None, target_score: float | None = None,
            period: str | None = None, step: float | None = None) -> dict:
    """The what-if document for one unit (see the module docstring); raises UserError for a bad request."""
    method = comp.method
    result = comp.period(period)
    row = comp.unit_row(result.units, unit, result.period)
    code = result.units[row]
    _check_targets(method, len(result.units), target_rank, target_score)
    target_rank = None if target_rank is None else int(target_rank)
    if step is None:
        step = method.whatif_step
    if not math.isfinite(step) or step <= 0:
        raise UserError("whatif_step", f"Bước {step:g} phải là số dương", f"Step {step:g} must be positive",
                        field="step")
    levers = _levers(method, result, row)
    scorer = _Scorer(method, result, row, levers)
    current_score = float(result.scores[row])
    current_rank = int(result.ranks[row, result.column(method.score)])
    score_node = method.score_node

    current: dict = {"score": clean(current_score), "rank": current_rank}
    if score_node.max is not None:
        current["points"] = clean(engine.node_points(score_node, np.array(current_score)))
    doc: dict = {"method": method.code, "period": result.period, "unit": code}
    if code in comp.unit_names:
        doc["name"] = comp.unit_names[code]
    doc.update(current=current, units=len(result.units), score_unit=score_node.unit,
               decimals=method.node_decimals(method.score),
               step=clean(step), step_unit=method.whatif_step_unit, target=None, feasible=None,
               already_met=False, improvement=None,
               exact=score_node.aggregate in ADDITIVE)

    if target_rank is not None or target_score is not None:
        if target_rank is not None:
            needed = _score_needed(scorer, target_rank)
            doc["target"] = {"rank": int(target_rank), "score_needed": needed}
            # Lowest raw score that rounds (half up) to the needed figure.
            threshold = -math.inf if needed is None else needed - 0.5 * 10.0 ** -scorer.decimals
        else:
            needed = threshold = float(target_score)
            doc["target"] = {"score": clean(target_score), "score_needed": clean(target_score)}

        def reached(score: float) -> bool:
            return _reached(scorer, score, target_rank, target_score)

        if reached(current_score):
            doc.update(feasible=True, already_met=True,
                       improvement={"points": 0.0, "score_gain": 0.0, "allocation": [],
                                    "result": {"score": clean(current_score), "rank": current_rank}})
        else:
            full = np.array([lv.top for lv in levers])
            best_score = scorer.score(full)
            doc["best_reachable"] = {"score": clean(best_score), "rank": scorer.rank(best_score),
                                     "points": clean(sum(lv.headroom_points for lv in levers))}
            if not reached(best_score):
                doc.update(feasible=False, improvement=_improvement(scorer, levers, full, current_score, method))
            else:
                slopes = _slopes(scorer, levers, current_score)
                if doc["exact"]:
                    values = _knapsack(scorer, levers, current_score, threshold)
                else:
                    values = _greedy(scorer, levers, reached)
                values = _nudge(scorer, levers, _representable(levers, values), slopes, reached)
                values = _trim(scorer, levers, values, slopes, reached)
                doc.update(feasible=bool(reached(scorer.score(values))),
                           improvement=_improvement(scorer, levers, values, current_score, method))
    doc["per_step"] = _per_step(scorer, levers, current_score, current_rank, float(step))
    doc["strengths_weaknesses"] = _strengths_weaknesses(method, result, row)
    capped = [lv.node.code for lv in levers if lv.top_observed]
    if capped:
        doc["capped_at_best_observed"] = capped
    return doc
