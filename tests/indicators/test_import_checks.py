"""An import checks a figure as the web form does, stays within the plan it is made from, reads what
Excel writes, and explains itself in the page's language (audit 3, the plan page's "#nhap")."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import io as stdio
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.accounts import role_user
from tinhso.core.errors import UserError
from tinhso.indicators import approval, entry, io, setup, status
from tinhso.indicators.models import Indicator, Observation

pytestmark = pytest.mark.django_db
PLAN = "bt-nq10-2022"
SOURCE = "seed-001-bt-muc-tieu-cds"
VI_HEADER = "Năm,Mã chỉ tiêu,Giá trị,Mã đơn vị hành chính,Mã nguồn\n"
TODAY = dt.date(2026, 12, 15)


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


def _vi(*rows: str) -> bytes:
    return (VI_HEADER + "\n".join(rows) + "\n").encode("utf-8")


def _problems(err: UserError) -> dict[tuple[int, str], dict]:
    return {(d["row"], d["column"]): d for d in err.details}


# --- 1. the same checks as the web form -------------------------------------------------------------

def test_impossible_values_and_future_years_refuse_the_whole_file(demo):
    before = Observation.objects.count()
    content = _vi(f"2025,digital-identity,150,legacy:60,{SOURCE}",
                  f"2025,fibre-coverage,-5,legacy:60,{SOURCE}",
                  f"2031,mobile-broadband-4g5g,99,legacy:60,{SOURCE}",
                  f"2025,basic-digital-skills-14plus,50,legacy:60,{SOURCE}")
    with pytest.raises(UserError) as caught:
        io.import_file(content, "misc.csv", entered_by_name="tester", today=TODAY)
    problems = _problems(caught.value)
    assert set(problems) == {(2, "Giá trị"), (3, "Giá trị"), (4, "Năm")}
    # The reason is the web form's own, word for word (one function checks both paths).
    with pytest.raises(UserError) as form:
        entry.check_value(Indicator.objects.get(code="digital-identity"), "150")
    assert problems[(2, "Giá trị")]["reason_vi"] == form.value.message_vi
    assert problems[(2, "Giá trị")]["reason_en"] == form.value.message_en
    assert "0 đến 100" in problems[(3, "Giá trị")]["reason_vi"]
    assert "2031" in problems[(4, "Năm")]["reason_vi"] and "2026" in problems[(4, "Năm")]["reason_en"]
    assert Observation.objects.count() == before


def test_this_years_and_earlier_figures_are_accepted(demo):
    content = _vi(f"2026,fibre-coverage,95,legacy:60,{SOURCE}", f"2020,fibre-coverage,60,legacy:60,{SOURCE}")
    assert io.import_file(content, "ok.csv", entered_by_name="tester", today=TODAY)["created"] == 2


def test_the_web_import_refuses_a_year_after_this_one(demo):
    client = Client()
    client.force_login(role_user("planner", "planner"))
    year = dt.date.today().year + 1
    upload = stdio.BytesIO(_vi(f"{year},fibre-coverage,90,legacy:60,{SOURCE}"))
    upload.name = "next-year.csv"
    response = client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload})
    assert response.status_code == 400 and f"Năm {year} chưa đến" in htmllib.unescape(response.content.decode())


# --- 2. a plan's import stays within the plan ---------------------------------------------------------

def test_a_plan_import_refuses_another_plans_indicator(demo):
    planner = role_user("planner", "planner")
    client = Client()
    client.force_login(planner)
    before = Observation.objects.count()
    upload = stdio.BytesIO(_vi(f"2025,digital-identity,60,68,{SOURCE}",
                               f"2025,smartphone-ownership,60,legacy:60,{SOURCE}"))
    upload.name = "otherindicator.csv"
    response = client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload})
    assert response.status_code == 400
    page = htmllib.unescape(response.content.decode())
    assert "Chỉ tiêu 'smartphone-ownership' không thuộc kế hoạch bt-nq10-2022" in page
    assert "Đơn vị 68" not in page  # another unit in the planner's scope is no error
    assert Observation.objects.count() == before


def test_every_figure_a_plan_import_accepts_is_on_the_plans_approval_page(demo):
    """Whatever its unit: the plan's own (legacy:60) or another in the importer's scope (68, the
    current province); the audit found a figure for 68 pending where no approver looked."""
    planner = role_user("planner", "planner")
    client = Client()
    client.force_login(planner)
    upload = stdio.BytesIO(_vi(f"2025,digital-identity,60,legacy:60,{SOURCE}",
                               f"2024,fibre-coverage,93,legacy:60,{SOURCE}",
                               f"2025,digital-identity,61,68,{SOURCE}"))
    upload.name = "good.csv"
    assert client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload}).status_code == 302
    pending = Observation.objects.pending()
    assert pending.count() == 3 and {o.unit.code for o in pending} == {"60", "68"}
    assert set(approval.pending(None, status.get_plan(PLAN))) == set(pending)


# --- 3. what Excel writes ----------------------------------------------------------------------------

def test_a_semicolon_csv_from_excel_is_read(demo):
    content = ("\ufeffNăm;Mã chỉ tiêu;Giá trị;Mã đơn vị hành chính;Mã nguồn\r\n"
               f"2025;inspections-digital;55,5;legacy:60;{SOURCE}\r\n").encode()
    assert io.import_file(content, "excel-vi.csv", entered_by_name="tester", today=TODAY)["created"] == 1
    assert Observation.objects.filter(indicator__code="inspections-digital").latest("id").value == 55.5


@pytest.mark.parametrize(("magic", "said"), [(b"PK\x03\x04", "(.xlsx)"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "(.xls)")])
def test_an_excel_file_named_csv_is_said_to_be_one(demo, magic, said):
    with pytest.raises(UserError) as caught:
        io.import_file(magic + b"\x00" * 200 + b"\xff\xfe", "export.csv", entered_by_name="tester")
    err = caught.value
    assert err.code == "excel_not_csv" and said in err.message_vi and said in err.message_en
    assert "UTF-8" in err.message_en and "Excel" in err.message_vi


# --- 4. the error page -------------------------------------------------------------------------------

def _page(lang: str, content: bytes, name: str = "bad.csv") -> str:
    client = Client()
    client.force_login(role_user(f"planner-{lang}", "planner"))
    client.cookies["django_language"] = lang
    upload = stdio.BytesIO(content)
    upload.name = name
    response = client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload})
    assert response.status_code in (400, 413), response.status_code
    return htmllib.unescape(response.content.decode())


def _cells(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_row_errors_are_in_the_pages_language_only_and_name_the_column_for_it(demo):
    content = _vi(f"2025,inspections-digital,khoảng năm mươi,legacy:60,{SOURCE}")
    [[row, column, reason]] = _cells(_page("en", content))
    assert row == "2" and column == "Value (“Giá trị” in the file)"
    assert reason.startswith("Not a number: 'khoảng năm mươi'") and "không phải" not in reason.lower()
    [[row, column, reason]] = _cells(_page("vi", content))
    assert column == "Giá trị" and reason.startswith("Không phải số") and "not a number" not in reason.lower()


@pytest.mark.parametrize("name, content", [
    ("empty.csv", b""), ("headeronly.csv", VI_HEADER.encode()),
    ("bad.csv", _vi(f"2025,fibre-coverage,abc,legacy:60,{SOURCE}")),
])
def test_no_internal_code_is_shown(demo, name, content):
    for lang in ("vi", "en"):
        page = _page(lang, content, name)
        assert not re.search(r"\[[a-z_]+\]", page.split("<main", 1)[-1]), page


def test_an_unknown_column_of_a_vietnamese_file_lists_the_vietnamese_names_and_a_likely_one(demo):
    content = "Năm,Mã chỉ tiêu,Gia tri,Mã đơn vị hành chính,Mã nguồn\n2025,fibre-coverage,72,legacy:60,x\n"
    for lang, did_you_mean in (("vi", "Có phải là 'Giá trị'?"), ("en", "Did you mean 'Giá trị'?")):
        cells = _cells(_page(lang, content.encode()))
        reason = next(r for _, col, r in cells if col == "Gia tri")
        assert did_you_mean in reason and "Mã chỉ tiêu, Cấp" in reason and "Year, Indicator" not in reason


def test_the_empty_file_message_says_why(demo):
    page = _page("vi", VI_HEADER.encode(), "headeronly.csv")
    assert "không có dòng số liệu nào" in page


# --- the template's guide names what the sheet has ------------------------------------------------------

def test_the_templates_guide_uses_the_sheets_own_names(demo):
    wb = load_workbook(stdio.BytesIO(io.template(status.get_plan(PLAN))))
    assert "Chỉ tiêu" in wb.sheetnames and "Nguồn" in wb.sheetnames
    guide = [row for row in wb["Hướng dẫn"].iter_rows(min_row=2, values_only=True)]
    vietnamese = " ".join(str(r[1] or "") for r in guide)
    english_names = set(io.COLUMNS) | {"Indicators"}
    assert not [w for w in re.findall(r"[A-Za-z]+", vietnamese) if w in english_names], vietnamese
    assert "trang “Chỉ tiêu”" in vietnamese and "cột “Tên nguồn mới”" in vietnamese
    assert "để trống cột “Giá trị”" in vietnamese
