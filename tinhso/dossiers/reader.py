"""Reading dossier files: JSON (a list of records, or JSON Lines), CSV, XLSX and Parquet, with limits.

Each reader yields ``(where, record)`` pairs, ``where`` naming the record the way a person finds it in
the file: "dòng 12 / line 12" (JSON Lines), "bản ghi 5 / record 5" (a JSON list), "hàng 7 / row 7"
(CSV/XLSX, the header being row 1; Parquet rows counted from 1).

The limits are module constants so that they are easy to align with the shared bounded readers of
``tinhso.core.tabular`` later.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tinhso.core.errors import UserError

MAX_FILE_BYTES = 512 * 1024 * 1024          # on disk
MAX_RECORDS = 2_000_000                     # per file (split bigger syncs)
MAX_COLUMNS = 200                           # CSV/XLSX/Parquet
MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024  # XLSX: sum of the zip members' sizes
FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx",
           ".parquet": "parquet"}


def _too_big(what_vi: str, what_en: str) -> UserError:
    return UserError("file_too_large", f"Tệp vượt giới hạn: {what_vi}", f"The file exceeds a limit: {what_en}",
                     field="file", status=413)


def file_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise UserError("unknown_format", f"Định dạng {suffix!r} không được hỗ trợ ({', '.join(FORMATS)})",
                        f"Unsupported format {suffix!r} ({', '.join(FORMATS)})", field="file")
    return FORMATS[suffix]


def read(path: Path) -> Iterator[tuple[str, object]]:
    """The records of a file; raises UserError for an unreadable or oversized file."""
    fmt = file_format(path.name)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_big(f"{size} byte > {MAX_FILE_BYTES}", f"{size} bytes > {MAX_FILE_BYTES}")
    reader = {"json": _json, "jsonl": _jsonl, "csv": _csv, "xlsx": _xlsx, "parquet": _parquet}[fmt]
    for count, item in enumerate(reader(path), start=1):
        if count > MAX_RECORDS:
            raise _too_big(f"hơn {MAX_RECORDS} bản ghi", f"more than {MAX_RECORDS} records")
        yield item


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError("bad_encoding", "Tệp phải mã hóa UTF-8", "The file must be UTF-8 encoded", field="file") from exc


def _json(path: Path):
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
    for i, record in enumerate(data, start=1):
        yield f"bản ghi {i} / record {i}", record


def _jsonl(path: Path):
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = _decode(raw).strip()
            if not line:
                continue
            where = f"dòng {number} / line {number}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, ValueError(f"JSON không hợp lệ: {exc.msg} / invalid JSON: {exc.msg}")


def _check_columns(header: list) -> list[str]:
    if len(header) > MAX_COLUMNS:
        raise _too_big(f"hơn {MAX_COLUMNS} cột", f"more than {MAX_COLUMNS} columns")
    return [str(h).strip() if h is not None else "" for h in header]


def _csv(path: Path):
    text = _decode(path.read_bytes())
    rows = csv.reader(io.StringIO(text, newline=""))
    header = _check_columns(next(rows, []))
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield f"hàng {number} / row {number}", ValueError(
                f"{len(row)} ô nhưng tiêu đề có {len(header)} cột / {len(row)} cells but {len(header)} header columns")
            continue
        yield f"hàng {number} / row {number}", {h: (c if c.strip() else None) for h, c in zip(header, row) if h}


def _xlsx(path: Path):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise UserError("bad_workbook", "Không đọc được tệp Excel", "Cannot read the Excel file", field="file") from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _too_big(f"giải nén {total} byte", f"{total} bytes uncompressed")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UserError("bad_workbook", f"Không đọc được tệp Excel: {exc}", f"Cannot read the Excel file: {exc}",
                        field="file") from exc
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = _check_columns(list(next(rows, [])))
    for number, row in enumerate(rows, start=2):
        if all(c is None or str(c).strip() == "" for c in row):
            continue
        yield f"hàng {number} / row {number}", {h: c for h, c in zip(header, row) if h}
    wb.close()


def _parquet(path: Path):
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and OSError for damaged files
        raise UserError("bad_parquet", f"Không đọc được tệp Parquet: {exc}", f"Cannot read the Parquet file: {exc}",
                        field="file") from exc
    meta = handle.metadata
    if meta.num_columns > MAX_COLUMNS:
        raise _too_big(f"hơn {MAX_COLUMNS} cột", f"more than {MAX_COLUMNS} columns")
    if meta.num_rows > MAX_RECORDS:
        raise _too_big(f"hơn {MAX_RECORDS} hàng", f"more than {MAX_RECORDS} rows")
    number = 0
    for batch in handle.iter_batches(batch_size=50_000):
        for record in batch.to_pylist():
            number += 1
            yield f"hàng {number} / row {number}", record
