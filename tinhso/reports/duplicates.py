"""Duplicates: nearby open reports of the same category, and merging a child into a parent.

Suggestions (FixMyStreet's defaults): open reports of the same category within 250 m, made in
the last 30 days, nearest first, at most 5. A bounding box on the indexed (lat, lon) columns
narrows the candidates in the database; the exact great-circle distance is computed here, so
it works the same on SQLite and PostgreSQL.

Only :func:`listable` suggestions may be shown outside the IOC (the citizen's form, the submit
answers of the native API and Open311).

Merging: the child takes state ``merged`` and points at its parent; it keeps its tracking code,
and the citizen's tracking page follows the parent's status and result.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import connection
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.reports import workflow
from tinhso.reports.models import PUBLIC_LISTING, Report, State
from tinhso.reports.permissions import Actor

RADIUS_M = 250
WINDOW_DAYS = 30
LIMIT = 5
EARTH_RADIUS_M = 6_371_008.8
# The columns read for suggestions (attribute names).
SUGGESTION_FIELDS = frozenset({"id", "code", "state", "is_open", "public", "created_at", "lat", "lon", "category_id",
                               "description", "parent_id"})


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def find_nearby(report: Report | None = None, *, category_id: int | None = None, lat: float | None = None,
                lon: float | None = None, radius_m: float = RADIUS_M, days: int = WINDOW_DAYS,
                limit: int = LIMIT, now: dt.datetime | None = None) -> list[Report]:
    """Open same-category reports within ``radius_m`` of the point (the report's own, if given)."""
    if report is not None:
        category_id, lat, lon = report.category_id, report.lat, report.lon
        now = now or report.created_at
    now = now or timezone.now()
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    candidates = _candidates(category_id, (lat - dlat, lat + dlat), (lon - dlon, lon + dlon),
                             now - dt.timedelta(days=days), now + dt.timedelta(seconds=1),
                             report.pk if report is not None and report.pk else None)
    scored = sorted(((distance_m(lat, lon, r.lat, r.lon), r.pk, r) for r in candidates), key=lambda x: x[:2])
    result = []
    for d, _, r in scored:
        if d > radius_m or len(result) == limit:
            break
        r.distance_m = round(d, 1)
        result.append(r)
    return result


def listable(found: list[Report]) -> list[Report]:
    """Of ``found``, the reports the public may list (:data:`~tinhso.reports.models.PUBLIC_LISTING`),
    in the same order: the only suggestions a citizen or an API client may be shown, so the codes
    of unverified, rejected or unpublished reports never leak."""
    if not found:
        return []
    keep = set(Report.objects.filter(PUBLIC_LISTING, pk__in=[r.pk for r in found]).values_list("pk", flat=True))
    return [r for r in found if r.pk in keep]


def _candidates(category_id, lat_range, lon_range, since, until, exclude_pk) -> list[Report]:
    """Open, unmerged reports of the category in the box and period, newest first, at most 500.

    Raw SQL: this runs on every submission, and composing the equivalent queryset cost more than
    the search itself. Only the columns suggestions show are read; the others still load on
    access (deferred fields), so callers get complete reports.
    """
    meta = Report._meta
    fields = [f for f in meta.concrete_fields if f.attname in SUGGESTION_FIELDS]
    ops = connection.ops
    column = {f.attname: ops.quote_name(f.column) for f in meta.concrete_fields}
    sql = (f"SELECT {', '.join(column[f.attname] for f in fields)} FROM {ops.quote_name(meta.db_table)} "
           f"WHERE {column['category_id']} = %s AND {column['is_open']} = %s AND {column['created_at']} >= %s "
           f"AND {column['created_at']} <= %s AND {column['lat']} BETWEEN %s AND %s "
           f"AND {column['lon']} BETWEEN %s AND %s AND {column['state']} <> %s AND {column['id']} <> %s "
           f"ORDER BY {column['created_at']} DESC LIMIT 500")
    params = [category_id, True, ops.adapt_datetimefield_value(since), ops.adapt_datetimefield_value(until),
              *lat_range, *lon_range, State.MERGED, exclude_pk if exclude_pk is not None else -1]
    return list(Report.objects.raw(sql, params))


def root(report: Report) -> Report:
    """The report a merged child follows (the parent's parent, if it was merged too)."""
    seen = set()
    while report.parent_id and report.pk not in seen:
        seen.add(report.pk)
        report = report.parent
    return report


def merge(child: Report, parent: Report, actor: Actor, *, note: str = "",
          now: dt.datetime | None = None) -> Report:
    """Merge ``child`` into ``parent`` (operator). The child keeps its tracking code."""
    parent = root(parent)
    if parent.pk == child.pk:
        raise UserError("merge_self", "Không thể gộp phản ánh vào chính nó.", "A report cannot be merged into itself.",
                        field="parent")
    if parent.state in (State.REJECTED, State.MERGED):
        raise UserError("merge_target", f"Không thể gộp vào phản ánh {parent.code} đã bị từ chối.",
                        f"Cannot merge into {parent.code}: it was rejected.", field="parent", status=409)
    workflow.transition(child, "merge", actor, now=now, changes={"parent": parent},
                        note=note or f"Trùng với phản ánh {parent.code}. / Duplicate of {parent.code}.",
                        data={"parent": parent.code})
    return child
