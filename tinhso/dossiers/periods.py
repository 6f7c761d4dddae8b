"""Reporting periods of the 766 index: ISO week ``2025-W42``, month ``2025-10``, quarter ``2025-Q4``,
year ``2025``. A period is a closed range of calendar dates (Vietnam local time).

Also the reception days a dossier list may be narrowed to (:func:`received_days`: ``since`` and
``until``, inclusive, ``YYYY-MM-DD``): the days of a figure that is not a whole calendar period, such
as the IOC wall's "today" or "this week to date"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tinhso.core.errors import UserError
from tinhso.core.timebounds import check_year


@dataclass(frozen=True)
class Period:
    code: str
    kind: str          # week | month | quarter | year
    start: dt.date
    end: dt.date       # inclusive


_PATTERNS = [
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
]


def parse(text: str) -> Period:
    code = str(text).strip().upper()
    for kind, pattern in _PATTERNS:
        m = pattern.match(code)
        if not m:
            continue
        year = int(m.group(1))
        try:
            if kind == "week":
                start = dt.date.fromisocalendar(year, int(m.group(2)), 1)
                return Period(code, kind, start, start + dt.timedelta(days=6))
            if kind == "month":
                month = int(m.group(2))
                start = dt.date(year, month, 1)
                return Period(code, kind, start, _month_end(year, month))
            if kind == "quarter":
                q = int(m.group(2))
                return Period(code, kind, dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
            return Period(code, kind, dt.date(year, 1, 1), dt.date(year, 12, 31))
        except ValueError:
            break
    raise UserError("bad_period", f"Kỳ {text!r} không hợp lệ (dạng 2025-W42, 2025-10, 2025-Q4 hoặc 2025)",
                    f"Invalid period {text!r} (use 2025-W42, 2025-10, 2025-Q4 or 2025)", field="period")


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def containing(day: dt.date, kind: str) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "week":
        iso = day.isocalendar()
        return parse(f"{iso.year}-W{iso.week:02d}")
    if kind == "month":
        return parse(f"{day.year}-{day.month:02d}")
    if kind == "quarter":
        return parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse(str(day.year))


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only
_SHOWN = 40  # characters of a refused value repeated in the message


def parse_day(value, field: str) -> dt.date | None:
    """A reception day given as ``field`` (``since`` or ``until``): a date, or its text ``YYYY-MM-DD``
    (a calendar date in Vietnam, as ``received_date`` in the store); ``None`` when empty. Anything else
    (another layout, an impossible date, a year outside :mod:`tinhso.core.timebounds`) is a 400 naming
    ``field``."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return check_year(value, field)
    text = str(value).strip()
    day = None
    if _DAY.fullmatch(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            day = None
    if day is None:
        shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
        raise UserError("bad_day", f"{field}: ngày “{shown}” không hợp lệ (ngày tiếp nhận, dạng YYYY-MM-DD, "
                                   f"ví dụ 2025-10-31)",
                        f"{field}: invalid day {shown!r} (the reception day, YYYY-MM-DD, e.g. 2025-10-31)",
                        field=field)
    return check_year(day, field, text)


def received_days(since, until) -> tuple[dt.date | None, dt.date | None]:
    """``since`` and ``until`` (:func:`parse_day`), either may be missing; ``until`` before ``since`` is a
    400 naming ``until``."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first and last and last < first:
        raise UserError("reversed_days", f"until: ngày {last.isoformat()} trước ngày bắt đầu (since) "
                                         f"{first.isoformat()}",
                        f"until: {last.isoformat()} is before the first day (since) {first.isoformat()}",
                        field="until", details={"since": first.isoformat(), "until": last.isoformat()})
    return first, last
