"""Dates and times a query may use: within years :data:`FIRST_YEAR`–:data:`LAST_YEAR`.

Python's calendar stops at years 1 and 9999, so a date at its edge overflows as soon as it is
moved to UTC for the database or a day is added to it (``9999-12-31T23:59:59-14:00``,
``0001-01-01T00:00:00+14:00``, an ``until`` of ``9999-12-31`` read as "to the end of that day"),
and the request failed with a 500. Parsers call :func:`check_year` on what they read, before any
arithmetic, so such values are a 400 naming the parameter; the years kept are far wider than any
report or plan period.
"""

from __future__ import annotations

import datetime as dt
import re

from tinhso.core.errors import UserError

FIRST_YEAR, LAST_YEAR = 1900, 9000


def check_year(value: dt.date | dt.datetime, field: str, text: str | None = None):
    """``value`` itself, or a 400 naming ``field`` when its year is outside the supported range."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        shown = text if text is not None else value.isoformat()
        raise UserError("date_out_of_range",
                        f"{field}: ngày “{shown}” nằm ngoài khoảng hỗ trợ (năm {FIRST_YEAR}–{LAST_YEAR}).",
                        f"{field}: the date {shown!r} is outside the supported range (years {FIRST_YEAR}–{LAST_YEAR}).",
                        field=field, details={"first_year": FIRST_YEAR, "last_year": LAST_YEAR})
    return value


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: what the forms and links write
_SHOWN = 40  # characters of a refused value repeated in the message


def parse_day(value, field: str) -> dt.date | None:
    """A calendar day given as ``field``: a date, or its text ``YYYY-MM-DD``; ``None`` when empty.
    Anything else (another layout, an impossible date, a year outside FIRST_YEAR–LAST_YEAR) is a 400
    naming ``field``. Shared by every ``since``/``until`` of the pages and APIs."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return check_year(value, field)
    text = str(value).strip()
    if not text:
        return None
    day = None
    if _DAY.fullmatch(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            day = None
    if day is None:
        shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
        raise UserError("bad_date", f"{field}: ngày “{shown}” không hợp lệ (dạng YYYY-MM-DD, ví dụ 2025-10-31).",
                        f"{field}: invalid date {shown!r} (use YYYY-MM-DD, e.g. 2025-10-31).", field=field)
    return check_year(day, field, text)


def day_range(since, until) -> tuple[dt.date | None, dt.date | None]:
    """``since`` and ``until`` (:func:`parse_day`, both days included), either may be missing; ``until``
    before ``since`` is a 400 naming ``until``."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first and last and last < first:
        raise UserError("bad_date_range", f"until: ngày {last.isoformat()} trước ngày bắt đầu (since) {first.isoformat()}.",
                        f"until: {last.isoformat()} is before the first day (since) {first.isoformat()}.",
                        field="until", details={"since": first.isoformat(), "until": last.isoformat()})
    return first, last
