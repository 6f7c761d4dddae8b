"""Statistics per handling unit and per category — the figures Vietnamese provinces publish.

For reports received in ``[since, until)`` (default: everything):

- ``received``: reports received;
- ``resolved``: of those, resolved (state resolved or closed);
- ``on_time``/``on_time_rate``: resolved no later than the handle deadline / resolved;
- ``median_handling_hours``: median time from receipt to resolution, in calendar hours;
- ``rated``, ``avg_rating``, ``satisfaction_rate``: ratings given, their mean, share rated 4–5.

``overdue_backlog`` is a snapshot at ``now``: open reports whose running clock is past due,
whatever their receipt date. Rates are ``None`` when their denominator is 0 (never a fake 0 %).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import defaultdict

from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from tinhso.core import cellsafe
from tinhso.reports import sla
from tinhso.reports.models import Report, State

RESOLVED = Q(state__in=(State.RESOLVED, State.CLOSED), resolved_at__isnull=False)
COLUMNS = ["key", "name", "received", "resolved", "on_time", "on_time_rate", "overdue_backlog",
           "median_handling_hours", "rated", "avg_rating", "satisfaction_rate"]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _group_stats(key: str, name: str, *, since=None, until=None, now=None, synthetic=None) -> list[dict]:
    now = now or timezone.now()
    qs = Report.objects.all()
    if synthetic is not None:
        qs = qs.filter(synthetic=synthetic)
    period = qs
    if since:
        period = period.filter(created_at__gte=since)
    if until:
        period = period.filter(created_at__lt=until)
    rows = {
        r[key]: r for r in period.values(key, name).annotate(
            received=Count("id"),
            resolved=Count("id", filter=RESOLVED),
            on_time=Count("id", filter=RESOLVED & Q(resolved_at__lte=F("handle_due"))),
            rated=Count("rating"),
            avg_rating=Avg("rating"),
            satisfied=Count("id", filter=Q(rating__gte=4)),
        )
    }
    backlog = dict(qs.filter(sla.overdue_q(now)).values_list(key).annotate(n=Count("id")))
    durations: dict[object, list[float]] = defaultdict(list)
    for group, created, resolved in period.filter(RESOLVED).values_list(key, "created_at", "resolved_at"):
        durations[group].append((resolved - created).total_seconds() / 3600)
    names = {}
    for group, label in qs.filter(**{f"{key}__in": list(backlog)}).values_list(key, name).distinct():
        names[group] = label
    out = []
    for group in sorted(set(rows) | set(backlog), key=lambda g: (g is None, str(g))):
        r = rows.get(group, {})
        resolved = r.get("resolved", 0)
        times = durations.get(group)
        out.append({
            "key": group,
            "name": r.get(name) or names.get(group) or "",
            "received": r.get("received", 0),
            "resolved": resolved,
            "on_time": r.get("on_time", 0),
            "on_time_rate": _rate(r.get("on_time", 0), resolved),
            "overdue_backlog": backlog.get(group, 0),
            "median_handling_hours": round(statistics.median(times), 2) if times else None,
            "rated": r.get("rated", 0),
            "avg_rating": round(r["avg_rating"], 2) if r.get("avg_rating") is not None else None,
            "satisfaction_rate": _rate(r.get("satisfied", 0), r.get("rated", 0)),
        })
    return out


def unit_stats(*, since: dt.datetime | None = None, until: dt.datetime | None = None,
               now: dt.datetime | None = None, synthetic: bool | None = None) -> list[dict]:
    """One row per handling unit (``key`` = unit code; ``None`` = not yet assigned)."""
    return _group_stats("handling_unit__code", "handling_unit__name", since=since, until=until, now=now,
                        synthetic=synthetic)


def category_stats(*, since: dt.datetime | None = None, until: dt.datetime | None = None,
                   now: dt.datetime | None = None, synthetic: bool | None = None) -> list[dict]:
    """One row per category (``key`` = category code)."""
    return _group_stats("category__code", "category__name_vi", since=since, until=until, now=now,
                        synthetic=synthetic)


def write_csv(rows: list[dict], file) -> None:
    writer = csv.DictWriter(file, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else cellsafe.csv_value(row.get(k))) for k in COLUMNS})


def stats_csv(kind: str = "unit", **filters) -> str:
    rows = unit_stats(**filters) if kind == "unit" else category_stats(**filters)
    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue()
