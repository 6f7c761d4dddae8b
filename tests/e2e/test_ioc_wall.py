"""The IOC wall in a real browser at 1920×1080: every screen draws its charts and maps, the tiles
show the numbers of ``/api/v1/ioc/summary``, and no request leaves 127.0.0.1 (closed network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SCREENS = ("summary", "reports", "services", "plans", "cameras")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def wall_context(browser, server):
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    ctx.route("**/*", guard)
    ctx.outside = outside
    yield ctx
    ctx.close()


def _sign_in(page, user):
    page.goto("/dang-nhap?next=/ioc")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("main form button[type=submit]")
    page.wait_for_url("**/ioc**")


def _drawn(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-drawn='1']", state="attached")


def _canvas_has_ink(page, selector: str) -> bool:
    return page.eval_on_selector(selector, """node => {
        const canvas = node.querySelector('canvas');
        if (!canvas || !canvas.width) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false; }""")


def test_wall_screens_draw_and_match_the_api(wall_context, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = wall_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, server["facts"]["users"]["operator"])
    page.goto("/ioc?period=month")
    api = page.request.get("/api/v1/ioc/summary?period=month").json()
    for key in ("received", "overdue_backlog", "open_backlog"):
        tile = page.locator(f"[data-figure='reports.{key}']").first
        assert tile.get_attribute("data-value") == str(api["reports"][key]), key
    assert page.locator("#no-dossiers").is_visible()  # no dossier data yet: said, not invented

    for screen in SCREENS:
        page.click(f".screens-nav button[data-screen='{screen}']")
        section = page.locator(f"section.screen[data-screen='{screen}']")
        # Waits (up to 10 s) for the screen to show: in the full suite, with both database passes running
        # side by side, the click was once handled after an immediate check.
        expect(section).to_be_visible(timeout=10_000)
        if screen == "summary":
            _drawn(page, "#chart-trend")
            _drawn(page, "#chart-pillars")
            assert _canvas_has_ink(page, "#chart-trend") and _canvas_has_ink(page, "#chart-pillars")
        if screen == "reports":
            _drawn(page, "#map-reports")
            # The street basemap (a local PMTiles archive, fetched by byte ranges from tinhso itself).
            assert page.get_attribute("#map-reports", "data-basemap") == "pmtiles-raster"
            page.wait_for_function("""() => [...document.querySelectorAll('#map-reports .leaflet-tile-pane img')]
                                        .some(img => img.complete && img.naturalWidth > 0)""")
            assert page.locator("#basemap-note").is_hidden()
            assert page.locator("#map-reports path.leaflet-interactive, #map-reports canvas").count() > 0
            assert page.locator("#league tbody tr").count() == len(api["reports"]["units"])
        if screen == "plans":
            _drawn(page, "#plans-board")
            _drawn(page, "#chart-ranks")
            assert page.locator("#plans-board .chip").count() > 0
            assert _canvas_has_ink(page, "#chart-ranks")
        if screen == "cameras":
            _drawn(page, "#map-cameras")
        page.screenshot(path=str(SHOTS / f"ioc-{screen}.png"))
    assert not errors, errors
    assert not wall_context.outside, wall_context.outside


def test_wall_refreshes_without_reloading(wall_context, server):
    page = wall_context.new_page()
    _sign_in(page, server["facts"]["users"]["operator"])
    page.goto("/ioc")
    first = page.locator("#updated-at").get_attribute("datetime")
    page.evaluate("() => { window.__marker = 1; }")
    page.wait_for_function(f"() => document.querySelector('#updated-at').getAttribute('datetime') !== '{first}'",
                           timeout=20_000)
    assert page.evaluate("() => window.__marker") == 1  # same page: figures refreshed in place


def test_public_wall_is_open_and_has_no_staff_links(wall_context, server):
    page = wall_context.new_page()
    page.goto("/ioc/cong-khai")
    _drawn(page, "#chart-trend")
    assert page.locator("#unit").count() == 0
    assert "/ioc/phan-anh" not in page.content() and "/don-vi/" not in page.content()
    page.screenshot(path=str(SHOTS / "ioc-public.png"))
    assert not wall_context.outside, wall_context.outside
