"""``tinhso dossiers import FILE``: validate every record, then write all of them or none.

Every bad record is reported with where it is in the file, the field and why; one error anywhere and
nothing is written. A valid file becomes one :class:`DossierImport` row (its id is the import sequence)
and one Parquet file per month in the store; a dossier already in the store is superseded by the new
row (sync semantics keyed by ``MaHoSo``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
from django.conf import settings
from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.core.workcalendar import DEFAULT_PERIODS, WorkCalendar, parse_periods
from tinhso.dossiers import batch, reader, records, store
from tinhso.dossiers.models import Agency, DossierImport, Procedure

MAX_ERRORS_LISTED = 1000


@dataclass
class ImportResult:
    seq: int
    records: int
    months: list[str]

    def as_dict(self) -> dict:
        return {"import": self.seq, "records": self.records, "months": self.months}


def calendar() -> WorkCalendar:
    periods = getattr(settings, "WORKING_HOURS", None)
    return WorkCalendar(periods=parse_periods(periods) if periods else DEFAULT_PERIODS)


def procedure_facts() -> dict[str, records.ProcedureFacts]:
    return {code: records.ProcedureFacts(code, float(t) if t is not None else None, unit)
            for code, t, unit in Procedure.objects.values_list("code", "legal_time", "legal_time_unit")}


BATCH = 50_000
"""Records read and checked together (:mod:`tinhso.dossiers.batch`); memory stays bounded by it."""


def validate(path: Path, staging: store.Staging | None = None) -> tuple[int, list[dict], bool]:
    """Read and check every record; valid rows go to ``staging`` (if given) until the first error.
    Returns the number of valid records, the errors ({where, field, reason}) in file order and whether
    every record is flagged synthetic.

    Records are checked :data:`BATCH` at a time by :func:`batch.normalise_batch` (the same rows and errors
    as :func:`records.normalise` one by one, over columns)."""
    procedures = procedure_facts()
    agencies = set(Agency.objects.filter(active=True).values_list("code", flat=True))
    cal = calendar()
    errors: list[dict] = []
    seen: dict[str, str | int] = {}
    totals = {"count": 0, "synthetic": True}

    def shown(where) -> str:
        return reader.parquet_where(where) if isinstance(where, int) else where

    def check(first: int, chunk) -> None:
        if isinstance(chunk, list):  # (where, record) pairs
            dicts = [raw for _, raw in chunk if isinstance(raw, dict)]
            size = len(chunk)
        else:  # the columns of a Parquet file, its rows numbered from ``first``
            dicts, size = chunk, chunk.num_rows
        table, failed = batch.normalise_batch(dicts, procedures=procedures, agencies=agencies, calendar=cal)
        codes = table.column("ma_ho_so").to_pylist()
        keep: list[int] = []
        row = k = 0  # row: among the valid rows (the table), k: among the records
        for index in range(size):
            if isinstance(chunk, list):
                where, raw = chunk[index]
                if isinstance(raw, Exception):
                    errors.append({"where": where, "field": "", "reason": str(raw)})
                    continue
                if not isinstance(raw, dict):
                    errors.append({"where": where, "field": "", "reason": "không phải một đối tượng / not an object"})
                    continue
            else:
                where = first + index  # a Parquet row number, written out when shown
            if failed and k in failed:
                errors.extend({"where": shown(where), "field": e.field, "reason": e.reason} for e in failed[k])
                k += 1
                continue
            k += 1
            code = codes[row]
            previous = seen.get(code)
            if previous is not None:
                errors.append({"where": shown(where), "field": "MaHoSo",
                               "reason": f"trùng với {shown(previous)} / duplicate of {shown(previous)}"})
            else:
                seen[code] = where
                keep.append(row)
            row += 1
        totals["count"] += len(keep)
        if keep:
            kept = table.take(keep) if len(keep) < table.num_rows else table
            totals["synthetic"] = totals["synthetic"] and pc.all(kept.column("synthetic")).as_py()
            if staging is not None and not errors:
                staging.add_table(kept)

    for first, chunk in reader.chunks(path, BATCH, check=reader.check_header):
        check(first, chunk)
    return totals["count"], errors, totals["synthetic"]


def import_file(path: Path, *, synthetic: bool = False) -> ImportResult:
    """Import one file all-or-nothing; raises UserError ``dossier_import_invalid`` listing the errors."""
    path = Path(path)
    if not path.is_file():
        raise UserError("file_not_found", f"Không có tệp {path}", f"No such file {path}", field="file")
    reader.file_format(path.name)
    staging = store.Staging()
    try:
        count, errors, all_synthetic = validate(path, staging)
        if errors:
            listed = errors[:MAX_ERRORS_LISTED]
            first = "; ".join(f"{e['where']}, {e['field']}: {e['reason']}" for e in listed[:3])
            raise UserError("dossier_import_invalid",
                            f"{len(errors)} lỗi, không nhập hồ sơ nào: {first}",
                            f"{len(errors)} error(s), nothing imported: {first}", field="file", details=listed)
        if not count:
            raise UserError("dossier_import_empty", "Tệp không có hồ sơ nào", "The file holds no dossiers",
                            field="file")
        synthetic = synthetic or all_synthetic
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        months = staging.months
        with transaction.atomic():
            log = DossierImport.objects.create(file_name=path.name[:300], sha256=digest.hexdigest(),
                                               file_format=reader.file_format(path.name), records=count,
                                               months=months, synthetic=synthetic)
            try:
                staging.publish(log.pk, synthetic)
            except BaseException:
                store.remove_import(log.pk)
                raise
        staging.settle()  # the superseded rows go once the import is recorded
    finally:
        staging.discard()
    return ImportResult(seq=log.pk, records=count, months=months)
