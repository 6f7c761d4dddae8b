"""Citizen feedback and petitions (phản ánh, kiến nghị — PAKN): import, and indicators 5.1–5.3.

Sources: [766] 5.2 "Tổng số PAKN xử lý đúng hoặc trước hạn / Tổng số PAKN thuộc thẩm quyền tiếp nhận, xử lý";
5.3 "(Tổng số PAKN − số bị phản hồi không hài lòng hoặc phản ánh về kết quả giải quyết, xử lý quá hạn) /
Tổng số PAKN" (both confirmed, lamdong.dcs.vn, research indices.md §3.3); [DVCQG-F] a PAKN is handled
within 15 working days, counted once per period; 5.1 (share by type) is monitored, not scored.

Scope and period judgement follow the dossiers (:func:`tinhso.dossiers.rules.period_columns`): a PAKN
received in the period or still open at its start; handled on time ⇔ handled on or before its due
date (calendar dates); one still open is judged at the period's end (or today).

``tinhso dossiers feedback FILE`` reads ``MaPAKN, DonViXuLy, NgayTiepNhan, HanXuLy, NgayXuLy, KhongHaiLong,
PhanLoai`` (1 or ``quy-dinh`` = about regulations/procedures, 2 or ``hanh-vi`` = about officials' conduct),
``MaTTHC``, ``MaHoSo``; upserted by ``MaPAKN``, all or nothing. Without ``HanXuLy`` the due date is 15
working days after reception.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.workcalendar import VIETNAM_TZ
from tinhso.dossiers import reader
from tinhso.dossiers.models import Agency, Feedback, FeedbackKind
from tinhso.dossiers.records import FieldError, parse_code, parse_datetime, parse_text

HANDLING_WORKING_DAYS = 15
KINDS = {None: FeedbackKind.REGULATION, 1: FeedbackKind.REGULATION, 2: FeedbackKind.CONDUCT}


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=VIETNAM_TZ) if moment else None


def _record(raw: dict, agencies: dict[str, int], calendar) -> tuple[dict, list[FieldError]]:
    errors: list[FieldError] = []
    out: dict = {}

    def take(key, func, *args):
        try:
            out[key] = func(*args)
        except FieldError as err:
            errors.append(err)

    take("code", parse_text, raw.get("MaPAKN"), "MaPAKN", True)
    take("agency", parse_text, raw.get("DonViXuLy"), "DonViXuLy", True)
    if out.get("agency") and out["agency"] not in agencies:
        errors.append(FieldError("DonViXuLy", f"đơn vị {out['agency']!r} không có / unknown agency {out['agency']!r}"))
    kind = str(raw.get("PhanLoai") or "").strip().lower()
    kind = {"quy-dinh": "1", "regulation": "1", "hanh-vi": "2", "conduct": "2"}.get(kind, kind)
    take("kind", parse_code, kind or None, "PhanLoai", (1, 2))
    take("received", parse_datetime, raw.get("NgayTiepNhan"), "NgayTiepNhan")
    take("due", parse_datetime, raw.get("HanXuLy"), "HanXuLy")
    take("handled", parse_datetime, raw.get("NgayXuLy"), "NgayXuLy")
    take("unhappy", parse_code, raw.get("KhongHaiLong"), "KhongHaiLong", (0, 1), 0)
    take("procedure", parse_text, raw.get("MaTTHC"), "MaTTHC")
    take("dossier", parse_text, raw.get("MaHoSo"), "MaHoSo")
    if "received" in out and out["received"] is None:
        errors.append(FieldError("NgayTiepNhan", "bắt buộc, đang trống / required, empty"))
    if out.get("received") and out.get("handled") and out["handled"] < out["received"]:
        errors.append(FieldError("NgayXuLy", "trước ngày tiếp nhận / before NgayTiepNhan"))
    if errors:
        return {}, errors
    due = out["due"] or calendar.add_working_time(_aware(out["received"]), days=HANDLING_WORKING_DAYS).replace(
        tzinfo=None)
    return {"code": out["code"], "agency_id": agencies[out["agency"]], "kind": KINDS[out["kind"]],
            "procedure_code": out["procedure"] or "", "dossier_code": out["dossier"] or "",
            "received_at": _aware(out["received"]), "due_at": _aware(due), "handled_at": _aware(out["handled"]),
            "dissatisfied": out["unhappy"] == 1}, []


def import_feedback(path: Path, synthetic: bool = False) -> dict:
    from tinhso.dossiers.importer import calendar

    path = Path(path)
    if not path.is_file():
        raise UserError("file_not_found", f"Không có tệp {path}", f"No such file {path}", field="file")
    agencies = dict(Agency.objects.values_list("code", "pk"))
    cal = calendar()
    rows, errors, seen = [], [], {}
    for where, raw in reader.read(path):
        if not isinstance(raw, dict):
            errors.append({"where": where, "field": "", "reason": str(raw) if isinstance(raw, Exception)
                           else "không phải một đối tượng / not an object"})
            continue
        row, problems = _record(raw, agencies, cal)
        errors += [{"where": where, "field": e.field, "reason": e.reason} for e in problems]
        if problems:
            continue
        if row["code"] in seen:
            errors.append({"where": where, "field": "MaPAKN", "reason": f"trùng với {seen[row['code']]} / duplicate "
                                                                       f"of {seen[row['code']]}"})
            continue
        seen[row["code"]] = where
        rows.append(row)
    if errors:
        first = "; ".join(f"{e['where']}, {e['field']}: {e['reason']}" for e in errors[:3])
        raise UserError("dossier_import_invalid", f"{len(errors)} lỗi, không nhập PAKN nào: {first}",
                        f"{len(errors)} error(s), nothing imported: {first}", field="file", details=errors[:1000])
    created = 0
    with transaction.atomic():
        for row in rows:
            code = row.pop("code")
            _, new = Feedback.objects.update_or_create(code=code, defaults={**row, "synthetic": synthetic})
            created += new
    return {"feedback": len(rows), "created": created, "updated": len(rows) - created}


def table() -> list[tuple] | None:
    """Every PAKN as ``(agency id, kind, received, due, handled, dissatisfied)`` with the moments as
    Vietnam-local dates (handled None while open): what :func:`counts_in` reads, loaded once for a
    computation of many periods instead of once per period. None when tinhso holds no PAKN at all."""
    def local(moment):
        return timezone.localtime(moment, VIETNAM_TZ).date() if moment else None

    rows = [(agency, kind, local(received_at), local(due_at), local(handled_at), bool(unhappy))
            for agency, kind, received_at, due_at, handled_at, unhappy in Feedback.objects.values_list(
                "agency_id", "kind", "received_at", "due_at", "handled_at", "dissatisfied")]
    return rows or None


def counts_in(rows: list[tuple] | None, start: dt.date, end: dt.date,
              judge: dt.date) -> dict[int, dict[str, int]] | None:
    """Per agency id: PAKN in scope (received by the period's end and not handled before its start),
    handled on time, unsatisfied-or-late, about regulations; of :func:`table`'s rows."""
    if rows is None:
        return None
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agency, kind, received, due, handled, unhappy in rows:
        if received > end or (handled is not None and handled < start):
            continue
        finished = handled is not None and handled <= end
        on_time = handled <= due if finished else due >= judge
        c = out[agency]
        c["scope"] += 1
        c["on_time"] += on_time
        c["unhappy_or_late"] += unhappy or not on_time
        c["regulation"] += kind == FeedbackKind.REGULATION
    return out


def counts(start: dt.date, end: dt.date, judge: dt.date) -> dict[int, dict[str, int]] | None:
    """Per agency id: PAKN in scope, handled on time, unsatisfied-or-late, about regulations. None when
    tinhso holds no PAKN at all (then 5.2 and 5.3 are supplied values)."""
    return counts_in(table(), start, end, judge)
