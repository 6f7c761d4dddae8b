"""Plans per province: a province may have several plans, and a plan of a former province belongs,
after the 2025 merger, to the province it went into.

Bình Thuận's Resolution 10 stays attached to the legacy unit ``legacy:60`` (its figures describe
that territory), but it is listed under Lâm Đồng (68), the province Bình Thuận merged into,
labelled "tỉnh cũ / former province". The installation's province
(``settings.PROVINCE_CODE``) comes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from tinhso.geo import registry
from tinhso.geo.models import Unit
from tinhso.indicators.models import Plan


def is_former(plan: Plan) -> bool:
    """The plan applies to a unit that no longer exists (a former province or commune)."""
    return not plan.unit.is_current


def current_provinces(plan: Plan) -> list[Unit]:
    """The current province(s) the plan's unit is in (its successors' for a former province)."""
    province = registry.province_of(plan.unit)
    if province is None:
        return []
    if province.is_current:
        return [province]
    return [edge.new for edge in registry.successors(province) if edge.new.is_current]


@dataclass
class ProvinceGroup:
    province: Unit | None
    rows: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.province.name if self.province else "—"

    @property
    def name_en(self) -> str:
        return self.province.name_en if self.province else ""


def by_province(queryset=None) -> list[ProvinceGroup]:
    """``[ProvinceGroup(province, [{"plan", "former", "former_name"}…])]``, newest plan first in each."""
    plans = queryset if queryset is not None else Plan.objects.select_related("unit").order_by("-document_date",
                                                                                               "code")
    groups: dict[int | None, ProvinceGroup] = {}
    for plan in plans:
        provinces = current_provinces(plan) or [None]
        former = is_former(plan)
        for province in provinces[:1]:  # a province goes whole into one successor
            key = province.pk if province else None
            group = groups.setdefault(key, ProvinceGroup(province))
            group.rows.append({"plan": plan, "former": former,
                               "former_name": registry.province_of(plan.unit).name if former and
                               registry.province_of(plan.unit) else plan.unit.name})
    return sorted(groups.values(), key=lambda g: (
        not (g.province and g.province.code == settings.PROVINCE_CODE), g.name))
