"""Working-time calendar: weekends, lunar Tết from the holidays library, make-up days, hours."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinhso.core.workcalendar import VIETNAM_TZ, WorkCalendar, parse_periods


def local(*args):
    return dt.datetime(*args, tzinfo=VIETNAM_TZ)


CAL = WorkCalendar()


def test_tet_2026_days_are_off():
    # Tết Bính Ngọ: the government gave Mon 16 – Fri 20 Feb 2026 (with the weekends: 14–22 Feb).
    for day in range(16, 21):
        assert not CAL.is_working_day(dt.date(2026, 2, day)), day
    assert CAL.is_working_day(dt.date(2026, 2, 13))
    assert CAL.is_working_day(dt.date(2026, 2, 23))


def test_make_up_saturday_from_library_is_a_working_day():
    # 2 May 2025 (Friday) was given off in exchange for working Saturday 26 April 2025.
    assert not CAL.is_working_day(dt.date(2025, 5, 2))
    assert CAL.is_working_day(dt.date(2025, 4, 26))
    assert not CAL.is_working_day(dt.date(2025, 4, 19))  # an ordinary Saturday


def test_add_hours_within_a_day_skips_lunch():
    assert CAL.add_working_time(local(2025, 3, 4, 10, 0), hours=2) == local(2025, 3, 4, 14, 0)  # 1.5 h + 0.5 h


def test_start_outside_hours_counts_from_next_period():
    assert CAL.add_working_time(local(2025, 3, 4, 19, 0), hours=1) == local(2025, 3, 5, 8, 30)
    assert CAL.add_working_time(local(2025, 3, 8, 9, 0), hours=1) == local(2025, 3, 10, 8, 30)  # Saturday


def test_friday_before_tet_2026_normal_report():
    # Friday 13 Feb 2026, 16:00: 8 working hours → 1 h on Friday, then the weekend and Tết until
    # Monday 23 Feb; the other 7 h are 07:30–11:30 (4 h) + 13:30–16:30 (3 h) that Monday.
    start = local(2026, 2, 13, 16, 0)
    assert CAL.add_working_time(start, hours=8) == local(2026, 2, 23, 16, 30)
    # 5 working days = 37.5 working hours → same time of day five working days later (23–27 Feb);
    # without the holiday it would have been Friday 20 Feb.
    assert CAL.add_working_time(start, days=5) == local(2026, 2, 27, 16, 0)


def test_day_before_tet_2027_urgent_report():
    # Tết 2027 in the library: Thu 4 – Wed 10 Feb 2027. A report at 16:00 on Wed 3 Feb:
    # 2 working hours → 1 h on Wed 3rd (until 17:00), then Thursday 11 Feb 07:30–08:30.
    start = local(2027, 2, 3, 16, 0)
    assert CAL.add_working_time(start, hours=2) == local(2027, 2, 11, 8, 30)


def test_working_time_between_is_inverse_of_add():
    start = local(2026, 2, 12, 9, 15)
    end = CAL.add_working_time(start, hours=23.5)
    assert CAL.working_time_between(start, end) == dt.timedelta(hours=23.5)
    assert CAL.working_time_between(end, start) == -dt.timedelta(hours=23.5)


def test_extra_tables_override_library():
    cal = WorkCalendar(extra_holidays=frozenset({dt.date(2025, 3, 5)}),
                       extra_working_days=frozenset({dt.date(2025, 3, 8)}))
    assert not cal.is_working_day(dt.date(2025, 3, 5))
    assert cal.is_working_day(dt.date(2025, 3, 8))
    assert cal.add_working_time(local(2025, 3, 4, 16, 0), hours=2) == local(2025, 3, 6, 8, 30)


def test_custom_periods_and_validation():
    cal = WorkCalendar(periods=parse_periods("08:00-12:00,13:00-17:00"))
    assert cal.day_seconds == 8 * 3600
    assert cal.add_working_time(local(2025, 3, 4, 11, 0), hours=2) == local(2025, 3, 4, 14, 0)
    with pytest.raises(ValueError, match="overlaps"):
        parse_periods("08:00-12:00,11:00-13:00")
    with pytest.raises(ValueError, match="expected HH:MM"):
        parse_periods("8h-12h")


def test_naive_datetimes_refused():
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_time(dt.datetime(2025, 3, 4, 9, 0), hours=1)


def walk_every_period(cal: WorkCalendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """Working time added the plain way, period by period of every day (no whole-day shortcut): what
    ``add_working_time`` must give to the microsecond."""
    remaining = round(seconds)
    cursor = start.astimezone(cal.tz)
    if remaining == 0:
        return cursor
    day = cursor.date()
    while True:
        if cal.is_working_day(day):
            for a, b in cal._intervals(day):
                begin = max(a, cursor)
                if begin >= b:
                    continue
                available = (b - begin).total_seconds()
                if remaining <= available:
                    return begin + dt.timedelta(seconds=remaining)
                remaining -= available
        day += dt.timedelta(days=1)


# Starts anywhere in 2025–2027 (Tết, make-up Saturdays, weekends, nights), to the microsecond.
starts = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31),
                      timezones=st.just(dt.UTC))
CALENDARS = [CAL, WorkCalendar(periods=parse_periods("08:00-12:00,13:00-17:30")),
             WorkCalendar(extra_holidays=frozenset({dt.date(2025, 3, 5), dt.date(2026, 6, 1)}),
                          extra_working_days=frozenset({dt.date(2025, 3, 8)}))]


@given(starts, st.floats(min_value=0, max_value=400), st.sampled_from(range(len(CALENDARS))))
def test_adding_hours_equals_walking_every_period(start, hours, which):
    cal = CALENDARS[which]
    assert cal.add_working_time(start, hours=hours) == walk_every_period(cal, start, hours * 3600)


@given(starts, st.sampled_from([0.5, 1, 2, 5, 7, 10, 15, 20, 30, 45, 60]), st.sampled_from(range(len(CALENDARS))))
def test_adding_days_equals_walking_every_period(start, days, which):
    cal = CALENDARS[which]
    assert (cal.add_working_time(start, days=days)
            == walk_every_period(cal, start, days * cal.day_seconds))
