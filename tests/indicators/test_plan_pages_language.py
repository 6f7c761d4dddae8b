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


# --- plan pages without internal codes, thresholds in words, publishers and notes in the page's language --

def _client(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


def test_the_plan_list_shows_no_plan_code(demo):
    for language, title in (("vi", "Nghị quyết số"), ("en", "Resolution No.")):
        text = _visible(_client(language), "/ke-hoach")
        assert title in text and PLAN not in text, language
        page = _client(language).get("/ke-hoach").content.decode()
        assert f'href="/ke-hoach/{PLAN}"' in page  # the title links to the plan
    for path in (f"/ke-hoach/{PLAN}", f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage"):
        assert PLAN not in _visible(_client("vi"), path), path


def test_the_method_line_says_the_thresholds_in_words(demo):
    from tinhso.indicators.models import Plan, ThresholdSet

    vi = _visible(_client("vi"), f"/ke-hoach/{PLAN}")
    en = _visible(_client("en"), f"/ke-hoach/{PLAN}")
    assert "statcan-2024" not in vi and "statcan-2024" not in en
    assert "từ 95% trở lên là đúng hướng, từ 60% là có nguy cơ không đạt, từ 0% là chệch hướng" in vi
    assert "Ngưỡng mặc định của hệ thống." in vi
    assert "95% or more is on track, from 60% at risk, from 0% off track, below that deteriorating" in en
    assert "The system's default thresholds." in en
    own = ThresholdSet.objects.create(code="own-2025", name="Own", params={"cagr_high": 0.9, "cagr_med": 0.555})
    Plan.objects.filter(code=PLAN).update(thresholds=own)
    vi = _visible(_client("vi"), f"/ke-hoach/{PLAN}")
    assert "từ 90% trở lên là đúng hướng, từ 55,5% là" in vi and "Ngưỡng riêng của kế hoạch này." in vi
    assert "own-2025" not in vi
    assert "from 55.5% at risk" in _visible(_client("en"), f"/ke-hoach/{PLAN}")


def test_a_source_publisher_in_the_page_language(demo):
    assert "Phòng KHTH (tin tổng quát)" in _visible(_client("vi"), f"/ke-hoach/{PLAN}")
    en = _visible(_client("en"), f"/ke-hoach/{PLAN}")
    assert "General Planning Office (general news)" in en and "Phòng KHTH" not in en
    history = f"/ke-hoach/{PLAN}/chi-tieu/digital-economy-grdp-share?unit=legacy:11"
    assert "Chuyên mục Chuyển đổi số" in _visible(_client("vi"), history)
    en = _visible(_client("en"), history)
    assert "Digital Transformation section" in en and "Chuyên mục" not in en


def test_notes_written_in_english_are_vietnamese_on_vietnamese_pages(demo):
    from tinhso.indicators.models import Observation

    notes = {"Estimate of the Ministry of Information and Communications.":
             "Ước tính của Bộ Thông tin và Truyền thông.",
             "Latest figure of the General Statistics Office.": "Số liệu mới nhất của Tổng cục Thống kê.",
             "Derived from the source: 13th in 2022 after rising 5 places means 18th in 2021.":
             "Suy ra từ nguồn: năm 2022 xếp thứ 13 sau khi tăng 5 bậc, nên năm 2021 xếp thứ 18."}
    stored = set(Observation.objects.exclude(note="").values_list("note", flat=True))
    for english, vietnamese in notes.items():
        assert english in stored  # the database keeps the note as loaded
        assert display.text(english, english=False) == vietnamese
        assert display.text(english, english=True) == english
    for obs in Observation.objects.filter(unit__code__in=["11", "25"], unit__structure="legacy").exclude(note=""):
        assert display.text(obs.note, english=False) != obs.note, obs.note  # every one of them
    history = f"/ke-hoach/{PLAN}/chi-tieu/digital-economy-grdp-share?unit=legacy:11"
    vi = _visible(_client("vi"), history)
    assert "thay ước tính của Bộ TT&TT" in vi and "GSO latest figure" not in vi
    en = _visible(_client("en"), history)
    assert "The General Statistics Office's latest figure replaces the ministry's estimate" in en
    assert "Tổng cục Thống kê" not in en


def test_a_plan_of_dien_bien_shows_its_notes_in_vietnamese(demo):
    import datetime as dt

    from tinhso.indicators import observations
    from tinhso.indicators.models import Indicator, Pillar, Plan, PlanIndicator

    plan = Plan.objects.create(code="db-kh-2023", title_vi="Kế hoạch thử Điện Biên", title_en="Dien Bien test plan",
                               issuer="UBND tỉnh Điện Biên", document_number="1", document_date=dt.date(2023, 1, 5),
                               unit=observations.resolve_unit("legacy:11"), period_start=2023, period_end=2025,
                               base_year=2022, milestones=[2025])
    PlanIndicator.objects.create(plan=plan, indicator=Indicator.objects.get(code="digital-economy-grdp-share"),
                                 pillar=Pillar.objects.first(), order=1)
    vi = _visible(_client("vi"), "/ke-hoach/db-kh-2023")
    assert "Số liệu mới nhất của Tổng cục Thống kê." in vi and "Latest figure of" not in vi
    assert "Latest figure of the General Statistics Office." in _visible(_client("en"), "/ke-hoach/db-kh-2023")
