"""The /phan-tich pages: permission-checked, each unit sees only its own reports, downloads work."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import docx
import pytest
from django.test import Client

from tests.accounts import role_user
from tests.analysis.helpers import MONTH, populate
from tinhso.analysis import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(world):
    populate(world)
    for unit in (None, "ubnd-phan-thiet", "ubnd-mui-ne", "so-y-te"):
        report.generate(MONTH, unit, findings=[])
    return world


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_anonymous_is_sent_to_sign_in_and_handlers_are_refused(archive):
    response = Client().get("/phan-tich")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap")
    handler = client_for(archive.users["h_pt"])  # handler role: no analysis permission
    assert handler.get("/phan-tich").status_code == 403
    assert handler.get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet").status_code == 403


def test_a_unit_sees_only_its_own_reports(archive):
    sup = client_for(archive.users["sup_pt"])
    index = sup.get("/phan-tich")
    assert index.status_code == 200
    own = sup.get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet")
    assert own.status_code == 200
    body = own.content.decode()
    assert "UBND Phường Phan Thiết" in body and "Báo cáo phân tích hằng tháng — tháng 10/2025" in body
    # another unit's report, its files, and the province's: not found
    assert sup.get("/phan-tich/2025-10/don-vi/ubnd-mui-ne").status_code == 404
    assert sup.get("/phan-tich/2025-10/don-vi/ubnd-mui-ne/tai-ve/vi.pdf").status_code == 404
    assert sup.get("/phan-tich/2025-10/tai-ve/vi.pdf").status_code == 404
    month = sup.get("/phan-tich/2025-10")
    assert month.status_code == 200
    text = month.content.decode()
    assert "/phan-tich/2025-10/don-vi/ubnd-phan-thiet" in text
    assert "ubnd-mui-ne" not in text and "Phản ánh hiện trường" not in text  # no province body
    # a department's leader: their department only
    leader = client_for(role_user("leader-syt", "leader", archive.syt))
    assert leader.get("/phan-tich/2025-10/don-vi/so-y-te").status_code == 200
    assert leader.get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet").status_code == 404


def test_province_wide_staff_see_everything_and_download(archive):
    for user in (archive.users["op"], role_user("leader-prov", "leader", None),
                 role_user("planner-prov", "planner", None)):
        c = client_for(user)
        index = c.get("/phan-tich").content.decode()
        assert 'href="/phan-tich/2025-10"' in index
        month = c.get("/phan-tich/2025-10")
        assert month.status_code == 200
        text = month.content.decode()
        assert "Phản ánh hiện trường" in text
        assert all(f"/phan-tich/2025-10/don-vi/{u}" in text for u in ("ubnd-phan-thiet", "ubnd-mui-ne", "so-y-te"))
    c = client_for(archive.users["op"])
    pdf = c.get("/phan-tich/2025-10/don-vi/ubnd-mui-ne/tai-ve/vi.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    word = c.get("/phan-tich/2025-10/tai-ve/en.docx")
    assert word.status_code == 200 and "attachment" in word["Content-Disposition"]
    html = c.get("/phan-tich/2025-10/tai-ve/vi.html")
    assert html.status_code == 200 and "default-src 'none'" in html["Content-Security-Policy"]
    # the file is kept: the second download is the same bytes, recorded with its hash
    assert c.get("/phan-tich/2025-10/don-vi/ubnd-mui-ne/tai-ve/vi.pdf").content == pdf.content
    assert c.get("/phan-tich/2025-10/tai-ve/vi.exe").status_code == 404
    assert c.get("/phan-tich/2025-13").status_code == 400
    assert c.get("/phan-tich/2024-01").status_code == 404


def test_english_page(archive):
    c = client_for(archive.users["op"])
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = c.get("/phan-tich/2025-10").content.decode()
    assert "Monthly analysis — October 2025" in page and "Field reports" in page
    listing = c.get("/phan-tich").content.decode()
    assert "Monthly analysis" in listing


def test_nav_link_only_for_readers(archive):
    assert 'href="/phan-tich"' in client_for(archive.users["op"]).get("/").content.decode()
    assert 'href="/phan-tich"' not in client_for(archive.users["h_pt"]).get("/").content.decode()
    assert dt.date(2025, 10, 1) == MONTH


def test_the_month_list_counts_each_finding_once(archive):
    from tinhso.analysis.models import MonthlyReport

    # The province report holds every finding, its units' reports the same findings again.
    counts = {"68": 3, "ubnd-phan-thiet": 2, "ubnd-mui-ne": 1, "so-y-te": 0}
    for code, n in counts.items():
        MonthlyReport.objects.filter(month=MONTH, unit_code=code).update(findings_count=n)
    province = client_for(archive.users["op"]).get("/phan-tich")
    assert [m["findings"] for m in province.context["months"]] == [3]
    unit = client_for(archive.users["sup_pt"]).get("/phan-tich")  # sees only Phan Thiết's report
    assert [m["findings"] for m in unit.context["months"]] == [2]


# ---------------------------------------------------------------------------------------------
# Unit names in the page's language.

PT_EN, MN_EN, SYT_EN = "People's Committee of Phan Thiet Ward", "People's Committee of Mui Ne Ward", "Department of Health"


def on_time_finding(**over):
    """A units_behind finding (the detector's real templates) about Phan Thiết's committee."""
    from tinhso.analysis.findings import Finding

    values = dict(kind="units_behind", unit_code="ubnd-phan-thiet", unit_name="UBND Phường Phan Thiết",
                  unit_name_en=PT_EN, unit_kind="handling_unit", severity=5.0, confidence=0.99,
                  rule="on_time: month vs the unit's previous 4 months",
                  figures={"month": "2025-10", "measure": "on_time", "observed": 0.4, "before": 0.8, "change": -0.4,
                           "count": 10, "numerator": 4, "alpha": 0.05, "history_months": 4, "min_count": 10},
                  subject={"area": "reports", "measure": "on_time", "measure_vi": "Tỷ lệ xử lý đúng hạn",
                           "measure_en": "On-time rate", "handling_unit_code": "ubnd-phan-thiet"})
    values.update(over)
    return Finding(**values)


def rising_finding(world):
    """A rising_category finding about the commune of Mũi Né (its geo unit's names)."""
    from tinhso.analysis.findings import Finding

    commune = world.mui_ne
    return Finding(
        kind="rising_category", unit_code=commune.code, unit_name=commune.name, unit_name_en=commune.name_en,
        unit_kind="commune", severity=4.0, confidence=0.999, rule="commune share of the category",
        figures={"month": "2025-10", "observed": 12, "expected": 4.0, "ratio": 3.0, "excess": 8.0, "p_value": 0.001,
                 "history_weeks": 52, "model": "beta-binomial share", "alpha": 0.05, "scope": "commune",
                 "history_count": 20},
        subject={"category": "traffic", "category_vi": "Giao thông", "category_en": "Traffic", "scope": "commune",
                 "commune_code": commune.code, "commune_vi": commune.name, "commune_en": commune.name_en,
                 "handling_unit_code": "ubnd-mui-ne"})


@pytest.fixture
def named_archive(world):
    """The month's reports, with findings, of units that have English names."""
    from tinhso.reports.models import HandlingUnit

    for unit, name_en in ((world.pt, PT_EN), (world.mn, MN_EN), (world.syt, SYT_EN)):
        HandlingUnit.objects.filter(pk=unit.pk).update(name_en=name_en)
    populate(world, n=40)
    both = [on_time_finding(), rising_finding(world)]
    report.generate(MONTH, None, findings=both)
    report.generate(MONTH, "ubnd-phan-thiet", findings=both[:1])
    report.generate(MONTH, "ubnd-mui-ne", findings=both[1:])
    report.generate(MONTH, "so-y-te", findings=[])
    return world


def english_client(user) -> Client:
    c = client_for(user)
    c.cookies["django_language"] = "en"
    return c


def _text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _unit_links(page: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="/phan-tich/2025-10/don-vi/([^"]+)">([^<]+)</a>', page))


def test_english_month_page_names_units_in_english(named_archive):
    from tinhso.analysis.models import MonthlyReport

    assert MonthlyReport.objects.get(unit_code="ubnd-phan-thiet").unit_name_en == PT_EN
    assert MonthlyReport.objects.get(unit_code="68").unit_name_en == "Lam Dong Province"
    page = _text(english_client(named_archive.users["op"]).get("/phan-tich/2025-10"))
    assert "Lam Dong Province" in page
    assert f"{PT_EN}: on-time rate of the reports resolved in October 2025 was 40.0% (4/10)" in page
    assert "The head of People's Committee of Phan Thiet Ward should review its late and pending reports" in page
    assert "Traffic reports in Mui Ne Ward in October 2025: 12" in page
    assert "The People's Committee of Mui Ne Ward should inspect the Traffic reports on site" in page
    assert f"Responsible unit:</strong> {PT_EN}" in page and "Responsible unit:</strong> Mui Ne Ward" in page
    # the list of the units' reports, in English, ordered by the English name
    assert list(_unit_links(page).items()) == [("so-y-te", SYT_EN), ("ubnd-mui-ne", MN_EN), ("ubnd-phan-thiet", PT_EN)]
    for vietnamese in ("UBND", "Phường", "Sở Y tế", "Tỉnh Lâm Đồng", "Lâm Đồng"):
        assert vietnamese not in page, vietnamese


def test_vietnamese_month_page_keeps_the_vietnamese_names(named_archive):
    page = _text(client_for(named_archive.users["op"]).get("/phan-tich/2025-10"))
    assert "UBND Phường Phan Thiết: tỷ lệ xử lý đúng hạn của các phản ánh xử lý xong trong tháng 10/2025 là 40,0\u00a0% (4/10)" in page
    assert "UBND Phường Mũi Né kiểm tra hiện trường các phản ánh Giao thông" in page
    assert "Đơn vị chịu trách nhiệm:</strong> Phường Mũi Né" in page
    assert _unit_links(page) == {"ubnd-phan-thiet": "UBND Phường Phan Thiết", "ubnd-mui-ne": "UBND Phường Mũi Né",
                                 "so-y-te": "Sở Y tế"}
    for english in ("People's Committee", "Ward", "Department of Health", "Lam Dong Province"):
        assert english not in page, english


def test_english_unit_page_title_crumbs_and_files(named_archive):
    c = english_client(named_archive.users["sup_pt"])
    page = _text(c.get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet"))
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert PT_EN in title and "Phường" not in title
    crumbs = re.search(r'<nav class="an-crumbs".*?</nav>', page, re.S).group(0)
    assert PT_EN in crumbs and "Phường" not in crumbs
    assert f"{PT_EN}: on-time rate of the reports resolved in October 2025" in page
    assert "UBND" not in page and "Phường" not in page
    # the Vietnamese page of the same report: Vietnamese names
    vi = _text(client_for(named_archive.users["sup_pt"]).get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet"))
    assert "UBND Phường Phan Thiết: tỷ lệ xử lý đúng hạn" in vi and PT_EN not in vi
    # the English Word file: the same English names; the Vietnamese one keeps the Vietnamese names
    word = docx.Document(io.BytesIO(c.get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet/tai-ve/en.docx").content))
    paragraphs = [p.text for p in word.paragraphs]
    assert PT_EN in paragraphs and f"Responsible unit: {PT_EN}" in paragraphs
    assert not any("Phường" in p or "UBND" in p for p in paragraphs), paragraphs
    word_vi = docx.Document(io.BytesIO(c.get("/phan-tich/2025-10/don-vi/ubnd-phan-thiet/tai-ve/vi.docx").content))
    assert "Đơn vị chịu trách nhiệm: UBND Phường Phan Thiết" in [p.text for p in word_vi.paragraphs]


def test_a_finding_stored_without_an_english_name_still_renders(named_archive):
    from tinhso.analysis.models import MonthlyReport

    # A report archived before findings carried unit_name_en (and before the row had the column).
    item = MonthlyReport.objects.get(unit_code="68")
    data = item.data
    for stored in data["findings"]:
        del stored["unit_name_en"]
    MonthlyReport.objects.filter(pk=item.pk).update(data=data, unit_name_en="", revision=item.revision + 1)
    page = _text(english_client(named_archive.users["op"]).get("/phan-tich/2025-10"))
    assert "UBND Phường Phan Thiết: on-time rate of the reports resolved in October 2025 was 40.0%" in page  # the Vietnamese name
    assert "The People's Committee of Phường Mũi Né should inspect" in page
    vi = _text(client_for(named_archive.users["op"]).get("/phan-tich/2025-10"))
    assert "UBND Phường Phan Thiết: tỷ lệ xử lý đúng hạn" in vi


def test_the_migration_fills_the_english_name_of_archived_reports(named_archive):
    import importlib

    from django.apps import apps

    from tinhso.analysis.models import MonthlyReport

    migration = importlib.import_module("tinhso.analysis.migrations.0004_monthlyreport_unit_name_en")
    MonthlyReport.objects.update(unit_name_en="")
    migration.fill_english_names(apps, None)
    assert dict(MonthlyReport.objects.values_list("unit_code", "unit_name_en")) == {
        "68": "Lam Dong Province", "ubnd-phan-thiet": PT_EN, "ubnd-mui-ne": MN_EN, "so-y-te": SYT_EN}
