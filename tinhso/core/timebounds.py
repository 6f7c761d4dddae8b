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
