"""Statistics on a small hand-made set: every figure computed by hand."""

import csv
import datetime as dt
import io

from tests.reports.conftest import local
from tests.reports.factories import make_report
from tinhso.reports import stats
from tinhso.reports.models import State

T0 = local(2025, 3, 3, 8, 0)
NOW = local(2025, 3, 31, 12, 0)


def resolved(w, unit, hours, on_time, rating=None, category=None):
    r = make_report(w, State.CLOSED, unit=unit, category=category, now=T0)
    r.resolved_at = T0 + dt.timedelta(hours=hours)
    r.handle_due = r.resolved_at + dt.timedelta(hours=1 if on_time else -1)
    r.rating = rating
    r.save()
    return r


def test_unit_and_category_figures(world):
    resolved(world, world.pt, 10, True, 5)
    resolved(world, world.pt, 20, True, 4)
    resolved(world, world.pt, 40, False, 2)
    resolved(world, world.pt, 30, True, None, category=world.health)
    overdue = make_report(world, State.IN_PROGRESS, unit=world.pt, now=T0)
    overdue.handle_due = NOW - dt.timedelta(hours=1)
    overdue.save()
    fine = make_report(world, State.IN_PROGRESS, unit=world.pt, now=T0)
    fine.handle_due = NOW + dt.timedelta(days=1)
    fine.save()
    resolved(world, world.mn, 5, False, 1)

    rows = {r["key"]: r for r in stats.unit_stats(now=NOW)}
    pt = rows["ubnd-phan-thiet"]
    assert (pt["received"], pt["resolved"], pt["on_time"], pt["overdue_backlog"]) == (6, 4, 3, 1)
    assert pt["on_time_rate"] == 0.75
    assert pt["median_handling_hours"] == 25.0  # median of 10, 20, 30, 40
    assert (pt["rated"], pt["avg_rating"], pt["satisfaction_rate"]) == (3, 3.67, 0.6667)
    mn = rows["ubnd-mui-ne"]
    assert (mn["received"], mn["on_time_rate"], mn["satisfaction_rate"], mn["overdue_backlog"]) == (1, 0.0, 0.0, 0)

    by_cat = {r["key"]: r for r in stats.category_stats(now=NOW)}
    assert by_cat["health"]["received"] == 1 and by_cat["health"]["rated"] == 0
    assert by_cat["health"]["satisfaction_rate"] is None  # no ratings: no fake 0 %
    assert by_cat["traffic"]["received"] == 6

    # the period filter counts by receipt date
    assert stats.unit_stats(since=NOW, now=NOW)[0]["received"] == 0


def test_csv_export(world):
    resolved(world, world.pt, 10, True, 5)
    text = stats.stats_csv("unit", now=NOW)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["key"] == "ubnd-phan-thiet" and rows[0]["received"] == "1" and rows[0]["on_time_rate"] == "1.0"
    assert list(rows[0]) == stats.COLUMNS
