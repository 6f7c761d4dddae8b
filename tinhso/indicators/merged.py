"""The merged-unit view: a current unit's series combined from the former units it was formed from.

Lâm Đồng (current 68) was formed on 1 July 2025 from Bình Thuận (60), Đắk Nông (67) and the old Lâm
Đồng (68). For each indicator and year, the former provinces' figures are combined by the
indicator's aggregation rule:

- ``sum``: added up, only when every former unit reported and each went *whole* into the new one;
- ``weighted_mean``: Σ wᵢ·xᵢ / Σ wᵢ with the named weight series (population, households, GRDP…),
  each weight shown with its source; without a sourced weight for every part the year is
  "weights missing", never an unweighted guess;
- ``not_aggregable``: shown side by side and marked "not comparable".

A year where some former unit has no figure is "incomplete" (which ones are listed).
"""

from __future__ import annotations

from tinhso.core.errors import UserError
from tinhso.geo import registry
from tinhso.indicators.models import AdminLevel, Aggregation, Indicator, Observation, WeightValue
from tinhso.indicators.observations import current_rows, resolve_unit, unit_ref

COMBINED = "combined"
INCOMPLETE = "incomplete"
NOT_COMPARABLE = "not_comparable"
WEIGHTS_MISSING = "weights_missing"
PARTIAL_TERRITORY = "partial_territory"
BAD_WEIGHTS = "bad_weights"

STATUS_LABELS = {
    COMBINED: ("Đã gộp", "Combined"),
    INCOMPLETE: ("Thiếu số liệu của một số tỉnh cũ", "Incomplete: some former units have no figure"),
    NOT_COMPARABLE: ("Không so sánh/gộp được", "Not comparable"),
    WEIGHTS_MISSING: ("Thiếu trọng số có nguồn", "Weights with a source are missing"),
    PARTIAL_TERRITORY: ("Đơn vị cũ chỉ nhập một phần: không cộng được", "A former unit only partly merged"),
    BAD_WEIGHTS: ("Trọng số phải dương", "Weights must be positive"),
}


def weight_for(name: str, unit, period: int) -> WeightValue | None:
    """The weight for ``period``, else the latest earlier one (latest entry counts)."""
    return (WeightValue.objects.filter(name=name, unit=unit, period__lte=period).select_related("source")
            .order_by("-period", "-entered_at", "-id").first())


def _combined_qualifier(parts: list[Observation]) -> str:
    quals = {p.qualifier for p in parts}
    if quals <= {""}:
        return ""
    if quals <= {"", ">", ">="}:
        return ">"
    return "~"


def combine_year(indicator: Indicator, period: int, formers: list, edges: dict, by_unit: dict) -> dict:
    """Combine one year; ``by_unit`` maps a former unit's pk to its observations by period."""
    parts = []
    missing = []
    for unit in formers:
        obs = by_unit.get(unit.pk, {}).get(period)
        if obs is None:
            missing.append(unit)
            continue
        parts.append((unit, obs))
    entry: dict = {
        "period": period,
        "parts": [{"unit": unit_ref(u), "name": u.name, "name_en": u.name_en, "value": o.value, "qualifier": o.qualifier,
                   "source": o.source.title, "source_url": o.source.url} for u, o in parts],
        "value": None, "qualifier": "",
    }
    if indicator.aggregation == Aggregation.NOT_AGGREGABLE:
        entry["status"] = NOT_COMPARABLE
        entry["reason"] = indicator.aggregation_note or "aggregation rule: not aggregable"
        return entry
    if missing:
        entry["status"] = INCOMPLETE
        entry["missing"] = [{"unit": unit_ref(u), "name": u.name, "name_en": u.name_en} for u in missing]
        return entry
    if any(not edges[u.pk].whole for u, _ in parts):
        entry["status"] = PARTIAL_TERRITORY
        return entry
    values = [o.value for _, o in parts]
    if indicator.aggregation == Aggregation.SUM:
        entry.update(status=COMBINED, value=sum(values), method="sum")
    else:
        weights = []
        for (u, _), part in zip(parts, entry["parts"]):
            w = weight_for(indicator.weight_name, u, period)
            part["weight"] = w.value if w else None
            part["weight_period"] = w.period if w else None
            part["weight_source"] = w.source.citation() if w else None
            weights.append(w)
        if any(w is None for w in weights):
            entry["status"] = WEIGHTS_MISSING
            entry["missing_weights"] = [unit_ref(u) for (u, _), w in zip(parts, weights) if w is None]
            return entry
        if any(w.value <= 0 for w in weights):  # a zero or negative weight has no meaning (and Σw may be 0)
            entry["status"] = BAD_WEIGHTS
            entry["bad_weights"] = [unit_ref(u) for (u, _), w in zip(parts, weights) if w.value <= 0]
            return entry
        total = sum(w.value for w in weights)
        entry.update(status=COMBINED, value=sum(w.value * v for w, v in zip(weights, values)) / total,
                     method=f"weighted mean by {indicator.weight_name}")
    entry["qualifier"] = _combined_qualifier([o for _, o in parts])
    return entry


def merged_view(unit: str, indicator_codes: list[str] | None = None) -> dict:
    target = resolve_unit(unit)
    edges = [e for e in registry.predecessors(target) if e.old.level == target.level]
    if not edges:
        raise UserError("no_predecessors", f"{target.name} không có đơn vị tiền thân cùng cấp",
                        f"{target.name} has no former units of the same level", field="unit", status=404)
    formers = [e.old for e in edges]
    edge_by_pk = {e.old.pk: e for e in edges}
    if indicator_codes:
        indicators = list(Indicator.objects.filter(code__in=indicator_codes))
        unknown = set(indicator_codes) - {i.code for i in indicators}
        if unknown:
            raise UserError("indicator_not_found", f"Không có chỉ tiêu {sorted(unknown)}",
                            f"Unknown indicators {sorted(unknown)}", field="indicator", status=404)
    else:
        with_data = Observation.objects.counted().filter(unit__in=formers, value__isnull=False).values("indicator")
        indicators = list(Indicator.objects.filter(pk__in=with_data))
    result = []
    for ind in indicators:
        by_unit = {u.pk: {o.period: o for o in current_rows(ind, u, AdminLevel.ALL) if o.value is not None}
                   for u in formers}
        periods = sorted({p for series in by_unit.values() for p in series})
        years = [combine_year(ind, p, formers, edge_by_pk, by_unit) for p in periods]
        result.append({
            "code": ind.code, "name": ind.name_vi, "name_en": ind.name_en, "unit_of_measure": ind.unit_of_measure,
            "aggregation": ind.aggregation, "weight_name": ind.weight_name,
            "aggregation_note": ind.aggregation_note,
            "comparable": ind.aggregation != Aggregation.NOT_AGGREGABLE,
            "series": years,
        })
    return {
        "unit": {"ref": unit_ref(target), "name": target.name, "name_en": target.name_en},
        "formers": [{"ref": unit_ref(e.old), "name": e.old.name, "name_en": e.old.name_en, "whole": e.whole, "source": e.source}
                    for e in edges],
        "indicators": result,
        "statuses": {k: {"vi": vi, "en": en} for k, (vi, en) in STATUS_LABELS.items()},
    }
