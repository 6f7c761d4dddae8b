"""Uncertainty and sensitivity analysis of index rankings (tinhso.indices.sensitivity, issue 5)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinhso import cli
from tinhso.core.errors import UserError
from tinhso.indices import dataset, results, sensitivity, synthetic
from tinhso.indices.methodology import load_method

from .published import PCI_2020, PCI_SUBS, records


def _compute(method_code_or_method, rows):
    method = load_method(method_code_or_method) if isinstance(method_code_or_method, str) else method_code_or_method
    return results.compute(dataset.from_records(method, rows))


@pytest.fixture(scope="module")
def dti():
    return _compute("dti-922", synthetic.dti_rows(63))


@pytest.fixture(scope="module")
def pci():
    return _compute("pci-2013", records(PCI_2020, PCI_SUBS, "2020"))


def _svc_rows(n_units=20, seed=766):
    method = load_method("svc-766")
    rng = np.random.default_rng(seed)
    leaves = [n.code for n in method.nodes.values() if n.is_leaf and n.counts]
    return [{"unit": f"U{i:02d}", "period": "2024", "indicator": code, "value": round(float(rng.uniform(20, 100)), 1)}
            for i in range(n_units) for code in leaves]


def _nominal_scores(model: sensitivity.Model) -> np.ndarray:
    agg = ("arithmetic", "geometric").index(model.nominal_aggregation)
    return model.scores(model.nominal_weights[None, :], np.zeros(1, int), np.full(1, agg), ("published",),
                        ("arithmetic", "geometric"))[:, 0]


@pytest.mark.parametrize("case", ["dti", "pci", "svc", "component"])
def test_nominal_replication_is_the_published_method(case, dti, pci):
    comp = {"dti": lambda: dti, "pci": lambda: pci, "svc": lambda: _compute("svc-766", _svc_rows()),
            "component": lambda: _compute(synthetic.component_method(100),
                                          synthetic.component_rows(synthetic.component_method(100), 63))}[case]()
    model = sensitivity.build_model(comp)
    scores = _nominal_scores(model)
    np.testing.assert_allclose(scores, model.nominal_scores, rtol=0, atol=1e-9)
    assert (model.ranks(scores[:, None])[:, 0] == model.nominal_ranks).all()
    assert model.nominal_weights.sum() == pytest.approx(1.0)


def test_smart_city_carries_no_weight(dti):
    model = sensitivity.build_model(dti)
    assert "smart_city" not in model.codes and len(model.codes) == 8
    assert dict(zip(model.codes, model.nominal_weights))["gov_activity"] == pytest.approx(0.2)


def test_pci_weights_are_the_published_weights(pci):
    model = sensitivity.build_model(pci)
    assert dict(zip(model.codes, model.nominal_weights))["transparency"] == pytest.approx(0.2)
    assert model.scale == pytest.approx(10.0)


@pytest.mark.parametrize("which", ["dti", "pci"])
def test_interval_collapses_to_nominal_without_uncertainty(which, dti, pci):
    comp = dti if which == "dti" else pci
    doc = sensitivity.analyse(comp, runs=500, spread=1e-9, normalisations=("published",),
                              aggregations=("arithmetic",), sobol=False)
    for u in doc["units"]:
        assert u["p05_rank"] == u["median_rank"] == u["p95_rank"] == u["nominal_rank"]
        assert u["best_rank"] == u["worst_rank"] == u["nominal_rank"]
        assert u["share_at_nominal_rank"] == 1.0


def test_wide_uncertainty_moves_ranks(dti):
    doc = sensitivity.analyse(dti, runs=1000, sobol=False)
    assert any(u["p95_rank"] > u["p05_rank"] for u in doc["units"])
    for u in doc["units"]:
        assert u["best_rank"] <= u["p05_rank"] <= u["median_rank"] <= u["p95_rank"] <= u["worst_rank"]
    assert [u["nominal_rank"] for u in doc["units"]] == sorted(u["nominal_rank"] for u in doc["units"])


def test_same_seed_same_result_other_seed_other_draws(pci):
    a = sensitivity.analyse(pci, runs=400, seed=7, unit="Hà Nội")
    b = sensitivity.analyse(pci, runs=400, seed=7, unit="Hà Nội")
    c = sensitivity.analyse(pci, runs=400, seed=8, unit="Hà Nội")
    assert json.dumps(a) == json.dumps(b)
    assert [u["mean_rank"] for u in a["units"]] != [u["mean_rank"] for u in c["units"]]


def test_dirichlet_weights_sum_to_one_with_the_nominal_mean():
    nominal = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.15, 0.15])
    u = np.random.default_rng(3).random((40000, len(nominal)))
    w = sensitivity.sample_weights(nominal, u, "dirichlet", 0.25, 50.0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert (w > 0).all()
    np.testing.assert_allclose(w.mean(axis=0), nominal, atol=0.002)
    # Dirichlet variance m(1 − m) / (α0 + 1) with α0 = concentration
    np.testing.assert_allclose(w.var(axis=0), nominal * (1 - nominal) / 51.0, rtol=0.05)


def test_perturbed_weights_stay_within_the_spread():
    nominal = np.array([0.4, 0.3, 0.3])
    u = np.random.default_rng(4).random((5000, 3))
    w = sensitivity.sample_weights(nominal, u, "perturb", 0.25, 50.0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    # raw factors in [0.75, 1.25]: a renormalised weight is at most 1.25/0.75 times another's ratio
    ratio = (w / nominal).max(axis=1) / (w / nominal).min(axis=1)
    assert ratio.max() <= 1.25 / 0.75 + 1e-12 and ratio.max() > 1.5


def test_normalisations():
    model = sensitivity.build_model(_compute("dti-922", synthetic.dti_rows(63)))
    mm = model.normalised("minmax")
    np.testing.assert_allclose(mm.min(axis=0), 1.0)
    np.testing.assert_allclose(mm.max(axis=0), 100.0)
    z = model.normalised("zscore")
    assert z.min() == pytest.approx(1.0)
    plain = (model.published - model.published.mean(axis=0)) / model.published.std(axis=0, ddof=1)
    np.testing.assert_allclose(z - plain, z[0, 0] - plain[0, 0])  # one shift for the whole matrix
    assert model.normalised("published") is model.published


def test_dominant_unit_stays_first_in_every_run():
    rows = synthetic.dti_rows(63, periods=("2023",))
    for r in rows:
        r["value"] = 1.0 if r["unit"] == "Synthetic 30" else min(r["value"], 0.95)
    comp = _compute("dti-922", rows)
    for weights in ("perturb", "dirichlet"):
        doc = sensitivity.analyse(comp, runs=2000, weights=weights, spread=0.9, concentration=2.0,
                                  unit="Synthetic 30")
        top = doc["units"][0]
        assert top["unit"] == "Synthetic 30" and top["best_rank"] == top["worst_rank"] == 1
        # its rank never moves, so nothing explains its (zero) variance
        assert doc["unit_sobol"]["variance"] == 0
        assert all(i["ST"] == 0 for i in doc["unit_sobol"]["inputs"])


def test_geometric_mean_with_a_zero_index_stays_finite():
    rows = synthetic.dti_rows(10, periods=("2023",))
    for r in rows:
        if r["unit"] == "Synthetic 01" and r["indicator"] == "cybersecurity":
            r["value"] = 0.0
    model = sensitivity.build_model(_compute("dti-922", rows))
    scores = model.scores(np.tile(model.nominal_weights, (1, 1)), np.zeros(1, int), np.zeros(1, int),
                          ("published",), ("geometric",))
    assert np.isfinite(scores).all() and scores[0, 0] > 0
    assert model.ranks(scores)[0, 0] == 10  # 0.1 % attainment on one index sinks it under the geometric mean


def test_sobol_inert_factor_is_zero_and_weights_matter(dti):
    doc = sensitivity.analyse(dti, runs=4000, aggregations=("arithmetic",), normalisations=("published",))
    inputs = {i["name"]: i for i in doc["sobol"]["inputs"]}
    assert set(inputs) == {f"weight:{c}" for c in sensitivity.build_model(dti).codes} | {"normalisation",
                                                                                          "aggregation"}
    for name in ("aggregation", "normalisation"):
        assert abs(inputs[name]["S1"]) < 1e-9 and abs(inputs[name]["ST"]) < 1e-9
    weights_st = [v["ST"] for k, v in inputs.items() if k.startswith("weight:")]
    assert min(weights_st) > 0 and max(weights_st) > 0.05
    # the largest weight (digital-government activity, 200 of 1000 points) moves the ranking most
    assert max(inputs, key=lambda k: inputs[k]["ST"]) == "weight:gov_activity"


def test_total_index_not_below_first_order(dti):
    doc = sensitivity.analyse(dti, runs=10000, unit="Synthetic 05")
    for block in (doc["sobol"], doc["unit_sobol"]):
        for i in block["inputs"]:
            assert i["ST"] >= i["S1"] - (i["S1_conf"] + i["ST_conf"] + 0.02), i
    sobol = doc["settings"]["sobol"]
    n, d = sobol["base_samples"], len(doc["settings"]["inputs"])
    assert n & (n - 1) == 0 and sobol["evaluations"] == n * (d + 2)
    assert 10000 / 1.5 <= sobol["evaluations"] <= 10000 * 1.5


def test_options_a_second_aggregation_adds_uncertainty(pci):
    one = sensitivity.analyse(pci, runs=1000, normalisations=("published",), aggregations=("arithmetic",),
                              spread=0.01, sobol=False)
    both = sensitivity.analyse(pci, runs=1000, normalisations=("published", "minmax", "zscore"),
                               aggregations=("arithmetic", "geometric"), spread=0.01, sobol=False)
    width = lambda doc: sum(u["worst_rank"] - u["best_rank"] for u in doc["units"])  # noqa: E731
    assert width(both) > width(one)


@pytest.mark.parametrize("method,rows", [
    ("dti-1726", [{"unit": f"U{i}", "period": "2020", "indicator": c, "value": v}
                  for i, vals in enumerate(np.random.default_rng(1726).uniform(0.2, 0.8, (15, 3)).round(4))
                  for c, v in zip(("gov", "econ", "society"), vals.tolist())]),
    ("svc-766", _svc_rows()),
])
def test_every_shipped_method(method, rows):
    comp = _compute(method, rows)
    doc = sensitivity.analyse(comp, runs=300, weights="dirichlet")
    assert doc["method"] == method and len(doc["units"]) == len(comp.period().units)
    for u in doc["units"]:
        assert 1 <= u["best_rank"] <= u["p05_rank"] <= u["median_rank"] <= u["p95_rank"] <= u["worst_rank"]
    assert doc["sobol"]["output"] == "mean absolute rank shift"
    assert len(doc["sobol"]["inputs"]) == len(load_method(method).main_nodes()) + 2


def test_missing_main_index_is_named():
    rows = synthetic.dti_rows(5, periods=("2023",))
    rows = [r for r in rows if not (r["unit"] == "Synthetic 02")] + [
        {"unit": "Synthetic 02", "period": "2023", "indicator": "dti", "value": 0.5}]
    comp = _compute("dti-922", rows)
    with pytest.raises(UserError) as exc:
        sensitivity.analyse(comp, runs=100)
    assert exc.value.code == "sensitivity_inputs_missing" and "Synthetic 02" in exc.value.message_en


@pytest.mark.parametrize("options,field", [
    ({"runs": 99}, "runs"), ({"runs": 1_000_001}, "runs"), ({"runs": 1000.0}, "runs"),
    ({"spread": 0.0}, "spread"), ({"spread": 1.0}, "spread"), ({"spread": float("nan")}, "spread"),
    ({"weights": "uniform"}, "weights"), ({"normalisations": ("published", "rank")}, "normalisations"),
    ({"normalisations": ()}, "normalisations"), ({"normalisations": ("minmax", "minmax")}, "normalisations"),
    ({"aggregations": ("median",)}, "aggregations"), ({"concentration": 0.0}, "concentration"),
    ({"seed": -1}, "seed"), ({"sobol_resamples": 9}, "sobol_resamples"),
    ({"sobol_resamples": 10_001}, "sobol_resamples"), ({"sobol_resamples": 50.0}, "sobol_resamples"), ({"unit": "Nowhere"}, "unit"), ({"period": "1999"}, "period"),
])
def test_bad_options_are_user_errors(pci, options, field):
    with pytest.raises(UserError) as exc:
        sensitivity.analyse(pci, **options)
    assert exc.value.field == field
    assert exc.value.message_vi and exc.value.message_en and exc.value.message_vi != exc.value.message_en


def test_options_as_comma_text(pci):
    doc = sensitivity.analyse(pci, runs=100, normalisations="published, minmax", aggregations="geometric",
                              sobol=False)
    assert doc["settings"]["normalisations"] == ["published", "minmax"]
    assert doc["settings"]["aggregations"] == ["geometric"]


def test_unit_by_name_without_diacritics(pci):
    doc = sensitivity.analyse(pci, runs=200, unit="ha noi", sobol=True)
    assert doc["unit"] == "Hà Nội" and doc["unit_sobol"]["unit"] == "Hà Nội"


def test_cli_table_and_json(tmp_path, capsys):
    path = tmp_path / "pci.csv"
    lines = ["unit,period,indicator,value"] + [f"{r['unit']},{r['period']},{r['indicator']},{r['value']}"
                                               for r in records(PCI_2020, PCI_SUBS, "2020")]
    path.write_text("\n".join(lines), encoding="utf-8")
    base = ["index", "sensitivity", "--method", "pci-2013", "--input", str(path), "--runs", "300"]
    assert cli.main(base + ["--unit", "Hà Nội"]) == 0
    out = capsys.readouterr().out
    assert "Quảng Ninh" in out and "weight:transparency" in out and "5–95 %" in out
    assert cli.main(base + ["--json", "--no-sobol", "--weights", "dirichlet", "--aggregations", "arithmetic",
                            "--normalisations", "published,minmax"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sobol"] is None and doc["settings"]["normalisations"] == ["published", "minmax"]
    assert doc["settings"]["weights"] == "dirichlet" and doc["units"][0]["unit"] == "Quảng Ninh"
    assert cli.main(base + ["--json", "--sobol-resamples", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["sobol"]["bootstrap_resamples"] == 20
    assert cli.main(base + ["--spread", "1.5"]) == 2
    assert "spread" in capsys.readouterr().err


def test_chunked_replications_give_the_same_analysis(dti, monkeypatch):
    whole = sensitivity.analyse(dti, runs=3000, seed=5, unit="Synthetic 07")
    monkeypatch.setattr(sensitivity, "CHUNK_RUNS", 7)   # many chunks, the last one partial
    assert sensitivity.analyse(dti, runs=3000, seed=5, unit="Synthetic 07") == whole


def test_sobol_resamples_is_an_option(pci):
    few = sensitivity.analyse(pci, runs=2000, seed=4, sobol_resamples=10)
    many = sensitivity.analyse(pci, runs=2000, seed=4)
    assert many["settings"]["sobol"]["bootstrap_resamples"] == sensitivity.SOBOL_RESAMPLES == 50
    assert few["settings"]["sobol"]["bootstrap_resamples"] == 10
    # the same estimates, other confidence intervals
    assert [i["S1"] for i in few["sobol"]["inputs"]] == [i["S1"] for i in many["sobol"]["inputs"]]
    assert [i["S1_conf"] for i in few["sobol"]["inputs"]] != [i["S1_conf"] for i in many["sobol"]["inputs"]]
