"""Reading index inputs: a tidy table ``unit, period, indicator, value`` (CSV, XLSX or JSON rows).

``indicator`` is a node code of the method (or its alias or name, with or without diacritics); for a DTI
main index the value is the 0–1 index value, for a PCI sub-index the 1–10 score, for a 766 indicator the
rate in percent. Every row is checked before anything is computed and every problem is reported with
its row and column (the header is row 1, as a spreadsheet shows it); nothing is dropped silently.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

import numpy as np

from tinhso.core.errors import UserError
from tinhso.core.tabular import NumberError, RowError, ambiguous_readings, cell_number, cell_text, read_table
from tinhso.core.text import fold
from tinhso.indices.methodology import Method, Node

# Header names accepted for each column (folded): English, Vietnamese with or without marks.
COLUMN_NAMES = {
    "unit": ("unit", "don vi", "tinh", "province", "tinh/thanh pho", "ma don vi", "unit code"),
    "period": ("period", "ky", "nam", "year", "ky danh gia"),
    "indicator": ("indicator", "chi so", "ma chi so", "chi tieu", "node"),
    "value": ("value", "gia tri", "diem", "score"),
    "unit_name": ("unit_name", "ten don vi", "ten tinh", "name"),
    "source": ("source", "nguon"),
    "note": ("note", "ghi chu"),
}
REQUIRED_COLUMNS = ("unit", "period", "indicator", "value")
MAX_ROWS = 200_000
MAX_ERRORS = 100


@dataclass
class PeriodInput:
    units: list[str]
    given: np.ndarray                       # units × method.order, NaN when not given
    rows: dict[tuple[int, int], int] = field(default_factory=dict)   # (unit, node column) → input row


@dataclass
class IndexDataset:
    method: Method
    periods: dict[str, PeriodInput]          # in time order
    unit_names: dict[str, str] = field(default_factory=dict)

    def latest(self) -> str:
        return list(self.periods)[-1]


@dataclass
class InputRow:
    row: int
    unit: str
    period: str
    indicator: str
    value: object          # raw cell (number or text)
    unit_name: str = ""


def _period_key(period: str):
    """Years in time order, then other labels as text (ASCII digits only: "²" is a digit to
    ``str.isdigit`` but not to ``int``)."""
    digits = period.removeprefix("-")
    return (0, int(period), period) if digits.isascii() and digits.isdigit() else (1, 0, period)


def input_range(node: Node) -> tuple[float, float]:
    """Valid range of what a user enters for a node: a leaf's raw input, or a parent's value."""
    return node.input_range if node.is_leaf else node.range


def _fmt(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:g}"


def _range_reason(node: Node, value: float) -> str:
    lo, hi = input_range(node)
    reason = (f"giá trị {value:g} ngoài khoảng [{_fmt(lo)}, {_fmt(hi)}] của {node.code} ({node.name_vi}) / "
              f"value {value:g} outside [{_fmt(lo)}, {_fmt(hi)}] for {node.code} ({node.name_en})")
    if node.unit == "share" and node.is_leaf and node.rule.kind == "value" and node.max and 1 < value <= node.max:
        reason += (f"; giá trị là điểm ÷ {node.max:g}: nếu {value:g} là điểm thì nhập {value / node.max:.4f} / "
                   f"the value is points ÷ {node.max:g}: if {value:g} is points, enter {value / node.max:.4f}")
    return reason


def _value(node: Node, raw: object) -> float:
    text = cell_text(raw)
    if text == "":
        raise NumberError("thiếu giá trị / value required")
    try:
        return cell_number(raw, text)
    except NumberError:
        readings = ambiguous_readings(text)
        if readings is None:
            raise
        lo, hi = input_range(node)
        fitting = [r for r in readings if lo <= r <= hi]
        if len(fitting) == 1:  # only one reading is a possible value of this indicator
            return fitting[0]
        raise


def short_name(code: str) -> str:
    """How people call a method: ``dti-922`` → "DTI 922", ``pci-2013`` → "PCI 2013", ``svc-766`` → "766"."""
    family, _, number = code.partition("-")
    return number if family == "svc" else f"{family.upper()} {number}".strip()


# A file fits another method when that method knows at least this share of its indicator names
# (and more of them than the chosen method does).
RECOGNISE_SHARE = 0.8


def recognise(method: Method, texts: set[str]) -> None:
    """Raise ``looks_like_other_method`` when the indicator names of a file fit another shipped method
    better than the chosen one ("tệp này giống tệp DTI 922"), instead of one row error per row."""
    from tinhso.indices import methodology

    texts = {t for t in texts if t}
    if not texts:
        return
    chosen = sum(1 for t in texts if method.resolve(t))
    if chosen == len(texts):
        return
    best, best_count = None, chosen
    for code in methodology.available_methods():
        if code == method.code:
            continue
        other = methodology.load_method(code, allow_files=False)
        count = sum(1 for t in texts if other.resolve(t))
        if count > best_count:
            best, best_count = other, count
    if best is None or best_count < RECOGNISE_SHARE * len(texts):
        return
    n = len(texts)
    raise UserError(
        "looks_like_other_method",
        f"Tệp này giống tệp {short_name(best.code)}: {best_count}/{n} tên chỉ số khớp phương pháp "
        f"“{best.title_vi}”, chỉ {chosen}/{n} khớp phương pháp đã chọn ({short_name(method.code)}). "
        f"Hãy chọn phương pháp {short_name(best.code)} rồi tải tệp lên lại.",
        f"This looks like a {short_name(best.code)} file: {best_count} of {n} indicator names fit "
        f"“{best.title_en}”, only {chosen} of {n} fit the chosen method ({short_name(method.code)}). "
        f"Choose {short_name(best.code)} and upload the file again.",
        field="method", details={"suggested_method": best.code, "matched": best_count, "indicators": n,
                                 "chosen_method": method.code, "chosen_matched": chosen})


def build(method: Method, rows: list[InputRow]) -> IndexDataset:
    """Check every row and arrange the values per period; raises UserError listing each bad row
    (or, when the file fits another method, one error naming it: :func:`recognise`)."""
    recognise(method, {cell_text(r.indicator) for r in rows})
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    accepted: list[tuple[str, str, str, float, int]] = []
    names: dict[str, str] = {}
    codes = list(method.nodes)
    resolved: dict[str, str | None] = {}  # a table repeats the same indicator texts thousands of times
    for r in rows:
        if len(errors) >= MAX_ERRORS:
            break
        unit, period = cell_text(r.unit), cell_text(r.period)
        if not unit:
            errors.append(RowError(r.row, "unit", "bắt buộc / required"))
        elif len(unit) > 100:
            errors.append(RowError(r.row, "unit", "dài quá 100 ký tự / longer than 100 characters"))
        if not period:
            errors.append(RowError(r.row, "period", "bắt buộc / required"))
        indicator_text = cell_text(r.indicator)
        if indicator_text not in resolved:
            resolved[indicator_text] = method.resolve(indicator_text) if indicator_text else None
        code = resolved[indicator_text]
        if not indicator_text:
            errors.append(RowError(r.row, "indicator", "bắt buộc / required"))
        elif code is None:
            close = difflib.get_close_matches(fold(indicator_text), codes, n=3, cutoff=0.5)
            hint = f" (gần giống / did you mean: {', '.join(close)})" if close else ""
            errors.append(RowError(r.row, "indicator",
                                   f"không có chỉ số {indicator_text!r} trong phương pháp {method.code} / unknown "
                                   f"indicator {indicator_text!r} for method {method.code}{hint}"))
        if code is None:
            continue
        node = method.nodes[code]
        try:
            value = _value(node, r.value)
        except NumberError as exc:
            errors.append(RowError(r.row, "value", exc.reason))
            continue
        lo, hi = input_range(node)
        if not lo <= value <= hi:
            errors.append(RowError(r.row, "value", _range_reason(node, value)))
            continue
        if not unit or not period:
            continue
        key = (unit, period, code)
        if key in seen:
            errors.append(RowError(r.row, "indicator", f"trùng với dòng {seen[key]} ({unit}, {period}, {code}) / "
                                                       f"duplicate of row {seen[key]} ({unit}, {period}, {code})"))
            continue
        seen[key] = r.row
        if r.unit_name:
            names.setdefault(unit, cell_text(r.unit_name))
        accepted.append((unit, period, code, value, r.row))
    if errors:
        shown = "; ".join(f"dòng/row {e.row}, {e.column}: {e.reason}" for e in errors[:3])
        raise UserError("index_input_invalid",
                        f"Dữ liệu đầu vào có {len(errors)} lỗi, chưa tính: {shown}",
                        f"The input has {len(errors)} error(s); nothing computed: {shown}",
                        field="file", details=[e.as_dict() for e in errors])
    if not accepted:
        raise UserError("index_input_empty", "Không có dòng dữ liệu nào", "The input has no data rows", field="file")
    column = method.columns
    by_period: dict[str, list[tuple[str, str, float, int]]] = {}
    for unit, period, code, value, rownum in accepted:
        by_period.setdefault(period, []).append((unit, code, value, rownum))
    periods: dict[str, PeriodInput] = {}
    for period in sorted(by_period, key=_period_key):
        entries = by_period[period]
        units = list(dict.fromkeys(e[0] for e in entries))
        index = {u: i for i, u in enumerate(units)}
        given = np.full((len(units), len(method.order)), np.nan)
        where: dict[tuple[int, int], int] = {}
        for unit, code, value, rownum in entries:
            given[index[unit], column[code]] = value
            where[(index[unit], column[code])] = rownum
        periods[period] = PeriodInput(units=units, given=given, rows=where)
    return IndexDataset(method=method, periods=periods, unit_names=names)


def _header_key(title: str) -> str:
    return " ".join(fold(title).replace("_", " ").split())


def _header_map(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    lookup = {_header_key(name): col for col, names in COLUMN_NAMES.items() for name in names}
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for i, title in enumerate(header):
        if not title:
            continue
        col = lookup.get(_header_key(title))
        if col is None:
            errors.append(RowError(1, title, f"cột không biết / unknown column {title!r} (unit, period, indicator, "
                                             "value; tùy chọn / optional: unit_name, source, note)"))
        elif col in found:
            errors.append(RowError(1, title, f"cột {col} lặp lại / column {col} appears twice"))
        else:
            found[col] = i
    for col in REQUIRED_COLUMNS:
        if col not in found:
            errors.append(RowError(1, col, f"thiếu cột / missing column {col!r}"))
    return found, errors


def read_file(method: Method, content: bytes, filename: str) -> IndexDataset:
    """A CSV or XLSX upload (first sheet, or one named 'data'/'dữ liệu')."""
    table = read_table(content, filename, ("data", "dữ liệu", "Data"))
    while table and not any(cell_text(c) for c in table[-1]):
        table.pop()
    if not table:
        raise UserError("index_input_empty", "Tệp rỗng", "The file is empty", field="file")
    if len(table) - 1 > MAX_ROWS:
        raise UserError("index_input_too_large", f"Tệp có {len(table) - 1} dòng, tối đa {MAX_ROWS}",
                        f"The file has {len(table) - 1} rows; at most {MAX_ROWS}", field="file", status=413)
    header = [cell_text(c) for c in table[0]]
    columns, errors = _header_map(header)
    if errors:
        raise UserError("index_input_invalid", "Dòng tiêu đề không đúng: " + "; ".join(e.reason for e in errors),
                        "Bad header row: " + "; ".join(e.reason for e in errors), field="file",
                        details=[e.as_dict() for e in errors])

    def cell(row: list, col: str) -> object:
        i = columns.get(col)
        return row[i] if i is not None and i < len(row) else None

    rows = [InputRow(row=n, unit=cell(r, "unit"), period=cell(r, "period"), indicator=cell(r, "indicator"),
                     value=cell(r, "value"), unit_name=cell_text(cell(r, "unit_name")))
            for n, r in enumerate(table[1:], start=2) if any(cell_text(c) for c in r)]
    return build(method, rows)


def from_records(method: Method, records: list[dict]) -> IndexDataset:
    """JSON rows (API): ``[{"unit", "period", "indicator", "value"}]``; row numbers count from 1."""
    if len(records) > MAX_ROWS:
        raise UserError("index_input_too_large", f"{len(records)} dòng, tối đa {MAX_ROWS}",
                        f"{len(records)} rows; at most {MAX_ROWS}", field="rows", status=413)
    return build(method, [InputRow(row=i, unit=r.get("unit"), period=r.get("period"), indicator=r.get("indicator"),
                                   value=r.get("value"), unit_name=cell_text(r.get("unit_name")))
                          for i, r in enumerate(records, start=1)])
