"""The units registry as web pages: ``/don-vi-hanh-chinh`` (search) and one unit with the units it
came from and went into on 1 July 2025, on a map.

Thin: searching and the crosswalk are :mod:`tinhso.geo.registry`'s; this module picks the labels
of the reader's language and draws the outlines of the active boundary version (points where a
unit has none, e.g. provinces and legacy districts).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now, local_name
from tinhso.core.text import fold
from tinhso.geo import registry
from tinhso.geo.models import Boundary, Level, Structure, Unit

PAGE_LIMIT = 100
MAP_TOLERANCE_DEG = 0.0005  # ~55 m: outlines for reading, not for locating
STRUCTURE_SLUGS = {"hien-hanh": Structure.CURRENT, "truoc-1-7-2025": Structure.LEGACY}
SLUG_OF = {v: k for k, v in STRUCTURE_SLUGS.items()}
LEVEL_LABELS = {Level.PROVINCE: _("tỉnh, thành phố"), Level.DISTRICT: _("huyện, quận, thị xã"),
                Level.COMMUNE: _("xã, phường, đặc khu")}
STRUCTURE_LABELS = {Structure.CURRENT: _("hiện hành (từ 1/7/2025)"), Structure.LEGACY: _("trước 1/7/2025")}


_english = english_now  # tinhso.core.i18n


def unit_url(unit: Unit) -> str:
    return reverse("geo-unit", args=[SLUG_OF[unit.structure], unit.code])


def _row(unit: Unit) -> dict:
    return {"code": unit.code, "name": local_name(unit),
            "name_vi": unit.name, "level": LEVEL_LABELS.get(unit.level, unit.level),
            "structure": unit.structure, "structure_label": STRUCTURE_LABELS.get(unit.structure, unit.structure),
            "parent": local_name(unit.parent) if unit.parent_id and unit.parent else "", "url": unit_url(unit),
            "valid_to": unit.valid_to}


def _error(request: HttpRequest, error: UserError, template: str, context: dict) -> HttpResponse:
    message = error.message_en if _english() else error.message_vi
    return render(request, template, context | {"error": message, "error_code": error.code}, status=error.status)


@require_GET
def units(request: HttpRequest) -> HttpResponse:
    """Search by name (case and diacritics optional) or code; without a query, the province's communes."""
    q = (request.GET.get("q") or "").strip()[:200]
    structure = request.GET.get("cau-truc") or ""
    level = request.GET.get("cap") or ""
    context = {"q": q, "structure": structure, "level": level, "levels": LEVEL_LABELS.items(),
               "structures": [(SLUG_OF[k], v) for k, v in STRUCTURE_LABELS.items()], "summary": registry.summary()}
    province = registry.installation_province()
    try:
        if q:
            found = registry.search(q, level=level or None, structure=STRUCTURE_SLUGS.get(structure) if structure
                                    else None, limit=PAGE_LIMIT)
            context["heading"] = None
        else:
            qs = Unit.objects.none()
            if province is not None:
                qs = (Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE,
                                          province_code=province.province_code).select_related("parent")
                      .order_by("name_ascii"))
            found = list(qs[:500])
            context["heading"] = province
    except UserError as error:
        return _error(request, error, "geo/units.html", context | {"results": []})
    if structure and structure not in STRUCTURE_SLUGS:
        found = []
    context["results"] = [_row(u) for u in found]
    if context.get("heading") is not None:  # the province's communes by the name shown (English or Vietnamese)
        context["results"].sort(key=lambda row: (fold(row["name"]), row["code"]))
    context["province_url"] = unit_url(province) if province is not None else ""
    return render(request, "geo/units.html", context)


def _features(roles: list[tuple[Unit, str]]) -> dict:
    """GeoJSON of the units: outlines of the active boundary version, else the registry's point."""
    import shapely

    from tinhso.geo.boundaries import active_version

    version = active_version()
    shapes = {}
    if version is not None:
        for unit_id, wkb in Boundary.objects.filter(version=version, unit__in=[u for u, _ in roles]) \
                .values_list("unit_id", "wkb"):
            geometry = shapely.simplify(shapely.from_wkb(bytes(wkb)), MAP_TOLERANCE_DEG, preserve_topology=True)
            shapes[unit_id] = shapely.set_precision(geometry, 1e-5)
    features = []
    for unit, role in roles:
        geometry = shapes.get(unit.pk)
        if geometry is not None and not geometry.is_empty:
            geo = shapely.geometry.mapping(geometry)
        elif unit.lat is not None and unit.lon is not None:
            geo = {"type": "Point", "coordinates": [round(unit.lon, 5), round(unit.lat, 5)]}
        else:
            continue
        features.append({"type": "Feature", "geometry": geo,
                         "properties": {"code": unit.code, "name": unit.name, "role": role, "url": unit_url(unit)}})
    return {"type": "FeatureCollection", "features": features}


@require_GET
def unit(request: HttpRequest, structure: str, code: str) -> HttpResponse:
    try:
        if structure not in STRUCTURE_SLUGS:
            raise UserError("unknown_structure", "Cấu trúc phải là hiện hành hoặc trước 1/7/2025.",
                            "The structure must be current or before 1 July 2025.", field="structure", status=404)
        found = registry.get_unit(code, structure=STRUCTURE_SLUGS[structure])
    except UserError as error:
        return _error(request, error, "geo/unit.html", {"unit": None})
    predecessors = registry.predecessors(found)
    successors = registry.successors(found)
    chain, node = [], found.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    children = registry.members(found)
    # A unit with no successor of its own whose members have one: a district abolished on 1 July 2025.
    via_members = registry.successors_of_members(found) if not successors and children else []
    edges_in = [(e.old, e) for e in predecessors]
    edges_out = [(e.new, e) for e in successors]
    roles = [(found, "self")] + [(u, "predecessor") for u, _ in edges_in] + [(u, "successor") for u, _ in edges_out] \
        + [(u, "successor") for u in via_members]
    context = {
        "unit": _row(found), "obj": found, "chain": [_row(u) for u in chain],
        "predecessors": [_row(u) | {"whole": e.whole, "is_default": e.is_default} for u, e in edges_in],
        "successors": [_row(u) | {"whole": e.whole, "is_default": e.is_default} for u, e in edges_out],
        "children": [_row(u) for u in children], "via_members": [_row(u) for u in via_members],
        "map": _features(roles), "map_page": True,
    }
    return render(request, "geo/unit.html", context)
