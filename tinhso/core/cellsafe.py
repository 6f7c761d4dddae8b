"""Text stays text in the spreadsheets and CSV files tinhso writes (no formula injection).

A unit, indicator or source named ``=HYPERLINK("http://…","click")`` must reach the reader's Excel as
those characters, not as a live formula. Every writer of XLSX or CSV goes through here:

- XLSX: :func:`workbook_bytes` saves a workbook after :func:`text_as_text` marked every text cell that
  openpyxl took for a formula (any text starting with ``=``) as a string cell. tinhso writes no
  formulas of its own into cells (data-validation lists are not cells).
- CSV: :func:`csv_value` applies the OWASP rule — a text cell starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return gets a leading apostrophe — to text only: numbers, and text that is
  exactly a number (``-12.5``, ``+3``), are written as they are.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def csv_value(value):
    """``value`` for a CSV cell: a text that a spreadsheet would run as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: Iterable) -> list:
    return [csv_value(v) for v in values]


def csv_dict(row: Mapping) -> dict:
    return {k: csv_value(v) for k, v in row.items()}


def text_as_text(wb) -> None:
    """Mark every text cell openpyxl would write as a formula (text starting with ``=``) as a string."""
    for ws in wb.worksheets:
        for cell in ws._cells.values():
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"


def workbook_bytes(wb) -> bytes:
    """The workbook as .xlsx bytes, text kept as text."""
    text_as_text(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
