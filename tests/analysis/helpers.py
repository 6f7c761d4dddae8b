"""Data for the monthly report's tests: reports spread over fourteen months, counted independently."""

from __future__ import annotations

import datetime as dt
import random

from tests.reports.factories import make_report
from tinhso.ioc import aggregates
from tinhso.reports.models import Report, State

MONTH = dt.date(2025, 10, 1)


def local(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=aggregates.local_tz())


def populate(w, n: int = 140, seed: int = 13) -> None:
    """Reports received between September 2024 and October 2025 (the months a report compares)."""
    rng = random.Random(seed)
    first = dt.date(2024, 9, 1)
    span = (dt.date(2025, 11, 1) - first).days
    for _ in range(n):
        created = local(first + dt.timedelta(days=rng.randrange(span)), rng.randrange(0, 24))
        state = rng.choice([State.SUBMITTED, State.ASSIGNED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED])
        unit = rng.choice([w.pt, w.mn, w.syt]) if state != State.SUBMITTED else None
        fields = {}
        if state in (State.RESOLVED, State.CLOSED):
            fields["resolved_at"] = created + dt.timedelta(hours=rng.choice([2, 30, 100, 400, 900]))
            fields["handle_due"] = created + dt.timedelta(hours=rng.choice([50, 200]))
            if state == State.CLOSED:
                fields["closed_at"] = fields["resolved_at"] + dt.timedelta(hours=1)
            if rng.random() < 0.7:
                fields["rating"] = rng.randint(1, 5)
        make_report(w, state, unit=unit, category=rng.choice([w.traffic, w.environment, w.health]),
                    now=created, **fields)


def month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def direct(month: dt.date, unit: str | None = None) -> dict:
    """The month's figures counted straight from the report rows (the independent baseline)."""
    lo, hi = local(month, 0), local(month_after(month), 0)
    qs = Report.objects.all()
    if unit:
        qs = qs.filter(handling_unit__code=unit)
    received = qs.filter(created_at__gte=lo, created_at__lt=hi)
    resolved = [r for r in received if r.state in (State.RESOLVED, State.CLOSED) and r.resolved_at]
    on_time = sum(1 for r in resolved if r.resolved_at <= r.handle_due)
    rated = [r.rating for r in received if r.rating is not None]
    backlog = sum(1 for r in qs.filter(created_at__lt=hi)
                  if r.state != State.MERGED and not (r.resolved_at and r.resolved_at < hi)
                  and not (r.closed_at and r.closed_at < hi))
    return {"received": received.count(),
            "on_time_rate": round(on_time / len(resolved), 4) if resolved else None,
            "satisfaction_rate": round(sum(1 for x in rated if x >= 4) / len(rated), 4) if rated else None,
            "backlog": backlog}
