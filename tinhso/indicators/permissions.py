"""Who may enter plan figures, and for which units.

Entering figures (the import page, ``/ke-hoach/<plan>/nhap``) needs the permission
``indicators.import_observations`` (the planner role of :mod:`tinhso.core.roles`; the
administrator holds every permission). *Which* units' figures: the planner's scope
(:func:`tinhso.core.roles.geo_scope`, from their memberships):

- province-wide (no unit, a provincial department, the IOC): any unit of the installation
  province (``settings.PROVINCE_CODE``) and of the former provinces merged into it, e.g. the
  Bình Thuận plan (``legacy:60``) of Lâm Đồng (68);
- a commune People's Committee: that commune, and a former unit only if every unit it went into
  is in the scope.

Plans and figures themselves are public pages; only writing is guarded.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from tinhso.core import roles
from tinhso.geo import registry
from tinhso.geo.models import Unit

IMPORT = "indicators.import_observations"


def may_import(user) -> bool:
    """Holds the planner's permission and has a scope to use it in."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(IMPORT) and import_scope(user))


def import_scope(user) -> roles.Scope:
    return roles.geo_scope(user, roles.PLANNER)


def _current_provinces(unit: Unit) -> set[str]:
    province = registry.province_of(unit)
    if province is None:
        return set()
    if province.is_current:
        return {province.code}
    return {edge.new.code for edge in registry.successors(province)}


def unit_checker(scope: roles.Scope) -> Callable[[Unit], bool]:
    """A predicate "may this scope write figures of ``unit``?" (answers cached per unit)."""
    answers: dict[int, bool] = {}

    def allowed(unit: Unit) -> bool:
        if unit.pk not in answers:
            if scope.province_wide:
                answers[unit.pk] = settings.PROVINCE_CODE in _current_provinces(unit)
            elif unit.is_current:
                answers[unit.pk] = unit.pk in scope.unit_ids
            else:
                after = {edge.new_id for edge in registry.successors(unit)}
                answers[unit.pk] = bool(after) and after <= scope.unit_ids
        return answers[unit.pk]

    return allowed
