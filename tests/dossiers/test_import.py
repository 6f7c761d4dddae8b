"""Importing dossier files: every bad record named, all or nothing, re-import updates, every format."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from openpyxl import Workbook

from tests.dossiers.conftest import PERIOD, write_json, write_jsonl
from tests.dossiers.known import AGENCY, BUCKETS_PAUSE, KNOWN, dossier
from tinhso.dossiers import service, setup, store
from tinhso.dossiers.models import DossierImport

pytestmark = pytest.mark.django_db

GOOD = dossier("HS-OK", 10, "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00")


def _nothing_imported():
    assert DossierImport.objects.count() == 0
    assert store.files() == []
    assert not list(store.root().glob(".staging-*"))  # no staging file left behind


def test_bad_records_are_named_and_nothing_is_imported(catalogue, cli, tmp_path):
    bad = [
        GOOD,
        dict(GOOD, MaHoSo="HS-A", DonViXuLy="so-khong-co"),
        dict(GOOD, MaHoSo="HS-B", TrangThaiHoSo=11),
        dict(GOOD, MaHoSo="HS-C", NgayTiepNhan="31/02/2025 08:00:00"),
        dict(GOOD, MaHoSo="HS-D", NgayKetThucXuLy=None),
        dict(GOOD, MaHoSo="HS-E", NgayKetThucXuLy="30/09/2025 08:00:00"),
        dict(GOOD, MaHoSo="HS-OK"),
        dict(GOOD, MaHoSo="HS-F", MaTTHC="KHONG-CO", NgayHenTra=None),
        dict(GOOD, MaHoSo="HS-G", KenhThucHien="online"),
        dict(GOOD, MaHoSo="HS-H", DanhSachHoSoBoSung=[{"NgayBoSung": "05/10/2025 08:00:00",
                                                      "NgayTiepNhanBoSung": "04/10/2025 08:00:00"}]),
    ]
    code, out, err = cli("dossiers", "import", write_json(tmp_path / "bad.json", bad))
    assert code == 2
    lines = err.splitlines()
    assert "9" in lines[0] and "nothing imported" in lines[0]
    expected = [
        ("record 2", "DonViXuLy", "so-khong-co"),
        ("record 3", "TrangThaiHoSo", "11"),
        ("record 4", "NgayTiepNhan", "31/02/2025"),
        ("record 5", "NgayKetThucXuLy", "required for status 10"),
        ("record 6", "NgayKetThucXuLy", "before NgayTiepNhan"),
        ("record 7", "MaHoSo", "duplicate of bản ghi 1 / record 1"),
        ("record 8", "NgayHenTra", "no legal processing time"),
        ("record 9", "KenhThucHien", "'online'"),
        ("record 10", "DanhSachHoSoBoSung[0].NgayTiepNhanBoSung", "before the request date"),
    ]
    for where, field, reason in expected:
        assert any(where in line and f", {field}:" in line and reason in line for line in lines), (where, field, err)
    _nothing_imported()


def test_json_lines_name_the_line(catalogue, cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n{not json\n" + json.dumps(dict(GOOD, MaHoSo="X", TrangThaiHoSo=None)) + "\n",
                    encoding="utf-8")
    code, _, err = cli("dossiers", "import", path)
    assert code == 2
    assert "line 3, -: " in err and "invalid JSON" in err
    assert "line 4, TrangThaiHoSo: " in err
    _nothing_imported()


def test_reader_limits_refuse_the_whole_file(catalogue, cli, tmp_path, settings):
    """The reader's limits are those of tinhso.core.limits (TINHSO_FILE_LIMITS), each refusal naming its key."""
    settings.TINHSO_FILE_LIMITS = {"dossier_records": 3}
    code, _, err = cli("dossiers", "import", write_json(tmp_path / "many.json", KNOWN))
    assert code == 2 and "file_too_large" in err and "dossier_records = 3" in err
    settings.TINHSO_FILE_LIMITS = {"dossier_file_bytes": 100}
    code, _, err = cli("dossiers", "import", write_json(tmp_path / "many.json", KNOWN))
    assert code == 2 and "dossier_file_bytes = 100" in err
    _nothing_imported()


def test_parquet_limits_are_checked_from_the_footer(catalogue, cli, tmp_path, settings):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "wide.parquet"
    table = pa.table({"MaHoSo": ["P-1", "P-2"], **{f"extra{i}": ["x" * 1000] * 2 for i in range(5)}})
    pq.write_table(table, path, compression="zstd")
    settings.TINHSO_FILE_LIMITS = {"dossier_columns": 5}
    code, _, err = cli("dossiers", "import", path)
    assert code == 2 and "dossier_columns = 5" in err
    settings.TINHSO_FILE_LIMITS = {"dossier_uncompressed_bytes": 5000}  # 10 kB of text, compressed to little
    code, _, err = cli("dossiers", "import", path)
    assert code == 2 and "dossier_uncompressed_bytes = 5000" in err
    _nothing_imported()


def test_json_nesting_is_bounded(catalogue, cli, tmp_path):
    deep: object = "x"
    for _ in range(100):
        deep = [deep]
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(dict(GOOD, TaiLieuNop=deep)) + "\n", encoding="utf-8")
    code, _, err = cli("dossiers", "import", path)
    assert code == 2 and "json_depth" in err
    _nothing_imported()


def test_unknown_format_and_missing_file(catalogue, cli, tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    assert cli("dossiers", "import", tmp_path / "x.txt")[0] == 2
    assert cli("dossiers", "import", tmp_path / "missing.json")[0] == 2
    _nothing_imported()


def _bucket(period=PERIOD):
    doc = service.indicators(period, "agency")
    return next(u for u in doc["units"] if u["code"] == AGENCY)["buckets"]


def test_reimport_updates_the_dossier(catalogue, cli, tmp_path):
    unfinished = dossier("HS-R", 4, "13/10/2025 08:00:00", "20/10/2025 08:00:00")
    assert cli("dossiers", "import", write_json(tmp_path / "a.json", [unfinished]))[0] == 0
    assert _bucket()["in_progress_over"] == 1
    # synced again, finished and moved to another month by a corrected reception date
    finished = dict(unfinished, TrangThaiHoSo=10, NgayTiepNhan="30/09/2025 08:00:00",
                    NgayKetThucXuLy="17/10/2025 08:00:00")
    assert cli("dossiers", "import", write_json(tmp_path / "b.json", [finished]))[0] == 0
    buckets = _bucket()
    assert buckets["total"] == 1
    assert (buckets["in_progress_over"], buckets["finished_early"], buckets["carried_over"]) == (0, 1, 1)
    listed = service.list_dossiers({"agency": AGENCY})
    assert listed["total"] == 1 and listed["items"][0]["status"] == 10
    # the import replaced the row in the store (an upsert by partition): the old month's file held only
    # the superseded row and is gone, and the store is marked as holding one row per dossier
    assert [p.parent.name for p in store.files()] == ["month=2025-09"]
    assert store.current_only()
    assert store.compact() == 0
    assert _bucket() == buckets


def test_reimport_into_an_older_store_is_read_with_the_window(catalogue, cli, tmp_path):
    """A store that may hold superseded rows (written before the marker, or an import stopped between
    publishing and rewriting) is read choosing the latest version; compaction drops the rows and marks it."""
    unfinished = dossier("HS-R", 4, "13/10/2025 08:00:00", "20/10/2025 08:00:00")
    assert cli("dossiers", "import", write_json(tmp_path / "a.json", [unfinished]))[0] == 0
    (store.root() / store.CURRENT_ONLY_MARKER).unlink()  # as an older tinhso left it
    finished = dict(unfinished, TrangThaiHoSo=10, NgayTiepNhan="30/09/2025 08:00:00",
                    NgayKetThucXuLy="17/10/2025 08:00:00")
    assert cli("dossiers", "import", write_json(tmp_path / "b.json", [finished]))[0] == 0
    assert len(store.files()) == 2 and not store.current_only()
    buckets = _bucket()
    assert (buckets["total"], buckets["in_progress_over"], buckets["finished_early"]) == (1, 0, 1)
    assert store.compact() == 1
    assert store.current_only() and len(store.files()) == 1
    assert _bucket() == buckets


def test_flat_csv_xlsx_and_parquet(catalogue, cli, tmp_path):
    header = ["MaHoSo", "MaTTHC", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "TrangThaiHoSo",
              "DonViXuLy", "DanhSachHoSoBoSung", "NgayBoSung", "NgayTiepNhanBoSung", "TaiLieuNop",
              "DanhSachGiayToKetQua", "DanhSachLePhi", "DuocThanhToanTrucTuyen"]
    rows = [
        ["F-1", "T.1", "2", "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00", "10", AGENCY,
         "0", "", "", "2", "1", "50000", "1"],
        ["F-2", "T.1", "", "2025-10-06T08:00:00", "2025-10-13T08:00:00", "2025-10-15T16:00:00", "10", AGENCY,
         "1", "07/10/2025 08:00:00", "09/10/2025 08:00:00", "0", "0", "0", "0"],
    ]
    csv_path = tmp_path / "flat.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    assert cli("dossiers", "import", csv_path)[0] == 0
    buckets = _bucket()
    assert (buckets["received_online"], buckets["received_direct"], buckets["finished_early"],
            buckets["finished_on_due"]) == (1, 1, 1, 1)
    indicators = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)["indicators"]
    # T.1 is fee-bearing: F-1 paid online; F-2's fee list is all zero, so it leaves the 3.6 denominator
    assert (indicators["3.6"]["numerator"], indicators["3.6"]["denominator"]) == (1, 1)
    assert indicators["4.2"]["numerator"] == 1

    # the same rows as a workbook (dates as Excel date cells) replace them: same answers
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        cells = list(r)
        cells[3] = dt.datetime(2025, 10, 1, 8) if r[0] == "F-1" else cells[3]
        ws.append(cells)
    wb.save(tmp_path / "flat.xlsx")
    assert cli("dossiers", "import", tmp_path / "flat.xlsx")[0] == 0
    assert _bucket() == buckets
    bad = Workbook()
    bad.active.append(header)
    bad.active.append(["F-3", "T.1", "9"] + rows[0][3:])
    bad.save(tmp_path / "bad.xlsx")
    code, _, err = cli("dossiers", "import", tmp_path / "bad.xlsx")
    assert code == 2 and "row 2, KenhThucHien" in err

    # Parquet written by the generator (over the synthetic demo catalogue)
    setup.demo_catalogue()
    code, _, err = cli("dossiers", "generate", "--count", "200", "--seed", "3", "--out", tmp_path / "g.parquet",
                       "--end", "2025-10-31")
    assert code == 0, err
    code, out, err = cli("dossiers", "import", tmp_path / "g.parquet", "--json")
    assert code == 0, err
    assert json.loads(out)["records"] == 200
    assert DossierImport.objects.latest("id").synthetic


def test_list_dossiers_behind_a_bucket(catalogue, tmp_path):
    service.import_file(write_jsonl(tmp_path / "k.jsonl", KNOWN))
    late = service.list_dossiers({"period": PERIOD, "bucket": "finished_late", "agency": AGENCY})
    assert sorted(i["ma_ho_so"] for i in late["items"]) == ["HS-03-LATE", "HS-05-TWICE"]
    online = service.list_dossiers({"period": PERIOD, "bucket": "received_online"}, page=2, page_size=3)
    assert online["total"] == 4 and len(online["items"]) == 1
    with pytest.raises(Exception, match="bucket"):
        service.list_dossiers({"period": PERIOD, "bucket": "1=1; DROP"})


def test_rows_are_staged_in_chunks(catalogue, tmp_path, monkeypatch):
    monkeypatch.setattr(store.Staging, "CHUNK", 4)
    result = service.import_file(write_json(tmp_path / "k.json", KNOWN))
    assert result["records"] == 15 and result["months"] == ["2025-09", "2025-10", "2025-11"]
    assert _bucket() == BUCKETS_PAUSE
    assert {p.name for p in store.files()} == {f"imp-{result['import']:08d}.parquet"}


def test_catalogue_import(db, store_dir, cli, tmp_path):
    from tinhso.dossiers.models import Procedure

    header = ["MaTTHC", "TenTTHC", "LinhVuc", "MucDo", "ThoiHanGiaiQuyet", "DonViThoiHan", "CoPhiLePhi", "DoiTuong",
              "NgayQuyetDinhCongBo", "DuBoPhan"]
    good = [["1.001", "Đăng ký khai sinh", "Hộ tịch", "4", "1", "ngày làm việc", "0", "Công dân", "01/07/2025", "1"],
            ["1.002", "Chứng thực", "Chứng thực", "3", "4", "giờ", "1", "", "", ""]]
    path = tmp_path / "cat.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *good])
    code, out, err = cli("dossiers", "catalogue", path)
    assert code == 0, err
    p = Procedure.objects.get(code="1.002")
    assert (p.online_level, p.legal_time_unit, p.fee_bearing, p.subjects, p.parts_complete) == (
        "partial", "working_hours", True, "both", None)
    assert Procedure.objects.get(code="1.001").publication_decision_date == dt.date(2025, 7, 1)
    bad = [["1.001", "Đăng ký khai sinh (sửa)", "", "4", "1", "", "0", "", "", ""],
           ["1.003", "", "", "5", "-1", "tuần", "0", "người nước ngoài", "", "2"]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *bad])
    code, _, err = cli("dossiers", "catalogue", path)
    assert code == 2
    for field in ("TenTTHC", "MucDo", "ThoiHanGiaiQuyet", "DonViThoiHan", "DoiTuong", "DuBoPhan"):
        assert f"row 3, {field}:" in err, field
    assert Procedure.objects.get(code="1.001").name == "Đăng ký khai sinh"  # nothing changed


def test_a_damaged_store_file_is_an_error_not_a_traceback(catalogue, cli, tmp_path):
    service.import_file(write_json(tmp_path / "k.json", KNOWN))
    store.files()[0].write_bytes(b"PAR1 not really parquet")
    code, _, err = cli("dossiers", "indicators", "--period", PERIOD, "--json")
    assert code == 2 and "engine_failed" in err and "Traceback" not in err


@pytest.mark.parametrize("count", [40000, 1e12, 1.5, 5000, "2.5", 2**63, 2**70])
def test_a_flat_count_out_of_range_is_a_named_error(catalogue, cli, tmp_path, count):
    """A flat list count must be a whole number 0–1000: anything else is named (no Arrow overflow traceback,
    no silent rounding, no huge allocation) and nothing is imported."""
    record = dict(GOOD, DanhSachHoSoBoSung=count)
    for path in (write_json(tmp_path / "c.json", [GOOD, dict(record, MaHoSo="HS-N")]),
                 write_jsonl(tmp_path / "c.jsonl", [dict(record, MaHoSo="HS-N")])):
        code, out, err = cli("dossiers", "import", path)
        assert code == 2, err
        assert "DanhSachHoSoBoSung:" in err and "whole number 0–1000" in err, err
        assert "Traceback" not in err
        _nothing_imported()


@pytest.mark.parametrize("field", ["TaiLieuNop", "DanhSachGiayToKetQua"])
def test_flat_file_counts_are_bounded_too(catalogue, cli, tmp_path, field):
    path = write_json(tmp_path / "c.json", [dict(GOOD, **{field: 1e9})])
    code, _, err = cli("dossiers", "import", path)
    assert code == 2 and f"record 1, {field}:" in err and "whole number" in err, err
    _nothing_imported()


@pytest.mark.parametrize("value", [2**63, 2**70, 40000, -1])
def test_huge_integers_in_coded_fields_are_named(catalogue, cli, tmp_path, value):
    """Integers too large for 64 bits, or outside a small column's range, name the field."""
    for field in ("TrangThaiHoSo", "KenhThucHien", "DuocThanhToanTrucTuyen", "CoPAKN"):
        code, _, err = cli("dossiers", "import", write_json(tmp_path / "h.json", [dict(GOOD, **{field: value})]))
        assert code == 2 and f"record 1, {field}:" in err, (field, err)
        _nothing_imported()


def test_parquet_unsigned_counts_beyond_int64_are_named(catalogue, cli, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = {k: v for k, v in GOOD.items() if k != "DanhSachHoSoBoSung"}
    table = pa.Table.from_pylist([flat, dict(flat, MaHoSo="HS-2")])
    table = table.append_column("DanhSachHoSoBoSung", pa.array([0, 2**64 - 1], pa.uint64()))
    table = table.set_column(table.schema.get_field_index("TrangThaiHoSo"), "TrangThaiHoSo",
                             pa.array([10, 2**64 - 2], pa.uint64()))
    pq.write_table(table, tmp_path / "u.parquet")
    code, _, err = cli("dossiers", "import", tmp_path / "u.parquet")
    assert code == 2, err
    assert "row 2, DanhSachHoSoBoSung:" in err and "row 2, TrangThaiHoSo:" in err, err
    _nothing_imported()


def test_json_output_carries_the_errors_and_a_bad_due_date_is_named_once(catalogue, cli, tmp_path):
    bad = [GOOD, dict(GOOD, MaHoSo="HS-X", MaTTHC="KHONG-CO", NgayHenTra="32/10/2025"), dict(GOOD, MaHoSo="HS-Y", TrangThaiHoSo=11)]
    code, out, err = cli("dossiers", "import", write_json(tmp_path / "bad.json", bad), "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["error"] == "dossier_import_invalid"
    assert [(e["where"], e["field"]) for e in doc["errors"]] == [("bản ghi 2 / record 2", "NgayHenTra"),
                                                                 ("bản ghi 3 / record 3", "TrangThaiHoSo")], doc
    assert "32/10/2025" in doc["errors"][0]["reason"]
    assert "no legal processing time" not in err and "record 2, NgayHenTra" in err
    _nothing_imported()
    code, out, _ = cli("dossiers", "import", tmp_path / "missing.json", "--json")
    assert code == 2 and json.loads(out)["errors"][0]["where"].endswith("missing.json")


def _write_csv(path, header, rows, delimiter=","):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows([header, *rows])
    return path


FLAT = ["MaHoSo", "MaTTHC", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "TrangThaiHoSo", "DonViXuLy"]
FLAT_ROW = ["F-1", "T.1", "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00", "10", AGENCY]


@pytest.mark.parametrize(("header", "delimiter", "expected"), [
    (["MaHoSo", *FLAT], ",", ["duplicate column MaHoSo"]),
    ([h.lower() for h in FLAT], ",", ["unknown column 'mahoso' (= MaHoSo?)", "missing column MaHoSo, MaTTHC"]),
    (["MaHoSo", "MaTTHC", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "TrangThai", "DonViXuLy"], ",",
     ["unknown column 'TrangThai'", "missing column TrangThaiHoSo"]),
    (FLAT, ";", ["separated by commas, not semicolons", "missing column MaHoSo"]),
])
def test_a_bad_csv_header_is_one_error_naming_the_columns(catalogue, cli, tmp_path, header, delimiter, expected):
    row = ([FLAT_ROW[0]] if header[0] == header[1] else []) + FLAT_ROW
    code, _, err = cli("dossiers", "import", _write_csv(tmp_path / "h.csv", header, [row, row], delimiter))
    assert code == 2, err
    for text in expected:
        assert text in err, (text, err)
    assert "required, empty" not in err and "The columns read (case-sensitive): MaHoSo, MaTTHC" in err
    _nothing_imported()


def test_a_bad_xlsx_or_parquet_header_is_named_too(catalogue, cli, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    wb = Workbook()
    wb.active.append([h.upper() for h in FLAT])
    wb.active.append(FLAT_ROW)
    wb.save(tmp_path / "h.xlsx")
    code, _, err = cli("dossiers", "import", tmp_path / "h.xlsx")
    assert code == 2 and "unknown column 'MAHOSO' (= MaHoSo?)" in err, err
    pq.write_table(pa.table({"mahoso": ["A"], **{h: [v] for h, v in zip(FLAT[1:], FLAT_ROW[1:])}}), tmp_path / "h.parquet")
    code, _, err = cli("dossiers", "import", tmp_path / "h.parquet")
    assert code == 2 and "missing column MaHoSo" in err, err
    _nothing_imported()


def test_other_payload_columns_are_allowed(catalogue, cli, tmp_path):
    code, _, err = cli("dossiers", "import", _write_csv(tmp_path / "ok.csv", [*FLAT, "TenTTHC"], [[*FLAT_ROW, "Tên"]]))
    assert code == 0, err


def test_due_before_reception_and_a_boolean_status_are_refused(catalogue, cli, tmp_path):
    bad = [dict(GOOD, MaHoSo="HS-1", NgayHenTra="30/09/2025 08:00:00"),
           dict(GOOD, MaHoSo="HS-2", TrangThaiHoSo=True),
           dict(GOOD, MaHoSo="HS-3", KenhThucHien=False)]
    code, _, err = cli("dossiers", "import", write_json(tmp_path / "b.json", bad))
    assert code == 2
    assert "record 1, NgayHenTra: " in err and "before NgayTiepNhan" in err
    assert "record 2, TrangThaiHoSo: " in err and "true/false" in err
    assert "record 3, KenhThucHien: " in err
    _nothing_imported()
    # the same in a CSV row
    row = list(FLAT_ROW)
    row[3] = "30/09/2025 08:00:00"
    code, _, err = cli("dossiers", "import", _write_csv(tmp_path / "b.csv", FLAT, [row]))
    assert code == 2 and "row 2, NgayHenTra: " in err, err
    # a flag may be true/false (1/0)
    assert cli("dossiers", "import", write_json(tmp_path / "f.json", [dict(GOOD, CoPAKN=True)]))[0] == 0
