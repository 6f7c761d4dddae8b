"""The importer's batch path gives what the per-record path gives: the same store rows, the same errors.

:func:`records.normalise` (one record at a time) is the reference; :func:`batch.normalise_batch` must
agree with it on every record — on the demo generator's output (nested JSON shape and the flat
CSV/Parquet shape) and on records drawn by hypothesis across the formats the importer reads (both date
formats, ISO with offsets, the compact form, codes as numbers or text, nested and flat lists, bad values).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinhso.core.workcalendar import WorkCalendar
from tinhso.dossiers import batch, records, synthetic
from tinhso.dossiers.store import COLUMNS

CAL = WorkCalendar()
PROCEDURES = {
    "T.1": records.ProcedureFacts("T.1", 5.0, "working_days"),
    "T.2": records.ProcedureFacts("T.2", 8.0, "working_hours"),
    "T.3": records.ProcedureFacts("T.3", 0.5, "working_days"),
    "T.0": records.ProcedureFacts("T.0", None, "working_days"),
}
AGENCIES = {"so-a", "so-b", "ubnd-1"}


def reference(raws, procedures=PROCEDURES, agencies=AGENCIES):
    out = []
    for raw in raws:
        try:
            out.append(records.normalise(raw, procedures=procedures, agencies=agencies, calendar=CAL))
        except records.CollectedErrors as exc:
            out.append([(e.field, e.reason) for e in exc.errors])
    return out


def batched(raws, procedures=PROCEDURES, agencies=AGENCIES):
    """The batch path's answer, record by record: a row, or the list of (field, reason) errors."""
    table, errors = batch.normalise_batch(raws, procedures=procedures, agencies=agencies, calendar=CAL)
    rows = iter(table.select([*[c for c in COLUMNS if c != "import_seq"], "month"]).to_pylist())
    return [[(e.field, e.reason) for e in errors[i]] if i in errors else next(rows) for i in range(len(raws))]


def assert_same(raws, **kw):
    expected, got = reference(raws, **kw), batched(raws, **kw)
    for i, (e, g) in enumerate(zip(expected, got)):
        assert e == g, (i, raws[i], e, g)
    assert len(expected) == len(got)


@pytest.fixture
def generated(db, store_dir):
    """The demo generator's records against the demo generator's catalogue."""
    from tinhso.dossiers import setup

    setup.init(out=lambda *a, **k: None)
    setup.demo_catalogue()
    plan = synthetic._agencies_and_procedures()
    procedures = {p.code: records.ProcedureFacts(p.code, float(p.legal_time) if p.legal_time is not None else None,
                                                 p.legal_time_unit)
                  for _, procs in plan for p in procs}
    agencies = {a.code for a, _ in plan}
    raws = list(synthetic.records(3000, 11, dt.date(2025, 11, 30)))
    return raws, procedures, agencies


def test_generated_nested_records(generated):
    raws, procedures, agencies = generated
    assert any(r["DanhSachHoSoBoSung"] for r in raws)  # supplementation is exercised
    assert_same(raws, procedures=procedures, agencies=agencies)


def test_generated_flat_records(generated):
    raws, procedures, agencies = generated
    flat = [synthetic._flat(r) for r in raws]
    assert_same(flat, procedures=procedures, agencies=agencies)
    as_text = [{k: (str(v) if v is not None else None) for k, v in r.items()} for r in flat]  # CSV cells
    assert_same(as_text, procedures=procedures, agencies=agencies)


def test_parquet_columns_with_bad_values(generated):
    """The columns of a flat Parquet file (typed, read without a dict per record), with bad values the
    vectorised checks must send to the per-record path."""
    raws, procedures, agencies = generated
    flat = [synthetic._flat(r) for r in raws[:400]]
    flat[3]["TrangThaiHoSo"] = 11
    flat[5]["KenhThucHien"] = 4
    flat[7]["NgayTiepNhan"] = "31/02/2025 08:00:00"
    flat[9]["NgayHenTra"] = "2025-02-29T08:00:00"
    flat[11]["NgayKetThucXuLy"] = "01/13/2025 08:00:00"
    flat[13]["DonViXuLy"] = "so-khong-co"
    flat[15]["MaHoSo"] = " HS-x "
    flat[17]["NgayNopHoSo"] = "1/10/2025 08:00:00"
    flat[19]["TaiLieuNop"] = -1
    flat[21]["MaTTHC"] = None
    table = pa.Table.from_pylist(flat)
    assert pa.types.is_integer(table.schema.field("TrangThaiHoSo").type)
    expected = reference(table.to_pylist(), procedures=procedures, agencies=agencies)
    got, errors = batch.normalise_batch(table, procedures=procedures, agencies=agencies, calendar=CAL)
    rows = iter(got.select([*[c for c in COLUMNS if c != "import_seq"], "month"]).to_pylist())
    answers = [[(e.field, e.reason) for e in errors[i]] if i in errors else next(rows) for i in range(len(flat))]
    assert answers == expected
    assert sum(isinstance(e, list) for e in expected) >= 8


def test_the_calendar_table_equals_the_calendar():
    table = batch.CalendarTable(CAL, 2024, 2026)
    rng = np.random.default_rng(5)
    start = int((dt.datetime(2024, 1, 1) - batch.EPOCH).total_seconds())
    moments = rng.integers(start, start + 2 * 365 * 86400, 300)
    seconds = rng.integers(0, 40 * 27000, 300)
    added, beyond = table.add(moments, seconds)
    assert not beyond.any()
    for t, s, a in zip(moments.tolist(), seconds.tolist(), added.tolist()):
        moment = (batch.EPOCH + dt.timedelta(seconds=t)).replace(tzinfo=CAL.tz)
        want = CAL.add_working_time(moment, hours=s / 3600).replace(tzinfo=None)
        assert batch.EPOCH + dt.timedelta(seconds=a) == want
    a, b = np.sort(rng.integers(start, start + 2 * 365 * 86400, (2, 200)), axis=0)
    worked = table.worked(b) - table.worked(a)
    for x, y, w in zip(a.tolist(), b.tolist(), worked.tolist()):
        got = CAL.working_time_between(*((batch.EPOCH + dt.timedelta(seconds=v)).replace(tzinfo=CAL.tz) for v in (x, y)))
        assert got.total_seconds() == w


# --- records drawn by hypothesis ---------------------------------------------------------------------------

moments = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda m: m.replace(microsecond=0))


def _formats(moment: dt.datetime):
    return st.sampled_from([
        moment.strftime("%d/%m/%Y %H:%M:%S"), moment.strftime("%d/%m/%Y %H:%M"), moment.strftime("%d/%m/%Y"),
        f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment.minute:02d}:{moment.second:02d}",
        moment.isoformat(), moment.isoformat(sep=" "), moment.strftime("%Y%m%d%H%M%S"),
        moment.isoformat() + "+07:00", moment.isoformat() + "Z", " " + moment.strftime("%d/%m/%Y %H:%M:%S"),
        moment,
    ])


dates = st.one_of(st.none(), moments.flatmap(_formats),
                  st.sampled_from(["31/02/2025 08:00:00", "2025-13-01T00:00:00", "hôm qua", "", "01/01/1989 08:00:00"]))
codes = st.one_of(st.none(), st.integers(-1, 11), st.sampled_from(["1", "2", " 2", "2.0", "x", "", True, 2.0, 1.5]))
texts = st.one_of(st.sampled_from(["HS-1", "HS-2", "so-a", "so-b", "ubnd-1", "so-x", " so-a ", "so  a", "Hòa",
                                   "", None, 12.0, "a" * 201, "nul\x00"]))
supplement = st.fixed_dictionaries({"NgayBoSung": dates, "NgayTiepNhanBoSung": dates})
record = st.fixed_dictionaries({
    "MaHoSo": st.sampled_from(["HS-1", "HS-2", " HS-3", None, "x" * 201]),
    "MaTTHC": st.sampled_from(["T.1", "T.2", "T.3", "T.0", "T.9"]),
    "DonViXuLy": texts, "NguoiXuLy": texts,
    "KenhThucHien": codes, "TrangThaiHoSo": st.one_of(st.integers(1, 10), codes),
    "DuocThanhToanTrucTuyen": codes, "HoSoCoThanhPhanSoHoa": codes, "TaiKhoanDuocXacThucVoiVNeID": codes,
    "KhongHaiLong": codes, "CoPAKN": codes,
    "NgayNopHoSo": dates, "NgayTiepNhan": st.one_of(moments.flatmap(_formats), dates), "NgayHenTra": dates,
    "NgayKetThucXuLy": st.one_of(moments.flatmap(_formats), dates), "NgayTra": dates,
    "TaiLieuNop": st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["1", "-1", "x"]),
                            st.lists(st.fixed_dictionaries({"DuongDanTaiTepTin": st.sampled_from(["/a", "", None]),
                                                            "DuocSoHoa": codes, "DuocLayTuKhoDMQG": codes}),
                                     max_size=2)),
    "DanhSachGiayToKetQua": st.one_of(st.none(), st.integers(0, 2),
                                      st.lists(st.fixed_dictionaries({"DuongDanTepTinKetQua": st.sampled_from(["/k", None])}),
                                               max_size=2)),
    "DanhSachLePhi": st.one_of(st.none(), st.integers(0, 50000), st.sampled_from(["0", "1.5", "-3"]),
                               st.lists(st.fixed_dictionaries({"Gia": st.one_of(st.integers(0, 9), st.none(),
                                                                                  st.just("x"))}), max_size=2)),
    "DanhSachHoSoBoSung": st.one_of(st.none(), st.integers(0, 3), st.lists(supplement, max_size=3)),
    "NgayBoSung": st.one_of(st.none(), moments.map(lambda m: m.strftime("%d/%m/%Y %H:%M:%S")),
                            st.lists(moments, min_size=1, max_size=3).map(
                                lambda ms: ";".join(m.strftime("%d/%m/%Y %H:%M:%S") for m in sorted(ms)))),
    "NgayTiepNhanBoSung": st.one_of(st.none(), moments.map(lambda m: m.strftime("%d/%m/%Y %H:%M:%S"))),
    "DuocSoHoa": codes, "DuocLayTuKhoDMQG": codes, "DuLieuMau": codes,
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(record, min_size=1, max_size=25))
def test_batch_equals_per_record_on_drawn_records(raws):
    try:
        expected = reference(raws)
    except (ValueError, AttributeError):  # the per-record path refuses it with an exception: so must the batch
        with pytest.raises((ValueError, AttributeError)):
            batched(raws)
        return
    got = batched(raws)
    for i, (e, g) in enumerate(zip(expected, got)):
        assert e == g, (i, raws[i], e, g)


def _valid_formats(moment: dt.datetime):
    """Forms of one moment the importer accepts, the regular one most often."""
    return st.one_of(st.just(moment.strftime("%d/%m/%Y %H:%M:%S")), st.just(moment.strftime("%d/%m/%Y %H:%M:%S")),
                     _formats(moment).filter(lambda v: not (isinstance(v, str) and v.endswith("Z"))))


valid_codes = {n: st.sampled_from([*range(1, n + 1), *map(str, range(1, n + 1)), float(n)]) for n in (2, 3, 10)}


@st.composite
def good_record(draw, code: str):
    """A record that mostly passes: the rows of the fast path are compared, not only errors."""
    received = draw(moments)
    status = draw(st.integers(1, 10))
    due = draw(st.one_of(st.none(), st.builds(lambda h: received + dt.timedelta(hours=h), st.integers(0, 24 * 40))))
    end = received + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
    asked = [received + dt.timedelta(hours=draw(st.integers(1, 24 * 20))) for _ in range(draw(st.integers(0, 3)))]
    asked.sort()
    done = [a + dt.timedelta(hours=draw(st.integers(0, 24 * 10))) if draw(st.booleans()) else None for a in asked]
    nested = draw(st.booleans())
    raw = {
        "MaHoSo": code, "MaTTHC": draw(st.sampled_from(["T.1", "T.2", "T.3", "T.0"])),
        "DonViXuLy": draw(st.sampled_from(sorted(AGENCIES))), "NguoiXuLy": draw(st.sampled_from([None, "cb-1", "Cán bộ"])),
        "KenhThucHien": draw(st.one_of(st.none(), valid_codes[3])), "TrangThaiHoSo": status,
        "DuocThanhToanTrucTuyen": draw(st.sampled_from([None, 0, 1, 2, "1"])),
        "HoSoCoThanhPhanSoHoa": draw(st.sampled_from([None, 0, 1])), "TaiKhoanDuocXacThucVoiVNeID": draw(st.sampled_from([0, 1])),
        "KhongHaiLong": draw(st.sampled_from([0, 1, None])), "CoPAKN": draw(st.sampled_from([0, 1, None])),
        "NgayNopHoSo": draw(_valid_formats(received - dt.timedelta(hours=1))),
        "NgayTiepNhan": draw(_valid_formats(received)),
        "NgayHenTra": draw(_valid_formats(due)) if due else draw(st.sampled_from([None, ""])),
        "NgayKetThucXuLy": draw(_valid_formats(end)) if draw(st.integers(0, 4)) else None,
        "NgayTra": draw(_valid_formats(end + dt.timedelta(hours=2))) if draw(st.booleans()) else None,
        "DuLieuMau": draw(st.sampled_from([None, 1, "1"])),
    }
    if nested:
        raw["TaiLieuNop"] = [{"DuongDanTaiTepTin": draw(st.sampled_from(["/a", ""])), "DuocSoHoa": draw(st.sampled_from([0, 1])),
                              "DuocLayTuKhoDMQG": draw(st.sampled_from([0, 1]))} for _ in range(draw(st.integers(0, 2)))]
        raw["DanhSachGiayToKetQua"] = [{"DuongDanTepTinKetQua": "/k"}] * draw(st.integers(0, 1))
        raw["DanhSachLePhi"] = [{"Gia": draw(st.sampled_from([0, 50000]))} for _ in range(draw(st.integers(0, 2)))]
        raw["DanhSachHoSoBoSung"] = [{"NgayBoSung": draw(_valid_formats(a)),
                                      "NgayTiepNhanBoSung": draw(_valid_formats(d)) if d else None} for a, d in zip(asked, done)]
    else:
        raw["TaiLieuNop"] = draw(st.sampled_from([None, 0, 1, "2"]))
        raw["DuocSoHoa"], raw["DuocLayTuKhoDMQG"] = draw(st.sampled_from([0, 1, "1"])), draw(st.sampled_from([0, 1]))
        raw["DanhSachGiayToKetQua"] = draw(st.sampled_from([None, 0, 1]))
        raw["DanhSachLePhi"] = draw(st.sampled_from([None, 0, 50000, "0"]))
        completed = [(a, d) for a, d in zip(asked, done) if d] + [(a, None) for a, d in zip(asked, done) if not d]
        raw["DanhSachHoSoBoSung"] = len(asked) + draw(st.integers(0, 1))
        raw["NgayBoSung"] = ";".join(a.strftime("%d/%m/%Y %H:%M:%S") for a, _ in completed) or None
        raw["NgayTiepNhanBoSung"] = ";".join(d.strftime("%d/%m/%Y %H:%M:%S") for _, d in completed if d) or None
    return raw


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=30, unique=True).flatmap(
    lambda codes: st.tuples(*[good_record(f"HS-{c}") for c in codes])))
def test_batch_equals_per_record_on_mostly_valid_records(raws):
    raws = list(raws)
    expected = reference(raws)
    assert batched(raws) == expected


def test_a_refused_dossier_without_any_due_date_is_read_not_a_traceback():
    """Status 3 (refused at reception) with NgayTiepNhan, no NgayHenTra, and a procedure without legal
    time: excluded everywhere, so it needs no due date (this raised TypeError before)."""
    raw = {"MaHoSo": "HS-R", "MaTTHC": "T.0", "DonViXuLy": "so-a", "TrangThaiHoSo": 3,
           "NgayTiepNhan": "01/10/2025 08:00:00"}
    (row,) = reference([raw])
    assert row["due_pause_at"] is None and row["received_date"] == dt.date(2025, 10, 1)
    assert batched([raw]) == [row]
