"""Synthetic index inputs for tests, benchmarks and the demo, generated with a seed and labelled as such.

No full published 63-province table of main-index values is shipped (see docs/indices.md), so rankings
over 63 units are exercised on synthetic units named "Synthetic 01" … — never on real province names,
so a synthetic figure cannot be mistaken for a published one.
"""

from __future__ import annotations

import numpy as np

from tinhso.indices.methodology import Method, from_spec, load_method

LABEL = "Synthetic"


def unit_labels(n_units: int) -> list[str]:
    return [f"{LABEL} {i:02d}" for i in range(1, n_units + 1)]


def dti_rows(n_units: int = 63, periods: tuple[str, ...] = ("2022", "2023"), seed: int = 2022,
             method_code: str = "dti-922") -> list[dict]:
    """Tidy records of main-index values (0–1) for ``n_units`` synthetic units over ``periods``.

    Each unit has a persistent level plus a yearly drift, so ranks move a little between periods, as the
    published DTI tables do; values are rounded to 4 decimals as published.
    """
    rng = np.random.default_rng(seed)
    method = load_method(method_code)
    mains = [n.code for n in method.main_nodes()]
    level = rng.uniform(0.35, 0.8, size=n_units)
    profile = rng.normal(0.0, 0.08, size=(n_units, len(mains)))
    rows = []
    for k, period in enumerate(periods):
        drift = rng.normal(0.03 * k, 0.03, size=(n_units, len(mains)))
        values = np.clip(level[:, None] + profile + drift, 0.05, 1.0).round(4)
        for i, unit in enumerate(unit_labels(n_units)):
            rows += [{"unit": unit, "period": period, "indicator": code, "value": float(values[i, j])}
                     for j, code in enumerate(mains)]
    return rows


def component_method(n_components: int = 100, base: str = "dti-922") -> Method:
    """``base`` extended with ``n_components`` synthetic components spread over its main indices in
    proportion to their points, mixing the rule kinds of the 922 template (ratio, threshold, tiers)."""
    method = load_method(base)
    mains = method.main_nodes()
    total = sum(n.max for n in mains)
    counts = [max(1, round(n_components * n.max / total)) for n in mains]
    counts[-1] += n_components - sum(counts)
    rules = [{"kind": "ratio"}, {"kind": "threshold", "target": 0.8},
             {"kind": "tiers", "tiers": [{"at_least": 4, "share": 1}, {"at_least": 3, "share": 0.75},
                                         {"at_least": 2, "share": 0.5}, {"at_least": 1, "share": 0.25}]}]
    nodes = []
    for main, count in zip(mains, counts):
        children = [f"{main.code}_c{k:02d}" for k in range(1, count + 1)]
        nodes.append({"code": main.code, "aggregate": "points", "children": children})
        for k, code in enumerate(children):
            rule = rules[k % len(rules)]
            nodes.append({"code": code, "name": {"vi": f"Thành phần tổng hợp {code}", "en": f"Synthetic {code}"},
                          "unit": "points", "max": main.max / count, "rule": rule, "status": "user",
                          **({"input_range": [0, 4]} if rule["kind"] == "tiers" else {})})
    return from_spec({"extends": base, "code": f"{base}-synthetic-{n_components}", "nodes": nodes},
                     f"{base}-synthetic-{n_components}")


def component_rows(method: Method, n_units: int = 63, seed: int = 922, period: str = "2023") -> list[dict]:
    """Raw component inputs for every leaf of ``method`` (ratios in [0, 1], tier counts 0–4)."""
    rng = np.random.default_rng(seed)
    leaves = [n for n in (method.nodes[c] for c in method.score_tree()) if n.is_leaf and n.counts]
    rows = []
    for unit in unit_labels(n_units):
        skill = rng.uniform(0.3, 0.95)
        for node in leaves:
            if node.rule.kind == "tiers":
                value = float(rng.integers(0, 5))
            else:
                value = float(np.clip(rng.normal(skill, 0.15), 0, 1).round(4))
            rows.append({"unit": unit, "period": period, "indicator": node.code, "value": value})
    return rows


def svc766_rows(n_units: int = 20, period: str = "2025-10", seed: int = 766) -> list[dict]:
    """Rates in percent for every scored 766 indicator of ``n_units`` synthetic units (e.g. communes)."""
    rng = np.random.default_rng(seed)
    method = load_method("svc-766")
    leaves = [n.code for n in (method.nodes[c] for c in method.score_tree()) if n.is_leaf and n.counts]
    rows = []
    for unit in unit_labels(n_units):
        skill = rng.uniform(55, 98)
        for code in leaves:
            rate = float(np.clip(rng.normal(skill, 12), 0, 100).round(2))
            rows.append({"unit": unit, "period": period, "indicator": code, "value": rate})
    return rows


EXAMPLES = {
    "dti-922-synthetic-63.csv": lambda: dti_rows(63, ("2022", "2023"), seed=2022),
    "svc-766-synthetic-20.csv": lambda: svc766_rows(20, "2025-10", seed=766),
}


def write_examples(folder) -> list[str]:
    """(Re)write the synthetic example files shipped in ``tinhso/indices/examples``."""
    import csv
    from pathlib import Path

    from tinhso.core import cellsafe

    written = []
    for name, make in EXAMPLES.items():
        path = Path(folder) / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["unit", "period", "indicator", "value", "source"])
            writer.writeheader()
            for row in make():
                writer.writerow(cellsafe.csv_dict({**row, "source": "synthetic"}))
        written.append(str(path))
    return written


if __name__ == "__main__":  # python -m tinhso.indices.synthetic  → regenerates the example files
    from pathlib import Path

    print("\n".join(write_examples(Path(__file__).resolve().parent / "examples")))
