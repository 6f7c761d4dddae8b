"""Import (tidy CSV, Excel template), all-or-nothing errors, revisions, exports."""

from __future__ import annotations

import csv
import io as stdio
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.accounts import role_user
from tinhso import cli
from tinhso.core.errors import UserError
from tinhso.indicators import io, setup, status
from tinhso.indicators.models import Observation, Source

pytestmark = pytest.mark.django_db
PLAN = "bt-nq10-2022"
HEADER = "Year,Indicator,Level,Qualifier,Source,SourceTitle,SourceURL,SourceDate,GeoCode,Value\n"


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


def test_tidy_csv_import_creates_and_revises(demo):
    before = Observation.objects.count()
    content = _csv(
        "2022,fibre-coverage,,,test-report-2022,Báo cáo thử 2022,https://example.org/r,2023-01-15,legacy:60,70",
        "2023,fibre-coverage,,,test-report-2022,,,,legacy:60,\"81,5\"",
    )
    counts = io.import_file(content, "data.csv", entered_by_name="tester")
    assert counts == {"created": 2, "revised": 0, "unchanged": 0, "sources_created": 1, "rows": 2}
    assert Observation.objects.count() == before + 2
    assert Source.objects.get(key="test-report-2022").published.isoformat() == "2023-01-15"
    assert Observation.objects.get(indicator__code="fibre-coverage", period=2023).value == 81.5
    # The 2030 fibre target (100 %) now has a trend: 70 → 92 over 2022–2024.
    fibre = {e["code"]: e for e in status.plan_status(PLAN, 2030)["indicators"]}["fibre-coverage"]
    assert fibre["status"] in {"on_track", "at_risk", "off_track"}
    assert fibre["forecast"]["cagr"]["cagr_observed"] == pytest.approx((92 / 70) ** 0.5 - 1)

    again = io.import_file(content, "data.csv", entered_by_name="tester")
    assert again["unchanged"] == 2 and again["created"] == 0
    revised = io.import_file(_csv("2023,fibre-coverage,,,test-report-2022,,,,legacy:60,82"), "fix.csv",
                             entered_by_name="tester")
    assert revised["revised"] == 1
    rows = Observation.objects.filter(indicator__code="fibre-coverage", period=2023).order_by("id")
    assert [o.value for o in rows] == [81.5, 82]
    assert rows[1].supersedes_id == rows[0].pk


def test_a_file_with_any_error_imports_nothing_and_names_row_column_reason(demo):
    before = Observation.objects.count()
    content = _csv(
        "2023,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,90",     # row 2: fine
        "2023,no-such-indicator,,,seed-000-bt-cau-truc-cds,,,,legacy:60,90",  # row 3
        "20x3,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,90",     # row 4
        "2022,fibre-coverage,county,,seed-000-bt-cau-truc-cds,,,,legacy:60,90",  # row 5
        "2022,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:99,abc",    # row 6: two errors
        "2023,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,91",     # row 7: duplicate of row 2
        "2021,fibre-coverage,,,unknown-source,,,,legacy:60,50",               # row 8
    )
    with pytest.raises(UserError) as err:
        io.import_file(content, "bad.csv", entered_by_name="tester")
    assert err.value.code == "import_invalid"
    found = {(e["row"], e["column"]) for e in err.value.details}
    assert found == {(3, "Indicator"), (4, "Year"), (5, "Level"), (6, "GeoCode"), (6, "Value"), (7, "Year"),
                     (8, "Source")}
    duplicate = next(e for e in err.value.details if e["row"] == 7)
    assert "row 2" in duplicate["reason"]
    assert Observation.objects.count() == before


def test_missing_and_unknown_columns_are_reported_on_row_1(demo):
    with pytest.raises(UserError) as err:
        io.import_file(b"Year,Indicator,Colour,Value\n2023,fibre-coverage,red,5\n", "x.csv", entered_by_name="t")
    columns = {e["column"] for e in err.value.details if e["row"] == 1}
    assert {"GeoCode", "Source", "Colour"} <= columns


def test_excel_template_round_trip(demo, tmp_path, capsys):
    """The template is Vietnamese, one pre-filled row per indicator of the plan; filled in and
    imported back (through the bounded reader), only the filled rows are written."""
    out = tmp_path / "template.xlsx"
    assert cli.main(["indicators", "template", str(out), "--plan", PLAN]) == 0
    capsys.readouterr()
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "Số liệu"
    sheet = wb["Số liệu"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Năm", "Mã chỉ tiêu", "Tên chỉ tiêu (tham khảo)"] and "Giá trị" in header
    assert not set(header) & set(io.COLUMNS)  # no English header on the sheet to fill
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    codes = [r[1] for r in rows]
    assert len(codes) == 16 and "fibre-coverage" in codes
    assert {r[header.index("Mã đơn vị hành chính")] for r in rows} == {"legacy:60"}
    fibre = rows[codes.index("fibre-coverage")]
    assert fibre[header.index("Tên chỉ tiêu (tham khảo)")].startswith("Hạ tầng mạng") and fibre[3] == "%"
    # Nothing filled in: nothing to import (the pre-filled rows are skipped, not errors).
    with pytest.raises(UserError) as empty:
        io.import_file(out.read_bytes(), "template.xlsx", entered_by_name="planner")
    assert empty.value.code == "empty_file"
    # Fill two rows and import the file through the CLI.
    at = {code: i + 2 for i, code in enumerate(codes)}
    for code, value in (("digital-identity", 55.5), ("fibre-coverage", "91,5")):
        sheet.cell(row=at[code], column=1, value=2023)
        sheet.cell(row=at[code], column=header.index("Mã nguồn") + 1, value="seed-000-bt-cau-truc-cds")
        sheet.cell(row=at[code], column=header.index("Giá trị") + 1, value=value)
    wb.save(out)
    assert cli.main(["indicators", "import", str(out), "--entered-by", "planner", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 2
    obs = Observation.objects.get(indicator__code="digital-identity", unit__code="60")
    assert obs.value == 55.5 and obs.entered_by_name == "planner"
    assert Observation.objects.get(indicator__code="fibre-coverage", period=2023).value == 91.5


def test_template_errors_name_the_row_and_the_vietnamese_column(demo, tmp_path):
    wb = load_workbook(stdio.BytesIO(io.template(status.get_plan(PLAN), 2024)))
    sheet = wb["Số liệu"]
    header = [c.value for c in sheet[1]]
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {2024}
    sheet.cell(row=3, column=header.index("Giá trị") + 1, value="nhiều")
    sheet.cell(row=3, column=header.index("Mã nguồn") + 1, value="seed-000-bt-cau-truc-cds")
    sheet.cell(row=5, column=header.index("Ghi chú") + 1, value="chưa có số")
    buffer = stdio.BytesIO()
    wb.save(buffer)
    with pytest.raises(UserError) as err:
        io.import_file(buffer.getvalue(), "filled.xlsx", entered_by_name="planner")
    found = {(e["row"], e["column"]) for e in err.value.details}
    assert (3, "Giá trị") in found and (5, "Mã nguồn") in found and (5, "Giá trị") in found


def test_cli_import_errors_list_rows_and_exit_2(demo, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("2023,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,lots"))
    assert cli.main(["indicators", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2, column Value" in err


def test_exports_csv_xlsx_json(demo):
    content, content_type = io.export(PLAN, 2025, "csv")
    assert content_type.startswith("text/csv")
    rows = list(csv.DictReader(stdio.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0]) == io.COLUMNS
    assert io.COLUMNS[0] == "Year" and io.COLUMNS[-1] == "Value"  # Open SDG: Year first, Value last
    fibre = next(r for r in rows if r["Indicator"] == "fibre-coverage")
    assert fibre["Value"] == "92.0" and fibre["GeoCode"] == "legacy:60"
    # The series export is itself an importable file: re-importing changes nothing.
    assert io.import_file(content, "export.csv", entered_by_name="t")["unchanged"] == len(rows)

    status_csv, _ = io.export(PLAN, 2025, "csv", what="status")
    status_rows = list(csv.DictReader(stdio.StringIO(status_csv.decode("utf-8-sig"))))
    assert {r["status"] for r in status_rows if r["code"] == "fibre-coverage"} == {"achieved"}
    assert any(r["level"] == "district" and r["level_abolished_on"] == "2025-07-01" for r in status_rows)

    xlsx, _ = io.export(PLAN, 2025, "xlsx")
    wb = load_workbook(stdio.BytesIO(xlsx))
    assert wb.sheetnames == ["Series", "Status"]
    body = json.loads(io.export(PLAN, 2030, "json")[0])
    assert body["status"]["milestone"] == 2030 and body["series"]
    with pytest.raises(UserError):
        io.export(PLAN, 2025, "pdf")


def test_page_downloads_and_planner_only_import(demo):
    client = Client()
    assert client.get(f"/ke-hoach/{PLAN}/mau-nhap-lieu.xlsx").status_code == 200
    assert client.get(f"/api/v1/plans/{PLAN}/template.xlsx").status_code == 200
    assert client.get(f"/ke-hoach/{PLAN}/xuat.json?moc=2030").status_code == 200
    upload = stdio.BytesIO(_csv("2023,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,abc"))
    upload.name = "bad.csv"
    assert client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload}).status_code == 302  # to the login page
    staff = role_user("planner", "planner")  # province-wide: Lâm Đồng and the former Bình Thuận
    client.force_login(staff)
    upload.seek(0)
    response = client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload})
    assert response.status_code == 400 and "Value" in response.content.decode()
    good = stdio.BytesIO(_csv("2023,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,88"))
    good.name = "good.csv"
    assert client.post(f"/ke-hoach/{PLAN}/nhap", {"file": good}).status_code == 302
    assert Observation.objects.get(indicator__code="fibre-coverage", period=2023).entered_by == staff
    history = client.get(f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage").content.decode()
    assert "planner" in history and "88" in history


def test_overlong_text_bad_source_key_and_bad_milestone_are_row_errors_not_cut(demo):
    """Nothing is shortened or left to the database: each problem names its row and column."""
    before, sources = Observation.objects.count(), Source.objects.count()
    header = "Year,Indicator,Source,SourceTitle,PeriodLabel,MetMilestone,GeoCode,Value\n"
    content = (header
               + "2023,fibre-coverage,ok-key,Tiêu đề,%s,,legacy:60,80\n" % ("x" * 65)
               + "2023,mobile-broadband-4g5g,%s,Tiêu đề,,,legacy:60,90\n" % ("k" * 65)
               + "2023,epayment-accounts-18plus,nguồn mới,Tiêu đề,,,legacy:60,60\n"
               + "2023,digital-identity,ok-key,,,99999,legacy:60,\n"
               + "2023,inspections-digital,ok-key,,,,legacy:60,10\n").encode()
    with pytest.raises(UserError) as err:
        io.import_file(content, "long.csv", entered_by_name="tester")
    problems = {(e["row"], e["column"]) for e in err.value.details}
    assert problems == {(2, "PeriodLabel"), (3, "Source"), (4, "Source"), (5, "MetMilestone")}
    assert Observation.objects.count() == before and Source.objects.count() == sources


def test_a_nul_character_in_a_cell_is_a_row_error(demo):
    before = Observation.objects.count()
    content = (b"Year,Indicator,Source,Quote,GeoCode,Value\n"
               b"2023,fibre-coverage,seed-000-bt-cau-truc-cds,before\x00after,legacy:60,80\n")
    with pytest.raises(UserError) as err:
        io.import_file(content, "nul.csv", entered_by_name="tester")
    assert [(e["row"], e["column"]) for e in err.value.details] == [(2, "Quote")]
    assert Observation.objects.count() == before


def test_a_corrected_quote_or_note_is_a_revision_not_unchanged(demo):
    row = "2023,fibre-coverage,seed-000-bt-cau-truc-cds,{quote},legacy:60,85\n"
    header = b"Year,Indicator,Source,Quote,GeoCode,Value\n"
    first = io.import_file(header + row.format(quote="Phủ 85%").encode(), "a.csv", entered_by_name="tester")
    assert first["created"] == 1
    assert io.import_file(header + row.format(quote="Phủ 85%").encode(), "a.csv",
                          entered_by_name="tester")["unchanged"] == 1
    corrected = io.import_file(header + row.format(quote="Cáp quang phủ 85% hộ gia đình").encode(), "b.csv",
                               entered_by_name="tester")
    assert corrected["revised"] == 1
    rows = Observation.objects.filter(indicator__code="fibre-coverage", period=2023).order_by("id")
    assert [o.quote for o in rows] == ["Phủ 85%", "Cáp quang phủ 85% hộ gia đình"]
