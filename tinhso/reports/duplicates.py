"""Duplicates: nearby open reports of the same category, and merging a child into a parent.

Suggestions (FixMyStreet's defaults): open reports of the same category within 250 m, made in
the last 30 days, nearest first, at most 5. One SQL query does the whole search, the same on
SQLite and PostgreSQL: a bounding box read from the partial index ``reports_open_nearby``
(category, lat, lon of the open reports; "open" is written as that index's condition), the great-circle
(haversine) distance as an SQL expression, the radius filter, ``ORDER BY distance, id`` and the
limit; only the (at most 5) suggestions come back as rows. The expression repeats
:func:`distance_m`'s arithmetic operation for operation (degrees to radians by the same constant,
the same libm functions), so the answers are those of the Python formula (checked against it on
random points in ``tests/reports/test_duplicates_sql.py``). The same query tells which
suggestions the public may list, so :func:`listable` needs no second query.

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
from tinhso.core.rowreader import RowReader
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
    """Open same-category reports within ``radius_m`` of the point (the report's own, if given),
    nearest first (ties by id), at most ``limit``; each with ``distance_m`` (metres, 0.1 m)."""
    if report is not None:
        category_id, lat, lon = report.category_id, report.lat, report.lon
        now = now or report.created_at
    now = now or timezone.now()
    if limit <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*search_statement(category_id, lat, lon, now, report.pk if report is not None else None,
                                         radius_m=radius_m, days=days, limit=limit))
        return suggestions(cursor.fetchall())


def search_statement(category_id: int, lat: float, lon: float, now: dt.datetime, exclude_id: int | None = None,
                     *, radius_m: float = RADIUS_M, days: int = WINDOW_DAYS, limit: int = LIMIT,
                     listed_only: bool = False) -> tuple[str, list]:
    """The search of :func:`find_nearby` as ``(sql, params)``, for a caller that runs it itself (intake runs
    it in the statement that writes the new report: :func:`tinhso.core.fastinsert.combined`).
    ``listed_only``: of the same nearest ``limit``, only the rows :func:`listable` would keep come back
    (a submission shows no other: the rest are neither sent nor converted)."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    ops = connection.ops
    p1 = math.radians(lat)
    dp, dl = [_RADIANS, p1], [lon, _RADIANS]  # the parameters of dp and dl in the SQL (each written twice)
    params = [*dp, *dp, math.cos(p1), _RADIANS, *dl, *dl,
              category_id, ops.adapt_datetimefield_value(now - dt.timedelta(days=days)),
              ops.adapt_datetimefield_value(now + dt.timedelta(seconds=1)), lat - dlat, lat + dlat,
              lon - dlon, lon + dlon, State.MERGED, exclude_id or -1, radius_m, max(0, limit)]
    return _search_sql(listed_only), params


def suggestions(rows: list[tuple]) -> list[Report]:
    """The search's rows as reports, nearest first (ties by id, as its ``ORDER BY``)."""
    found = [_suggestion(row) for row in rows]
    found.sort(key=lambda r: (r.distance, r.pk))
    return found


def _suggestion(row: tuple) -> Report:
    """A row of the search as a :class:`Report` with only the suggestion's columns loaded (the others
    deferred), ``distance_m`` and ``listed`` (``raw()`` would do the same, but re-derives its column
    mapping and converters on every call: ≈ 70 % of the search's Python time at intake)."""
    report = _read_suggestion(row)
    report.distance = row[-2]
    report.distance_m = round(row[-2], 1)
    report.listed = bool(row[-1])
    return report


def _suggestion_fields() -> list:
    """The columns the search selects, in the model's order."""
    return [f for f in Report._meta.concrete_fields if f.attname in SUGGESTION_FIELDS]


_read_suggestion = RowReader(Report, [f.attname for f in _suggestion_fields()])


def listable(found: list[Report]) -> list[Report]:
    """Of ``found``, the reports the public may list (:data:`~tinhso.reports.models.PUBLIC_LISTING`),
    in the same order: the only suggestions a citizen or an API client may be shown, so the codes
    of unverified, rejected or unpublished reports never leak. Reports from :func:`find_nearby`
    already carry the answer (``listed``, from the same query); others are checked in the database."""
    if not found:
        return []
    if all(isinstance(getattr(r, "listed", None), bool) for r in found):
        return [r for r in found if r.listed]
    keep = set(Report.objects.filter(PUBLIC_LISTING, pk__in=[r.pk for r in found]).values_list("pk", flat=True))
    return [r for r in found if r.pk in keep]


# math.radians(x) is x * (pi / 180) in double precision: the SQL multiplies by the same constant
# rather than calling the database's RADIANS(), whose constant may differ in the last bit.
_RADIANS = math.pi / 180.0
_sql_cache: dict[str, str] = {}


def _search_sql(listed_only: bool = False) -> str:
    """The search's SQL for this connection's database (built once per database vendor).

    Parameters, in order: twice (radians per degree, the point's latitude in radians) for dp; the
    cosine of that latitude, radians per degree; twice (the point's longitude, radians per degree)
    for dl; category, since, until, the box (lat low, high, lon
    low, high), the merged state, the id to leave out; the radius, the limit.
    """
    vendor = connection.vendor
    if listed_only:
        key = f"{vendor}:listed"
        if key not in _sql_cache:
            _sql_cache[key] = f"SELECT * FROM ({_search_sql()}) nearest WHERE listed = 1 ORDER BY distance, id"
        return _sql_cache[key]
    if vendor not in _sql_cache:
        meta = Report._meta
        ops = connection.ops
        table = ops.quote_name(meta.db_table)
        column = {f.attname: f"{table}.{ops.quote_name(f.column)}" for f in meta.concrete_fields}
        fields = _suggestion_fields()
        # The public-listing condition compiled from the same Q as the partial indexes and
        # queries.public_q(), so the three cannot drift apart.
        listing = Report.objects.filter(PUBLIC_LISTING).query
        listing_sql, listing_params = listing.get_compiler(connection=connection).compile(listing.where)
        listed = _inline(listing_sql, listing_params)
        # "Open" written as the index reports_open_nearby's condition (the same Q compiled), not as a
        # parameter: the planner can then use that partial index, also in a prepared statement's plan.
        is_open = Report.objects.filter(is_open=True).query
        open_sql, open_params = is_open.get_compiler(connection=connection).compile(is_open.where)
        open_condition = _inline(open_sql, open_params)
        smaller = "LEAST" if vendor == "postgresql" else "MIN"
        # The 30-day window is checked on each row the box finds, never used to choose an index: written
        # as a plain column, it let a prepared statement's generic plan, built while the table was young
        # (before its first ANALYZE, both indexes cost the same), walk the created_at index instead —
        # every report of the window read at each submission until the next ANALYZE (auto_explain:
        # 4,990 rows filtered per search after 5,000 submissions; docs/benchmarks.md, "Intake, ninth
        # round"). "+ 0 seconds" (PostgreSQL) and a unary "+" (SQLite) keep the value and hide the index.
        created = (f"({column['created_at']} + INTERVAL '0 seconds')" if vendor == "postgresql"
                   else f"+{column['created_at']}")
        # distance_m(): p2 = radians(lat2); dp = p2 - p1; dl = radians(lon2 - lon1);
        # a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2; 2 R asin(min(1, sqrt(a)))
        dp = f"({column['lat']} * %s - %s)"
        dl = f"(({column['lon']} - %s) * %s)"
        a = (f"(SIN({dp} / 2) * SIN({dp} / 2) + (%s * COS({column['lat']} * %s)) * (SIN({dl} / 2) * SIN({dl} / 2)))")
        distance = f"{2 * EARTH_RADIUS_M!r} * ASIN({smaller}(1.0, SQRT({a})))"
        _sql_cache[vendor] = (
            f"SELECT * FROM (SELECT {', '.join(column[f.attname] for f in fields)}, {distance} AS distance, "
            f"CASE WHEN {listed} THEN 1 ELSE 0 END AS listed FROM {table} "
            f"WHERE {column['category_id']} = %s AND {open_condition} AND {created} >= %s "
            f"AND {created} <= %s AND {column['lat']} BETWEEN %s AND %s "
            f"AND {column['lon']} BETWEEN %s AND %s AND {column['state']} <> %s AND {column['id']} <> %s"
            f") near WHERE distance <= %s ORDER BY distance, id LIMIT %s")
    return _sql_cache[vendor]


def _inline(sql: str, params) -> str:
    """``sql`` with its (constant, trusted) parameters written in: the state names and booleans of
    :data:`PUBLIC_LISTING`, which never come from a request."""
    values = []
    for value in params:
        if isinstance(value, bool):
            values.append("TRUE" if value else "FALSE")
        elif isinstance(value, str) and value.isidentifier():
            values.append(f"'{value}'")
        else:
            raise ValueError(f"unexpected parameter in the public-listing condition: {value!r}")
    return sql % tuple(values)


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
