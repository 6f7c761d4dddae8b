"""Duplicates: nearby open reports of the same category, and merging a child into a parent.

Suggestions (FixMyStreet's defaults): open reports of the same category within 250 m, made in
the last 30 days, nearest first, at most 5. A bounding box on the indexed (lat, lon) columns
narrows the candidates in the database; the exact great-circle distance is computed here, so
it works the same on SQLite and PostgreSQL.

Merging: the child takes state ``merged`` and points at its parent; it keeps its tracking code,
and the citizen's tracking page follows the parent's status and result.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.reports import workflow
from tinhso.reports.models import Report, State
from tinhso.reports.permissions import Actor

RADIUS_M = 250
WINDOW_DAYS = 30
LIMIT = 5
EARTH_RADIUS_M = 6_371_008.8
SUGGESTION_FIELDS = ("id", "code", "state", "is_open", "public", "created_at", "lat", "lon", "category_id",
                     "description", "parent_id")


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
    candidates = (Report.objects.filter(category_id=category_id, is_open=True, created_at__gte=now - dt.timedelta(days=days),
                                        created_at__lte=now + dt.timedelta(seconds=1),
                                        lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))
                  .exclude(state=State.MERGED))
    if report is not None and report.pk:
        candidates = candidates.exclude(pk=report.pk)
    # The columns suggestions show, not whole rows: this runs on every submission. Other fields
    # still load on access (deferred), so callers see complete reports.
    scored = sorted(((distance_m(lat, lon, r.lat, r.lon), r.pk, r) for r in candidates.only(*SUGGESTION_FIELDS)[:500]),
                    key=lambda x: x[:2])
    result = []
    for d, _, r in scored:
        if d > radius_m or len(result) == limit:
            break
        r.distance_m = round(d, 1)
        result.append(r)
    return result


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
