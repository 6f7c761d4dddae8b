"""Scoring rules, aggregations and the 1-2-2-4 ranking, on small hand-checked cases and as properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.core.errors import UserError
from tinhso.indices import dataset, engine, methodology, results, synthetic
from tinhso.indices.ranking import competition_ranks, round_half_up


def _spec(leaf: dict, unit: str = "points", max_points: float = 10) -> methodology.Method:
    return methodology.from_spec({"code": "t", "score": "total", "nodes": [
        {"code": "total", "unit": unit, "max": max_points, "aggregate": "points", "children": ["x"]},
        {"code": "x", "unit": unit, "max": max_points, **leaf}]}, "t")


def _leaf_values(method, inputs):
    given = np.full((len(inputs), len(method.order)), np.nan)
    given[:, method.order.index("x")] = inputs
    return engine.evaluate(method, given)[:, method.order.index("x")]


def test_threshold_rule_is_pmax_times_min_one_rate_over_target():
    # 766 style: 45 % against a 50 % threshold earns 0.9 of 12 points; 80 % earns all of them.
    m = _spec({"rule": {"kind": "threshold", "target": 50}, "input_range": [0, 100]}, max_points=12)
    assert _leaf_values(m, [45.0, 80.0, 0.0]).tolist() == pytest.approx([10.8, 12.0, 0.0])


def test_ratio_rule_and_tiers():
    m = _spec({"rule": {"kind": "ratio", "full": 100}}, max_points=6)
    assert _leaf_values(m, [50.0, 100.0]).tolist() == pytest.approx([3.0, 6.0])
    tiers = {"kind": "tiers", "tiers": [{"at_least": 4, "share": 1}, {"at_least": 3, "share": 0.75},
                                        {"at_least": 2, "share": 0.5}, {"at_least": 1, "share": 0.25}]}
    m = _spec({"rule": tiers, "input_range": [0, 12]}, max_points=20)
    # "BCĐ họp 4 lần/năm: 20 điểm; 3 lần: 15; 2 lần: 10; 1 lần: 5; còn lại: 0"
    assert _leaf_values(m, [6, 4, 3, 2, 1, 0]).tolist() == [20, 20, 15, 10, 5, 0]


def test_minmax_rescales_across_units_and_reverses_for_lower_is_better():
    m = methodology.from_spec({"code": "t", "score": "total", "nodes": [
        {"code": "total", "unit": "score", "aggregate": "weighted_mean", "children": ["x"]},
        {"code": "x", "unit": "score", "weight": 1, "rule": {"kind": "minmax", "low": 1, "high": 10, "direction": -1}}]},
        "t")
    assert _leaf_values(m, [2.0, 4.0, 6.0]).tolist() == [10.0, 5.5, 1.0]


def test_distance_to_target_is_capped():
    m = _spec({"rule": {"kind": "distance_to_target", "target": 80, "base": 20}}, unit="share", max_points=1)
    assert _leaf_values(m, [20.0, 50.0, 95.0, 10.0]).tolist() == pytest.approx([0, 0.5, 1, 0])


def test_geometric_mean_is_partially_compensatory():
    m = methodology.from_spec({"code": "g", "score": "total", "nodes": [
        {"code": "total", "unit": "score", "aggregate": "geometric_mean", "children": ["a", "b"]},
        {"code": "a", "unit": "score", "weight": 1, "range": [0, 10]},
        {"code": "b", "unit": "score", "weight": 1, "range": [0, 10]}]}, "g")
    given = np.array([[4.0, 9.0, np.nan], [6.5, 6.5, np.nan]])
    order = [m.order.index(c) for c in ("a", "b", "total")]
    g = np.full((2, 3), np.nan)
    g[:, order[0]], g[:, order[1]] = given[:, 0], given[:, 1]
    assert engine.evaluate(m, g)[:, order[2]].tolist() == pytest.approx([6.0, 6.5])


def test_a_given_parent_is_used_when_its_children_are_absent_and_checked_when_present():
    m = methodology.load_method("dti-922")
    rows = [{"unit": "A", "period": "2022", "indicator": "dti", "value": 0.61}]
    doc = results.report(results.compute(dataset.from_records(m, rows)))
    assert doc["units"][0]["score"] == 0.61
    rows = [{"unit": "A", "period": "2022", "indicator": c.code, "value": 0.5} for c in m.main_nodes()]
    rows.append({"unit": "A", "period": "2022", "indicator": "dti", "value": 0.51})
    node = results.report(results.compute(dataset.from_records(m, rows)))["units"][0]["nodes"]["dti"]
    assert node["value"] == 0.5 and node["given"] == 0.51


def test_missing_inputs_name_the_unit_period_and_nodes():
    m = methodology.load_method("dti-922")
    rows = [{"unit": "A", "period": "2022", "indicator": c.code, "value": 0.5} for c in m.main_nodes()
            if c.code not in ("econ_activity", "cybersecurity")]
    with pytest.raises(UserError) as err:
        results.compute(dataset.from_records(m, rows))
    assert err.value.code == "index_inputs_missing"
    assert err.value.details == [{"unit": "A", "period": "2022", "missing": ["cybersecurity", "econ_activity"]}]


def test_missing_components_are_named_when_some_components_are_given():
    m = synthetic.component_method(40)
    rows = [r for r in synthetic.component_rows(m, n_units=2) if r["indicator"] != "awareness_c02"]
    with pytest.raises(UserError) as err:
        results.compute(dataset.from_records(m, rows))
    assert {tuple(p["missing"]) for p in err.value.details} == {("awareness_c02",)}


def test_components_sum_to_the_main_index_points():
    m = synthetic.component_method(100)
    comp = results.compute(dataset.from_records(m, synthetic.component_rows(m, n_units=5)))
    result = comp.period()
    for main in m.main_nodes():
        kids = [m.nodes[c] for c in main.children]
        points = sum(result.values[:, result.column(k.code)] for k in kids)
        assert np.allclose(result.values[:, result.column(main.code)] * main.max, points)
    total = sum(result.values[:, result.column(n.code)] * n.max for n in m.main_nodes())
    assert np.allclose(result.scores * 1000, total)


@given(st.lists(st.integers(0, 20), min_size=1, max_size=40))
def test_competition_rank_is_one_plus_the_number_strictly_better(xs):
    values = np.array(xs, dtype=float) / 10
    ranks = competition_ranks(values, 4)
    for i, v in enumerate(values):
        assert ranks[i] == 1 + int(np.sum(values > v))


def test_ranks_use_published_rounding_and_missing_values_are_unranked():
    assert competition_ranks(np.array([0.71635, 0.7164, np.nan, 0.5]), 4).tolist() == [1, 1, 0, 3]
    assert competition_ranks(np.array([0.71634, 0.7164]), 4).tolist() == [2, 1]
    assert round_half_up(np.array([0.00005, 2.675, 73.035]), 2).tolist() == [0.0, 2.68, 73.04]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1, allow_nan=False), min_size=8, max_size=8), min_size=1, max_size=12))
def test_dti_score_equals_the_points_formula_for_any_values(matrix):
    m = methodology.load_method("dti-922")
    mains = [n.code for n in m.main_nodes()]
    rows = [{"unit": f"U{i}", "period": "2023", "indicator": c, "value": v}
            for i, vals in enumerate(matrix) for c, v in zip(mains, vals)]
    comp = results.compute(dataset.from_records(m, rows))
    weights = np.array([m.nodes[c].max for c in mains]) / 1000
    assert np.allclose(comp.period().scores, np.array(matrix) @ weights)


def test_lower_is_better_inputs_score_and_rank_the_right_way():
    m = _spec({"rule": {"kind": "threshold", "target": 5}, "direction": -1, "input_range": [0, 100]})
    # a processing time at or under its 5-day target earns all 10 points; 10 days earns half
    assert _leaf_values(m, [3.0, 5.0, 10.0]).tolist() == pytest.approx([10.0, 10.0, 5.0])
    m = _spec({"rule": {"kind": "ratio", "full": 100}, "direction": -1})
    assert _leaf_values(m, [20.0]).tolist() == pytest.approx([8.0])
    svc = methodology.load_method("svc-766")
    rows = [{"unit": u, "period": "2025", "indicator": "2.2", "value": days} for u, days in (("A", 12), ("B", 4))]
    rows += [{"unit": u, "period": "2025", "indicator": "total", "value": 80} for u in ("A", "B")]
    result = results.compute(dataset.from_records(svc, rows)).period()
    ranks = result.ranks[:, result.column("2.2")]
    assert ranks.tolist() == [2, 1]  # the shorter average processing time ranks first
