"""The monthly analysis pages in a real browser: /phan-tich and a month page at 360 px (no sideways
scroll) and on a wall-sized screen, the chart drawn, the synthetic label shown, no serious or critical
axe-core violation; a handler (no analysis permission) is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.images import image_drawn

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = Path(__file__).resolve().parents[2] / "tinhso" / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"


def _sign_in(page, user, next_path: str) -> None:
    page.goto(f"/dang-nhap?next={next_path}")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**{next_path}**")


def _axe(page) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: build the front-end assets (make assets)")
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")  # from tinhso itself: the CSP allows 'self'
    result = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))""")
    return result


def _no_sideways_scroll(page) -> bool:
    page.wait_for_load_state("load")  # not a half-parsed page after a click that navigates
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


def test_archive_and_month_page(browser, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    month = server["facts"]["analysis_month"]
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 800}, locale="vi-VN")
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server["facts"]["users"]["operator"], "/phan-tich")
    assert page.locator("h1").inner_text() == "Phân tích hằng tháng"
    assert page.locator(f"a[href='/phan-tich/{month}']").count() >= 1
    assert _axe(page) == []
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "analysis-index-360.png"), full_page=True)

    page.click(f"a[href='/phan-tich/{month}'] >> nth=0")
    page.wait_for_url(f"**/phan-tich/{month}")
    assert "Báo cáo phân tích hằng tháng" in page.locator("article.an-report h1").inner_text()
    assert page.locator(".an-synthetic").is_visible()  # synthetic reports behind it: said so
    assert image_drawn(page, "img.an-chart")
    assert page.locator(".an-units a").count() == 1  # Phan Thiết's committee report is listed
    assert _axe(page) == []
    assert _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "analysis-month-360.png"), full_page=True)

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.reload()
    page.evaluate("window.scrollTo(0, 0)")
    assert _axe(page) == []
    page.screenshot(path=str(SHOTS / "analysis-month-wall.png"), full_page=False)

    pdf = page.request.get(f"/phan-tich/{month}/tai-ve/vi.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    assert errors == []
    ctx.close()


def test_a_handler_is_refused(context, server):
    page = context.new_page()
    _sign_in(page, server["facts"]["users"]["handler_phan_thiet"], "/don-vi/phan-anh")
    response = page.goto("/phan-tich")
    assert response.status == 403
    assert page.locator("a[href='/phan-tich']").count() == 1  # the link back in the page, not in the menu
    assert page.locator("header nav a[href='/phan-tich']").count() == 0
