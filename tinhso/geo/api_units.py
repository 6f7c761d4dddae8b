"""``/api/v1/units``: search the administrative-units registry and read one unit with its crosswalk.

Thin: parameters go to :mod:`tinhso.geo.registry` as given (as text), so a bad level, date or
limit comes back as the registry's UserError body (``{"error": {...}}``, status 400), and an
unknown code as 404.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from tinhso.core.api_schemas import ErrorOut
from tinhso.geo import registry

router = Router()


class UnitRef(Schema):
    code: str
    name: str


class UnitOut(Schema):
    code: str
    name: str
    short_name: str
    name_en: str
    level: str
    unit_type: str
    structure: str
    province: UnitRef | None
    parent: UnitRef | None
    lat: float | None
    lon: float | None
    area_km2: float | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class CrosswalkEdge(Schema):
    code: str
    name: str
    level: str
    structure: str
    whole: bool
    is_default: bool


class UnitDetail(UnitOut):
    predecessors: list[CrosswalkEdge]
    successors: list[CrosswalkEdge]


@router.get("/units", response={200: list[UnitOut], 400: ErrorOut}, summary="Search administrative units")
def search_units(request, q: str = "", level: str | None = None, province: str | None = None,
                 at: str | None = None, structure: str | None = None, limit: str = "50"):
    """By code (exact, zero padding optional) or by name with or without diacritics.

    Current units rank before legacy ones for equally good matches; ``at=YYYY-MM-DD`` keeps the
    units that existed that day.
    """
    units = registry.search(q, level=level, province=province, at=at, structure=structure, limit=limit)
    return [registry.unit_as_dict(u) for u in units]


@router.get("/units/{code}", response={200: UnitDetail, 400: ErrorOut, 404: ErrorOut},
            summary="One administrative unit with predecessors and successors")
def get_unit(request, code: str, structure: str = "current"):
    return registry.unit_detail(registry.get_unit(code, structure=structure))
