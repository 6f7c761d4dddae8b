"""Pre-aggregated report figures for the wall (:class:`~tinhso.ioc.models.ReportDay` and its
roll-ups :class:`~tinhso.ioc.models.ReportRollup`), kept up to date per change.

Upkeep per change, not per day: every saved, deleted or bulk-created report whose counted fields
change (the local day it was received, its unit, commune and category, its state, resolution and
deadline, its rating) appends its old contribution with weight −1 and its new one with +1 to the
journal (:class:`~tinhso.ioc.models.ReportChange`), in the report's own transaction: one INSERT of
one row per submission, and no shared row is updated on the intake path (concurrent submissions
never wait on each other). :func:`refresh` claims the journal in one ``DELETE … RETURNING``, sums
it per day row and per roll-up row, and adds the sums in SQL (``UPDATE … FROM (VALUES …)`` for the
rows that exist, ``INSERT`` for the new, ``DELETE`` of emptied ones). The wall calls it at most
every :data:`REFRESH_EVERY` seconds per installation; ``tinhso ioc refresh`` does the same from
cron. Refreshes are serialised on the mark's row (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL: a second worker skips instead of waiting; SQLite serialises writers anyway).

:func:`rebuild` recomputes everything from the reports in one ``INSERT … SELECT … GROUP BY`` (after
bulk loads that bypass the journal, and as the from-scratch check of the upkeep:
``tests/ioc/test_summary.py`` compares the two after random submissions and changes).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from tinhso.core import fastinsert
from tinhso.ioc.models import RefreshMark, ReportChange, ReportDay, ReportRollup
from tinhso.reports import sla

# Handling-time buckets (hours since receipt) for medians over any period: bucket i holds
# [EDGES[i], EDGES[i+1]); the last one is open-ended.
HOURS_EDGES = (0, 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720)
HIST_FIELDS = tuple(f"h{i}" for i in range(len(HOURS_EDGES)))
GROUP_KEYS = ("handling_unit_id", "commune_id", "category_id")
COUNT_FIELDS = ("received", "resolved", "on_time", "rated", "rating_sum", "satisfied", "synthetic") + HIST_FIELDS
# ReportRollup.dim → the ReportDay column it groups by (None: the day's total).
ROLLUP_DIMS = {"t": None, "u": "handling_unit_id", "c": "commune_id", "k": "category_id"}
MARK = "reports"
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


def roll_up(first: dt.date | None = None, last: dt.date | None = None) -> None:
    """(Re)write the :class:`ReportRollup` rows of local days ``first``…``last`` (every day if None)
    from their :class:`ReportDay` rows: one ``INSERT … SELECT … GROUP BY`` per dimension, in SQL."""
    quote = connection.ops.quote_name
    source, target = quote(ReportDay._meta.db_table), quote(ReportRollup._meta.db_table)
    counts = ", ".join(COUNT_FIELDS)
    sums = ", ".join(f"SUM({c})" for c in COUNT_FIELDS)
    last = last or first
    adapt = connection.ops.adapt_datefield_value
    where, params = ("WHERE day >= %s AND day <= %s", [adapt(first), adapt(last)]) if first else ("", [])
    with transaction.atomic():
        # (dim IN …, day): the (dim, day) index finds the days' rows (``day`` alone scanned them all).
        rollups = ReportRollup.objects.all() if first is None else ReportRollup.objects.filter(
            dim__in=list(ROLLUP_DIMS), day__gte=first, day__lte=last)
        rollups.delete()
        with connection.cursor() as cursor:
            for dim, column in ROLLUP_DIMS.items():
                ref, group = (column, f"day, {column}") if column else ("NULL", "day")
                cursor.execute(f"INSERT INTO {target} (day, dim, ref, {counts}) "
                               f"SELECT day, '{dim}', {ref}, {sums} FROM {source} {where} GROUP BY {group}", params)


# ---------------------------------------------------------------------------------------------
# A report's contribution, and the journal of changes (written with the report, summed in later)

# The report fields the aggregates depend on: a save that changes none of them journals nothing.
SOURCE_FIELDS = ("created_at", "handling_unit_id", "commune_id", "category_id", "state", "resolved_at",
                 "handle_due", "rating", "synthetic")
_SOURCE_NAMES = frozenset(SOURCE_FIELDS) | {f.removesuffix("_id") for f in SOURCE_FIELDS}
CHANGE_COLUMNS = ("day", "handling_unit_id", "commune_id", "category_id", "weight", "resolved", "on_time", "rating",
                  "synthetic", "bucket")

Contribution = tuple  # (day, unit, commune, category, resolved, on_time, rating, synthetic, bucket)


def contribution(created_at, handling_unit_id, commune_id, category_id, state, resolved_at, handle_due, rating,
                 synthetic) -> Contribution:
    """How one report counts in the aggregates (what :func:`rebuild` computes for it in SQL)."""
    on_time = sla.resolved_on_time(state, resolved_at, handle_due)  # None: not resolved
    resolved = on_time is not None
    hours = bucket((resolved_at - created_at).total_seconds() / 3600) if resolved else None
    return (local_day(created_at), handling_unit_id, commune_id, category_id, resolved, bool(on_time), rating,
            bool(synthetic), hours)


def of_report(report) -> Contribution:
    return contribution(*(getattr(report, name) for name in SOURCE_FIELDS))


_insert_sql: dict[str, str] = {}


def journal(changes: list[tuple[int, Contribution]]) -> None:
    """Append ``(weight, contribution)`` rows to the journal (one INSERT), in the caller's transaction."""
    if not changes:
        return
    vendor = connection.vendor
    if vendor not in _insert_sql:
        table = connection.ops.quote_name(ReportChange._meta.db_table)
        _insert_sql[vendor] = f"INSERT INTO {table} ({', '.join(CHANGE_COLUMNS)}) VALUES "
    adapt = connection.ops.adapt_datefield_value
    rows = [(adapt(day), unit, commune, category, weight, resolved, on_time, rating, synthetic, hours)
            for weight, (day, unit, commune, category, resolved, on_time, rating, synthetic, hours) in changes]
    # Through fastinsert, so that a submission's journal row joins its one statement (fastinsert.combined).
    fastinsert.insert_rows(_insert_sql[vendor], len(CHANGE_COLUMNS), rows)


# Set False to measure intake without the upkeep (bench/ioc.py); never in production.
JOURNAL = True


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if not JOURNAL or raw or instance._state.adding or instance.pk is None:
        instance._ioc_before = None
        return
    if update_fields is not None and not (_SOURCE_NAMES & set(update_fields)):
        instance._ioc_before = False  # nothing the aggregates count can change
        return
    row = type(instance)._base_manager.using(instance._state.db or "default").filter(pk=instance.pk) \
        .values_list(*SOURCE_FIELDS).first()
    instance._ioc_before = contribution(*row) if row is not None else None


def _after_save(sender, instance, created=False, raw=False, **kwargs):
    if not JOURNAL or raw:
        return
    before = instance.__dict__.pop("_ioc_before", None)
    if before is False:
        return
    after = of_report(instance)
    if before == after:
        return
    journal(([(-1, before)] if before is not None else []) + [(1, after)])


def _after_delete(sender, instance, **kwargs):
    if JOURNAL:
        journal([(-1, of_report(instance))])


def _after_bulk_create(sender, reports, **kwargs):
    if JOURNAL:
        changes = [(1, of_report(r)) for r in reports]
        for i in range(0, len(changes), 500):
            journal(changes[i:i + 500])


def connect() -> None:
    """Journal every saved, deleted or bulk-created report (called by the app's ``ready()``)."""
    from django.db.models.signals import post_delete, post_save, pre_save

    from tinhso.reports.models import Report
    from tinhso.reports.signals import reports_bulk_created

    pre_save.connect(_before_save, sender=Report, dispatch_uid="ioc-aggregates-before")
    post_save.connect(_after_save, sender=Report, dispatch_uid="ioc-aggregates-after")
    post_delete.connect(_after_delete, sender=Report, dispatch_uid="ioc-aggregates-delete")
    reports_bulk_created.connect(_after_bulk_create, dispatch_uid="ioc-aggregates-bulk")


# ---------------------------------------------------------------------------------------------
# Applying the journal (refresh), and recomputing from the reports (rebuild)


def _sums(changes) -> tuple[dict, dict]:
    """The journal rows summed per day row and per roll-up row: {key: [count per COUNT_FIELDS]}."""
    width = len(COUNT_FIELDS)
    first_hist = COUNT_FIELDS.index("h0")
    days: dict[tuple, list[int]] = {}
    for day, unit, commune, category, weight, resolved, on_time, rating, synthetic, hours in changes:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        v = days.setdefault((day, unit, commune, category), [0] * width)
        v[0] += weight
        if resolved:
            v[1] += weight
            v[first_hist + hours] += weight
            if on_time:
                v[2] += weight
        if rating is not None:
            v[3] += weight
            v[4] += weight * rating
            if rating >= 4:
                v[5] += weight
        if synthetic:
            v[6] += weight
    days = {k: v for k, v in days.items() if any(v)}
    rollups: dict[tuple, list[int]] = {}
    for (day, unit, commune, category), v in days.items():
        for dim, ref in (("t", None), ("u", unit), ("c", commune), ("k", category)):
            r = rollups.setdefault((day, dim, ref), [0] * width)
            for i, x in enumerate(v):
                r[i] += x
    return days, {k: v for k, v in rollups.items() if any(v)}


class OutOfStep(Exception):
    """The journal's sums do not fit the stored aggregates (rows changed behind the journal's back)."""


def _add(model, keys: tuple[str, ...], types: tuple[str, ...], rows: dict[tuple, list[int]]) -> None:
    """Add ``rows`` ({key: counts}) to ``model``'s table in SQL: UPDATE the rows that exist, INSERT the
    others, DELETE those left with nothing received. The rows travel as one JSON parameter (a short
    statement whatever their number), unpacked by the database (``json_array_elements`` on
    PostgreSQL, ``json_each`` on SQLite)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = keys + COUNT_FIELDS
    if connection.vendor == "postgresql":
        columns = ", ".join(f"(e->>{i})::{t} AS {n}"
                            for i, (n, t) in enumerate(zip(names, types + ("integer",) * len(COUNT_FIELDS))))
        values = f"WITH v AS (SELECT {columns} FROM json_array_elements(%s::json) AS e) "
    else:
        columns = ", ".join(f"json_extract(value, '$[{i}]') AS {n}" for i, n in enumerate(names))
        values = f"WITH v AS (SELECT {columns} FROM json_each(%s)) "
    # Null-safe equality written as the group indexes' expressions (ioc_reportday_group,
    # ioc_rollup_key: COALESCE(column, -1) for the nullable ones), so each row is one index probe.
    match = " AND ".join(f"{table}.{k} = v.{k}" if k in ("day", "dim", "category_id") else
                         f"COALESCE({table}.{k}, -1) = COALESCE(v.{k}, -1)" for k in keys)
    sets = ", ".join(f"{c} = {table}.{c} + v.{c}" for c in COUNT_FIELDS)
    payload = json.dumps([[key[0].isoformat(), *key[1:], *counts] for key, counts in rows.items()])
    with connection.cursor() as cursor:
        cursor.execute(f"{values}UPDATE {table} SET {sets} FROM v WHERE {match}", [payload])
        cursor.execute(f"{values}INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join('v.' + n for n in names)} "
                       f"FROM v WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {match})", [payload])
        days = sorted({key[0] for key in rows})
        others = " + ".join(COUNT_FIELDS[1:])
        dims = f"dim IN ({', '.join(repr(d) for d in ROLLUP_DIMS)}) AND " if "dim" in keys else ""
        for i in range(0, len(days), 500):
            part = days[i:i + 500]
            where = f"{dims}received = 0 AND day IN ({', '.join(['%s'] * len(part))})"
            params = [connection.ops.adapt_datefield_value(d) for d in part]
            cursor.execute(f"DELETE FROM {table} WHERE {where} RETURNING {others}", params)
            if any(total for (total,) in cursor.fetchall()):
                # A row left with nothing received but something else counted: the sums did not fit.
                raise OutOfStep(model.__name__)


def _claim() -> list[tuple]:
    """Take every committed journal row out of the journal, in one statement (rows committed while
    this runs stay for the next refresh)."""
    table = connection.ops.quote_name(ReportChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} RETURNING {', '.join(CHANGE_COLUMNS)}")
        return cursor.fetchall()


def _locked_mark(wait: bool = False) -> RefreshMark | None:
    """The mark's row, locked (None if another worker holds it and ``wait`` is False)."""
    locked = RefreshMark.objects.select_for_update(skip_locked=not wait).filter(name=MARK)
    mark = locked.first()
    if mark is None and not RefreshMark.objects.filter(name=MARK).exists():  # the first refresh ever
        RefreshMark.objects.get_or_create(name=MARK, defaults={"at": dt.datetime(1970, 1, 1, tzinfo=dt.UTC)})
        mark = locked.first()
    return mark


def refresh() -> int:
    """Add the journalled changes to the day rows and roll-ups they touch; returns how many days changed.

    A few statements whatever the number of changes: claim the journal, then per table an UPDATE of
    the existing rows by the summed changes, an INSERT of the new rows and a DELETE of emptied ones.
    If the sums do not fit (aggregates out of step with the reports, e.g. rows loaded without the
    journal), the days concerned are recomputed from their reports instead.
    """
    started = timezone.now()
    with transaction.atomic():
        mark = _locked_mark()
        if mark is None:  # another worker is refreshing right now
            return 0
        days, rollups = _sums(_claim())
        touched = sorted({key[0] for key in days})
        try:
            with transaction.atomic():
                _add(ReportDay, ("day", *GROUP_KEYS), ("date", "bigint", "bigint", "bigint"), days)
                _add(ReportRollup, ("day", "dim", "ref"), ("date", "varchar", "integer"), rollups)
        except (IntegrityError, DataError, OutOfStep):
            for day in touched:
                _recompute(day, day)
        mark.at = started
        mark.save(update_fields=["at"])
    return len(touched)


def refresh_if_due() -> int:
    """:func:`refresh`, at most once every :data:`REFRESH_EVERY` seconds across the workers sharing the cache."""
    if not cache.add("ioc:refresh-lease", 1, REFRESH_EVERY):
        return 0
    return refresh()


def _day_rows_sql(first: dt.date | None, last: dt.date | None) -> tuple[str, list]:
    """The ``SELECT`` of every :class:`ReportDay` row of local days ``first``…``last`` (all if None),
    grouped in the database: what :func:`contribution` counts per report, summed."""
    from tinhso.reports.models import Report

    qs = Report.objects.all()
    if first is not None:
        start, end = day_bounds(first, last + dt.timedelta(days=1))
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    resolved = sla.resolved_q()
    hist = {}
    for i, low in enumerate(HOURS_EDGES):
        when = resolved
        if i > 0:
            when &= Q(took__gte=dt.timedelta(hours=low))
        if i + 1 < len(HOURS_EDGES):
            when &= Q(took__lt=dt.timedelta(hours=HOURS_EDGES[i + 1]))
        hist[HIST_FIELDS[i]] = Count("id", filter=when)
    grouped = (qs.annotate(local_day=TruncDate("created_at", tzinfo=local_tz()),
                           took=ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()))
               .values("local_day", *GROUP_KEYS).order_by()
               .annotate(received=Count("id"), resolved=Count("id", filter=resolved),
                         on_time=Count("id", filter=sla.on_time_q()),
                         rated=Count("rating"), rating_sum=Coalesce(Sum("rating"), 0),
                         satisfied=Count("id", filter=Q(rating__gte=4)),
                         synthetic_n=Count("id", filter=Q(synthetic=True)), **hist))
    sql, params = grouped.query.sql_with_params()
    columns = ["local_day", *GROUP_KEYS, *(c if c != "synthetic" else "synthetic_n" for c in COUNT_FIELDS)]
    return f"SELECT {', '.join(columns)} FROM ({sql}) grouped", list(params)


def _recompute(first: dt.date | None, last: dt.date | None) -> int:
    """Replace the day rows (and roll-ups) of local days ``first``…``last`` (all if None) with rows
    computed from the reports in one ``INSERT … SELECT … GROUP BY``, and drop those days' journal
    rows: on PostgreSQL in the same statement, so both see the same committed reports."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    target, changes = quote(ReportDay._meta.db_table), quote(ReportChange._meta.db_table)
    where, params = ("WHERE day >= %s AND day <= %s", [adapt(first), adapt(last)]) if first else ("", [])
    select, select_params = _day_rows_sql(first, last)
    insert = f"INSERT INTO {target} (day, {', '.join(GROUP_KEYS)}, {', '.join(COUNT_FIELDS)}) {select}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {target} {where}", params)
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH dropped AS (DELETE FROM {changes} {where}) {insert}", params + select_params)
        else:  # SQLite: this transaction holds the only write lock from the DELETE above
            cursor.execute(f"DELETE FROM {changes} {where}", params)
            cursor.execute(insert, select_params)
        count = cursor.rowcount
        roll_up(first, last)
    return count


def rebuild() -> int:
    """Recompute every day from all reports (after bulk loads, or as the from-scratch check of the
    journal's upkeep); returns the number of day rows. Set-based: one ``INSERT … SELECT``."""
    started = timezone.now()
    with transaction.atomic():
        mark = _locked_mark(wait=True)
        count = _recompute(None, None)
        mark.at = started
        mark.save(update_fields=["at"])
    return count
