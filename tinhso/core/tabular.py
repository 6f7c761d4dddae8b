"""Reading tidy tables from users: CSV or XLSX rows, row errors, and numbers typed as text.

Shared by every import (plan indicators, composite-index inputs) so that a number is read the same way
everywhere: an Excel number cell is exact; text is accepted only when its reading is certain.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.text import nfc


@dataclass
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


# --- reading files --------------------------------------------------------------------------------

def read_table(content: bytes, filename: str, preferred_sheets: tuple[str, ...] = ()) -> list[list]:
    """Rows of a CSV (UTF-8) or XLSX file; a workbook is read from the first preferred sheet it has.

    Read within the limits of :mod:`tinhso.core.limits` (rows, columns, cells, uncompressed bytes); a
    row runs to its last non-empty cell (rows are not padded to a common width)."""
    suffix = Path(filename).suffix.lower()
    limits.check_file_size(len(content))
    if suffix in (".xlsx", ".xlsm"):
        rows = limits.xlsx_rows(content, preferred_sheets)
    elif suffix in (".csv", ".txt"):
        rows = limits.csv_rows(content)
    else:
        raise UserError("unknown_format", f"Định dạng {suffix!r} không được hỗ trợ (.csv hoặc .xlsx)",
                        f"Unsupported format {suffix!r} (.csv or .xlsx)", field="file")
    _refuse_control_characters(rows)
    return rows


# C0 control characters other than tab, line feed and carriage return, and DEL: no table means them as
# text, a spreadsheet cannot hold them (openpyxl refuses them, PostgreSQL refuses NUL), and a page does
# not show them. Dropping them would alter the cell, so the file is refused, naming each cell.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_NAMED = 50


def _refuse_control_characters(rows: list[list]) -> None:
    header = rows[0] if rows else []
    errors = []
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            found = _CONTROL.search(value) if isinstance(value, str) else None
            if found and len(errors) < _MAX_NAMED:
                name = header[column - 1] if number > 1 and column <= len(header) else None
                name = name if isinstance(name, str) and name.strip() and not _CONTROL.search(name) else str(column)
                errors.append({"row": number, "column": name, "code": f"U+{ord(found.group()):04X}"})
    if errors:
        first = errors[0]
        raise UserError(
            "control_character",
            f"Ô dòng {first['row']} cột {first['column']} chứa ký tự điều khiển {first['code']}, không phải chữ "
            f"({len(errors)} ô như vậy); hãy xoá các ký tự đó rồi tải lại. Không có gì được nhập.",
            f"The cell at row {first['row']}, column {first['column']} holds the control character "
            f"{first['code']}, which is not text ({len(errors)} such cells); remove them and upload again. "
            "Nothing was imported.",
            field="file",
            details=[{"row": e["row"], "column": e["column"],
                      "reason": f"ký tự điều khiển {e['code']} / control character {e['code']}"} for e in errors])


def cell_text(value) -> str:
    """A cell as NFC text: whole floats without '.0', dates as YYYY-MM-DD, empty for None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return nfc(str(value))


class NumberError(ValueError):
    """A text that is not a number, or could be read as two different numbers; ``reason`` is vi / en,
    and ``vi``/``en`` each language's half where it was given apart (a page shows one language; the
    typed text quoted in it may itself hold " / ", so it is never split back)."""

    def __init__(self, reason: str, *, vi: str = "", en: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.vi, self.en = vi or reason, en or reason


# Vietnamese writes "1.234,5" where English writes "1,234.5": "." and "," are each either a thousands
# separator or the decimal mark. Only a text whose reading is certain is accepted.
_PLAIN = re.compile(r"[+-]?\d+")
_ONE_MARK = re.compile(r"[+-]?\d*[.,]\d+")
# One mark followed by exactly three digits after a 1–3 digit whole part: "1.234" is 1234 or 1,234.
_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")
# Well-formed grouping, optionally followed by the other mark as the decimal: "1.234.567", "1.234,5".
_GROUPED = {".": re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?"),
            ",": re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")}


def parse_number(text: str) -> float:
    """A number typed as text (CSV cell, text cell of a workbook); raises :class:`NumberError`.

    Accepted: plain digits; one decimal mark, "." or "," ("92,5", "0.125"); thousands grouping that
    cannot be a decimal ("1.234.567", "1.234,5", "1,234.5"). Refused: "1.234"/"12,500" (thousands or
    decimal?) and any other mix of marks.
    """
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "")
    if _PLAIN.fullmatch(cleaned):
        return float(cleaned)
    if _AMBIGUOUS.fullmatch(cleaned):
        whole, decimal = cleaned.replace(",", "").replace(".", ""), cleaned.replace(",", ".")
        vi = (f"số {text!r} không rõ nghĩa: dấu {cleaned[-4]!r} có thể là phân cách hàng nghìn ({whole}) hoặc "
              f"dấu thập phân ({decimal}); hãy ghi {whole} (không phân cách) hoặc thêm chữ số 0 "
              f"({cleaned}0) nếu là số thập phân")
        en = (f"ambiguous number {text!r}: {cleaned[-4]!r} may separate "
              f"thousands ({whole}) or be the decimal mark ({decimal}); write {whole} without separators, or "
              f"add a trailing zero ({cleaned}0) for the decimal")
        raise NumberError(f"{vi} / {en}", vi=vi, en=en)
    if _ONE_MARK.fullmatch(cleaned):
        return float(cleaned.replace(",", "."))
    for group, pattern in _GROUPED.items():
        if pattern.fullmatch(cleaned):
            decimal = "," if group == "." else "."
            return float(cleaned.replace(group, "").replace(decimal, "."))
    vi = (f"không phải số: {text!r} (chữ số, một dấu thập phân '.' hoặc ',', hoặc phân cách hàng nghìn rõ ràng "
          f"như 1.234,5)")
    en = (f"not a number: {text!r} (digits, one decimal mark '.' or ',', or unambiguous thousands "
          f"grouping such as 1.234,5 or 1,234.5)")
    raise NumberError(f"{vi} / {en}", vi=vi, en=en)


def cell_number(raw, text: str) -> float:
    """A workbook's numeric cell is an exact number and taken as is; text goes through :func:`parse_number`."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
        if not math.isfinite(value):
            raise NumberError(f"không phải số hữu hạn / not a finite number: {raw!r}")
        return value
    return parse_number(text)


def ambiguous_readings(text: str) -> tuple[float, float] | None:
    """The two readings of a text like "6.313" (6313 with a thousands mark, or 6.313), else None.

    An import that knows the valid range of a value can accept the one reading inside it.
    """
    cleaned = str(text).strip().replace("\u00a0", "").replace("\u202f", "")
    if not _AMBIGUOUS.fullmatch(cleaned):
        return None
    return float(cleaned.replace(",", "").replace(".", "")), float(cleaned.replace(",", "."))
