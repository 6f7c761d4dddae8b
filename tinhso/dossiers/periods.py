"""Reporting periods of the 766 index: ISO week ``2025-W42``, month ``2025-10``, quarter ``2025-Q4``,
year ``2025``. A period is a closed range of calendar dates (Vietnam local time)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tinhso.core.errors import UserError


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
