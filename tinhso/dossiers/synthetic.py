"""Seeded synthetic dossiers for the demo, tests and benchmarks (``tinhso dossiers generate``).

Every record carries ``DuLieuMau: 1`` (synthetic) and codes starting ``DEMO``. The mix: about 55 %
online, 40 % direct, 5 % postal (weak agencies less online); 8 % of dossiers get one supplementation
request and 1 % two; a slow-down around Tết (fewer dossiers in the fortnight after it, more of them
late); a few weak agencies (every tenth agency) that finish late far more often; 1.5 % refused at
reception, 3 % withdrawn, 2 % stopped. Dossiers not finished by ``end`` stay in progress, waiting
for a supplement or for fees.

Output by suffix: ``.json`` (a list, nested lists as on the portal), ``.jsonl`` (one record a line),
``.parquet`` and ``.csv`` (flat: list fields as counts/flags, see :mod:`tinhso.dossiers.records`).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import json
import random
from pathlib import Path

from tinhso.core.errors import UserError
from tinhso.core.workcalendar import WorkCalendar

FLAT_FIELDS = ["MaHoSo", "MaTTHC", "KenhThucHien", "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy",
               "NgayTra", "TrangThaiHoSo", "DonViXuLy", "NguoiXuLy", "DuocThanhToanTrucTuyen", "HoSoCoThanhPhanSoHoa",
               "TaiKhoanDuocXacThucVoiVNeID", "TaiLieuNop", "DuocLayTuKhoDMQG", "DanhSachHoSoBoSung", "NgayBoSung",
               "NgayTiepNhanBoSung", "DanhSachGiayToKetQua", "DanhSachLePhi", "KhongHaiLong", "DuLieuMau"]


def _fmt(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%d/%m/%Y %H:%M:%S") if moment else None


def _agencies_and_procedures():
    from tinhso.dossiers.models import Agency, AgencyKind, Procedure

    agencies = list(Agency.objects.filter(active=True).order_by("kind", "code"))
    procedures = list(Procedure.objects.filter(synthetic=True).order_by("code"))
    if not agencies:
        raise UserError("no_agencies", "Chưa có cơ quan nào (chạy `tinhso init` trước)",
                        "No agencies yet (run `tinhso init` first)", field="catalogue")
    if not procedures:
        raise UserError("no_catalogue", "Chưa có danh mục thủ tục mẫu (chạy `tinhso dossiers generate`, lệnh này tự "
                                        "thêm danh mục mẫu DEMO.*)",
                        "No synthetic procedures yet (`tinhso dossiers generate` adds the synthetic DEMO.* list)",
                        field="catalogue")
    plan = []
    for a in agencies:
        if a.kind == AgencyKind.COMMUNE:
            procs = [p for p in procedures if p.code.startswith("DEMO.XA.")]
        else:
            procs = [p for p in procedures if p.code.startswith(f"DEMO.{a.code}.")] or \
                    [p for p in procedures if not p.code.startswith("DEMO.XA.")][:1]
        if procs:
            plan.append((a, procs))
    return plan


EFFECT_KINDS = ("digitisation_drop",)


def _effects(plan, n: int, seed: int, end: dt.date, month: dt.date | None) -> list[dict]:
    """``n`` injected effects, drawn from their own seeded stream (the records are the same without them):
    ``digitisation_drop``: one agency (a department: they handle most dossiers) attaches no digitised
    file and reuses nothing for every dossier it receives in ``month`` (default:
    the last complete month before ``end``)."""
    if n <= 0:
        return []
    rng = random.Random(seed * 1_000_003 + 766)
    if month is None:
        month = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    candidates = [a for a, _ in plan if a.kind == "department"] or [a for a, _ in plan]
    picked = rng.sample(candidates, min(n, len(candidates)))
    return [{"kind": "digitisation_drop", "unit_code": a.code, "unit_name": a.name, "month": f"{month:%Y-%m}",
             "category": "", "place": None} for a in picked]


def records(count: int, seed: int, end: dt.date, months: int = 12, effects: int = 0,
            effects_month: dt.date | None = None, injected: list | None = None):
    """Yield ``count`` synthetic records received over the ``months`` months up to ``end``; with
    ``effects``, that many effects (:func:`_effects`) are applied and appended to ``injected``."""
    rng = random.Random(seed)
    cal = WorkCalendar()
    first = end.year * 12 + end.month - 1 - (months - 1)
    start = dt.date(first // 12, first % 12 + 1, 1)
    horizon = end + dt.timedelta(days=400)
    workdays = [start + dt.timedelta(days=i) for i in range((horizon - start).days)
                if cal.is_working_day(start + dt.timedelta(days=i))]
    receivable = [d for d in workdays if d <= end]
    tet = [d for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
           if (cal.holiday_name(d) or "").lower().find("tết") >= 0 or "lunar" in (cal.holiday_name(d) or "").lower()]
    slow = set()
    for d in tet:
        slow.update(d + dt.timedelta(days=k) for k in range(-3, 15))
    weights = [0.35 if d in slow else 1.0 for d in receivable]
    plan = _agencies_and_procedures()
    placed = _effects(plan, effects, seed, end, effects_month)
    if injected is not None:
        injected.extend(placed)
    dropped = {(e["unit_code"], e["month"]) for e in placed}
    agency_weights = [(8.0 if a.kind == "department" else 1.0) for a, _ in plan]
    now = dt.datetime.combine(end, dt.time(16, 0))
    days = rng.choices(receivable, weights=weights, k=count)
    picks = rng.choices(range(len(plan)), weights=agency_weights, k=count)
    # What the detector compares: the effect agency's dossiers received in the effect's month and in the
    # month before (refused at reception excluded), counted as they are yielded, so whoever generates
    # the data sees whether an effect has enough dossiers to be found (docs/analysis.md, min_dossiers).
    tally: dict[tuple[str, str], tuple[dict, str]] = {}
    for effect in placed:
        month = dt.date.fromisoformat(effect["month"] + "-01")
        before = (month - dt.timedelta(days=1)).replace(day=1)
        effect["dossiers_in_month"] = effect["dossiers_month_before"] = 0
        tally[(effect["unit_code"], effect["month"])] = (effect, "dossiers_in_month")
        tally[(effect["unit_code"], f"{before:%Y-%m}")] = (effect, "dossiers_month_before")

    def day_at(index: int, moment_time: dt.time) -> dt.datetime:
        return dt.datetime.combine(workdays[min(index, len(workdays) - 1)], moment_time)

    def clock() -> dt.time:
        minute = rng.randrange(7 * 60 + 30, 16 * 60 + 45)
        return dt.time(minute // 60, minute % 60, rng.randrange(60))

    for i in range(count):
        agency, procs = plan[picks[i]]
        weak = picks[i] % 10 == 3
        proc = procs[rng.randrange(len(procs))]
        day = days[i]
        idx = bisect.bisect_left(workdays, day)
        received = dt.datetime.combine(day, clock())
        online_share = 0.35 if weak else 0.6
        r = rng.random()
        channel = 2 if r < online_share else (3 if r > 0.95 else 1)
        legal = float(proc.legal_time or 5)
        if proc.legal_time_unit == "working_hours":
            due = received + dt.timedelta(hours=legal)
            if due.time() > dt.time(17, 0):
                due = day_at(idx + 1, (dt.datetime.combine(day, dt.time(7, 30)) + (due - dt.datetime.combine(
                    day, dt.time(17, 0)))).time())
            legal_days = 0
        else:
            legal_days = int(legal)
            due = day_at(idx + legal_days, received.time())
        late_p = (0.25 if weak else 0.03) + (0.12 if day in slow else 0.0)
        if rng.random() < late_p:
            taken = legal_days + rng.randint(1, 6)
        else:
            taken = int(legal_days * rng.uniform(0.1, 1.0))
        requests = []
        sup_r = rng.random()
        n_sup = 2 if sup_r < 0.01 else (1 if sup_r < 0.09 else 0)
        pause_total = 0
        for k in range(n_sup):
            asked = day_at(idx + 1 + k * 3 + pause_total, clock())
            length = rng.randint(1, 5)
            done = day_at(idx + 1 + k * 3 + pause_total + length, clock())
            pause_total += length
            requests.append((asked, done if done <= now else None))
        finish = day_at(idx + taken + pause_total, clock())
        if finish < received:
            finish = received + dt.timedelta(hours=2)
        status_r = rng.random()
        end_at = returned = None
        if status_r < 0.015:
            status, received = 3, None
        elif any(d is None for _, d in requests):
            status = 5
        elif finish > now:
            status = 6 if proc.fee_bearing and rng.random() < 0.05 else rng.choice((2, 4, 4))
        else:
            status = 7 if status_r < 0.045 else (8 if status_r < 0.065 else (9 if status_r < 0.15 else 10))
            end_at = finish
            returned = finish + dt.timedelta(hours=rng.randint(1, 30)) if status == 10 else None
        e_result = status in (9, 10) and rng.random() < (0.45 if weak else 0.8)
        paid = (rng.choice((1, 2)) if channel == 2 and proc.fee_bearing and rng.random() < 0.75 else 0)
        record = {
            "MaHoSo": f"DEMO-{seed}-{i:08d}", "MaTTHC": proc.code, "KenhThucHien": channel,
            "NgayNopHoSo": _fmt((received or dt.datetime.combine(day, clock())) - dt.timedelta(minutes=rng.randint(0, 600))),
            "NgayTiepNhan": _fmt(received), "NgayHenTra": _fmt(due) if received else None,
            "NgayKetThucXuLy": _fmt(end_at), "NgayTra": _fmt(returned), "TrangThaiHoSo": status,
            "DonViXuLy": agency.code, "NguoiXuLy": f"{agency.code}/can-bo-{rng.randint(1, 4)}",
            "DuocThanhToanTrucTuyen": paid, "HoSoCoThanhPhanSoHoa": int(rng.random() < (0.3 if weak else 0.7)),
            "TaiKhoanDuocXacThucVoiVNeID": int(channel == 2 and rng.random() < 0.8),
            "TaiLieuNop": [{"MaThanhPhanHoSo": "TP1", "DuongDanTaiTepTin": f"/demo/{i}/tp1.pdf",
                            "DuocSoHoa": int(rng.random() < 0.3), "DuocLayTuKhoDMQG": int(rng.random() < 0.25)}]
            if rng.random() < (0.6 if weak else 0.93) else [],
            "DanhSachHoSoBoSung": [{"NgayBoSung": _fmt(a), "NgayTiepNhanBoSung": _fmt(d)} for a, d in requests],
            "DanhSachGiayToKetQua": [{"MaGiayToKetQua": f"KQ{i}", "DuongDanTepTinKetQua": f"/demo/{i}/kq.pdf"}]
            if e_result else [],
            "DanhSachLePhi": [{"MaPhiLePhi": "LP", "Gia": rng.choice((0, 50000, 100000)) if rng.random() < 0.3 else 50000}]
            if proc.fee_bearing else [],
            "KhongHaiLong": int(rng.random() < 0.01), "DuLieuMau": 1,
        }
        if dropped and (agency.code, f"{day:%Y-%m}") in dropped:
            record.update(HoSoCoThanhPhanSoHoa=0, TaiLieuNop=[])
        if tally and received is not None and (agency.code, f"{day:%Y-%m}") in tally:
            effect, key = tally[(agency.code, f"{day:%Y-%m}")]
            effect[key] += 1
        yield record


def _flat(record: dict) -> dict:
    out = {k: record.get(k) for k in FLAT_FIELDS}
    docs = record["TaiLieuNop"]
    out["TaiLieuNop"] = len(docs)
    out["DuocLayTuKhoDMQG"] = int(any(d.get("DuocLayTuKhoDMQG") for d in docs))
    sups = record["DanhSachHoSoBoSung"]
    out["DanhSachHoSoBoSung"] = len(sups)
    out["NgayBoSung"] = ";".join(s["NgayBoSung"] for s in sups) or None
    out["NgayTiepNhanBoSung"] = ";".join(s["NgayTiepNhanBoSung"] for s in sups if s["NgayTiepNhanBoSung"]) or None
    out["DanhSachGiayToKetQua"] = len(record["DanhSachGiayToKetQua"])
    fees = record["DanhSachLePhi"]
    out["DanhSachLePhi"] = sum(f["Gia"] for f in fees) if fees else None
    return out


def generate(path: Path, *, count: int, seed: int, end: dt.date | None = None, months: int = 12, effects: int = 0,
             effects_month: dt.date | None = None, injected: list | None = None) -> int:
    from tinhso.dossiers.reader import file_format

    path = Path(path)
    fmt = file_format(path.name)
    if count < 1 or count > 20_000_000:
        raise UserError("bad_count", "Số hồ sơ phải từ 1 đến 20.000.000", "Count must be 1 to 20,000,000", field="count")
    end = end or dt.date.today()
    items = records(count, seed, end, months, effects=effects, effects_month=effects_month, injected=injected)
    if fmt == "json":
        path.write_text(json.dumps(list(items), ensure_ascii=False), encoding="utf-8")
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for item in items:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, FLAT_FIELDS)
            writer.writeheader()
            for item in items:
                writer.writerow(_flat(item))
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {k: pa.string() for k in FLAT_FIELDS}
        for k in ("KenhThucHien", "TrangThaiHoSo", "DuocThanhToanTrucTuyen", "HoSoCoThanhPhanSoHoa",
                  "TaiKhoanDuocXacThucVoiVNeID", "TaiLieuNop", "DuocLayTuKhoDMQG", "DanhSachHoSoBoSung",
                  "DanhSachGiayToKetQua", "DanhSachLePhi", "KhongHaiLong", "DuLieuMau"):
            columns[k] = pa.int64()
        schema = pa.schema(list(columns.items()))
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            batch = []
            for item in items:
                batch.append(_flat(item))
                if len(batch) == 50_000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    else:
        raise UserError("unknown_format", "Tạo tệp .json, .jsonl, .csv hoặc .parquet",
                        "Generate .json, .jsonl, .csv or .parquet", field="out")
    return count
