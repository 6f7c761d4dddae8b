"""Pre-aggregated report figures for the wall (:class:`~tinhso.ioc.models.ReportDay`).

How they stay fresh, with nothing added to the intake path: every change of a report goes
through the workflow, which sets its indexed ``updated_at``. :func:`refresh` finds the reports
changed since its high-water mark (:class:`~tinhso.ioc.models.RefreshMark`, minus
:data:`MARGIN` for transactions that committed late), recomputes the local days they were
received on from that day's reports only, and moves the mark. The wall calls it at most every
:data:`REFRESH_EVERY` seconds per installation; ``tinhso ioc refresh`` does the same from cron and
``tinhso ioc rebuild`` recomputes everything (e.g. after a bulk load).

Refreshes are serialised on the mark's row (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL: a
second worker skips instead of waiting; SQLite serialises writers anyway).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from tinhso.ioc.models import RefreshMark, ReportDay, ReportRollup

# Handling-time buckets (hours since receipt) for medians over any period: bucket i holds
# [EDGES[i], EDGES[i+1]); the last one is open-ended.
HOURS_EDGES = (0, 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720)
HIST_FIELDS = tuple(f"h{i}" for i in range(len(HOURS_EDGES)))
GROUP_KEYS = ("handling_unit_id", "commune_id", "category_id")
COUNT_FIELDS = ("received", "resolved", "on_time", "rated", "rating_sum", "satisfied", "synthetic") + HIST_FIELDS
# ReportRollup.dim → the ReportDay column it groups by (None: the day's total).
ROLLUP_DIMS = {"t": None, "u": "handling_unit_id", "c": "commune_id", "k": "category_id"}
MARK = "reports"
MARGIN = dt.timedelta(minutes=2)
REFRESH_EVERY = 5  # seconds, for refresh_if_due()


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_tz()).date()


def day_bounds(first: dt.date, last_exclusive: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = local_tz()
    return (dt.datetime.combine(first, dt.time(), tzinfo=tz), dt.datetime.combine(last_exclusive, dt.time(), tzinfo=tz))


def bucket(hours: float) -> int:
    return max(0, bisect.bisect_right(HOURS_EDGES, hours) - 1)


def _rows_for_day(day: dt.date) -> list[ReportDay]:
    """The :class:`ReportDay` rows of the reports received on local day ``day`` (an index range scan)."""
    from tinhso.reports.models import Report, State

    start, end = day_bounds(day, day + dt.timedelta(days=1))
    qs = Report.objects.filter(created_at__gte=start, created_at__lt=end)
    resolved = Q(state__in=(State.RESOLVED, State.CLOSED), resolved_at__isnull=False)
    grouped = qs.values(*GROUP_KEYS).order_by().annotate(
        received=Count("id"),
        resolved=Count("id", filter=resolved),
        on_time=Count("id", filter=resolved & Q(resolved_at__lte=F("handle_due"))),
        rated=Count("rating"),
        rating_sum=Sum("rating"),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        synthetic=Count("id", filter=Q(synthetic=True)),
    )
    hists: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(HOURS_EDGES))
    for *key, created, done in qs.filter(resolved).values_list(*GROUP_KEYS, "created_at", "resolved_at"):
        hists[tuple(key)][bucket((done - created).total_seconds() / 3600)] += 1
    rows = []
    for g in grouped:
        key = tuple(g[k] for k in GROUP_KEYS)
        rows.append(ReportDay(day=day, handling_unit_id=g["handling_unit_id"], commune_id=g["commune_id"],
                              category_id=g["category_id"], received=g["received"], resolved=g["resolved"],
                              on_time=g["on_time"], rated=g["rated"], rating_sum=g["rating_sum"] or 0,
                              satisfied=g["satisfied"], synthetic=g["synthetic"],
                              **dict(zip(HIST_FIELDS, hists.get(key, [0] * len(HOURS_EDGES))))))
    return rows


def roll_up(day: dt.date | None = None) -> None:
    """(Re)write the :class:`ReportRollup` rows of local day ``day`` (every day if None) from the
    day's :class:`ReportDay` rows: one ``INSERT … SELECT … GROUP BY`` per dimension, in SQL."""
    quote = connection.ops.quote_name
    source, target = quote(ReportDay._meta.db_table), quote(ReportRollup._meta.db_table)
    counts = ", ".join(COUNT_FIELDS)
    sums = ", ".join(f"SUM({c})" for c in COUNT_FIELDS)
    where, params = ("WHERE day = %s", [connection.ops.adapt_datefield_value(day)]) if day else ("", [])
    with transaction.atomic():
        # (dim IN …, day): the (dim, day) index finds the day's rows (``day`` alone scanned them all).
        rollups = ReportRollup.objects.all() if day is None else ReportRollup.objects.filter(
            dim__in=list(ROLLUP_DIMS), day=day)
        rollups.delete()
        with connection.cursor() as cursor:
            for dim, column in ROLLUP_DIMS.items():
                ref, group = (column, f"day, {column}") if column else ("NULL", "day")
                cursor.execute(f"INSERT INTO {target} (day, dim, ref, {counts}) "
                               f"SELECT day, '{dim}', {ref}, {sums} FROM {source} {where} GROUP BY {group}", params)


def recompute(day: dt.date) -> int:
    """Replace the rows of local day ``day`` (and its roll-ups) with freshly computed ones."""
    rows = _rows_for_day(day)
    with transaction.atomic():
        ReportDay.objects.filter(day=day).delete()
        ReportDay.objects.bulk_create(rows, batch_size=2000)
        roll_up(day)
    return len(rows)


def _locked_mark() -> RefreshMark | None:
    RefreshMark.objects.get_or_create(name=MARK, defaults={"at": dt.datetime(1970, 1, 1, tzinfo=dt.UTC)})
    return RefreshMark.objects.select_for_update(skip_locked=True).filter(name=MARK).first()


def refresh() -> int:
    """Recompute the days of the reports changed since the last refresh; returns how many days."""
    from tinhso.reports.models import Report

    started = timezone.now()
    with transaction.atomic():
        mark = _locked_mark()
        if mark is None:  # another worker is refreshing right now
            return 0
        changed = Report.objects.filter(updated_at__gte=mark.at - MARGIN).values_list("created_at", flat=True)
        days = sorted({local_day(created) for created in changed})
        for day in days:
            recompute(day)
        mark.at = started
        mark.save(update_fields=["at"])
    return len(days)


def refresh_if_due() -> int:
    """:func:`refresh`, at most once every :data:`REFRESH_EVERY` seconds across the workers sharing the cache."""
    if not cache.add("ioc:refresh-lease", 1, REFRESH_EVERY):
        return 0
    return refresh()


def rebuild() -> int:
    """Recompute every day from all reports (after bulk loads); returns the number of rows."""
    from tinhso.reports.models import Report

    started = timezone.now()
    count = 0
    with transaction.atomic():
        mark = _locked_mark()
        bounds = Report.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
        ReportDay.objects.all().delete()
        if bounds["first"] is not None:
            day, last = local_day(bounds["first"]), local_day(bounds["last"])
            while day <= last:
                rows = _rows_for_day(day)
                ReportDay.objects.bulk_create(rows, batch_size=2000)
                count += len(rows)
                day += dt.timedelta(days=1)
        roll_up()
        if mark is not None:
            mark.at = started
            mark.save(update_fields=["at"])
    return count
