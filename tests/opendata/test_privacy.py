"""The privacy test: a commune × category × month with a single report must not be re-identifiable from
any published file (the cell is suppressed; no code, no time finer than a month, no position, no text)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pyarrow.parquet as pq
import pytest

from tinhso.geo.models import Unit
from tinhso.opendata import generated, storage
from tinhso.opendata.models import Dataset
from tinhso.reports.models import Category, Report

VN = dt.timezone(dt.timedelta(hours=7))


def _report(category, commune, when, lat, lon, description):
    return Report.objects.create(category=category, description=description, lat=lat, lon=lon, commune=commune,
                                 province_code="68", created_at=when, updated_at=when, reporter_name="Nguyễn Văn Lẻ",
                                 reporter_phone="0912345678", reporter_email="le@example.org")


@pytest.fixture
def reports(db, portal):
    communes = list(Unit.objects.filter(structure="current", level="commune", province_code="68").order_by("code")[:2])
    roads = Category.objects.create(code="duong-sa", name_vi="Đường sá")
    lights = Category.objects.create(code="chieu-sang", name_vi="Chiếu sáng")
    crowd = [_report(roads, communes[0], dt.datetime(2026, 3, d, 9, 0, tzinfo=VN), 11.1 + d / 1000, 108.1,
                     f"Ổ gà thứ {d}") for d in range(1, 7)]
    lone = _report(lights, communes[1], dt.datetime(2026, 3, 14, 21, 37, 12, tzinfo=VN), 11.234567, 108.765432,
                   "Đèn đường trước nhà số 17 hẻm 42 tắt")
    return {"communes": communes, "crowd": crowd, "lone": lone, "roads": roads, "lights": lights}


def _published_files():
    for ds in Dataset.objects.filter(state="published"):
        for d in ds.distributions.all():
            yield ds, d, storage.file_path(ds.name, d.file_name).read_bytes()


def _rows(content: bytes, file_name: str) -> list[dict]:
    if file_name.endswith(".parquet"):
        return pq.read_table(io.BytesIO(content)).to_pylist()
    if file_name.endswith(".json") and file_name != "datapackage.json":
        return json.loads(content)["data"]
    return []


def test_a_single_report_cannot_be_found_in_any_published_file(reports):
    done = generated.refresh(out=lambda *a, **k: None)
    assert done["thong-ke-phan-anh"] == 1  # only the cell of six reports
    lone, commune = reports["lone"], reports["communes"][1]
    needles = [lone.code, lone.description, "hẻm 42", lone.reporter_name, lone.reporter_phone, lone.reporter_email,
               "11.234567", "108.765432", "11.23457", "108.76543", "2026-03-14", "14/03/2026", "21:37",
               lone.created_at.isoformat()]
    files = list(_published_files())
    assert {d.format for ds, d, _c in files if ds.name == "thong-ke-phan-anh"} >= {"CSV", "XLSX", "JSON", "Parquet",
                                                                                "SDMX-CSV", "datapackage"}
    import zipfile

    for ds, dist, content in files:
        texts = [content.decode("utf-8", "replace")]
        if dist.format == "XLSX":
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        for text in texts:
            for needle in needles:
                assert needle not in text, (ds.name, dist.file_name, needle)
        for row in _rows(content, dist.file_name):
            if ds.name == "thong-ke-phan-anh":
                # the lone report's cell is suppressed, not published with a small count
                assert not (row["commune_code"] == commune.code and row["category"] == "chieu-sang")
                assert row["received"] >= generated.k_threshold()
                assert set(row) == {"month", "commune_code", "commune", "category", "category_name", "received",
                                    "resolved"}
                assert len(row["month"]) == 7  # YYYY-MM, never finer
    # The cell of six is there, with its count.
    stats = Dataset.objects.get(name="thong-ke-phan-anh")
    rows = _rows(storage.file_path(stats.name, "thong-ke-phan-anh.json").read_bytes(), "thong-ke-phan-anh.json")
    assert rows == [{"month": "2026-03", "commune_code": reports["communes"][0].code,
                     "commune": reports["communes"][0].name, "category": "duong-sa", "category_name": "Đường sá",
                     "received": 6, "resolved": 0}]
    # No lighting category appears anywhere in the statistics (there is no total to subtract from either).
    assert b"chieu-sang" not in storage.file_path(stats.name, "thong-ke-phan-anh.csv").read_bytes()


def test_the_threshold_is_configurable_and_a_cell_at_k_is_published(reports, monkeypatch):
    monkeypatch.setenv("TINHSO_OPENDATA_K", "7")
    rows, suppressed = generated.report_cells()
    assert rows == [] and suppressed == 2
    monkeypatch.setenv("TINHSO_OPENDATA_K", "6")
    rows, suppressed = generated.report_cells()
    assert [r["received"] for r in rows] == [6] and suppressed == 1


def test_small_cells_of_a_commune_month_are_merged_when_together_they_reach_k(reports):
    commune = reports["communes"][1]
    water = Category.objects.create(code="cap-nuoc", name_vi="Cấp nước")
    for d in range(1, 4):
        _report(water, commune, dt.datetime(2026, 3, d, 8, tzinfo=VN), 11.3, 108.2, "Mất nước")
    for d in range(4, 6):
        _report(reports["lights"], commune, dt.datetime(2026, 3, d, 8, tzinfo=VN), 11.3, 108.2, "Đèn tắt")
    rows, suppressed = generated.report_cells(5)
    merged = [r for r in rows if r["commune_code"] == commune.code]
    # 3 (water) + 3 (lights: the lone one and two more) = 6 ≥ 5: one merged row, no category named.
    assert merged == [{"month": "2026-03", "commune_code": commune.code, "commune": commune.name,
                       "category": generated.MERGED, "category_name": generated.MERGED_NAME, "received": 6,
                       "resolved": 0}]
    assert suppressed == 0
