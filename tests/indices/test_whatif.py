"""What-if and gap analysis: every allocation is checked by recomputing the index independently through
``results.compute`` on a modified dataset, as a planner would by entering the new values."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.indices.published import DTI_922_MAINS, DTI_2022, PCI_2020, PCI_SUBS, records
from tinhso import cli
from tinhso.core.errors import UserError
from tinhso.indices import dataset, methodology, results, synthetic, whatif

DTI = methodology.load_method("dti-922")
EXAMPLES = Path(cli.__file__).resolve().parent / "indices" / "examples"
PCI = methodology.load_method("pci-2013")


def _compute(method, rows):
    return results.compute(dataset.from_records(method, rows))


def _with_values(rows: list[dict], unit: str, period: str, values: dict[str, float]) -> list[dict]:
    """The input rows with the unit's main-index values replaced, as a planner would type them."""
    out = []
    for r in rows:
        if r["unit"] == unit and r["period"] == period and r["indicator"] in values:
            r = {**r, "value": values[r["indicator"]]}
        out.append(r)
    return out


def _recomputed(method, rows, unit, period, allocation) -> tuple[float, int]:
    comp = _compute(method, _with_values(rows, unit, period, {a["node"]: a["to"] for a in allocation}))
    res = comp.period(period)
    row = res.units.index(unit)
    return float(res.scores[row]), int(res.ranks[row, res.column(method.score)])


@pytest.fixture(scope="module")
def dti_rows():
    return synthetic.dti_rows()


@pytest.fixture(scope="module")
def dti_comp(dti_rows):
    return _compute(DTI, dti_rows)


def _unit_at_rank(comp, rank: int) -> str:
    res = comp.period()
    ranks = res.ranks[:, res.column(comp.method.score)]
    return res.units[int(np.argmin(np.abs(ranks - rank)))]


# --- DTI: every point is worth 0.001 ---------------------------------------------------------------

def test_dti_point_is_worth_a_thousandth_hand_example():
    # A unit whose eight main indices are all 0.6077 has DTI 0.6077; reaching 0.6200 needs 12.3 points.
    rows = [{"unit": "A", "period": "2022", "indicator": c, "value": 0.6077} for c in DTI_922_MAINS]
    rows += records(DTI_2022, DTI_922_MAINS, "2022")
    doc = whatif.analyse(_compute(DTI, rows), "A", target_score=0.62)
    assert doc["current"]["score"] == pytest.approx(0.6077)
    assert doc["current"]["points"] == pytest.approx(607.7)
    assert doc["feasible"] is True and doc["already_met"] is False
    assert doc["improvement"]["points"] == pytest.approx(12.3, abs=1e-9)
    assert doc["improvement"]["score_gain"] == pytest.approx(0.0123, abs=1e-12)
    score, _ = _recomputed(DTI, rows, "A", "2022", doc["improvement"]["allocation"])
    assert score >= 0.62 - 1e-12
    # every step of 10 points on any main index adds exactly 0.01
    assert all(s["score_gain"] == pytest.approx(0.01) and not s["capped"] for s in doc["per_step"])


@pytest.mark.parametrize("start,target", [(63, 1), (63, 20), (40, 25), (30, 15), (10, 2), (2, 1)])
def test_dti_allocation_reaches_target_rank_and_one_point_less_does_not(dti_rows, dti_comp, start, target):
    unit = _unit_at_rank(dti_comp, start)
    period = dti_comp.period().period
    doc = whatif.analyse(dti_comp, unit, target_rank=target)
    assert doc["feasible"] is True and doc["already_met"] is False
    allocation = doc["improvement"]["allocation"]
    assert allocation and doc["improvement"]["points"] == pytest.approx(sum(a["points"] for a in allocation))
    score, rank = _recomputed(DTI, dti_rows, unit, period, allocation)
    assert rank <= target
    assert rank == doc["improvement"]["result"]["rank"]
    assert score == pytest.approx(doc["improvement"]["result"]["score"], abs=1e-9)
    # Minimality: in DTI every point is worth the same, so one point less anywhere cannot reach the target.
    less = [dict(a) for a in allocation]
    biggest = max(less, key=lambda a: a["points"])
    node = DTI.nodes[biggest["node"]]
    biggest["to"] = round(biggest["to"] - 1 / node.max, 6)
    _, rank_less = _recomputed(DTI, dti_rows, unit, period, less)
    assert rank_less > target
    # …and the total is the gap to the needed (rounded) score, to within one representable step.
    threshold = doc["target"]["score_needed"] - 0.00005
    assert doc["improvement"]["points"] >= (threshold - doc["current"]["score"]) * 1000 - 1e-6
    assert doc["improvement"]["points"] <= (threshold - doc["current"]["score"]) * 1000 + 0.02 + 1e-6


def test_dti_target_already_met(dti_comp):
    unit = _unit_at_rank(dti_comp, 10)
    doc = whatif.analyse(dti_comp, unit, target_rank=12)
    assert doc["already_met"] is True and doc["feasible"] is True
    assert doc["improvement"]["points"] == 0 and doc["improvement"]["allocation"] == []
    doc = whatif.analyse(dti_comp, unit, target_rank=62)
    assert doc["already_met"] is True and doc["target"]["score_needed"] is not None
    doc = whatif.analyse(dti_comp, unit, target_rank=63)   # last place: any score will do
    assert doc["already_met"] is True and doc["target"]["score_needed"] is None


def test_no_target_gives_only_per_step_and_strengths(dti_comp):
    doc = whatif.analyse(dti_comp, "Synthetic 05")
    assert doc["target"] is None and doc["feasible"] is None and doc["improvement"] is None
    assert doc["already_met"] is False
    assert [s["node"] for s in doc["per_step"]] == [n.code for n in DTI.main_nodes()]
    assert doc["strengths_weaknesses"]


# --- ties ------------------------------------------------------------------------------------------

def _tied_rows() -> list[dict]:
    rows = records(DTI_2022, DTI_922_MAINS, "2022")
    hcm = DTI_2022["TP. Hồ Chí Minh"][0]
    rows += [{"unit": "Synthetic tie", "period": "2022", "indicator": c, "value": v}
             for c, v in zip(DTI_922_MAINS, hcm)]
    rows += [{"unit": "Synthetic low", "period": "2022", "indicator": c, "value": 0.5} for c in DTI_922_MAINS]
    return rows


def test_tie_target_rank_equal_to_a_shared_rank():
    rows = _tied_rows()
    comp = _compute(DTI, rows)
    res = comp.period()
    col = res.column("dti")
    ranks = dict(zip(res.units, res.ranks[:, col].tolist()))
    # Đà Nẵng 1, HCM and its synthetic twin share 2, Quảng Ninh 4, the low unit 5 (1-2-2-4).
    assert ranks["TP. Hồ Chí Minh"] == ranks["Synthetic tie"] == 2
    assert ranks["Quảng Ninh"] == 4 and ranks["Synthetic low"] == 5
    hcm_rounded = 0.7164
    for target in (2, 3):
        doc = whatif.analyse(comp, "Synthetic low", target_rank=target)
        assert doc["target"]["score_needed"] == pytest.approx(hcm_rounded)
        assert doc["improvement"]["result"]["rank"] == 2   # tying the pair: rank 2 reaches both 2 and 3
        _, rank = _recomputed(DTI, rows, "Synthetic low", "2022", doc["improvement"]["allocation"])
        assert rank == 2
    # Ranks are on published (rounded) values: a raw score under 0.7164 that rounds to it is enough.
    assert 0.71635 - 1e-12 <= doc["improvement"]["result"]["score"] < hcm_rounded
    # Target rank 4 only needs to tie Quảng Ninh.
    doc = whatif.analyse(comp, "Synthetic low", target_rank=4)
    assert doc["target"]["score_needed"] == pytest.approx(0.7024)
    assert doc["improvement"]["result"]["rank"] == 4


# --- PCI: weights decide where points go ----------------------------------------------------------

@pytest.fixture(scope="module")
def pci_rows():
    return records(PCI_2020, PCI_SUBS, "2020")


def test_pci_knapsack_fills_twenty_percent_weights_first(pci_rows):
    comp = _compute(PCI, pci_rows)
    doc = whatif.analyse(comp, "TP.HCM", target_score=90)
    allocation = {a["node"]: a for a in doc["improvement"]["allocation"]}
    weight = {n.code: n.weight for n in PCI.main_nodes()}
    subs = dict(zip(PCI_SUBS, PCI_2020["TP.HCM"][0]))
    # 90 needs more than the three 20 % sub-indices (to 10 first) and the 10 % one can give, then 5 % ones.
    assert {c for c in allocation if weight[c] == 0.20} == {"transparency", "business_support", "labor_training"}
    for entry in allocation.values():
        heavier = [c for c in PCI_SUBS if weight[c] > weight[entry["node"]]]
        assert all(c in allocation and allocation[c]["to"] == 10 for c in heavier), entry["node"]
    gain_from_20 = sum(2 * (10 - subs[c]) for c in ("transparency", "business_support", "labor_training"))
    assert 67.49 + gain_from_20 + (10 - subs["informal_charges"]) < 90
    assert allocation["informal_charges"]["to"] == 10
    assert any(weight[c] == 0.05 for c in allocation)
    score, _ = _recomputed(PCI, pci_rows, "TP.HCM", "2020", doc["improvement"]["allocation"])
    assert score >= 90 - 1e-9


def test_pci_point_on_twenty_percent_is_worth_two(pci_rows):
    comp = _compute(PCI, pci_rows)
    doc = whatif.analyse(comp, "TP.HCM", target_rank=1)
    imp = doc["improvement"]
    assert doc["target"]["score_needed"] == pytest.approx(73.04)   # Quảng Ninh recomputed, 2 decimals
    assert {a["node"] for a in imp["allocation"]} <= {"transparency", "business_support", "labor_training"}
    assert imp["score_gain"] == pytest.approx(2 * imp["points"])
    # Sub-indices are entered with 2 decimals: the least such allocation, and 0.01 less falls short.
    _, rank = _recomputed(PCI, pci_rows, "TP.HCM", "2020", imp["allocation"])
    assert rank == 1
    less = [{**a, "to": round(a["to"] - 0.01, 2)} for a in imp["allocation"][:1]] + imp["allocation"][1:]
    _, rank_less = _recomputed(PCI, pci_rows, "TP.HCM", "2020", less)
    assert rank_less > 1
    steps = {s["node"]: s for s in doc["per_step"]}
    assert steps["transparency"]["score_gain"] == pytest.approx(1.0)     # 0.5 × 2
    assert steps["entry_costs"]["score_gain"] == pytest.approx(0.25)     # 0.5 × 0.5
    assert steps["informal_charges"]["score_gain"] == pytest.approx(0.5)


def test_infeasible_target_says_so_with_best_reachable(pci_rows):
    # A method whose sub-indices stop at 9: even full marks give PCI 90.
    capped = methodology.from_spec({"extends": "pci-2013", "code": "pci-capped",
                                    "nodes": [{"code": c, "range": [1, 9]} for c in PCI_SUBS]})
    comp = _compute(capped, pci_rows)
    doc = whatif.analyse(comp, "TP.HCM", target_score=95)
    assert doc["feasible"] is False and doc["already_met"] is False
    assert doc["best_reachable"]["score"] == pytest.approx(90)
    assert doc["best_reachable"]["rank"] == 1
    assert doc["improvement"]["result"]["score"] == pytest.approx(90)
    assert len(doc["improvement"]["allocation"]) == 10 and all(a["to"] == 9 for a in doc["improvement"]["allocation"])


def test_geometric_mean_is_approximate_but_reaches_the_target(pci_rows):
    geo = methodology.from_spec({"extends": "pci-2013", "code": "pci-geometric",
                                 "nodes": [{"code": "pci", "aggregate": "geometric_mean"}]})
    comp = _compute(geo, pci_rows)
    for unit, target in (("TP.HCM", 1), ("Hà Nội", 3), ("Bình Dương", 2)):
        doc = whatif.analyse(comp, unit, target_rank=target)
        assert doc["exact"] is False and doc["feasible"] is True
        _, rank = _recomputed(geo, pci_rows, unit, "2020", doc["improvement"]["allocation"])
        assert rank <= target
        # no single entry can lose 0.01 and still reach (the trim pass)
        for i, a in enumerate(doc["improvement"]["allocation"]):
            less = list(doc["improvement"]["allocation"])
            less[i] = {**a, "to": round(a["to"] - 0.01, 2)}
            assert _recomputed(geo, pci_rows, unit, "2020", less)[1] > target


# --- main indices computed from components ----------------------------------------------------------

def _example_rows(name: str) -> list[dict]:
    path = EXAMPLES / name
    with path.open(encoding="utf-8") as fh:
        return [{k: r[k] for k in ("unit", "period", "indicator", "value")} for r in csv.DictReader(fh)]


def _below(method, code: str) -> set[str]:
    out: set[str] = set()
    for child in method.nodes[code].children:
        out |= {child} | _below(method, child)
    return out


@pytest.mark.parametrize("case", ["svc-766", "components"])
def test_main_indices_computed_from_components(case):
    """The analysis works on main-index values whatever sits below; a planner checks it by entering the new
    main-index value in place of that index's component rows."""
    if case == "svc-766":
        method, rows = methodology.load_method("svc-766"), _example_rows("svc-766-synthetic-20.csv")
    else:
        method = synthetic.component_method(40)
        rows = synthetic.component_rows(method, n_units=30, seed=5)
    comp = _compute(method, rows)
    res = comp.period()
    unit = _unit_at_rank(comp, len(res.units) - 2)
    doc = whatif.analyse(comp, unit, target_rank=2)
    assert doc["feasible"] is True and doc["already_met"] is False and doc["exact"] is True
    changed = {a["node"]: a["to"] for a in doc["improvement"]["allocation"]}
    hidden = set().union(*(_below(method, c) for c in changed))
    new_rows = [r for r in rows if not (r["unit"] == unit and r["period"] == res.period and r["indicator"] in hidden)]
    new_rows += [{"unit": unit, "period": res.period, "indicator": c, "value": v} for c, v in changed.items()]
    again = _compute(method, new_rows).period(res.period)
    row = again.units.index(unit)
    assert int(again.ranks[row, again.column(method.score)]) <= 2
    assert float(again.scores[row]) == pytest.approx(doc["improvement"]["result"]["score"], abs=1e-9)
    # A point on any main index is worth a point of the total (766) or 0.001 of the DTI (components).
    scale = 1.0 if method.score_node.unit == "points" else 1 / method.score_node.max
    assert doc["improvement"]["score_gain"] == pytest.approx(doc["improvement"]["points"] * scale)


# --- per step --------------------------------------------------------------------------------------

def test_per_step_caps_at_the_maximum_and_ranks_match_recomputation(dti_rows):
    rows = _with_values(dti_rows, "Synthetic 07", "2023", {"awareness": 0.95, "cybersecurity": 1.0})
    comp = _compute(DTI, rows)
    doc = whatif.analyse(comp, "Synthetic 07")
    steps = {s["node"]: s for s in doc["per_step"]}
    assert steps["awareness"]["capped"] is True and steps["awareness"]["step"] == pytest.approx(5)
    assert steps["awareness"]["score_gain"] == pytest.approx(0.005)
    assert steps["cybersecurity"]["capped"] is True and steps["cybersecurity"]["score_gain"] == 0
    assert steps["cybersecurity"]["ranks_gained"] == 0
    assert steps["gov_activity"]["capped"] is False and steps["gov_activity"]["score_gain"] == pytest.approx(0.01)
    for s in doc["per_step"]:
        node = DTI.nodes[s["node"]]
        before = comp.period().value("Synthetic 07", s["node"])
        _, rank = _recomputed(DTI, rows, "Synthetic 07", "2023",
                              [{"node": s["node"], "to": min(1.0, before + s["step"] / node.max)}])
        assert rank == s["rank_after"]
        assert s["ranks_gained"] == doc["current"]["rank"] - s["rank_after"]
    doc = whatif.analyse(comp, "Synthetic 07", step=30)
    assert doc["step"] == 30
    assert {s["node"]: s["step"] for s in doc["per_step"]}["gov_activity"] == pytest.approx(30)


# --- strengths and weaknesses ----------------------------------------------------------------------

def test_strengths_and_weaknesses_follow_the_units_ranks(dti_comp):
    res = dti_comp.period()
    for unit in ("Synthetic 01", "Synthetic 33", "Synthetic 63"):
        rows = whatif.analyse(dti_comp, unit)["strengths_weaknesses"]
        by_node = {r["node"]: r for r in rows}
        assert {"pillar_gov", "pillar_econ", "pillar_society"} <= set(by_node)
        row = res.units.index(unit)
        for r in rows:
            assert r["rank"] == int(res.ranks[row, res.column(r["node"])])
            assert r["of"] == 63
            assert r["gap_to_best"] == pytest.approx(r["best"] - r["value"])
        mains = [r for r in rows if r["main"]]
        strengths = [r for r in mains if r["kind"] == "strength"]
        weaknesses = [r for r in mains if r["kind"] == "weakness"]
        assert len(strengths) == len(weaknesses) == 3
        assert max(r["rank"] for r in strengths) <= min(r["rank"] for r in mains if r["kind"] != "strength")
        assert min(r["rank"] for r in weaknesses) >= max(r["rank"] for r in mains if r["kind"] != "weakness")
        assert all(r["kind"] == "neutral" for r in rows if not r["main"])


def test_strengths_never_overlap_weaknesses_with_few_main_indices():
    method = methodology.load_method("dti-1726")
    rows = [{"unit": u, "period": "2020", "indicator": c, "value": v}
            for u, vals in {"A": (0.5, 0.4, 0.3), "B": (0.4, 0.5, 0.2), "C": (0.3, 0.2, 0.6)}.items()
            for c, v in zip(("gov", "econ", "society"), vals)]
    sw = whatif.analyse(_compute(method, rows), "A")["strengths_weaknesses"]
    kinds = {r["node"]: r["kind"] for r in sw}
    assert kinds == {"gov": "strength", "econ": "neutral", "society": "weakness"}


def _dti_1726_kinds(values: dict[str, tuple[float, float, float]], unit: str) -> dict[str, str]:
    method = methodology.load_method("dti-1726")
    rows = [{"unit": u, "period": "2020", "indicator": c, "value": v}
            for u, vals in values.items() for c, v in zip(("gov", "econ", "society"), vals)]
    return {r["node"]: r["kind"] for r in whatif.analyse(_compute(method, rows), unit)["strengths_weaknesses"]}


def test_equal_ranks_are_ordered_by_the_distance_to_the_best():
    """The published DTI 2020 sample: Bắc Ninh is 2/2 on every pillar; the pillar closest to Đà Nẵng (econ,
    0.0487 behind) is its strength, the farthest (society, 0.0912) its weakness, not an arbitrary pick."""
    with (EXAMPLES / "dti-2020-published-sample.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    doc = whatif.analyse(_compute(methodology.load_method("dti-1726"), rows), "Bắc Ninh")
    kinds = {r["node"]: r["kind"] for r in doc["strengths_weaknesses"]}
    assert kinds == {"gov": "neutral", "econ": "strength", "society": "weakness"}


def test_no_strength_or_weakness_when_nothing_tells_the_indices_apart():
    values = {"A": (0.4, 0.4, 0.4), "B": (0.5, 0.5, 0.5)}  # A last on all by the same distance, B first on all
    assert set(_dti_1726_kinds(values, "A").values()) == {"neutral"}
    assert set(_dti_1726_kinds(values, "B").values()) == {"neutral"}


def test_a_tie_across_the_cut_is_not_broken_arbitrarily():
    # A is first on gov and econ (both at the best: same key), second on society: rather than one strength
    # picked out of two equal ones, both are strengths; society is the weakness.
    kinds = _dti_1726_kinds({"A": (0.5, 0.5, 0.3), "B": (0.4, 0.4, 0.6)}, "A")
    assert kinds == {"gov": "strength", "econ": "strength", "society": "weakness"}
    # C is last on gov and econ by the same distance and first on society: one strength, both weaknesses.
    kinds = _dti_1726_kinds({"B": (0.5, 0.5, 0.3), "C": (0.4, 0.4, 0.6)}, "C")
    assert kinds == {"gov": "weakness", "econ": "weakness", "society": "strength"}


def test_a_tie_reaching_both_cuts_is_neither():
    # Eight DTI main indices, three labels at each end: A is first on awareness, farthest behind on society
    # activity, and second by the same distance on the six others. Those six reach from the strengths' cut
    # to the weaknesses': they are neither (never both), awareness is the one strength, society the one
    # weakness.
    values = {c: (0.5, 0.6) for c in DTI_922_MAINS}
    values["awareness"], values["society_activity"] = (0.9, 0.8), (0.3, 0.6)
    rows = [{"unit": u, "period": "2022", "indicator": c, "value": v[k]}
            for c, v in values.items() for k, u in enumerate(("A", "B"))]
    sw = [r for r in whatif.analyse(_compute(DTI, rows), "A")["strengths_weaknesses"] if r["main"]]
    kinds = {r["node"]: r["kind"] for r in sw}
    assert kinds.pop("awareness") == "strength" and kinds.pop("society_activity") == "weakness"
    assert set(kinds.values()) == {"neutral"}


def test_four_indices_tied_first_are_all_strengths():
    """The published PCI 2020 sample: Quảng Ninh is first of 8 on four sub-indices; all four are strengths
    (not three of them picked by their order in the method, nor none)."""
    with (EXAMPLES / "pci-2020-published-sample.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    sw = [r for r in whatif.analyse(_compute(PCI, rows), "Quảng Ninh")["strengths_weaknesses"] if r["main"]]
    firsts = {r["node"] for r in sw if r["rank"] == 1}
    assert len(firsts) == 4
    assert {r["node"] for r in sw if r["kind"] == "strength"} == firsts
    assert len([r for r in sw if r["kind"] == "weakness"]) == 3


def test_distances_compare_on_each_index_own_scale():
    # PCI sub-indices are scores on 1–10 (not shares): the scaled gap is gap / 9, ties still by rank first.
    method = PCI
    subs = [n.code for n in method.main_nodes()]
    rows = [{"unit": u, "period": "2020", "indicator": c, "value": v}
            for u, base in (("A", 5.0), ("B", 6.0)) for k, c in enumerate(subs)
            for v in [base + (0.1 * k if u == "A" else 0.0)]]
    sw = [r for r in whatif.analyse(_compute(method, rows), "A")["strengths_weaknesses"] if r["main"]]
    kinds = {r["node"]: r["kind"] for r in sw}
    # A is second on every sub-index; the closer to B, the stronger: the last sub-indices are strengths.
    assert [kinds[c] for c in subs[-3:]] == ["strength"] * 3
    assert [kinds[c] for c in subs[:3]] == ["weakness"] * 3


# --- errors ----------------------------------------------------------------------------------------

def test_bad_requests_raise_bilingual_errors(dti_comp):
    with pytest.raises(UserError) as err:
        whatif.analyse(dti_comp, "Nowhere", target_rank=3)
    assert err.value.field == "unit" and "Synthetic 01" in err.value.message_en
    assert err.value.message_en.count("Synthetic") == 10 and "(+53)" in err.value.message_en
    assert "Không có đơn vị" in err.value.message_vi
    for kwargs, field in [({"target_rank": 0}, "target_rank"), ({"target_rank": 64}, "target_rank"),
                          ({"target_score": 1.2}, "target_score"), ({"target_score": -0.1}, "target_score"),
                          ({"target_rank": 2, "target_score": 0.9}, "target"), ({"step": 0}, "step")]:
        with pytest.raises(UserError) as err:
            whatif.analyse(dti_comp, "Synthetic 01", **kwargs)
        assert err.value.field == field
        assert err.value.message_vi and err.value.message_en and err.value.message_vi != err.value.message_en
    with pytest.raises(UserError) as err:
        whatif.analyse(dti_comp, "Synthetic 01", period="1999")
    assert err.value.field == "period"


def test_unit_found_by_name_without_diacritics():
    comp = _compute(PCI, records(PCI_2020, PCI_SUBS, "2020"))
    assert whatif.analyse(comp, "ha noi")["unit"] == "Hà Nội"
    assert whatif.analyse(comp, "  HÀ NỘI ")["unit"] == "Hà Nội"


def test_score_given_without_main_indices_is_refused():
    rows = records(DTI_2022, DTI_922_MAINS, "2022") + [{"unit": "Only score", "period": "2022", "indicator": "dti",
                                                          "value": 0.5}]
    comp = _compute(DTI, rows)
    with pytest.raises(UserError) as err:
        whatif.analyse(comp, "Only score", target_rank=1)
    assert err.value.code == "whatif_needs_main_indices"
    # the others can still be analysed against it (its score stays fixed)
    assert whatif.analyse(comp, "Quảng Ninh", target_rank=1)["feasible"] is True


# --- property: a feasible allocation always reaches its target -------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit_no=st.integers(1, 63), target=st.integers(1, 63), seed=st.integers(0, 10_000))
def test_property_reported_allocation_reaches_the_target(unit_no, target, seed):
    rows = synthetic.dti_rows(periods=("2023",), seed=seed)
    comp = _compute(DTI, rows)
    unit = synthetic.unit_labels(63)[unit_no - 1]
    doc = whatif.analyse(comp, unit, target_rank=target)
    assert doc["feasible"] is True   # full marks (DTI 1.0) always reach any rank
    if doc["already_met"]:
        assert doc["current"]["rank"] <= target
        return
    allocation = doc["improvement"]["allocation"]
    _, rank = _recomputed(DTI, rows, unit, "2023", allocation)
    assert rank <= target
    assert all(0 <= a["to"] <= 1 and a["to"] > a["from"] for a in allocation)
    # minimal: one point less on the biggest entry falls short
    biggest = max(allocation, key=lambda a: a["points"])
    if biggest["points"] >= 1:
        less = [a if a is not biggest else {**a, "to": a["to"] - 1 / DTI.nodes[a["node"]].max} for a in allocation]
        assert _recomputed(DTI, rows, unit, "2023", less)[1] > target


@settings(max_examples=25, deadline=None)
@given(target=st.floats(10, 100, allow_nan=False), unit=st.sampled_from(sorted(PCI_2020)))
def test_property_pci_target_score_reached_with_least_points(target, unit):
    rows = records(PCI_2020, PCI_SUBS, "2020")
    comp = _compute(PCI, rows)
    doc = whatif.analyse(comp, unit, target_score=target)
    if doc["already_met"]:
        assert doc["current"]["score"] >= target - 1e-9
        return
    score, _ = _recomputed(PCI, rows, unit, "2020", doc["improvement"]["allocation"])
    assert score >= target - 1e-9
    # least points: the lower bound is the gap bought entirely at the best rate (2 PCI points per point)
    # where there is room; the knapsack can exceed the exact optimum only by the 0.01 rounding of one entry.
    subs = dict(zip(PCI_SUBS, PCI_2020[unit][0]))
    weights = sorted(((n.weight * 10, 10 - subs[n.code]) for n in PCI.main_nodes()), reverse=True)
    gap, least = target - doc["current"]["score"], 0.0
    for rate, room in weights:
        take = min(room, gap / rate)
        least, gap = least + take, gap - take * rate
        if gap <= 1e-12:
            break
    assert least - 1e-9 <= doc["improvement"]["points"] <= least + 0.01 + 1e-9


# --- the command -----------------------------------------------------------------------------------

def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["unit", "period", "indicator", "value"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.django_db
def test_cli_json_shape_and_unknown_unit_exit_code(tmp_path, capsys, dti_rows):
    path = _write(tmp_path / "dti.csv", dti_rows)
    code = cli.main(["index", "whatif", "--method", "dti-922", "--input", str(path), "--unit", "Synthetic 40",
                     "--target-rank", "10", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    doc = json.loads(out)
    assert {"method", "period", "unit", "current", "target", "feasible", "already_met", "improvement", "per_step",
            "strengths_weaknesses"} <= set(doc)
    assert doc["method"] == "dti-922" and doc["period"] == "2023" and doc["unit"] == "Synthetic 40"
    assert set(doc["current"]) >= {"score", "rank", "points"}
    assert set(doc["target"]) == {"rank", "score_needed"}
    assert set(doc["improvement"]) == {"points", "score_gain", "allocation", "result"}
    assert all({"node", "name", "from", "to", "points"} <= set(a) for a in doc["improvement"]["allocation"])
    assert all({"node", "name", "step", "score_gain", "rank_after", "ranks_gained", "capped"} <= set(s)
               for s in doc["per_step"])
    assert all({"node", "name", "value", "rank", "of", "best", "gap_to_best", "kind"} <= set(r)
               for r in doc["strengths_weaknesses"])
    _, rank = _recomputed(DTI, dti_rows, "Synthetic 40", "2023", doc["improvement"]["allocation"])
    assert rank <= 10 or doc["already_met"]

    code = cli.main(["index", "whatif", "--method", "dti-922", "--input", str(path), "--unit", "Synthetic 40",
                     "--target-rank", "10", "--period", "2022"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "Hiện tại / Current" in out and "Điểm mạnh, điểm yếu / Strengths and weaknesses" in out
    assert "Per 10 points" in out

    code = cli.main(["index", "whatif", "--method", "dti-922", "--input", str(path), "--unit", "Atlantis",
                     "--target-rank", "3"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "Atlantis" in err and "Synthetic 01" in err and "Traceback" not in err

    code = cli.main(["index", "whatif", "--method", "dti-922", "--input", str(path), "--unit", "Synthetic 40",
                     "--target-score", "1.5"])
    _, err = capsys.readouterr()
    assert code == 2 and "1.5" in err


def test_text_summary_reports_infeasible_and_already_met(pci_rows):
    from tinhso.indices.cli_whatif import format_text

    comp = _compute(PCI, pci_rows)
    text = format_text(whatif.analyse(comp, "Quảng Ninh", target_rank=2))
    assert "Đã đạt mục tiêu / Target already met" in text
    text = format_text(whatif.analyse(comp, "TP.HCM", target_rank=1))
    assert "transparency" in text and "Needs at least 2.78" in text
    assert not math.isnan(whatif.analyse(comp, "TP.HCM")["current"]["score"])
