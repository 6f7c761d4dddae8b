"""Ranking levers: from the index what-if (:func:`tinhso.indices.whatif.analyse`), the cheapest set of
improvements (fewest main-index points) that would lift the province one or more places in a
composite index ranking (DTI, PCI, Decision 766 among provinces).

tinhso holds no national ranking dataset by itself: the detector reads the datasets listed in its
``datasets`` parameter (each ``{method, file, unit}``: a method code, a tidy CSV/XLSX file as
``tinhso index`` reads it, and the province's label in that file; ``unit`` defaults to the province's
name) and the optional setting ``TINHSO_INDEX_DATASETS`` (the same list, as JSON). With no dataset, or
when the province is not in it, it says nothing. For each dataset, the latest period, the target
ranks ``current − k`` for ``k`` in ``steps``: a finding per reachable target, with the allocation
(which main index, from what value to what value, how many points). The what-if is exact for additive
methods (knapsack); its confidence is 1 for exact methods, 0.8 otherwise.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings

from tinhso.analysis.findings import Context, Finding, Link

KIND = "ranking_levers"


def _datasets(params: dict) -> list[dict]:
    listed = list(params.get("datasets") or [])
    extra = os.environ.get("TINHSO_INDEX_DATASETS") or getattr(settings, "TINHSO_INDEX_DATASETS", "")
    if extra:
        listed += json.loads(extra) if isinstance(extra, str) else list(extra)
    return listed


def detect(ctx: Context) -> list[Finding]:
    from tinhso.geo.models import Unit
    from tinhso.indices import dataset as datasets
    from tinhso.indices import results, whatif
    from tinhso.indices.methodology import load_method

    entries = _datasets(ctx.params)
    if not entries:
        return []
    province = Unit.objects.filter(structure="current", level="province", code=settings.PROVINCE_CODE).first()
    out = []
    for entry in entries:
        path = Path(entry["file"])
        if not path.is_file():
            continue
        method = load_method(entry["method"], allow_files=False)
        comp = results.compute(datasets.read_file(method, path.read_bytes(), path.name))
        label = entry.get("unit") or (province.name if province else settings.PROVINCE_CODE)
        period = comp.period()
        if label not in period.units:
            continue
        base = whatif.analyse(comp, label)
        rank = base["current"]["rank"]
        for step in ctx.params["steps"]:
            target = rank - int(step)
            if target < 1:
                continue
            doc = whatif.analyse(comp, label, target_rank=target)
            imp = doc.get("improvement")
            if not doc.get("feasible") or not imp or not imp.get("allocation"):
                continue
            top = imp["allocation"][0]
            out.append(Finding(
                kind=KIND, unit_code=settings.PROVINCE_CODE, unit_name=province.name if province else label,
                unit_name_en=(province.name_en or "") if province else "",
                unit_kind="province", severity=round(3.0 + 2.0 / int(step), 3),
                confidence=1.0 if doc.get("exact") else 0.8,
                rule=f"what-if {method.code} {doc['period']}: fewest main-index points to reach rank {target}",
                figures={"month": f"{ctx.month:%Y-%m}", "method": method.code, "period": doc["period"],
                         "rank": rank, "target_rank": target, "score": doc["current"]["score"],
                         "score_needed": (doc.get("target") or {}).get("score_needed"),
                         "points": imp["points"], "score_gain": imp["score_gain"], "units": doc["units"],
                         "levers": len(imp["allocation"]), "top_points": top["points"],
                         "top_from": top["from"], "top_to": top["to"]},
                subject={"index": method.code, "dataset_unit": label, "lever": top["node"], "lever_vi": top["name"],
                         "lever_en": top.get("name_en") or top["name"],
                         "allocation": imp["allocation"]},
                links=[Link("Phân tích chỉ số (what-if)", "Index what-if", "/chi-so")],
                area="indices"))
    return out
