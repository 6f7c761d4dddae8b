"""Pre-aggregated report figures for the wall (:class:`~tinhso.ioc.models.ReportDay`).

How they stay fresh: saving a report marks the local day it was received as dirty (one upsert
per save: :func:`mark_dirty`); :func:`refresh` recomputes each dirty day from that day's reports
only and clears the mark, unless the day was marked again meanwhile. The wall calls
:func:`refresh` before reading (a no-op query when nothing changed) and ``tinhso ioc refresh``
does the same from cron; ``tinhso ioc rebuild`` recomputes everything (after a bulk load that
bypassed model saves, such as the synthetic demo generator).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.db.models.signals import post_save
from django.utils import timezone

from tinhso.ioc.models import DirtyDay, ReportDay

# Handling-time buckets (hours since receipt) for medians over any period: bucket i holds
# [EDGES[i], EDGES[i+1]); the last one is open-ended.
HOURS_EDGES = (0, 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720)
GROUP_KEYS = ("handling_unit_id", "commune_id", "category_id")


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_tz()).date()


def day_bounds(first: dt.date, last_exclusive: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = local_tz()
    return (dt.datetime.combine(first, dt.time(), tzinfo=tz), dt.datetime.combine(last_exclusive, dt.time(), tzinfo=tz))


def mark_dirty(day: dt.date) -> None:
    DirtyDay.objects.bulk_create([DirtyDay(day=day, marked_at=timezone.now())], update_conflicts=True,
                                 unique_fields=["day"], update_fields=["marked_at"])


def _on_report_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw and instance.created_at is not None:
        mark_dirty(local_day(instance.created_at))


def connect_signals() -> None:
    from tinhso.reports.models import Report

    post_save.connect(_on_report_saved, sender=Report, dispatch_uid="ioc-report-day")


def bucket(hours: float) -> int:
    return max(0, bisect.bisect_right(HOURS_EDGES, hours) - 1)


def _rows_for(first: dt.date, last_exclusive: dt.date) -> list[ReportDay]:
    """The :class:`ReportDay` rows of reports received in ``[first, last_exclusive)`` (local days)."""
    from tinhso.reports.models import Report, State

    start, end = day_bounds(first, last_exclusive)
    qs = Report.objects.filter(created_at__gte=start, created_at__lt=end)
    resolved = Q(state__in=(State.RESOLVED, State.CLOSED), resolved_at__isnull=False)
    day = TruncDate("created_at", tzinfo=local_tz())
    grouped = qs.annotate(day=day).values("day", *GROUP_KEYS).annotate(
        received=Count("id"),
        resolved=Count("id", filter=resolved),
        on_time=Count("id", filter=resolved & Q(resolved_at__lte=F("handle_due"))),
        rated=Count("rating"),
        rating_sum=Sum("rating"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        synthetic=Count("id", filter=Q(synthetic=True)),
    )
    hists: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(HOURS_EDGES))
    for row in qs.filter(resolved).annotate(day=day).values_list("day", *GROUP_KEYS, "created_at", "resolved_at"):
        hists[row[:4]][bucket((row[5] - row[4]).total_seconds() / 3600)] += 1
    rows = []
    for g in grouped:
        key = (g["day"], *(g[k] for k in GROUP_KEYS))
        rows.append(ReportDay(day=g["day"], handling_unit_id=g["handling_unit_id"], commune_id=g["commune_id"],
                              category_id=g["category_id"], received=g["received"], resolved=g["resolved"],
                              on_time=g["on_time"], rated=g["rated"], rating_sum=g["rating_sum"] or 0,
                              satisfied=g["satisfied"], synthetic=g["synthetic"],
                              hours_hist=hists.get(key, [0] * len(HOURS_EDGES))))
    return rows


def recompute(first: dt.date, last_exclusive: dt.date) -> int:
    """Replace the rows of ``[first, last_exclusive)`` with freshly computed ones."""
    rows = _rows_for(first, last_exclusive)
    with transaction.atomic():
        ReportDay.objects.filter(day__gte=first, day__lt=last_exclusive).delete()
        ReportDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def refresh(limit: int | None = None) -> int:
    """Recompute the dirty days (oldest first, at most ``limit``); returns how many were done."""
    started = timezone.now()
    days = list(DirtyDay.objects.filter(marked_at__lte=started).order_by("day").values_list("day", flat=True)[:limit])
    for day in days:
        recompute(day, day + dt.timedelta(days=1))
        DirtyDay.objects.filter(day=day, marked_at__lte=started).delete()
    return len(days)


def rebuild() -> int:
    """Recompute every day from all reports (after bulk loads); returns the number of rows."""
    from django.db.models import Max, Min

    from tinhso.reports.models import Report

    started = timezone.now()
    bounds = Report.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    with transaction.atomic():
        ReportDay.objects.all().delete()
        count = 0
        if bounds["first"] is not None:
            first, last = local_day(bounds["first"]), local_day(bounds["last"])
            rows = _rows_for(first, last + dt.timedelta(days=1))
            ReportDay.objects.bulk_create(rows, batch_size=2000)
            count = len(rows)
        DirtyDay.objects.filter(marked_at__lte=started).delete()
    return count
