"""Routing: located commune + category + severity → the responsible handling unit.

Ordered :class:`~tinhso.reports.models.RoutingRule` rows; the first active rule (lowest
``order``, then id) whose conditions all match wins, and it is recorded on the report. An empty
condition matches anything. No match → the People's Committee of the commune where the report
was located. No committee either → ``None`` (the IOC forwards by hand).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinhso.reports.models import HandlingUnit, RoutingRule, UnitKind


@dataclass(frozen=True)
class Route:
    unit: HandlingUnit | None
    rule: RoutingRule | None

    @property
    def reason(self) -> str:
        if self.rule:
            return f"rule #{self.rule.order} {self.rule.name}".strip()
        return "default: commune People's Committee" if self.unit else "no unit found"


def route(*, category_id: int | None, commune_id: int | None, severity: str,
          rules: list[RoutingRule] | None = None) -> Route:
    """Pick the handling unit. ``rules`` may be preloaded (ordered) when routing many reports."""
    if rules is None:
        rules = list(RoutingRule.objects.filter(active=True, target__active=True)
                     .select_related("target").order_by("order", "id"))
    for rule in rules:
        if rule.category_id is not None and rule.category_id != category_id:
            continue
        if rule.commune_id is not None and rule.commune_id != commune_id:
            continue
        if rule.severity and rule.severity != severity:
            continue
        return Route(rule.target, rule)
    committee = None
    if commune_id is not None:
        committee = HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune_id=commune_id,
                                                active=True).first()
    return Route(committee, None)


def route_report(report, rules: list[RoutingRule] | None = None) -> Route:
    return route(category_id=report.category_id, commune_id=report.commune_id, severity=report.severity,
                 rules=rules)
