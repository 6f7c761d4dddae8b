"""The merged-province rule: after the 1 July 2025 merger a merged province's index is computed from the
arithmetic mean of its former provinces' main-index values (the DTI 2024 practice), then ranked among
the merged provinces. It works with any method: the "main indices" are the score node's children.

Groups come from a CSV (``new_unit,old_unit`` rows, matched to the input's unit labels as written) or
from the unit registry's province crosswalk (63 → 34; :func:`merge_provinces_2025`, where the input may
name provinces by code or by name). A unit of the input that belongs to no group stands for itself. A group is merged only when
every former unit has a value in the period: a mean over some of them would not be the published rule,
so a missing member is an error naming it.
"""

from __future__ import annotations

import numpy as np

from tinhso.core.errors import UserError
from tinhso.core.tabular import cell_text, read_table
from tinhso.core.text import fold
from tinhso.indices import engine
from tinhso.indices.dataset import IndexDataset, PeriodInput


def _invalid(vi: str, en: str, details=None) -> UserError:
    return UserError("merge_invalid", vi, en, field="merge", details=details)


def read_groups(content: bytes, filename: str) -> dict[str, list[str]]:
    """``new_unit,old_unit`` rows (a header row is recognised and skipped) → {new: [old, …]}."""
    groups: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    errors = []
    rows = read_table(content, filename)
    for n, row in enumerate(rows, start=1):
        cells = [cell_text(c) for c in row] + ["", ""]
        new, old = cells[0], cells[1]
        if n == 1 and fold(new) in ("new_unit", "new", "don vi moi", "tinh moi"):
            continue
        if not new and not old:
            continue
        if not new or not old:
            errors.append({"row": n, "column": "new_unit" if not new else "old_unit", "reason": "bắt buộc / required"})
            continue
        if old in owner and owner[old] != new:
            errors.append({"row": n, "column": "old_unit",
                           "reason": f"{old} đã thuộc {owner[old]} / {old} already belongs to {owner[old]}"})
            continue
        owner[old] = new
        groups.setdefault(new, [])
        if old not in groups[new]:
            groups[new].append(old)
    if errors:
        raise _invalid("Tệp nhóm hợp nhất có lỗi", "The merge file has errors", errors)
    if not groups:
        raise _invalid("Tệp nhóm hợp nhất không có dòng nào", "The merge file has no rows")
    return groups


def province_groups_2025() -> tuple[dict[str, list[str]], dict[str, str]]:
    """New province code → former province codes, and the new provinces' names, from the unit registry
    (``tinhso init`` loads it)."""
    from tinhso.geo.models import Level, Succession

    groups: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for edge in Succession.objects.filter(old__level=Level.PROVINCE).select_related("old", "new").order_by(
            "new__code", "old__code"):
        groups.setdefault(edge.new.code, []).append(edge.old.code)
        names[edge.new.code] = edge.new.name
    if not groups:
        raise UserError("registry_empty", "Chưa nạp danh mục đơn vị hành chính: chạy `tinhso init`",
                        "The unit registry is not loaded: run `tinhso init`", status=503)
    return groups, names


def legacy_province_codes(labels: list[str]) -> dict[str, str]:
    """Map unit labels (codes like "60", or names like "Bình Thuận", "TP. Đà Nẵng") to legacy province codes."""
    from tinhso.geo.models import Level, Structure, Unit

    by_key: dict[str, str] = {}
    for unit in Unit.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE):
        for text in (unit.code, unit.name, unit.short_name, unit.code.lstrip("0")):
            by_key[fold(text)] = unit.code
    for alias in ("tp hcm", "tphcm", "hcm", "tp ho chi minh", "thanh pho ho chi minh"):
        by_key.setdefault(alias, "79")
    found = {}
    for label in labels:
        key = fold(label).replace(".", " ").replace("  ", " ").strip()
        for prefix in ("tinh ", "thanh pho ", "tp "):
            if key.startswith(prefix) and key not in by_key:
                key = key[len(prefix):]
        if key in by_key:
            found[label] = by_key[key]
    return found


def merge_provinces_2025(data: IndexDataset) -> IndexDataset:
    """The 2025 merger applied with the registry: former provinces by code or name → the 34 provinces."""
    groups, names = province_groups_2025()
    labels = sorted({u for p in data.periods.values() for u in p.units})
    return merge_dataset(data, groups, names, aliases=legacy_province_codes(labels))


def merge_dataset(data: IndexDataset, groups: dict[str, list[str]], names: dict[str, str] | None = None,
                  aliases: dict[str, str] | None = None) -> IndexDataset:
    """A new dataset whose units are the merged ones, given at the main-index level; ``aliases`` maps
    input labels (e.g. province names) to the group members' codes."""
    method = data.method
    columns = [method.columns[c] for c in method.score_node.children]
    members = {old for olds in groups.values() for old in olds}
    label_code = {u: c for u, c in (aliases or {}).items() if c in members and u not in members}
    group_of = {old: new for new, olds in groups.items() for old in olds}
    periods: dict[str, PeriodInput] = {}
    problems = []
    for period, pdata in data.periods.items():
        values = engine.evaluate(method, pdata.given)
        rows = {label_code.get(u, u): i for i, u in enumerate(pdata.units)}
        merged_units: list[str] = []
        merged_rows: list[np.ndarray] = []
        for new, olds in groups.items():
            present = [o for o in olds if o in rows]
            if not present:
                continue
            absent = [o for o in olds if o not in rows]
            if absent:
                problems.append({"period": period, "unit": new, "missing_members": absent})
                continue
            block = values[[rows[o] for o in olds]][:, columns]
            merged_units.append(new)
            merged_rows.append(block.mean(axis=0))  # NaN when a member lacks the index: no partial means
        for unit, i in rows.items():
            if unit not in group_of:
                merged_units.append(unit)
                merged_rows.append(values[i, columns])
        given = np.full((len(merged_units), len(method.order)), np.nan)
        if merged_units:
            given[:, columns] = np.vstack(merged_rows)
        periods[period] = PeriodInput(units=merged_units, given=given)
    if problems:
        listed = "; ".join(f"{p['unit']} ({p['period']}): {', '.join(p['missing_members'])}" for p in problems[:10])
        raise _invalid(f"Thiếu số liệu của đơn vị cũ để hợp nhất: {listed}",
                       f"Former units missing, cannot merge: {listed}", problems)
    return IndexDataset(method=method, periods=periods, unit_names={**data.unit_names, **(names or {})})
