"""Per-dossier rules on the Vietnamese working calendar, and reporting periods."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.core.errors import UserError
from tinhso.core.workcalendar import WorkCalendar
from tinhso.dossiers import periods, rules
from tinhso.dossiers.records import ProcedureFacts, parse_datetime

CAL = WorkCalendar()
DAYS5 = ProcedureFacts("T.1", 5, "working_days")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_pause_extends_the_due_date_by_the_working_time_with_the_citizen():
    got = rules.deadlines(received=at("2025-10-06 08:00"), due=at("2025-10-13 08:00"),
                          requests=[(at("2025-10-07 08:00"), at("2025-10-09 08:00"))], procedure=DAYS5, calendar=CAL)
    assert got.pause == at("2025-10-15 08:00")      # two working days later
    assert got.restart == at("2025-10-16 08:00")    # five working days from the completed supplement
    assert got.open_request is None


def test_a_pause_over_a_weekend_counts_working_time_only():
    # Friday 16:00 → Monday 09:00 is 1 h + 1.5 h = 2.5 working hours
    got = rules.deadlines(received=at("2025-10-06 08:00"), due=at("2025-10-13 08:00"),
                          requests=[(at("2025-10-10 16:00"), at("2025-10-13 09:00"))], procedure=DAYS5, calendar=CAL)
    assert got.pause == at("2025-10-13 10:30")


def test_open_request_does_not_move_the_due_date():
    got = rules.deadlines(received=at("2025-10-06 08:00"), due=at("2025-10-13 08:00"),
                          requests=[(at("2025-10-07 08:00"), None)], procedure=DAYS5, calendar=CAL)
    assert got.pause == got.restart == at("2025-10-13 08:00")
    assert got.open_request == at("2025-10-07 08:00")


def test_missing_due_date_uses_legal_time_over_tet():
    # Friday 13 Feb 2026; Tết closes 14–22 Feb: three working days end Wednesday 25 Feb
    got = rules.deadlines(received=at("2026-02-13 08:00"), due=None, requests=[],
                          procedure=ProcedureFacts("T", 3, "working_days"), calendar=CAL)
    assert got.pause == at("2026-02-25 08:00")


def test_missing_due_date_in_working_hours():
    # Friday 16:00 + 8 working hours: 1 h Friday, 4 h Monday morning, 3 h from 13:30
    got = rules.deadlines(received=at("2025-10-03 16:00"), due=None, requests=[],
                          procedure=ProcedureFacts("T.2", 8, "working_hours"), calendar=CAL)
    assert got.pause == at("2025-10-06 16:30")


def test_working_days_taken_excludes_supplementation():
    taken = rules.working_days_taken(at("2025-10-06 08:00"), at("2025-10-15 16:00"),
                                     [(at("2025-10-07 08:00"), at("2025-10-09 08:00"))], CAL)
    assert taken == 7 - 2
    # across Tết 2026: Thursday 12 Feb → Monday 23 Feb is 2 working days
    assert rules.working_days_taken(at("2026-02-12 08:00"), at("2026-02-23 08:00"), [], CAL) == 2


@pytest.mark.parametrize("text", ["06/10/2025 08:30:00", "6/10/2025 08:30", "2025-10-06T08:30:00",
                                  "2025-10-06 08:30:00", "2025-10-06T01:30:00Z", "2025-10-06T08:30:00+07:00",
                                  "20251006083000"])
def test_both_date_formats(text):
    assert parse_datetime(text, "NgayTiepNhan") == at("2025-10-06 08:30")


@pytest.mark.parametrize("text", ["31/02/2025 08:00:00", "2025-13-01", "hôm qua", "06/10/1890 08:00:00"])
def test_bad_dates(text):
    with pytest.raises(ValueError):
        parse_datetime(text, "NgayTiepNhan")


def test_periods():
    assert periods.parse("2025-10") == periods.Period("2025-10", "month", dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    assert periods.parse("2025-w41").start == dt.date(2025, 10, 6)
    assert periods.parse("2025-W41").end == dt.date(2025, 10, 12)
    assert periods.parse("2025-Q1").end == dt.date(2025, 3, 31)
    assert periods.parse("2024-02").end == dt.date(2024, 2, 29)
    assert periods.parse("2025").end == dt.date(2025, 12, 31)
    assert periods.containing(dt.date(2025, 12, 31), "quarter").code == "2025-Q4"
    for bad in ("2025-13", "2025-W54", "2025-Q5", "oct"):
        with pytest.raises(UserError):
            periods.parse(bad)


def test_supplement_mode_is_checked():
    with pytest.raises(ValueError):
        rules.due_column("reset")
