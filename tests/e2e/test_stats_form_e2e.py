"""The public statistics page (chart, unit table on a phone) and the report form's error summary,
in a real browser."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SHOTS, canvas_has_ink, goto_settled, run_seed


@pytest.fixture(scope="module")
def old_year(server):
    """Closed reports of an old year on every commune committee (``seed_stats.py``)."""
    return run_seed(server, "seed_stats.py", "stats-facts.json")


def _visible_units(page) -> int:
    return page.locator("#stats-units tbody tr:visible").count()


@pytest.mark.parametrize("size", [(360, 740), (1920, 1080)])
def test_statistics_chart_and_unit_table(browser, server, old_year, size):
    ctx = browser.new_context(base_url=server["base"], viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        year = old_year["year"]
        goto_settled(page, f"/phan-anh/thong-ke?since={year}-01-01&until={year}-12-31")
        page.wait_for_selector("#stats-chart[data-drawn='1']")
        assert canvas_has_ink(page, "#stats-chart", min_pixels=500)
        total = old_year["units"]
        assert total > 40 and page.locator("#stats-units tbody tr").count() == total
        assert _visible_units(page) == 20 and page.locator("#unit-count").is_visible()
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < (9000 if size[0] < 500 else 4000), height  # not 131 cards of figures
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"stats-{size[0]}.png"), full_page=True)
        # The busiest units first.
        received = [int(t) for t in page.locator("#stats-units tbody tr td:nth-of-type(1)").all_inner_texts()]
        assert received == sorted(received, reverse=True)
        # The filter narrows the rows, accents and case optional; cleared, the first 20 come back.
        page.fill("#unit-filter", "PHUONG PHAN THIET")
        rows = page.locator("#stats-units tbody tr:visible")
        assert rows.count() >= 1 and all("Phan Thiết" in t for t in rows.locator("th").all_inner_texts())
        assert "khớp" in page.locator("#unit-count").inner_text()
        page.fill("#unit-filter", "khong co don vi nay")
        assert _visible_units(page) == 0 and "Không có đơn vị nào" in page.locator("#unit-count").inner_text()
        page.fill("#unit-filter", "")
        assert _visible_units(page) == 20
        page.click("#unit-show-all")
        assert _visible_units(page) == total and page.locator("#unit-show-all").is_hidden()
    finally:
        ctx.close()


def test_statistics_without_script_shows_every_unit(browser, server, old_year):
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 900},
                              java_script_enabled=False)
    page = ctx.new_page()
    try:
        page.goto(f"/phan-anh/thong-ke?since={old_year['year']}-01-01&until={old_year['year']}-12-31")
        assert _visible_units(page) == old_year["units"] and page.locator("#unit-filter").is_hidden()
    finally:
        ctx.close()


def test_report_form_errors_all_at_once_with_focus_on_the_summary(context):
    page = context.new_page()
    goto_settled(page, "/phan-anh")
    page.fill("#id_reporter_phone", "abc")
    page.fill("#id_reporter_email", "khong-phai-email")
    page.click("#submit-report")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = page.locator("#error-summary a")
    assert [a.get_attribute("href") for a in links.all()] == [
        "#id_category", "#id_description", "#id_lat", "#id_reporter_phone", "#id_reporter_email"]
    for field in ("id_category", "id_description", "id_reporter_phone", "id_reporter_email"):
        box = page.locator(f"#{field}")
        assert box.get_attribute("aria-invalid") == "true"
        assert page.locator(f"#{box.get_attribute('aria-describedby')}").is_visible()
    assert page.input_value("#id_reporter_email") == "khong-phai-email"  # typed values kept
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#id_category"
    page.locator("#error-summary a[href='#id_description']").click()
    assert page.evaluate("document.activeElement.id") == "id_description"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-form-errors.png"))
