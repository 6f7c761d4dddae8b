"""Routing: located commune + category + severity → the responsible handling unit.

Ordered :class:`~tinhso.reports.models.RoutingRule` rows; the first active rule (lowest
``order``, then id) whose conditions all match wins, and it is recorded on the report. An empty
condition matches anything. No match → the People's Committee of the commune where the report
was located. No committee either → ``None`` (the IOC forwards by hand).

The rules and the committee of each commune are kept per process
(:class:`~tinhso.core.process_cache.ProcessCache`, :data:`TABLE_TTL_SECONDS`): auto-forward
categories route every submission.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinhso.core.process_cache import ProcessCache, in_transaction
from tinhso.reports.models import HandlingUnit, RoutingRule, UnitKind

TABLE_TTL_SECONDS = 60.0  # an admin edit reaches the other server processes within this long


def forwarded_note(unit, *, automatic: bool = False, again: bool = False) -> str:
    """The history note of a forward, in both languages like the workflow's other system notes (the
    history is read in either): "Chuyển tự động đến Sở Y tế. / Forwarded automatically to Department of Health."."""
    en_name = getattr(unit, "name_en", "") or unit.name
    if automatic:
        return f"Chuyển tự động đến {unit.name}. / Forwarded automatically to {en_name}."
    if again:
        return f"Chuyển lại đến {unit.name}. / Forwarded again to {en_name}."
    return f"Chuyển đến {unit.name}. / Forwarded to {en_name}."


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
    # Inside a transaction the cache would reload the whole table for one report: query instead.
    table = None if in_transaction() else _table.get()
    if rules is None:
        rules = table.rules if table is not None else load_rules()
    for rule in rules:
        if rule.category_id is not None and rule.category_id != category_id:
            continue
        if rule.commune_id is not None and rule.commune_id != commune_id:
            continue
        if rule.severity and rule.severity != severity:
            continue
        return Route(rule.target, rule)
    if commune_id is None:
        return Route(None, None)
    if table is not None:
        return Route(table.committees.get(commune_id), None)
    return Route(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune_id=commune_id,
                                             active=True).first(), None)


@dataclass(frozen=True)
class RoutingTable:
    rules: list[RoutingRule]  # active, with an active target, in order
    committees: dict[int, HandlingUnit]  # current commune id → its active People's Committee


def load_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(active=True, target__active=True)
                .select_related("target").order_by("order", "id"))


def load_table() -> RoutingTable:
    # At most one committee per commune (a database constraint).
    committees = {unit.commune_id: unit for unit in HandlingUnit.objects.filter(
        kind=UnitKind.COMMUNE_COMMITTEE, active=True, commune__isnull=False)}
    return RoutingTable(load_rules(), committees)


_table: ProcessCache[RoutingTable] = ProcessCache("routing-table", load_table, ttl=TABLE_TTL_SECONDS,
                                                  models=(RoutingRule, HandlingUnit))


def route_report(report, rules: list[RoutingRule] | None = None) -> Route:
    return route(category_id=report.category_id, commune_id=report.commune_id, severity=report.severity,
                 rules=rules)
