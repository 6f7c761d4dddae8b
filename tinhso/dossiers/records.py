"""One dossier in the national-portal sync shape (``HoSoDongBoDVC``) → one row of the store.

Field names are those of the DVCQG sync payload (research wave2 §2.2, as implemented by a one-stop
system modelled on Thanh Hóa's): ``MaHoSo, MaTTHC, KenhThucHien, NgayNopHoSo, NgayTiepNhan, NgayHenTra,
NgayKetThucXuLy, NgayTra, TrangThaiHoSo, DonViXuLy, DuocThanhToanTrucTuyen, HoSoCoThanhPhanSoHoa,
TaiKhoanDuocXacThucVoiVNeID`` and the lists ``TaiLieuNop[], DanhSachHoSoBoSung[], DanhSachGiayToKetQua[],
DanhSachLePhi[]``. tinhso also reads three optional fields the payload does not carry: ``NguoiXuLy`` (the
officer holding the dossier, for the due-soon list), ``KhongHaiLong`` (1 = the citizen rated the
handling unsatisfactory) and ``CoPAKN`` (1 = a complaint/feedback was filed about it), both for 5.4;
and ``DuLieuMau`` (1 = synthetic record, written by ``tinhso dossiers generate``).

In a flat file (CSV/XLSX/Parquet without nested columns) a list field is a number: ``TaiLieuNop`` and
``DanhSachGiayToKetQua`` the count of attached files, ``DanhSachHoSoBoSung`` the count of supplementation
requests (their dates in ``NgayBoSung`` / ``NgayTiepNhanBoSung``, several separated by ``;``),
``DanhSachLePhi`` the total fee in VND (0 = every fee is zero, empty = no fee information); the
per-file flags become columns ``DuocSoHoa`` and ``DuocLayTuKhoDMQG`` (1 when any file has it).

Every timestamp is Vietnam local time; the store keeps them naive local. Read: ``dd/MM/yyyy HH:mm:ss``
(also without seconds or time), ISO 8601 (an offset is converted to Vietnam time) and the portal's
compact ``yyyyMMddHHmmss``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from tinhso.core.text import nfc
from tinhso.core.workcalendar import VIETNAM_TZ, WorkCalendar
from tinhso.dossiers import rules

FIELDS = ("MaHoSo", "MaTTHC", "KenhThucHien", "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy",
          "NgayTra", "TrangThaiHoSo", "DonViXuLy", "DuocThanhToanTrucTuyen", "HoSoCoThanhPhanSoHoa",
          "TaiKhoanDuocXacThucVoiVNeID", "TaiLieuNop", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
          "DanhSachLePhi", "NguoiXuLy", "KhongHaiLong", "CoPAKN", "NgayBoSung", "NgayTiepNhanBoSung",
          "DuocSoHoa", "DuocLayTuKhoDMQG", "DuLieuMau")
MAX_TEXT = 200
MAX_LIST = 1000  # entries in one list field of one dossier


class FieldError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ProcedureFacts:
    """What the rules need of a catalogue entry."""

    code: str
    legal_time: float | None
    legal_time_unit: str   # working_days | working_hours


# --- scalar readers ------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")


def parse_datetime(value, field: str) -> dt.datetime | None:
    """A timestamp as naive Vietnam local time, or None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value).strip()
        if not text:
            return None
        m = _DMY.match(text)
        c = _COMPACT.match(text)
        try:
            if m:
                d, mo, y, h, mi, s = m.groups()
                moment = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
            elif c:
                moment = dt.datetime(*(int(x) for x in c.groups()))
            else:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise FieldError(field, f"ngày giờ không hợp lệ {text!r} (dd/MM/yyyy HH:mm:ss hoặc ISO 8601) / "
                                    f"invalid date-time {text!r} (dd/MM/yyyy HH:mm:ss or ISO 8601)") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(VIETNAM_TZ).replace(tzinfo=None)
    if not (1990 <= moment.year <= 2100):
        raise FieldError(field, f"năm {moment.year} ngoài khoảng 1990–2100 / year {moment.year} out of range")
    return moment.replace(microsecond=0)


def parse_code(value, field: str, allowed: tuple[int, ...], default: int | None = None) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return default
    if isinstance(value, bool):
        if set(allowed) != {0, 1}:  # true/false is a flag, not one of several codes
            raise FieldError(field, f"giá trị {value!r} là true/false, cần một mã ({', '.join(map(str, allowed))}) / "
                                    f"value {value!r} is true/false, a code is needed "
                                    f"({', '.join(map(str, allowed))})")
        value = int(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not number.is_integer() or int(number) not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise FieldError(field, f"giá trị {value!r} không hợp lệ (một trong {shown}) / "
                                f"invalid value {value!r} (one of {shown})")
    return int(number)


def parse_text(value, field: str, required: bool = False) -> str | None:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else nfc(str(value)).strip()
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        text = str(int(value))
    if not text:
        if required:
            raise FieldError(field, "bắt buộc, đang trống / required, empty")
        return None
    if len(text) > MAX_TEXT:
        raise FieldError(field, f"dài quá {MAX_TEXT} ký tự / longer than {MAX_TEXT} characters")
    if "\x00" in text:
        raise FieldError(field, "chứa ký tự NUL / contains a NUL character")
    return text


def _number(value, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        raise FieldError(field, f"không phải số {value!r} / not a number {value!r}") from None
    if math.isnan(number):
        return None
    if number < 0 or math.isinf(number):
        raise FieldError(field, f"số âm hoặc vô hạn {value!r} / negative or infinite {value!r}")
    return number


def _count(value, field: str) -> int | None:
    """A flat list field's entry count: a whole number 0–``MAX_LIST`` (None when empty)."""
    number = _number(value, field)
    if number is None:
        return None
    if not number.is_integer() or number > MAX_LIST:
        raise FieldError(field, f"số lượng {value!r} phải là số nguyên 0–{MAX_LIST} / "
                                f"count {value!r} must be a whole number 0–{MAX_LIST}")
    return int(number)


def _list(value, field: str) -> list[dict] | None:
    """A nested list of objects, or None when the field holds a flat number instead."""
    if not isinstance(value, (list, tuple)):
        return None
    if len(value) > MAX_LIST:
        raise FieldError(field, f"hơn {MAX_LIST} phần tử / more than {MAX_LIST} entries")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise FieldError(f"{field}[{i}]", "phải là một đối tượng / must be an object")
    return list(value)


def _present(value) -> bool:
    """A file link is there (its text is not checked: links can be long)."""
    return value is not None and str(value).strip() != ""


def _flag(value) -> bool:
    return str(value).strip() in ("1", "1.0", "True", "true")


# --- one record -----------------------------------------------------------------------------------

def normalise(raw: dict, *, procedures: dict[str, ProcedureFacts], agencies: set[str],
              calendar: WorkCalendar) -> dict:
    """The store row of one record; raises :class:`FieldError` (several are collected by the caller
    through :func:`check`)."""
    errors: list[FieldError] = []

    def take(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FieldError as err:
            errors.append(err)
            return None

    ma = take(parse_text, raw.get("MaHoSo"), "MaHoSo", required=True)
    tthc = take(parse_text, raw.get("MaTTHC"), "MaTTHC", required=True)
    agency = take(parse_text, raw.get("DonViXuLy"), "DonViXuLy", required=True)
    if agency and agency not in agencies:
        errors.append(FieldError("DonViXuLy", f"đơn vị {agency!r} không có trong danh mục cơ quan / "
                                              f"agency {agency!r} is not in the agency list"))
    officer = take(parse_text, raw.get("NguoiXuLy"), "NguoiXuLy")
    channel = take(parse_code, raw.get("KenhThucHien"), "KenhThucHien", (1, 2, 3), default=1)
    status = take(parse_code, raw.get("TrangThaiHoSo"), "TrangThaiHoSo", tuple(range(1, 11)))
    if status is None and not any(e.field == "TrangThaiHoSo" for e in errors):
        errors.append(FieldError("TrangThaiHoSo", "bắt buộc, đang trống / required, empty"))
    paid = take(parse_code, raw.get("DuocThanhToanTrucTuyen"), "DuocThanhToanTrucTuyen", (0, 1, 2), default=0)
    reuse_flag = take(parse_code, raw.get("HoSoCoThanhPhanSoHoa"), "HoSoCoThanhPhanSoHoa", (0, 1), default=0)
    vneid = take(parse_code, raw.get("TaiKhoanDuocXacThucVoiVNeID"), "TaiKhoanDuocXacThucVoiVNeID", (0, 1), default=0)
    unhappy = take(parse_code, raw.get("KhongHaiLong"), "KhongHaiLong", (0, 1), default=0)
    complaint = take(parse_code, raw.get("CoPAKN"), "CoPAKN", (0, 1), default=0)
    dates = {f: take(parse_datetime, raw.get(f), f)
             for f in ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra")}

    # Attached files, results, fees: nested lists or flat numbers.
    docs = take(_list, raw.get("TaiLieuNop"), "TaiLieuNop")
    if docs is not None:
        attached = any(_present(d.get("DuongDanTaiTepTin")) for d in docs)
        digitised = any(_flag(d.get("DuocSoHoa")) for d in docs)
        from_store = any(_flag(d.get("DuocLayTuKhoDMQG")) for d in docs)
    else:
        attached = (take(_count, raw.get("TaiLieuNop"), "TaiLieuNop") or 0) > 0
        digitised = _flag(raw.get("DuocSoHoa"))
        from_store = _flag(raw.get("DuocLayTuKhoDMQG"))
    results = take(_list, raw.get("DanhSachGiayToKetQua"), "DanhSachGiayToKetQua")
    if results is not None:
        e_result = any(_present(r.get("DuongDanTepTinKetQua")) for r in results)
    else:
        e_result = (take(_count, raw.get("DanhSachGiayToKetQua"), "DanhSachGiayToKetQua") or 0) > 0
    fees = take(_list, raw.get("DanhSachLePhi"), "DanhSachLePhi")
    if fees is not None:
        amounts = [take(_number, f.get("Gia"), f"DanhSachLePhi[{i}].Gia") for i, f in enumerate(fees)]
        fee_info = bool(fees)
        fee_total = sum(a or 0 for a in amounts)
    else:
        total = take(_number, raw.get("DanhSachLePhi"), "DanhSachLePhi")
        fee_info, fee_total = total is not None, total or 0

    # Supplementation requests: (request, completion) pairs.
    requests: list[tuple[dt.datetime, dt.datetime | None]] = []
    sups = take(_list, raw.get("DanhSachHoSoBoSung"), "DanhSachHoSoBoSung")
    if sups is not None:
        for i, s in enumerate(sups):
            asked = take(parse_datetime, s.get("NgayBoSung"), f"DanhSachHoSoBoSung[{i}].NgayBoSung")
            done = take(parse_datetime, s.get("NgayTiepNhanBoSung"), f"DanhSachHoSoBoSung[{i}].NgayTiepNhanBoSung")
            if asked is None:
                if not any(e.field.startswith(f"DanhSachHoSoBoSung[{i}]") for e in errors):
                    errors.append(FieldError(f"DanhSachHoSoBoSung[{i}].NgayBoSung",
                                             "thiếu ngày yêu cầu bổ sung / request date missing"))
                continue
            requests.append((asked, done))
    else:
        count = take(_count, raw.get("DanhSachHoSoBoSung"), "DanhSachHoSoBoSung")
        asked_list = [x for x in str(raw.get("NgayBoSung") or "").split(";") if x.strip()]
        done_list = [x for x in str(raw.get("NgayTiepNhanBoSung") or "").split(";") if x.strip()]
        if len(asked_list) > MAX_LIST or len(done_list) > MAX_LIST:
            errors.append(FieldError("NgayBoSung", f"hơn {MAX_LIST} ngày / more than {MAX_LIST} dates"))
            asked_list, done_list = [], []
        for i, text in enumerate(asked_list):
            asked = take(parse_datetime, text, "NgayBoSung")
            done = take(parse_datetime, done_list[i], "NgayTiepNhanBoSung") if i < len(done_list) else None
            if asked:
                requests.append((asked, done))
        n = count or 0
        if n < len(asked_list) and "DanhSachHoSoBoSung" not in {e.field for e in errors}:
            errors.append(FieldError("DanhSachHoSoBoSung", f"{n} yêu cầu nhưng có {len(asked_list)} ngày NgayBoSung / "
                                                           f"{n} requests but {len(asked_list)} NgayBoSung dates"))
        requests += [(None, None)] * max(0, n - len(asked_list))  # counted, dates unknown
    for i, (asked, done) in enumerate(requests):
        if asked and done and done < asked:
            errors.append(FieldError(f"DanhSachHoSoBoSung[{i}].NgayTiepNhanBoSung",
                                     "trước ngày yêu cầu bổ sung / before the request date"))

    received = dates["NgayTiepNhan"]
    end = dates["NgayKetThucXuLy"]
    if status is not None and status not in rules.NOT_RECEIVED and received is None \
            and "NgayTiepNhan" not in {e.field for e in errors}:
        errors.append(FieldError("NgayTiepNhan", f"bắt buộc với trạng thái {status} / required for status {status}"))
    if status in rules.FINISHED and end is None:
        end = dates["NgayTra"] if status == 10 else None
        if end is None and "NgayKetThucXuLy" not in {e.field for e in errors}:
            errors.append(FieldError("NgayKetThucXuLy", f"bắt buộc với trạng thái {status} (đã kết thúc) / "
                                                        f"required for status {status} (finished)"))
    if status is not None and status not in rules.FINISHED:
        end = None  # an unfinished dossier has no end, whatever the field holds
    if received and end and end < received:
        errors.append(FieldError("NgayKetThucXuLy", "trước ngày tiếp nhận / before NgayTiepNhan"))
    due = dates["NgayHenTra"]
    if received and due and due.date() < received.date():
        errors.append(FieldError("NgayHenTra", "trước ngày tiếp nhận / before NgayTiepNhan"))
    facts = procedures.get(tthc or "")
    if received and due is None and (facts is None or facts.legal_time is None) and status not in rules.NOT_RECEIVED \
            and "NgayHenTra" not in {e.field for e in errors}:  # an unreadable date is named once, as such
        errors.append(FieldError("NgayHenTra", f"trống và thủ tục {tthc!r} không có thời hạn giải quyết trong danh mục / "
                                               f"empty and procedure {tthc!r} has no legal processing time in the "
                                               "catalogue"))
    if errors:
        raise CollectedErrors(errors)

    # A dossier refused at reception (1, 3) may carry NgayTiepNhan without any due date: it has none.
    timing = rules.deadlines(received=received, due=due, requests=requests, procedure=facts, calendar=calendar) \
        if received and (due is not None or (facts is not None and facts.legal_time is not None)) \
        else rules.Deadlines.none()
    fee_bearing_zero = fee_info and fee_total == 0
    month_of = received or dates["NgayNopHoSo"] or end or dates["NgayTra"]
    return {
        "ma_ho_so": ma, "ma_tthc": tthc, "agency": agency, "officer": officer,
        "channel": channel, "status": status,
        "submitted_at": dates["NgayNopHoSo"], "received_at": received, "due_at": due,
        "end_at": end, "returned_at": dates["NgayTra"],
        "received_date": received.date() if received else None, "end_date": end.date() if end else None,
        "due_pause_at": timing.pause, "due_pause_date": timing.pause.date() if timing.pause else None,
        "due_restart_at": timing.restart, "due_restart_date": timing.restart.date() if timing.restart else None,
        "sup_count": len(requests),
        "sup_open_date": timing.open_request.date() if timing.open_request else None,
        "work_days": rules.working_days_taken(received, end, requests, calendar) if received and end else None,
        "paid_online": paid in rules.PAID_ONLINE, "fee_info": fee_info, "fee_all_zero": fee_bearing_zero,
        "reuse": reuse_flag == 1 or digitised, "attached": attached, "e_result": e_result,
        "from_store": from_store, "vneid": vneid == 1, "unhappy": unhappy == 1 or complaint == 1,
        "synthetic": _flag(raw.get("DuLieuMau")),
        "month": month_of.strftime("%Y-%m") if month_of else "unknown",
    }


class CollectedErrors(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors
