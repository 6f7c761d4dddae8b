"""``tinhso dossiers catalogue FILE``: the procedure catalogue (TTHC) from a file, all or nothing.

One record per procedure, upserted by ``MaTTHC``; any of the formats of :mod:`tinhso.dossiers.reader`.
Columns (Vietnamese names as in the national TTHC database exports; English aliases accepted):

| column | meaning | values |
|---|---|---|
| ``MaTTHC`` (code) | procedure code | required |
| ``TenTTHC`` (name) | name | required |
| ``TenTTHCTiengAnh`` (name_en) | English name (English pages show the Vietnamese name without it) | text |
| ``LinhVuc`` (field) | field | text |
| ``MucDo`` (online_level) | online service level | 2 or empty = none, 3 = một phần, 4 = toàn trình (or none/partial/full) |
| ``DuDieuKienToanTrinh`` | eligible for full-online | 0/1 |
| ``ThoiHanGiaiQuyet`` (legal_time) | legal processing time | number ≥ 0 |
| ``DonViThoiHan`` (legal_time_unit) | its unit | ``ngày`` / ``ngày làm việc`` / working_days (default), ``giờ`` / working_hours |
| ``CoPhiLePhi`` (fee_bearing) | fee-bearing | 0/1 |
| ``KetQuaGiay`` (requires_paper_result) | result is a paper document | 0/1 |
| ``DoiTuong`` (subjects) | subjects | ``công dân`` / citizens, ``tổ chức`` / organisations, both (default) |
| ``NgayHieuLucCanCu``, ``NgayQuyetDinhCongBo``, ``NgayCongKhai`` | group 1 dates | dates |
| ``DuBoPhan`` (parts_complete) | all 7 parts publicised | 0/1 or empty |
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.core.text import fold
from tinhso.dossiers import reader
from tinhso.dossiers.models import Procedure
from tinhso.dossiers.records import FieldError, _number, parse_code, parse_datetime, parse_text

ALIASES = {
    "code": "MaTTHC", "name": "TenTTHC", "name_en": "TenTTHCTiengAnh", "field": "LinhVuc", "online_level": "MucDo",
    "eligible_full_online": "DuDieuKienToanTrinh", "legal_time": "ThoiHanGiaiQuyet",
    "legal_time_unit": "DonViThoiHan", "fee_bearing": "CoPhiLePhi", "requires_paper_result": "KetQuaGiay",
    "subjects": "DoiTuong", "legal_basis_effective": "NgayHieuLucCanCu",
    "publication_decision_date": "NgayQuyetDinhCongBo", "publicised_date": "NgayCongKhai",
    "parts_complete": "DuBoPhan",
}
LEVELS = {"": "none", "2": "none", "none": "none", "3": "partial", "partial": "partial", "mot phan": "partial",
          "4": "full", "full": "full", "toan trinh": "full"}
UNITS = {"": "working_days", "ngay": "working_days", "ngay lam viec": "working_days", "working_days": "working_days",
         "gio": "working_hours", "gio lam viec": "working_hours", "working_hours": "working_hours"}
SUBJECTS = {"": "both", "cong dan": "citizens", "citizens": "citizens", "to chuc": "organisations",
            "organisations": "organisations", "both": "both", "cong dan, to chuc": "both", "ca hai": "both"}


def _choice(value, field: str, table: dict[str, str]) -> str:
    key = fold(str(value if value is not None else "")).strip()
    if key.endswith(".0"):
        key = key[:-2]
    if key not in table:
        raise FieldError(field, f"giá trị {value!r} không hợp lệ / invalid value {value!r}")
    return table[key]


def _date(value, field: str):
    moment = parse_datetime(value, field)
    return moment.date() if moment else None


def _record(raw: dict) -> tuple[dict, list[FieldError]]:
    data = {ALIASES.get(k, k): v for k, v in raw.items()}
    errors: list[FieldError] = []
    out: dict = {}
    steps = [
        ("code", lambda: parse_text(data.get("MaTTHC"), "MaTTHC", required=True)),
        ("name", lambda: parse_text(data.get("TenTTHC"), "TenTTHC", required=True)),
        ("name_en", lambda: parse_text(data.get("TenTTHCTiengAnh"), "TenTTHCTiengAnh") or ""),
        ("field", lambda: parse_text(data.get("LinhVuc"), "LinhVuc") or ""),
        ("online_level", lambda: _choice(data.get("MucDo"), "MucDo", LEVELS)),
        ("eligible_full_online", lambda: parse_code(data.get("DuDieuKienToanTrinh"), "DuDieuKienToanTrinh", (0, 1), 0) == 1),
        ("legal_time", lambda: _number(data.get("ThoiHanGiaiQuyet"), "ThoiHanGiaiQuyet")),
        ("legal_time_unit", lambda: _choice(data.get("DonViThoiHan"), "DonViThoiHan", UNITS)),
        ("fee_bearing", lambda: parse_code(data.get("CoPhiLePhi"), "CoPhiLePhi", (0, 1), 0) == 1),
        ("requires_paper_result", lambda: parse_code(data.get("KetQuaGiay"), "KetQuaGiay", (0, 1), 0) == 1),
        ("subjects", lambda: _choice(data.get("DoiTuong"), "DoiTuong", SUBJECTS)),
        ("legal_basis_effective", lambda: _date(data.get("NgayHieuLucCanCu"), "NgayHieuLucCanCu")),
        ("publication_decision_date", lambda: _date(data.get("NgayQuyetDinhCongBo"), "NgayQuyetDinhCongBo")),
        ("publicised_date", lambda: _date(data.get("NgayCongKhai"), "NgayCongKhai")),
        ("parts_complete", lambda: {None: None, 0: False, 1: True}[parse_code(data.get("DuBoPhan"), "DuBoPhan", (0, 1))]),
    ]
    for key, step in steps:
        try:
            out[key] = step()
        except FieldError as err:
            errors.append(err)
    if out.get("legal_time") is not None and out["legal_time"] > 10000:
        errors.append(FieldError("ThoiHanGiaiQuyet", "quá lớn / too large"))
    return out, errors


def import_catalogue(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError("file_not_found", f"Không có tệp {path}", f"No such file {path}", field="file")
    rows: list[dict] = []
    errors: list[dict] = []
    seen: dict[str, str] = {}
    for where, raw in reader.read(path):
        if not isinstance(raw, dict):
            errors.append({"where": where, "field": "", "reason": str(raw) if isinstance(raw, Exception)
                           else "không phải một đối tượng / not an object"})
            continue
        row, problems = _record(raw)
        errors += [{"where": where, "field": e.field, "reason": e.reason} for e in problems]
        if problems:
            continue
        if row["code"] in seen:
            errors.append({"where": where, "field": "MaTTHC", "reason": f"trùng với {seen[row['code']]} / duplicate of "
                                                                       f"{seen[row['code']]}"})
            continue
        seen[row["code"]] = where
        rows.append(row)
    if errors:
        first = "; ".join(f"{e['where']}, {e['field']}: {e['reason']}" for e in errors[:3])
        raise UserError("dossier_import_invalid", f"{len(errors)} lỗi, không nhập thủ tục nào: {first}",
                        f"{len(errors)} error(s), nothing imported: {first}", field="file", details=errors[:1000])
    created = 0
    with transaction.atomic():
        for row in rows:
            code = row.pop("code")
            _, new = Procedure.objects.update_or_create(code=code, defaults=row)
            created += new
    return {"procedures": len(rows), "created": created, "updated": len(rows) - created}
