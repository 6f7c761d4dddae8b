"""The plan page speaks one language: the method line of each assessment, the level labels and the
district-level note are in the reader's language (Vietnamese by default, English on request), while
the API keeps the English method line and adds the Vietnamese one."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tinhso.indicators import progress, setup

PLAN = "bt-nq10-2022"
ENGLISH_WORDS = re.compile(r"\b(latest value|meets the target|no observation|the source states|thresholds|"
                           r"method|regression|observed growth|band|District level|ceased)\b")
VIETNAMESE_WORDS = re.compile(r"(giá trị mới nhất|đạt mục tiêu|chưa có số liệu|nguồn nêu|ngưỡng|hồi quy|"
                              r"Cấp huyện|không còn tồn tại)")


def test_every_method_line_renders_in_both_languages():
    series = [(2020, 40.0), (2021, 44.0), (2022, 47.0)]
    cases = [
        progress.assess(series, target=80, target_year=2025, base_year=2020),
        progress.assess(series, target=None, target_year=2025, base_year=2020, limit=100),
        progress.assess(series, target=80, target_year=2025, base_year=2020,
                        params=progress.Params(primary_method="regression")),
        progress.assess(series, target=45, target_year=2025, base_year=2020),
        progress.assess([(2022, 3.0)], target=1, target_year=2025, base_year=2020, direction="band", target_high=2),
        progress.assess([], target=80, target_year=2025, base_year=2020),
        progress.assess([(2022, 47.0)], target=80, target_year=2025, base_year=2020),
        progress.assess([], target=80, target_year=2025, base_year=2020, reported_met=True),
        progress.assess([(2020, 0.0), (2022, -3.0)], target=80, target_year=2025, base_year=2020),
    ]
    for result in cases:
        vi, en = result.method_in(english=False), result.method_in(english=True)
        assert en == result.method
        assert vi and not ENGLISH_WORDS.search(vi), vi
        assert not VIETNAMESE_WORDS.search(en), en
    # Vietnamese numbers have a decimal comma.
    assert "R = sign·d·CAGR_o/|CAGR_r| = " in cases[0].method_in(english=False)
    assert re.search(r"ngưỡng R 0,95/0,6/0,0", cases[0].method_in(english=False))
    assert "thresholds R 0.95/0.6/0.0" in cases[0].method


@pytest.mark.django_db
def test_plan_page_method_lines_in_the_chosen_language():
    setup.load_demo(out=lambda *a, **k: None)
    client = Client()
    vi = client.get(f"/ke-hoach/{PLAN}").content.decode()
    assert "giá trị mới nhất 92 (2024) đạt mục tiêu ≥80 của mốc 2025" in vi
    assert "Cấp huyện không còn tồn tại từ 01/07/2025" in vi
    for english in ("latest value", "meets the target", "no observation", "The district level ceased",
                    "target was met", "The source states"):
        assert english not in vi, english
    client.cookies["django_language"] = "en"
    en = client.get(f"/ke-hoach/{PLAN}").content.decode()
    assert "latest value 92 (2024) meets the target ≥80 for 2025" in en
    assert "The district level ceased to exist on 01/07/2025" in en
    for vietnamese in ("giá trị mới nhất", "chưa có số liệu", "Cấp huyện không còn", "Cấp tỉnh:"):
        assert vietnamese not in en, vietnamese
    api = client.get(f"/api/v1/plans/{PLAN}/status", {"milestone": 2025}).json()
    fibre = next(e for e in api["indicators"] if e["code"] == "fibre-coverage")
    assert fibre["method"].startswith("latest value 92") and fibre["method_vi"].startswith("giá trị mới nhất 92")


@pytest.mark.django_db
def test_merged_page_names_the_rule_and_weight_in_the_chosen_language():
    setup.load_demo(out=lambda *a, **k: None)
    client = Client()
    vi = client.get(f"/ke-hoach/{PLAN}/hop-nhat").content.decode()
    assert "Bình quân gia quyền (trọng số: số hộ gia đình)" in vi and "weighted_mean" not in vi
    client.cookies["django_language"] = "en"
    en = client.get(f"/ke-hoach/{PLAN}/hop-nhat").content.decode()
    assert "Weighted mean (weight: households)" in en and "Bình quân gia quyền" not in en


@pytest.mark.django_db
def test_units_of_measure_in_the_chosen_language():
    """A target's unit ("≥7 %/năm", "≤20 hạng") reads in the page's language; the chart's axis is named
    the same way; the stored unit is unchanged for the API and the chart's own rules."""
    from django.utils import translation

    from tinhso.indicators.units import label as uom

    setup.load_demo(out=lambda *a, **k: None)
    client = Client()
    vi = client.get(f"/ke-hoach/{PLAN}", {"moc": 2030}).content.decode()
    assert "hạng" in vi and "%/năm" in vi
    client.cookies["django_language"] = "en"
    en = client.get(f"/ke-hoach/{PLAN}", {"moc": 2030}).content.decode()
    assert " rank" in en and "%/year" in en
    assert "hạng" not in en and "%/năm" not in en
    with translation.override("en"):
        assert uom("hạng") == "rank" and uom("đơn vị lạ") == "đơn vị lạ" and uom("") == ""
    with translation.override("vi"):
        assert uom("hạng") == "hạng"


@pytest.mark.django_db
def test_units_named_in_the_chosen_language():
    """The plan's province and the province it merged into read "Binh Thuan Province" and "Lam Dong
    Province" on English pages, "Tỉnh Bình Thuận" and "Tỉnh Lâm Đồng" on Vietnamese ones."""
    from tinhso.indicators.models import Plan

    setup.load_demo(out=lambda *a, **k: None)
    unit = Plan.objects.get(code=PLAN).unit
    assert unit.name == "Tỉnh Bình Thuận" and unit.name_en == "Binh Thuan Province"
    client = Client()
    for url in ("/ke-hoach", f"/ke-hoach/{PLAN}", f"/ke-hoach/{PLAN}/hop-nhat"):
        assert "Tỉnh Bình Thuận" in client.get(url).content.decode(), url
    client.cookies["django_language"] = "en"
    for url in ("/ke-hoach", f"/ke-hoach/{PLAN}", f"/ke-hoach/{PLAN}/hop-nhat"):
        page = client.get(url).content.decode()
        assert "Binh Thuan Province" in page and "Tỉnh Bình Thuận" not in page, url
    assert "Lam Dong Province" in client.get("/ke-hoach").content.decode()
