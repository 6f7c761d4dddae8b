"""Generated datasets refreshed on their own schedule, inside the background worker that ``tinhso serve``
starts (``tinhso notify run``): :func:`refresh_due` is registered as a periodic job
(:mod:`tinhso.notify.periodic`) by :class:`~tinhso.opendata.apps.OpendataConfig`, looked at every
:data:`CHECK_EVERY` seconds.

A generator is due when one of its datasets was last refreshed (``metadata_modified``) in an earlier
period than now, by the dataset's frequency: DAILY a calendar day, WEEKLY an ISO week, MONTHLY a
calendar month, QUARTERLY a quarter, ANNUAL a year (local time, so a monthly dataset is refreshed just
after the month it counts has ended); IRREG datasets (the units registry) are looked at every
:data:`IRREGULAR_MAX_AGE`. A generator that has published nothing yet (no data) is tried at most every
:data:`RETRY_EMPTY` by each worker process. Nothing due costs one small query; several workers do not refresh at once (a
shared-cache lock), and a refresh republishes the same files (idempotent)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger("tinhso.opendata")

CHECK_EVERY = 300  # seconds between two looks of the worker
IRREGULAR_MAX_AGE = dt.timedelta(days=30)
RETRY_EMPTY = dt.timedelta(hours=6)
LOCK = "opendata:refresh-lock"
LOCK_SECONDS = 30 * 60
_tried: dict[str, dt.datetime] = {}  # generators without data: when this process last tried them


def _period(moment: dt.datetime, frequency: str):
    day = timezone.localtime(moment).date()
    return {"DAILY": day, "WEEKLY": day.isocalendar()[:2], "MONTHLY": (day.year, day.month),
            "QUARTERLY": (day.year, (day.month - 1) // 3), "ANNUAL": day.year}.get(frequency)


def is_due(frequency: str, last: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a dataset of ``frequency`` last refreshed at ``last`` is due at ``now``."""
    if last is None:
        return True
    if frequency == "IRREG" or _period(now, frequency) is None:
        return now - last >= IRREGULAR_MAX_AGE
    return _period(last, frequency) != _period(now, frequency)


def due_generators(now: dt.datetime | None = None) -> list[str]:
    """The generators with a dataset due now, and those with no dataset yet not tried lately."""
    from tinhso.opendata import generated
    from tinhso.opendata.models import Dataset

    now = now or timezone.now()
    rows = Dataset.objects.filter(origin="generated", generator__in=list(generated.GENERATORS)).values_list(
        "generator", "frequency", "metadata_modified")
    due, seen = [], set()
    for generator, frequency, last in rows:
        seen.add(generator)
        if generator not in due and is_due(frequency, last, now):
            due.append(generator)
    for generator in generated.GENERATORS:
        if generator not in seen:
            tried = _tried.get(generator)
            if tried is None or now - tried >= RETRY_EMPTY:
                due.append(generator)
    return [g for g in generated.GENERATORS if g in due]


def refresh_due(now: dt.datetime | None = None, out=None) -> dict[str, int]:
    """Refresh the due generators (see the module docstring); rows published per dataset."""
    from tinhso.opendata import generated

    now = now or timezone.now()
    due = due_generators(now)
    if not due or not cache.add(LOCK, 1, LOCK_SECONDS):
        return {}
    try:
        for generator in due:
            _tried[generator] = now
        done = generated.refresh(due, out=out or (lambda *a, **k: None))
    finally:
        cache.delete(LOCK)
    if done:
        logger.info("open data: refreshed on schedule: %s", ", ".join(f"{k} ({v} rows)" for k, v in done.items()))
    return done
