"""The /phan-tich pages: permission-checked, each unit sees only its own reports, downloads work."""

from __future__ import annotations

import datetime as dt

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
