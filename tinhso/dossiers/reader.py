"""Reading dossier files: JSON (a list of records, or JSON Lines), CSV, XLSX and Parquet, with limits.

Each reader yields ``(where, record)`` pairs, ``where`` naming the record the way a person finds it in
the file: "dòng 12 / line 12" (JSON Lines), "bản ghi 5 / record 5" (a JSON list), "hàng 7 / row 7"
(CSV/XLSX, the header being row 1; Parquet rows counted from 1).

The limits are those of :mod:`tinhso.core.limits` (keys ``dossier_file_bytes``, ``dossier_records``,
``dossier_columns``, ``dossier_uncompressed_bytes`` and ``json_depth``; a deployment changes them with
``TINHSO_FILE_LIMITS``), checked before or while reading: the size on disk first; a Parquet file's row
count, column count and decompressed size from its footer before any data page is read; an XLSX file's
declared decompressed size from its zip directory; rows as they come for the other formats; the nesting
of every JSON record.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tinhso.core import limits
from tinhso.core.errors import UserError

FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx",
           ".parquet": "parquet"}


def _too_big(what_vi: str, what_en: str, name: str) -> UserError:
    return limits.too_large("file_too_large", f"Tệp vượt giới hạn: {what_vi}", f"The file exceeds a limit: {what_en}",
                            name)


def file_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise UserError("unknown_format", f"Định dạng {suffix!r} không được hỗ trợ ({', '.join(FORMATS)})",
                        f"Unsupported format {suffix!r} ({', '.join(FORMATS)})", field="file")
    return FORMATS[suffix]


def read(path: Path, check=None) -> Iterator[tuple[str, object]]:
    """The records of a file; raises UserError for an unreadable or oversized file. ``check`` is called with
    the column names of a flat file (CSV, XLSX, Parquet) before its rows are read (:func:`check_header`)."""
    fmt = file_format(path.name)
    size = path.stat().st_size
    max_bytes, max_records = limits.limit("dossier_file_bytes"), limits.limit("dossier_records")
    if size > max_bytes:
        raise _too_big(f"{size} byte > {max_bytes}", f"{size} bytes > {max_bytes}", "dossier_file_bytes")
    reader = {"json": _json, "jsonl": _jsonl, "csv": _csv, "xlsx": _xlsx, "parquet": _parquet}[fmt]
    shallow_ok = limits.limit("json_depth") >= 3
    for count, item in enumerate(reader(path, check), start=1):
        if count > max_records:
            raise _too_big(f"hơn {max_records} bản ghi", f"more than {max_records} records", "dossier_records")
        if len(item) == 3:  # JSON: (where, record, whether its text holds no \u escape of a surrogate)
            where, record, plain = item
            item = (where, record)
            if plain and shallow_ok and _shallow(record):
                yield item  # depth ≤ 3 and no lone surrogate: what check_json_value would accept
                continue
        else:
            where, record = item
        if fmt in ("json", "jsonl") and not isinstance(record, Exception):
            try:
                limits.check_json_value(record, what=where, field="file")
            except UserError as exc:
                if exc.code == "json_too_deep":
                    raise
                item = (where, ValueError(f"{exc.message_vi} / {exc.message_en}"))
        yield item


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A lone surrogate can only enter decoded JSON through a ``\\uD800``–``\\uDFFF`` escape (the file is
UTF-8, which cannot hold one); text without such an escape needs no surrogate scan."""


def _shallow(record) -> bool:
    """A dossier of scalars and lists of objects of scalars: nesting depth ≤ 3 (cheaper to see than
    :func:`limits.check_json_value`'s walk, which runs for anything else)."""
    if type(record) is not dict:
        return False
    for value in record.values():
        kind = type(value)
        if kind is list:
            for item in value:
                if type(item) is not dict:
                    return False
                for x in item.values():
                    if type(x) in (list, dict):
                        return False
        elif kind is dict:
            return False
    return True


def chunks(path: Path, size: int, check=None) -> Iterator[tuple[int, object]]:
    """The records of a file in chunks of ``size``: ``(first, items)`` with ``items`` a list of
    ``(where, record)`` (:func:`read`), or, for a Parquet file, ``(first, RecordBatch)`` — its columns as
    they are, the rows numbered from ``first`` (a column reader skips building a dict per record). The
    limits are those of :func:`read`."""
    if file_format(path.name) == "parquet":
        size_on_disk, most = path.stat().st_size, limits.limit("dossier_file_bytes")
        if size_on_disk > most:
            raise _too_big(f"{size_on_disk} byte > {most}", f"{size_on_disk} bytes > {most}", "dossier_file_bytes")
        first = 1
        for batch in _parquet_file(path, check).iter_batches(batch_size=size):
            yield first, batch
            first += batch.num_rows
        return
    items: list = []
    first = 1
    for item in read(path, check):
        items.append(item)
        if len(items) >= size:
            yield first, items
            first += len(items)
            items = []
    if items:
        yield first, items


def parquet_where(number: int) -> str:
    return f"hàng {number} / row {number}"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError("bad_encoding", "Tệp phải mã hóa UTF-8", "The file must be UTF-8 encoded", field="file") from exc


def _json(path: Path, check=None):
    text = _decode(path.read_bytes())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{"):  # JSON Lines saved as .json
            yield from _jsonl(path)
            return
        raise UserError("bad_json", f"JSON không hợp lệ ở dòng {exc.lineno}: {exc.msg}",
                        f"Invalid JSON at line {exc.lineno}: {exc.msg}", field="file") from exc
    if isinstance(data, dict):  # {"data": [...]} as some portal exports wrap it
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise UserError("bad_json", "JSON phải là một danh sách hồ sơ", "The JSON must be a list of dossiers",
                            field="file")
        data = lists[0]
    if not isinstance(data, list):
        raise UserError("bad_json", "JSON phải là một danh sách hồ sơ", "The JSON must be a list of dossiers",
                        field="file")
    plain = not _SURROGATE_ESCAPE.search(text)
    for i, record in enumerate(data, start=1):
        yield f"bản ghi {i} / record {i}", record, plain


def _jsonl(path: Path, check=None):
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = _decode(raw).strip()
            if not line:
                continue
            where = f"dòng {number} / line {number}"
            try:
                yield where, json.loads(line), not _SURROGATE_ESCAPE.search(line)
            except json.JSONDecodeError as exc:
                yield where, ValueError(f"JSON không hợp lệ: {exc.msg} / invalid JSON: {exc.msg}")


def _check_columns(header: list) -> list[str]:
    most = limits.limit("dossier_columns")
    if len(header) > most:
        raise _too_big(f"hơn {most} cột", f"more than {most} columns", "dossier_columns")
    return [str(h).strip() if h is not None else "" for h in header]


REQUIRED_COLUMNS = ("MaHoSo", "MaTTHC", "TrangThaiHoSo", "DonViXuLy")
PAYLOAD_COLUMNS = ("TenTTHC", "MaLinhVuc", "TenLinhVuc", "HinhThuc", "SoGiayToChuHoSo", "ChuHoSo", "LoaiDoiTuong",
                   "MaDoiTuong", "Email", "SoDienThoai", "TrichYeuHoSo", "NgayTuChoi", "ThongTinTra", "NoiNopHoSo",
                   "GhiChu")
"""Other fields of the DVCQG sync payload (research wave2 §2.2): allowed in a flat file, not read."""


def check_header(header: list[str]) -> None:
    """A flat file's column names: no duplicate, none unknown (a misspelt or lower-case name would be
    silently dropped), the required ones present; one error naming them and the expected columns."""
    from tinhso.dossiers.records import FIELDS

    names = [h for h in header if h]
    seen: set[str] = set()
    duplicates = sorted({h for h in names if h in seen or seen.add(h)})
    known = set(FIELDS) | set(PAYLOAD_COLUMNS)
    by_lower = {f.lower(): f for f in FIELDS}
    unknown = [h for h in names if h not in known]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if not (duplicates or unknown or missing):
        return
    parts_vi, parts_en = [], []
    if duplicates:
        parts_vi.append(f"cột trùng {', '.join(duplicates)}")
        parts_en.append(f"duplicate column {', '.join(duplicates)}")
    if unknown:
        hints = [f"{h!r}" + (f" (= {by_lower[h.lower()]}?)" if h.lower() in by_lower else "") for h in unknown[:10]]
        parts_vi.append(f"cột không biết {', '.join(hints)}")
        parts_en.append(f"unknown column {', '.join(hints)}")
    if missing:
        parts_vi.append(f"thiếu cột {', '.join(missing)}")
        parts_en.append(f"missing column {', '.join(missing)}")
    if len(names) == 1 and ";" in names[0]:
        parts_vi.append("cột phải cách nhau bằng dấu phẩy, không phải dấu chấm phẩy")
        parts_en.append("columns must be separated by commas, not semicolons")
    expected = ", ".join(FIELDS)
    raise UserError("bad_header", f"Dòng tiêu đề không hợp lệ: {'; '.join(parts_vi)}. Các cột đọc được (phân biệt "
                                  f"hoa thường): {expected}",
                    f"Bad header row: {'; '.join(parts_en)}. The columns read (case-sensitive): {expected}",
                    field="file")


def _csv(path: Path, check=None):
    text = _decode(path.read_bytes())
    rows = csv.reader(io.StringIO(text, newline=""))
    header = _check_columns(next(rows, []))
    if check:
        check(header)
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield f"hàng {number} / row {number}", ValueError(
                f"{len(row)} ô nhưng tiêu đề có {len(header)} cột / {len(row)} cells but {len(header)} header columns")
            continue
        yield f"hàng {number} / row {number}", {h: (c if c.strip() else None) for h, c in zip(header, row) if h}


def _xlsx(path: Path, check=None):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise UserError("bad_workbook", "Không đọc được tệp Excel", "Cannot read the Excel file", field="file") from exc
    if total > limits.limit("dossier_uncompressed_bytes"):
        raise _too_big(f"giải nén {total} byte", f"{total} bytes uncompressed", "dossier_uncompressed_bytes")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UserError("bad_workbook", f"Không đọc được tệp Excel: {exc}", f"Cannot read the Excel file: {exc}",
                        field="file") from exc
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = _check_columns(list(next(rows, [])))
    if check:
        check(header)
    for number, row in enumerate(rows, start=2):
        if all(c is None or str(c).strip() == "" for c in row):
            continue
        yield f"hàng {number} / row {number}", {h: c for h, c in zip(header, row) if h}
    wb.close()


def _parquet_file(path: Path, check=None):
    """The Parquet file, its footer checked against the limits before any data page is read."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and OSError for damaged files
        raise UserError("bad_parquet", f"Không đọc được tệp Parquet: {exc}", f"Cannot read the Parquet file: {exc}",
                        field="file") from exc
    meta = handle.metadata
    if meta.num_columns > limits.limit("dossier_columns"):
        raise _too_big(f"{meta.num_columns} cột", f"{meta.num_columns} columns", "dossier_columns")
    if meta.num_rows > limits.limit("dossier_records"):
        raise _too_big(f"{meta.num_rows} hàng", f"{meta.num_rows} rows", "dossier_records")
    inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if inflated > limits.limit("dossier_uncompressed_bytes"):
        raise _too_big(f"giải nén {inflated} byte", f"{inflated} bytes uncompressed", "dossier_uncompressed_bytes")
    if check:
        check(handle.schema_arrow.names)
    return handle


def _parquet(path: Path, check=None):
    number = 0
    for batch in _parquet_file(path, check).iter_batches(batch_size=50_000):
        for record in batch.to_pylist():
            number += 1
            yield parquet_where(number), record
