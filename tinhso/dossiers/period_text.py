"""Reporting periods as a reader writes them, and whether one is still running.

``2026-W49`` → "Tuần 49/2026 (30/11–06/12)" / "Week 49, 2026 (30 Nov–6 Dec)"; ``2026-12`` → "Tháng 12/2026" /
"December 2026"; ``2026-Q4`` → "Quý IV/2026" / "Q4 2026"; ``2026`` → "Năm 2026" / "2026". A period that is not
over yet is partial: its figures run "đến ngày 04/12/2026" / "to 4 Dec 2026" (today), not to its end.
"""

from __future__ import annotations

import datetime as dt

from tinhso.dossiers.periods import Period, containing

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
ROMAN = ("I", "II", "III", "IV")

MIN_SHARE_FOR_DEFAULT = 1 / 3
"""The period in progress opens by default only once a third of it has passed (a month: from its 10th or 11th day
(30 or 31 days); a week: from Wednesday); before that the page opens the last complete period. In the
first days of a month few dossiers are finished and the score swings (84.1 on the 4th of a month that
will end near 85): a provincial leader opening the page expects the last month's settled figure, with
the month in progress one click away and marked partial."""


def _day_en(day: dt.date) -> str:
    return f"{day.day} {MONTHS_EN[day.month - 1][:3]}"


def label(period: Period, english: bool) -> str:
    """The period as a reader writes it (without the partial note)."""
    if period.kind == "week":
        week = period.start.isocalendar().week
        year = period.start.isocalendar().year
        if english:
            return f"Week {week}, {year} ({_day_en(period.start)}–{_day_en(period.end)})"
        return f"Tuần {week}/{year} ({period.start:%d/%m}–{period.end:%d/%m})"
    if period.kind == "month":
        if english:
            return f"{MONTHS_EN[period.start.month - 1]} {period.start.year}"
        return f"Tháng {period.start.month}/{period.start.year}"
    if period.kind == "quarter":
        q = (period.start.month - 1) // 3 + 1
        return f"Q{q} {period.start.year}" if english else f"Quý {ROMAN[q - 1]}/{period.start.year}"
    return str(period.start.year) if english else f"Năm {period.start.year}"


def axis_label(period: Period, english: bool) -> str:
    """A short name for a chart's axis (twelve of them side by side)."""
    if period.kind == "week":
        iso = period.start.isocalendar()
        return f"W{iso.week}/{iso.year}" if english else f"T{iso.week}/{iso.year}"
    if period.kind == "month":
        return f"{MONTHS_EN[period.start.month - 1][:3]} {period.start.year}" if english else \
            f"{period.start.month:02d}/{period.start.year}"
    return label(period, english)


def is_partial(period: Period, today: dt.date) -> bool:
    """Not over yet: today falls inside it (a period still to come has no figures at all)."""
    return period.start <= today <= period.end


def partial_note(period: Period, today: dt.date, english: bool) -> str:
    """"đến ngày 04/12/2026" / "to 4 Dec 2026" for a period not over yet, else ""."""
    if not is_partial(period, today):
        return ""
    return f"to {_day_en(today)} {today.year}" if english else f"đến ngày {today:%d/%m/%Y}"


def full_label(period: Period, today: dt.date, english: bool) -> str:
    """The label with the partial note: "Tháng 12/2026 (đến ngày 04/12/2026)"."""
    note = partial_note(period, today, english)
    return f"{label(period, english)} ({note})" if note else label(period, english)


def default_period(day: dt.date, kind: str) -> Period:
    """The period of ``kind`` a page opens on for data up to ``day``: the one containing it once a third
    of it has passed (:data:`MIN_SHARE_FOR_DEFAULT`), else the one before (complete)."""
    current = containing(day, kind)
    length = (current.end - current.start).days + 1
    if (day - current.start).days + 1 >= length * MIN_SHARE_FOR_DEFAULT:
        return current
    return containing(current.start - dt.timedelta(days=1), kind)
