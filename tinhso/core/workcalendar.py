"""Working-time calendar of Vietnamese public administration.

A working day is Monday–Friday, or a make-up Saturday, unless it is a public holiday. Public
holidays (New Year, lunar Tết, Hùng Kings, 30/4, 1/5, National Day …) and the make-up working
days that the government announced come from the ``holidays`` package's Vietnam calendar
(``holidays.Vietnam``; it has Tết, the substituted bridge days "Ngày nghỉ (thay cho ngày …)" and
``weekend_workdays``). Decisions the library does not know yet are passed in as
``extra_holidays`` / ``extra_working_days`` (the reports app keeps them in an admin table).

Working hours default to 07:30–11:30 and 13:30–17:00 (7.5 h a day), local time
Asia/Ho_Chi_Minh. A "working day" of allowed time is one full day of working hours, so
"5 working days" from Tuesday 10:00 ends the next Tuesday at 10:00 when no holiday intervenes.

This module is pure (no database): build a :class:`WorkCalendar` and call
:meth:`~WorkCalendar.add_working_time` / :meth:`~WorkCalendar.working_time_between`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_PERIODS = ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 0)))
_MAX_DAYS = 3660  # a deadline more than ten years out is a configuration error
_DAYS_KEPT = 20_000  # days whose intervals a calendar keeps built


def parse_periods(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """``"07:30-11:30,13:30-17:00"`` → periods; raises ``ValueError`` naming the bad part."""
    periods = []
    for part in text.split(","):
        try:
            start, end = (dt.time.fromisoformat(x.strip()) for x in part.split("-"))
        except ValueError as exc:
            raise ValueError(f"bad working period {part!r} (expected HH:MM-HH:MM)") from exc
        if end <= start or (periods and start < periods[-1][1]):
            raise ValueError(f"working period {part!r} is empty or overlaps the previous one")
        periods.append((start, end))
    return tuple(periods)


@functools.lru_cache(maxsize=64)
def _library_year(year: int) -> holidays.HolidayBase:
    return holidays.Vietnam(years=year)


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class WorkCalendar:
    periods: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_PERIODS
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_working_days: frozenset[dt.date] = field(default_factory=frozenset)
    tz: ZoneInfo = VIETNAM_TZ
    # Each day's answer of is_working_day, once asked (the holidays library's look-up was most of a
    # deadline's arithmetic). The calendar is immutable, so the answers never go stale.
    _working: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)
    # Each day's working intervals, once built (aware datetimes are immutable: shared safely).
    _day_intervals: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @functools.cached_property  # the calendar is immutable (frozen: cached in the instance's __dict__)
    def day_seconds(self) -> int:
        return sum(_seconds(b) - _seconds(a) for a, b in self.periods)

    # -- days -------------------------------------------------------------------------------
    def holiday_name(self, day: dt.date) -> str | None:
        if day in self.extra_holidays:
            return "extra holiday"
        return _library_year(day.year).get(day)

    def is_working_day(self, day: dt.date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self._decide_working_day(day)
        return known

    def _decide_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if self.holiday_name(day) is not None:
            return False
        if day.weekday() < 5:
            return True
        return day in _library_year(day.year).weekend_workdays

    # -- time -------------------------------------------------------------------------------
    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("working-time arithmetic needs timezone-aware datetimes")
        return moment.astimezone(self.tz)

    def _intervals(self, day: dt.date) -> tuple:
        """The day's working intervals as aware local datetimes."""
        found = self._day_intervals.get(day)
        if found is None:
            if len(self._day_intervals) > _DAYS_KEPT:  # bounded: a long-running process asks about many days
                self._day_intervals.clear()
            found = self._day_intervals[day] = tuple(
                (dt.datetime.combine(day, start, self.tz), dt.datetime.combine(day, end, self.tz))
                for start, end in self.periods)
        return found

    def add_working_time(self, start: dt.datetime, *, hours: float = 0, days: float = 0) -> dt.datetime:
        """The moment when ``hours`` + ``days`` of working time have elapsed after ``start``.

        A start outside working hours counts from the next working moment. The result is an
        aware datetime in local time; zero amount returns ``start`` itself.
        """
        remaining = round(hours * 3600 + days * self.day_seconds)
        if remaining < 0:
            raise ValueError("working time to add must not be negative")
        cursor = self._local(start)
        if remaining == 0:
            return cursor
        day = cursor.date()
        whole_day = self.day_seconds
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                intervals = self._intervals(day)
                if remaining > whole_day and cursor <= intervals[0][0]:
                    remaining -= whole_day  # the whole day is used: no need to walk its periods
                    day += dt.timedelta(days=1)
                    continue
                for a, b in intervals:
                    begin = max(a, cursor)
                    if begin >= b:
                        continue
                    available = (b - begin).total_seconds()
                    if remaining <= available:
                        return begin + dt.timedelta(seconds=remaining)
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("deadline too far in the future")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time elapsed from ``start`` to ``end`` (negative if ``end`` is before ``start``)."""
        a, b = self._local(start), self._local(end)
        if b < a:
            return -self.working_time_between(end, start)
        total = 0.0
        day = a.date()
        if (b.date() - day).days > _MAX_DAYS:
            raise ValueError("interval too long for working-time arithmetic")
        while day <= b.date():
            if self.is_working_day(day):
                for x, y in self._intervals(day):
                    lo, hi = max(x, a), min(y, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return dt.timedelta(seconds=total)

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself if it is within working hours, else the start of the next period."""
        cursor = self._local(moment)
        day = cursor.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                for a, b in self._intervals(day):
                    if cursor < b:
                        return max(a, cursor)
            day += dt.timedelta(days=1)
        raise ValueError("no working time ahead")
