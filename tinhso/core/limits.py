"""Bounded readers for files and bodies users give us: XLSX, CSV, JSON, gzip.

A small file may claim to be huge: an XLSX whose sheet says it spans ``A1:XFD1048576`` or has one
cell in column XFD, a zip or gzip member that inflates a thousandfold, JSON nested 100,000 deep. Every
reader of a user file goes through this module, which refuses such a file with a :class:`UserError`
naming the limit *before or while* reading, never after it built the whole thing in memory:

- :func:`xlsx_rows` checks the zip directory first (member count, declared uncompressed sizes, their
  compression ratio; Python's :mod:`zipfile` never inflates a member past its declared size), then
  streams the sheet XML cell by cell. The sheet's ``<dimension>`` claim is ignored, rows are not padded
  to it, and the row number, column number and cells read are checked as they come.
- :func:`csv_rows` checks rows, columns, cells and the length of each cell while reading; it reads
  a semicolon-separated file (what Excel writes on Vietnamese regional settings) when the header
  clearly uses ``;``, and says so when it is given an Excel workbook named ``.csv``.
- :func:`load_json` refuses nesting deeper than a bound and text that cannot be stored (lone UTF-16
  surrogates such as ``"\\ud800"``).
- :func:`gunzip` inflates at most a bound and reports a damaged or truncated stream.

The defaults are in :data:`DEFAULTS`; a deployment may change any of them with the Django setting
``TINHSO_FILE_LIMITS`` (a dict with the same keys). ``docs/security.md`` ("Limits on user files")
lists them. The table readers say a limit in words ("tối đa 250.000 dòng", :data:`LIMIT_WORDS`), as a
clerk uploading a file reads it; the setting key and value are in the error's ``details``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator

from tinhso.core.errors import UserError
from tinhso.core.i18n import grouped

MiB = 1024 * 1024

DEFAULTS: dict[str, int] = {
    # Tables (CSV and XLSX uploads, the CLI's input files).
    "table_file_bytes": 20 * MiB,    # the file as given (an API may set a lower limit of its own)
    "table_rows": 250_000,           # rows of a table, the header included
    "table_columns": 256,            # the last column a row may use (IV)
    "table_cells": 4_000_000,        # cells held in memory for a table (each row up to its last cell)
    "cell_chars": 32_767,            # Excel's own limit for a cell's text
    # XLSX (a zip of XML files).
    "xlsx_members": 1_000,           # files inside the zip
    "xlsx_uncompressed_bytes": 64 * MiB,   # all members together, as declared and as read
    "xlsx_ratio": 100,               # uncompressed / compressed, for a member larger than 1 MiB
    # Composite-index method files (YAML, CLI --method).
    "method_file_bytes": 1 * MiB,
    # JSON bodies and files.
    "json_depth": 64,                # nested arrays/objects
    # Boundary files (GeoJSON[.gz], GeoPackage) imported by an administrator.
    "geo_file_bytes": 256 * MiB,     # the file as given
    "geo_uncompressed_bytes": 256 * MiB,   # a .gz once inflated
    "geo_features": 50_000,
    "geo_property_chars": 500,       # a feature's code or name
    # Dossier files (tinhso dossiers import: JSON, JSON Lines, CSV, XLSX, Parquet; tinhso.dossiers.reader).
    "dossier_file_bytes": 512 * MiB,          # the file as given
    "dossier_records": 2_000_000,             # records (rows) of one file: split bigger syncs
    "dossier_columns": 200,                   # columns of a CSV/XLSX/Parquet file
    "dossier_uncompressed_bytes": 2048 * MiB,  # XLSX members / Parquet column data, once decompressed
}
RATIO_FLOOR_BYTES = 1 * MiB       # a member smaller than this may compress as well as it likes


def limit(name: str) -> int:
    """The limit ``name``: the ``TINHSO_FILE_LIMITS`` setting if it names it, else the default."""
    try:
        from django.conf import settings

        configured = getattr(settings, "TINHSO_FILE_LIMITS", None) or {}
    except Exception:  # Django not configured (a plain script)
        configured = {}
    return int(configured.get(name, DEFAULTS[name]))


def too_large(code: str, vi: str, en: str, name: str, *, field: str = "file", plain: bool = False,
              **details) -> UserError:
    """A refusal naming the limit in both languages; HTTP 413.

    By default the message names the setting key and its value (``limit table_rows = 250000``), for
    an administrator's command line. ``plain=True`` (the readers of files people upload on a page)
    says the limit in words a clerk understands instead ("tối đa 250.000 dòng"); the setting key and
    value stay in ``details`` either way."""
    value = limit(name)
    if plain and name in LIMIT_WORDS:
        words_vi, words_en = LIMIT_WORDS[name]
        suffix_vi, suffix_en = words_vi(value), words_en(value)
    else:
        suffix_vi, suffix_en = f"giới hạn {name} = {value}", f"limit {name} = {value}"
    return UserError(code, f"{vi} ({suffix_vi})", f"{en} ({suffix_en})",
                     field=field, status=413, details={"limit": name, "value": value, **details})


def _mib(n: int) -> str:
    return f"{n / MiB:.1f} MB"


def _count_vi(n: int | float) -> str:
    """A number as Vietnamese writes it: 250.000, 25,3."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:.1f}".replace(".", ",")
    return grouped(n, english=False)


def _count_en(n: int | float) -> str:
    if isinstance(n, float) and not n.is_integer():
        return f"{n:.1f}"
    return grouped(n, english=True)


def _size(n: int) -> tuple[float | int, str]:
    if n >= MiB:
        return round(n / MiB, 1), "MB"
    if n >= 1024:
        return round(n / 1024, 1), "KB"
    return n, "byte"


def _mb_vi(n: int) -> str:
    """A size in bytes as Vietnamese writes it: 25,3 MB, 100 byte."""
    value, unit = _size(n)
    return f"{_count_vi(value)} {unit}"


def _mb_en(n: int) -> str:
    value, unit = _size(n)
    return f"{_count_en(value)} {unit}{'s' if unit == 'byte' and value != 1 else ''}"


# The table limits in words, for :func:`too_large` with ``plain=True`` (vi, en), given the limit's value.
LIMIT_WORDS = {
    "table_file_bytes": (lambda v: f"tối đa {_mb_vi(v)} mỗi tệp", lambda v: f"at most {_mb_en(v)} per file"),
    "table_rows": (lambda v: f"tối đa {_count_vi(v)} dòng mỗi tệp; hãy chia thành nhiều tệp",
                   lambda v: f"at most {_count_en(v)} rows per file; split it into several files"),
    "table_columns": (lambda v: f"tối đa {_count_vi(v)} cột mỗi tệp",
                      lambda v: f"at most {_count_en(v)} columns per file"),
    "table_cells": (lambda v: f"tối đa {_count_vi(v)} ô mỗi tệp; hãy chia thành nhiều tệp",
                    lambda v: f"at most {_count_en(v)} cells per file; split it into several files"),
    "cell_chars": (lambda v: f"mỗi ô tối đa {_count_vi(v)} ký tự", lambda v: f"at most {_count_en(v)} characters "
                   "per cell"),
    "xlsx_members": (lambda v: f"một tệp Excel thông thường có ít hơn {_count_vi(v)} phần; hãy mở tệp bằng Excel, "
                     "lưu lại rồi tải lên",
                     lambda v: f"an ordinary Excel file has fewer than {_count_en(v)} parts; open the file in "
                     "Excel, save it again and upload it"),
    "xlsx_uncompressed_bytes": (lambda v: f"tối đa {_mb_vi(v)} khi giải nén; hãy chia thành nhiều tệp",
                                lambda v: f"at most {_mb_en(v)} uncompressed; split it into several files"),
    "xlsx_ratio": (lambda v: f"một bảng tính thông thường không nén quá {_count_vi(v)} lần; tệp có thể bị hỏng hoặc "
                   "được tạo để gây hại: hãy mở bằng Excel, lưu lại rồi tải lên",
                   lambda v: f"an ordinary spreadsheet is not compressed more than {_count_en(v)} times; the file "
                   "may be damaged or made to cause harm: open it in Excel, save it again and upload it"),
}


# --- zip (XLSX) -------------------------------------------------------------------------------------

def check_zip(archive: zipfile.ZipFile, what: str = "XLSX") -> None:
    """Refuse a zip whose directory promises more than the limits, before any member is inflated.

    The declared sizes are binding: :mod:`zipfile` stops a member at its declared size (and fails the
    CRC check if the data says otherwise), so the actual bytes read never exceed what is checked here.
    """
    members = archive.infolist()
    if len(members) > limit("xlsx_members"):
        raise too_large("file_too_many_members", f"Tệp {what} có {_count_vi(len(members))} phần bên trong",
                        f"The {what} file holds {_count_en(len(members))} parts", "xlsx_members", plain=True)
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limit("xlsx_ratio") * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise too_large("file_compression_ratio",
                            f"Phần {info.filename!r} của tệp {what} bị nén {_count_vi(round(ratio))} lần",
                            f"Part {info.filename!r} of the {what} file is compressed {_count_en(round(ratio))} times",
                            "xlsx_ratio", plain=True, member=info.filename)
    if total > limit("xlsx_uncompressed_bytes"):
        raise too_large("file_uncompressed_too_large",
                        f"Tệp {what} khi giải nén là {_mb_vi(total)}", f"The {what} file is {_mb_en(total)} uncompressed",
                        "xlsx_uncompressed_bytes", plain=True, size=total)


# --- tables -----------------------------------------------------------------------------------------

class _TableBudget:
    """Counts rows and cells of one table as they are read and refuses past the limits."""

    def __init__(self):
        self.rows, self.cells = 0, 0
        self.max_rows, self.max_columns = limit("table_rows"), limit("table_columns")
        self.max_cells, self.max_chars = limit("table_cells"), limit("cell_chars")

    def row(self, number: int, width: int) -> None:
        if number > self.max_rows:
            raise too_large("table_too_many_rows", f"Tệp có hơn {_count_vi(self.max_rows)} dòng",
                            f"The file has more than {_count_en(self.max_rows)} rows", "table_rows", plain=True,
                            row=number)
        if width > self.max_columns:
            raise too_large("table_too_many_columns", f"Dòng {number} có ô ở cột {_count_vi(width)}",
                            f"Row {number} has a cell in column {width}", "table_columns", plain=True, row=number)
        self.rows = number
        self.cells += width
        if self.cells > self.max_cells:
            raise too_large("table_too_many_cells", f"Tệp có hơn {_count_vi(self.max_cells)} ô (đến dòng {number})",
                            f"The file has more than {_count_en(self.max_cells)} cells (by row {number})",
                            "table_cells", plain=True, row=number)

    def text(self, value: str, number: int, column: int) -> None:
        if len(value) > self.max_chars:
            raise too_large("table_cell_too_long",
                            f"Ô dòng {number} cột {column} dài {_count_vi(len(value))} ký tự",
                            f"The cell at row {number}, column {column} is {_count_en(len(value))} characters long",
                            "cell_chars", plain=True, row=number, column=column)


def check_file_size(size: int, name: str = "table_file_bytes", field: str = "file") -> None:
    """Refuse a file of ``size`` bytes over the limit ``name`` (before reading it, when the size is known)."""
    if size > limit(name):
        raise too_large("file_too_large", f"Tệp có {_mb_vi(size)}", f"The file is {_mb_en(size)}", name,
                        field=field, plain=True, size=size)


# The first bytes of an Excel workbook: .xlsx is a ZIP archive, the old .xls an OLE2 compound file.
_XLSX_MAGIC, _XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


def _refuse_workbook_as_csv(content: bytes) -> None:
    """An Excel file renamed (or saved) with a .csv name is said to be one, with what to do."""
    if content.startswith(_XLSX_MAGIC):
        raise UserError("excel_not_csv",
                        "Đây là tệp Excel (.xlsx) mang đuôi .csv. Hãy đổi tên tệp thành .xlsx rồi tải lên, hoặc "
                        "mở tệp bằng Excel, chọn Lưu thành (Save As) → \"CSV UTF-8\" rồi tải tệp CSV đó lên.",
                        "This is an Excel file (.xlsx) named .csv. Rename it to .xlsx and upload it, or open it "
                        "in Excel, choose Save As → \"CSV UTF-8\" and upload that CSV file.", field="file")
    if content.startswith(_XLS_MAGIC):
        raise UserError("excel_not_csv",
                        "Đây là tệp Excel đời cũ (.xls) mang đuôi .csv. Hãy mở tệp bằng Excel, chọn Lưu thành "
                        "(Save As) → \"Sổ làm việc Excel (.xlsx)\" hoặc \"CSV UTF-8\", rồi tải tệp mới lên.",
                        "This is an old Excel file (.xls) named .csv. Open it in Excel, choose Save As → "
                        "\"Excel Workbook (.xlsx)\" or \"CSV UTF-8\", and upload the new file.", field="file")


_HEADER_CHARS = 64 * 1024  # how much of the text is looked at for the header line


def _delimiter(text: str) -> str:
    """``;`` when the header line clearly uses it, else ``,``.

    Excel on Vietnamese (and most European) regional settings writes "CSV" with semicolons, the comma
    being the decimal mark. A header that read with commas is a single cell holding ``;`` is such a
    file: it is read with ``;`` (a one-column file never has a ``;`` in its header, so nothing that
    was read before is read differently)."""
    end = text.find("\n", 0, _HEADER_CHARS)
    first_line = text[:end if end >= 0 else _HEADER_CHARS].rstrip("\r")
    if ";" not in first_line:
        return ","
    try:
        cells = next(csv.reader([first_line]), [])
    except csv.Error:  # the reader proper says what is wrong with the file
        return ","
    return ";" if len(cells) == 1 and ";" in cells[0] else ","


def csv_rows(content: bytes) -> list[list[str]]:
    """Rows of a UTF-8 CSV (a BOM is allowed), each up to its last cell, within the table limits.

    Separated by commas, or by semicolons when the header line uses them (:func:`_delimiter`). An
    Excel workbook given as CSV is refused saying what it is (``excel_not_csv``)."""
    _refuse_workbook_as_csv(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError("bad_encoding",
                        "Tệp CSV phải mã hóa UTF-8. Trong Excel, chọn Lưu thành (Save As) → \"CSV UTF-8\" "
                        "rồi tải lên lại.",
                        "The CSV file must be UTF-8 encoded. In Excel, choose Save As → \"CSV UTF-8\" and "
                        "upload it again.", field="file") from exc
    budget = _TableBudget()
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    rows = []
    try:
        for number, row in enumerate(reader, start=1):
            budget.row(number, len(row))
            for column, value in enumerate(row, start=1):
                budget.text(value, number, column)
            rows.append(row)
    except csv.Error as exc:  # a field over csv.field_size_limit, a quote left open, …
        raise UserError("csv_malformed", f"CSV hỏng ở dòng {reader.line_num}: {exc}",
                        f"Malformed CSV at line {reader.line_num}: {exc}", field="file") from None
    return rows


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_TAG, _CELL_TAG = _SHEET_NS + "row", _SHEET_NS + "c"


def _sheet_cells(parser, source, budget: _TableBudget) -> Iterator[tuple[int, list]]:
    """(row number, values up to the row's last cell) from a sheet's XML, one cell element at a time.

    openpyxl's own row reader keeps a whole ``<row>`` element (any number of cells) before it looks at
    it and pads rows to the sheet's claimed width; this reads each ``<c>`` as it ends, checks its column
    at once and drops the element, so memory stays bounded whatever the XML says.
    """
    from openpyxl.xml.functions import iterparse

    number, values, cells_in_row = 0, [], 0
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _ROW_TAG:
                given = element.get("r")
                try:
                    number = int(given) if given else number + 1
                except ValueError:
                    raise UserError("bad_workbook", f"Số dòng không hợp lệ trong tệp Excel: {given!r}",
                                    f"Invalid row number in the Excel file: {given!r}", field="file") from None
                if number < 1:
                    raise UserError("bad_workbook", f"Số dòng không hợp lệ trong tệp Excel: {given!r}",
                                    f"Invalid row number in the Excel file: {given!r}", field="file")
                budget.row(number, 0)
                parser.row_counter, parser.col_counter = number, 0
                values, cells_in_row = [], 0
            continue
        if tag == _CELL_TAG:
            cell = parser.parse_cell(element)
            element.clear()
            cells_in_row += 1
            column = cell["column"]
            if column > budget.max_columns or cells_in_row > budget.max_columns:
                budget.row(number, max(column, cells_in_row))
            value = cell["value"]
            if isinstance(value, str):
                budget.text(value, number, column)
            if value is not None:
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values[column - 1] = value
        elif tag == _ROW_TAG:
            element.clear()
            budget.row(number, len(values))
            yield number, values


_PROLOG_BYTES = 64 * 1024
_ROOT_TAG = re.compile(rb"<[A-Za-z_]")


def _refuse_doctypes(archive: zipfile.ZipFile) -> None:
    """An XLSX part never has a DTD; one that declares one (entity expansion, "billion laughs") is refused
    before any XML parser sees it. The root element must start within the first 64 KiB."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(info) as member:
            head = member.read(_PROLOG_BYTES)
        root = _ROOT_TAG.search(head)
        if b"<!DOCTYPE" in head[:root.start() if root else len(head)] or (root is None and len(head) == _PROLOG_BYTES):
            raise UserError("bad_workbook", f"Tệp Excel có phần {info.filename!r} khai báo DTD (không được phép)",
                            f"The Excel file's part {info.filename!r} declares a DTD (not allowed)", field="file")


def xlsx_rows(content: bytes, preferred_sheets: tuple[str, ...] = ()) -> list[list]:
    """Rows of a workbook's first preferred sheet (else its first sheet): cell values up to each row's
    last non-empty cell; a missing row is an empty list. Within the zip and table limits."""
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UserError("bad_workbook", f"Không đọc được tệp Excel: {exc}", f"Cannot read the Excel file: {exc}",
                        field="file") from exc
    check_zip(archive)
    try:
        _refuse_doctypes(archive)
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = next((wb[name] for name in preferred_sheets if name in wb.sheetnames), wb.worksheets[0])
        parser = WorkSheetParser(None, sheet._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        budget = _TableBudget()
        rows: list[list] = []
        with sheet._get_source() as source:
            for number, values in _sheet_cells(parser, source, budget):
                if number <= len(rows):
                    raise UserError("bad_workbook", f"Dòng {number} xuất hiện hai lần trong tệp Excel",
                                    f"Row {number} appears twice in the Excel file", field="file")
                rows.extend([] for _ in range(number - 1 - len(rows)))
                rows.append(values)
        wb.close()
    except UserError:
        raise
    except Exception as exc:  # openpyxl and the XML parser raise many types for a damaged file
        raise UserError("bad_workbook", f"Không đọc được tệp Excel: {exc}", f"Cannot read the Excel file: {exc}",
                        field="file") from exc
    return rows


# --- JSON -------------------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def _invalid_json(what: str, vi: str, en: str, field: str, code: str = "invalid_json") -> UserError:
    return UserError(code, f"{what}: {vi}", f"{what}: {en}", field=field)


def check_json_value(data, what: str = "JSON", field: str = "body", code: str = "invalid_json") -> None:
    """Refuse nesting deeper than ``json_depth`` and strings holding lone surrogates (not storable text)."""
    max_depth = limit("json_depth")
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                break
            for key, item in value.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    raise _invalid_json(what, f"khóa {key.encode('utf-8', 'backslashreplace').decode()!r} chứa "
                                        "ký tự thay thế đơn lẻ (\\ud800–\\udfff), không phải văn bản hợp lệ",
                                        f"key {key.encode('utf-8', 'backslashreplace').decode()!r} holds a lone "
                                        "surrogate (\\ud800–\\udfff), which is not valid text", field, code)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > max_depth:
                break
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _SURROGATE.search(value):
            raise _invalid_json(what, "chuỗi chứa ký tự thay thế đơn lẻ (\\ud800–\\udfff), không phải văn bản "
                                "hợp lệ", "a string holds a lone surrogate (\\ud800–\\udfff), which is not "
                                "valid text", field, code)
    else:
        return
    raise _json_too_deep(what, field)


def _json_too_deep(what: str, field: str) -> UserError:
    return too_large("json_too_deep", f"{what}: lồng nhau sâu hơn {limit('json_depth')} mức",
                     f"{what}: nested deeper than {limit('json_depth')} levels", "json_depth", field=field)


def load_json(raw: bytes | str, what: str = "JSON", field: str = "body", code: str = "invalid_json"):
    """Parse JSON text or UTF-8 bytes; a clear :class:`UserError` (``code``, or ``json_too_deep``) for
    anything that is not storable JSON."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError as exc:
        raise _invalid_json(what, f"không phải UTF-8 ({exc.reason} tại byte {exc.start})",
                            f"not UTF-8 text ({exc.reason} at byte {exc.start})", field, code) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise _json_too_deep(what, field) from None
    except ValueError as exc:
        raise _invalid_json(what, f"không phải JSON hợp lệ: {exc}", f"not valid JSON: {exc}", field, code) from None
    check_json_value(data, what, field, code)
    return data


# --- gzip -------------------------------------------------------------------------------------------

def gunzip(raw: bytes, name: str, limit_name: str = "geo_uncompressed_bytes") -> bytes:
    """Inflate a gzip file (every member of it) up to ``limit_name`` bytes; a damaged, truncated or
    larger stream is a :class:`UserError`."""
    cap = limit(limit_name)
    out = bytearray()
    data = raw
    try:
        while data:
            inflater = zlib.decompressobj(wbits=31)
            chunk = inflater.decompress(data, cap + 1 - len(out))
            out += chunk
            while len(out) <= cap and inflater.unconsumed_tail:
                out += inflater.decompress(inflater.unconsumed_tail, cap + 1 - len(out))
            if len(out) > cap:
                raise too_large("file_uncompressed_too_large", f"{name} khi giải nén lớn hơn {_mib(cap)}",
                                f"{name} is larger than {_mib(cap)} uncompressed", limit_name)
            if not inflater.eof:
                raise zlib.error("the compressed stream ends early (truncated file)")
            data = inflater.unused_data
            if data and not data.startswith(b"\x1f\x8b"):
                if data.strip(b"\x00"):
                    raise zlib.error("trailing bytes after the compressed stream")
                break
    except zlib.error as exc:
        raise UserError("unreadable_file", f"Không giải nén được {name}: {exc}", f"Cannot gunzip {name}: {exc}",
                        field="file") from None
    return bytes(out)
