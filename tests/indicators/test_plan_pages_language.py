"""The plan pages in one language and without internal codes: on an English page the source's wording
of a period, the product's own notes and the unit names are in English (quotes stay as the source
wrote them, marked as quotes); no unit reference, indicator code, loader name or data file name is
shown; the Vietnamese pages say what they said."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from tinhso.indicators import display, setup

pytestmark = pytest.mark.django_db
PLAN = "bt-nq10-2022"
PAGES = [f"/ke-hoach/{PLAN}", f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage",
         f"/ke-hoach/{PLAN}/chi-tieu/work-files-online", f"/ke-hoach/{PLAN}/hop-nhat", "/ke-hoach"]
VIETNAMESE = ["đầu năm 2024", "Tỉnh Lâm Đồng", "Tỉnh Bình Thuận", "Tỉnh ủy", "Nguồn nêu chỉ tiêu đã đạt",
              "Được nêu trong 5 chỉ tiêu", "Mức 100% là của 4G", "Trọng số là số hộ gia đình", "Bài viết không nhắc",
              "Nạp từ"]
CODES = ["legacy:60", "legacy:", "current:", "demo loader", ".toml", "online-services-full", "fibre-coverage",
         "work-files-online", "epayment-accounts-18plus", "seed-001", "seed-000"]


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


def _visible(client: Client, path: str) -> str:
    """The page's text as a reader sees it, quotes (<q>, the source's own words) left out."""
    response = client.get(path)
    assert response.status_code == 200, path
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<q\b.*?</q>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_english_plan_pages_have_no_vietnamese_of_the_product_and_no_codes(demo):
    client = Client()
    client.cookies["django_language"] = "en"
    for path in PAGES:
        text = _visible(client, path)
        for said in VIETNAMESE + CODES:
            assert said not in text, (path, said)
    plan = _visible(client, f"/ke-hoach/{PLAN}")
    assert "2024 (early 2024)" in plan and "Now part of Lam Dong Province." in plan
    assert "The source states the target was met or exceeded but gives no figure." in plan
    assert "The 100% is 4G coverage" in plan and "Binh Thuan Provincial Party Committee (14th term)" in plan
    merged = _visible(client, f"/ke-hoach/{PLAN}/hop-nhat")
    assert "Lam Dong Province: series merged" in merged and "Weighted by the number of households" in merged
    history = _visible(client, f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage")
    assert "Loaded from the cited source (sample data)" in history
    assert "Loaded from the plan document (sample data)" in history
    assert "comparator: — → ≥" in history and "level: — → Whole unit" in history


def test_vietnamese_plan_pages_keep_their_wording_without_codes(demo):
    client = Client()
    plan = _visible(client, f"/ke-hoach/{PLAN}")
    for said in ("2024 (đầu năm 2024)", "Nay thuộc Tỉnh Lâm Đồng.", "Tỉnh ủy Bình Thuận (khóa XIV)",
                 "Nguồn nêu chỉ tiêu đã đạt hoặc vượt nhưng không đưa ra số liệu.", "Mức 100% là của 4G"):
        assert said in plan, said
    merged = _visible(client, f"/ke-hoach/{PLAN}/hop-nhat")
    assert "Tỉnh Lâm Đồng: chuỗi số liệu gộp từ các tỉnh cũ" in merged and "Trọng số là số hộ gia đình" in merged
    history = _visible(client, f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage")
    assert "Nạp từ nguồn đã dẫn (dữ liệu mẫu)" in history and "Nạp từ văn bản kế hoạch (dữ liệu mẫu)" in history
    for path in PAGES:
        text = _visible(client, path)
        for code in CODES:
            assert code not in text, (path, code)


def test_quotes_stay_as_the_source_wrote_them_marked_as_vietnamese(demo):
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get(f"/ke-hoach/{PLAN}").content.decode()
    assert '<q lang="vi">Hạ tầng mạng băng rộng cáp quang đã phủ đến 92% hộ gia đình' in page


def test_a_text_a_person_typed_is_shown_as_typed_and_an_unknown_period_wording_not_in_english():
    assert display.text("Ghi chú của cán bộ", english=True) == "Ghi chú của cán bộ"
    assert display.period_label("quý 3/2024", english=True) == ""
    assert display.period_label("quý 3/2024", english=False) == "quý 3/2024"
    assert display.period_label("đầu năm 2024", english=True) == "early 2024"
