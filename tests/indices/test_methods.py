"""Methods are data: the shipped YAML files load, add up, and bad files are refused with a reason."""

from __future__ import annotations

import json

import pytest

from tinhso.core.errors import UserError
from tinhso.indices import methodology


@pytest.mark.parametrize("code", methodology.available_methods())
def test_every_shipped_method_loads_and_serialises(code):
    method = methodology.load_method(code)
    assert method.code == code
    assert method.score in method.nodes
    json.dumps(method.as_dict(), ensure_ascii=False)
    # children come before parents in the evaluation order
    position = {c: i for i, c in enumerate(method.order)}
    for node in method.nodes.values():
        assert all(position[c] < position[node.code] for c in node.children)


@pytest.mark.parametrize("code", methodology.available_methods())
def test_shipped_methods_parse_the_same_with_the_fast_parser(code):
    import yaml

    text = (methodology.METHODS_DIR / f"{code}.yaml").read_text(encoding="utf-8")
    assert methodology._safe_yaml(text, code, shipped=True) == yaml.safe_load(text)


def test_shipped_methods_are_the_four_of_the_issue():
    assert set(methodology.available_methods()) >= {"dti-922", "dti-1726", "pci-2013", "svc-766"}


def test_dti_922_points_and_pillars():
    m = methodology.load_method("dti-922")
    maxima = {n.code: n.max for n in m.nodes.values()}
    assert [maxima[c] for c in ("awareness", "institutions", "infrastructure", "human_resources", "cybersecurity",
                                "smart_city", "gov_activity", "econ_activity", "society_activity")] == \
        [100, 100, 100, 100, 100, 0, 200, 150, 150]
    assert maxima["dti"] == 1000 and maxima["pillar_gov"] == 700 and maxima["pillar_econ"] == 650
    assert m.nodes["pillar_gov"].status == "official" and m.nodes["pillar_econ"].status == "inferred"
    assert "smart_city" not in [n.code for n in m.main_nodes()]


def test_pci_weights_sum_to_one_and_766_groups_to_100():
    pci = methodology.load_method("pci-2013")
    assert sum(n.weight for n in pci.main_nodes()) == pytest.approx(1.0)
    assert [n.weight for n in pci.main_nodes()] == [0.05, 0.05, 0.2, 0.05, 0.1, 0.05, 0.05, 0.2, 0.2, 0.05]
    svc = methodology.load_method("svc-766")
    assert [n.max for n in svc.main_nodes()] == [18, 20, 22, 22, 18]
    assert svc.nodes["5.4"].rule.kind == "threshold" and svc.nodes["5.4"].rule.target == 90
    assert svc.nodes["1.2"].status == "official" and svc.nodes["1.1"].status == "third_party"


@pytest.mark.parametrize("text, code", [("Nhận thức số", "awareness"), ("nhan thuc so", "awareness"),
                                        ("HĐ KTS", "econ_activity"), ("hd kts", "econ_activity"),
                                        ("AWARENESS", "awareness"), ("Digital awareness", "awareness"),
                                        ("CQS", "pillar_gov"), ("  Thể   chế số ", "institutions")])
def test_indicators_are_found_by_code_alias_or_name_with_or_without_marks(text, code):
    assert methodology.load_method("dti-922").resolve(text) == code


def test_unknown_method_lists_the_available_ones():
    with pytest.raises(UserError) as err:
        methodology.load_method("dti-999")
    assert err.value.status == 404 and "dti-922" in err.value.message_en


BASE = {"code": "t", "score": "total", "nodes": [
    {"code": "total", "unit": "points", "max": 10, "aggregate": "points", "children": ["a", "b"]},
    {"code": "a", "unit": "points", "max": 4}, {"code": "b", "unit": "points", "max": 6}]}


def _with(**changes):
    spec = json.loads(json.dumps(BASE))
    for index, node_changes in changes.get("nodes", {}).items():
        spec["nodes"][index].update(node_changes)
    spec.update({k: v for k, v in changes.items() if k != "nodes"})
    return spec


@pytest.mark.parametrize("spec, words", [
    (_with(nodes={0: {"max": 11}}), "differs from its children's total"),
    (_with(nodes={0: {"children": ["a", "zz"]}}), "child 'zz' is not defined"),
    (_with(nodes={1: {"aggregate": "points", "children": ["total"]}}), "cycle"),
    (_with(nodes={1: {"rule": {"kind": "magic"}}}), "unknown rule"),
    (_with(nodes={1: {"rule": {"kind": "threshold"}}}), "needs a target"),
    (_with(score="nope"), "score node 'nope'"),
    (_with(nodes={0: {"aggregate": "weighted_mean", "unit": "score"}}), "have no weight"),
    (_with(nodes={2: {"code": "a"}}), "duplicate node code a"),
])
def test_invalid_methods_are_refused_with_the_reason(spec, words):
    with pytest.raises(UserError) as err:
        methodology.from_spec(spec, "test.yaml")
    assert err.value.code == "method_invalid" and words in err.value.message_en


def test_a_method_file_can_extend_a_shipped_one_with_components(tmp_path):
    path = tmp_path / "province.yaml"
    path.write_text("""
extends: dti-922
code: dti-922-bl
nodes:
  - code: awareness
    aggregate: points
    children: [aw_meetings, aw_chair]
  - code: aw_meetings
    name: {vi: "Ban chỉ đạo họp", en: Steering committee meetings}
    unit: points
    max: 60
    rule: {kind: tiers, tiers: [{at_least: 4, share: 1}, {at_least: 3, share: 0.75}, {at_least: 1, share: 0.25}]}
    input_range: [0, 12]
  - code: aw_chair
    unit: points
    max: 40
    rule: {kind: ratio}
""", encoding="utf-8")
    method = methodology.load_method(str(path))
    assert method.code == "dti-922-bl"
    assert method.nodes["awareness"].children == ("aw_meetings", "aw_chair")
    assert method.nodes["awareness"].max == 100 and "econ_activity" in method.nodes


def test_the_extension_example_in_the_docs_loads_and_computes(tmp_path):
    from pathlib import Path

    from tinhso.indices import dataset, results

    docs = (Path(__file__).resolve().parents[2] / "docs" / "indices.md").read_text(encoding="utf-8")
    block = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "dti-922-lamdong.yaml"
    path.write_text(block, encoding="utf-8")
    method = methodology.load_method(str(path))
    rows = [{"unit": "A", "period": "2024", "indicator": n.code, "value": 0.5} for n in method.main_nodes()
            if n.code != "awareness"]
    rows += [{"unit": "A", "period": "2024", "indicator": "aw_meetings", "value": 3},
             {"unit": "A", "period": "2024", "indicator": "aw_directives", "value": 0.5}]
    unit = results.report(results.compute(dataset.from_records(method, rows)))["units"][0]
    # 3 meetings → 15 of 20 points; half the directives → 40 of 80: awareness = 55 / 100
    assert unit["nodes"]["awareness"]["value"] == 0.55
