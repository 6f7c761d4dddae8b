"""The IOC operator's queue in a real browser (issue 12), at desktop size and at 360 px:
group counts, column sorting, the state filter kept with the sort, a bulk "verify and forward"
with the searchable unit picker (typed without diacritics), the map view drawing markers, and
no horizontal scroll on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import fill_date

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/tinhso-queue-shots")


def _login(page, user: dict) -> None:
    page.goto("/dang-nhap")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(r"/ioc/phan-anh$"))


AXE = Path(__file__).resolve().parents[2] / "tinhso" / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"


def _axe_serious(page) -> list:
    """Serious or critical axe-core violations of the page (skipped when the vendor copy is missing)."""
    if not AXE.exists():
        pytest.skip("axe-core is not built into tinhso/web/static/vendor (npm assets)")
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")  # same origin: the CSP allows it
    found = page.evaluate("async () => (await axe.run(document)).violations"
                          ".filter(v => ['serious', 'critical'].includes(v.impact))"
                          ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))")
    return found


def _no_horizontal_scroll(page) -> bool:
    page.wait_for_load_state("load")  # not a half-parsed page after a click that navigates
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", [(1280, 860), (360, 740)], ids=["desktop", "phone"])
def test_operator_queue_sort_filter_bulk_forward_and_map(browser, server, size):
    from playwright.sync_api import expect

    facts = server["facts"]
    # each viewport forwards its own reports (the server is shared by the session)
    codes = facts["queue_reports"][:2] if size[0] > 400 else facts["queue_reports"][2:]
    ctx = browser.new_context(base_url=server["base"], viewport={"width": size[0], "height": size[1]},
                              locale="vi-VN")
    ctx.set_default_timeout(15_000)
    SHOTS.mkdir(exist_ok=True)
    try:
        page = ctx.new_page()
        _login(page, facts["users"]["operator"])
        waiting = page.locator(".queue-groups [data-group=waiting] .count")
        expect(waiting).to_have_text(re.compile(r"\d+"))
        # sort by code, both ways
        page.click("th a[data-sort=code]")
        page.wait_for_url(re.compile(r"sort=code"))
        expect(page.locator("th[aria-sort=ascending] a[data-sort=code]")).to_have_count(1)
        shown = page.locator("tbody tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
        assert shown == sorted(shown)
        # the state filter keeps the sort
        page.select_option("#queue-state", "submitted")
        page.click(".queue-filters button[type=submit]")
        page.wait_for_url(re.compile(r"state=submitted.*sort=code|sort=code.*state=submitted"))
        if size[0] < 400:
            assert _no_horizontal_scroll(page), "the phone queue scrolls sideways"
            page.screenshot(path=str(SHOTS / "queue-phone.png"), full_page=True)
        else:
            page.screenshot(path=str(SHOTS / "queue-desktop.png"), full_page=True)
        assert _axe_serious(page) == []
        mine = codes
        for code in mine:
            page.check(f"#pick-{code}")
        page.select_option("#bulk-action", "verify_forward")
        search = page.locator("#bulk-unit-search")
        expect(search).to_be_visible()
        search.fill("phan thiet")  # no diacritics: "Phường Phan Thiết"
        ward_unit = facts["wards"]["phan_thiet"]["unit_code"]
        expect(page.locator("#bulk-unit")).to_have_value(ward_unit)
        page.click("#bulk-submit")
        results = page.locator("#bulk-results")
        expect(results).to_be_visible()
        for code in mine:
            expect(results.locator(f"li.ok[data-code='{code}']")).to_have_count(1)
        if size[0] < 400:
            page.screenshot(path=str(SHOTS / "queue-phone-bulk.png"), full_page=True)
        # map view of the same filtered list
        page.goto("/ioc/phan-anh?state=all&view=map")
        queue_map = page.locator("[data-queue-map]")
        expect(queue_map).to_have_attribute("data-ready", "1")
        count = int(queue_map.get_attribute("data-markers"))
        assert count >= len(codes)
        # The installation's street basemap (the e2e server's PMTiles archive), as on the citizen maps.
        assert queue_map.get_attribute("data-street") == "pmtiles-raster"
        # Every report is drawn: alone as a marker, or counted in a cluster.
        clustered = sum(int(t) for t in page.locator("#queue-map .marker-cluster").all_inner_texts())
        assert page.locator("#queue-map path.queue-marker").count() + clustered == count
        assert queue_map.get_attribute("data-error") is None
        if size[0] < 400:
            assert _no_horizontal_scroll(page)
        queue_map.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"queue-map-{size[0]}.png"))
        assert _axe_serious(page) == []
    finally:
        ctx.close()


def test_handler_inbox_and_report_at_360(browser, server):
    """The handler's pages on a phone: cards, no sideways scroll, the actions reachable."""
    from playwright.sync_api import expect

    facts = server["facts"]
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    SHOTS.mkdir(exist_ok=True)
    try:
        page = ctx.new_page()
        user = facts["users"]["handler_mui_ne"]  # the seed's auto-forwarded report is there
        page.goto("/dang-nhap")
        page.fill("#id_username", user["username"])
        page.fill("#id_password", user["password"])
        page.click("form.narrow button[type=submit]")
        page.wait_for_url(re.compile(r"/don-vi/phan-anh$"))
        expect(page.locator(".queue-groups [data-group=mine]")).to_be_visible()
        rows = page.locator("tbody tr[data-code]")
        expect(rows.first).to_be_visible()
        assert _no_horizontal_scroll(page), "the handler's inbox scrolls sideways at 360 px"
        # a card, not a table row: the row is (about) as wide as the screen
        assert rows.first.bounding_box()["width"] > 300
        page.screenshot(path=str(SHOTS / "inbox-phone.png"), full_page=True)
        assert _axe_serious(page) == []
        rows.first.locator("a").first.click()
        page.wait_for_url(re.compile(r"/don-vi/phan-anh/PA-"))
        assert _no_horizontal_scroll(page), "the handler's report page scrolls sideways at 360 px"
        button = page.locator(".actions form button[type=submit]").first
        expect(button).to_be_visible()
        assert button.bounding_box()["height"] >= 36
        page.screenshot(path=str(SHOTS / "report-phone.png"), full_page=True, timeout=90_000)  # a map page: a full-page capture can stall under load
        found = _axe_serious(page)
        assert found == [], "\n".join(found)
    finally:
        ctx.close()


def test_queue_card_checkbox_keeps_clear_of_the_badges_at_360(browser, server):
    """On a phone card the row's checkbox sits in the top right corner: the code and its badges
    ("chờ bạn", "tổng hợp"…) wrap before it instead of running under it."""
    facts = server["facts"]
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        _login(page, facts["users"]["operator"])
        rows = page.locator("table.queue tbody tr[data-code]")
        assert rows.count() > 0
        for i in range(min(rows.count(), 5)):
            row = rows.nth(i)
            box = row.locator("td.select input").bounding_box()
            cell = row.locator("td.select + td")
            # the right edge of the code cell's content, and every badge in it, left of the checkbox
            content_right = cell.evaluate("c => c.getBoundingClientRect().right - parseFloat(getComputedStyle(c).paddingRight)")
            assert content_right <= box["x"], (i, content_right, box)
            for badge in cell.locator(".badge").all():
                b = badge.bounding_box()
                overlaps = b["x"] < box["x"] + box["width"] and box["x"] < b["x"] + b["width"] and \
                    b["y"] < box["y"] + box["height"] and box["y"] < b["y"] + b["height"]
                assert not overlaps, (i, badge.inner_text())
    finally:
        ctx.close()


@pytest.mark.parametrize("size", [(1920, 1080), (360, 740)], ids=["wall", "phone"])
def test_operator_filters_the_queue_by_category_commune_and_days(browser, server, size):
    """The filter form: a category, a commune found without diacritics, the received days; the filters are
    stated above the list and the list holds the matching reports; "clear filters" empties them; no
    sideways scroll on a phone, no serious accessibility fault."""
    import datetime as dt
    from urllib.parse import parse_qs, urlsplit
    from zoneinfo import ZoneInfo

    from playwright.sync_api import expect

    facts = server["facts"]
    ctx = browser.new_context(base_url=server["base"], viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        _login(page, facts["users"]["operator"])
        today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()  # the installation's day
        page.select_option("#queue-state", "all")
        page.select_option("#queue-category", facts["manual_category"])
        page.fill("#queue-commune-search", "phan thiet")  # "Phường Phan Thiết", typed without diacritics
        fill_date(page, "since", dt.date.fromisoformat(today))  # typed dd/mm/yyyy (web/datefield.js)
        fill_date(page, "until", dt.date.fromisoformat(today))
        page.click(".queue-filters button[type=submit]")
        page.wait_for_url(re.compile(r"category="))
        query = parse_qs(urlsplit(page.url).query)
        assert query["category"] == [facts["manual_category"]] and query["since"] == query["until"] == [today]
        assert query["commune"][0].isdigit()
        stated = page.locator("#active-filters")
        expect(stated).to_contain_text("Giao thông (kiểm thử)")
        expect(stated).to_contain_text(facts["wards"]["phan_thiet"]["name"])
        listed = page.locator("tbody tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")
        assert set(facts["queue_reports"]) <= set(listed)
        assert page.locator("[data-group=all] .count").inner_text() == str(len(listed))
        csv_link = parse_qs(urlsplit(page.locator("#csv-export").get_attribute("href")).query)
        assert csv_link["commune"] == query["commune"] and csv_link["since"] == [today]
        if size[0] < 400:
            assert _no_horizontal_scroll(page), "the filtered queue scrolls sideways at 360 px"
        page.screenshot(path=str(SHOTS / f"queue-filtered-{size[0]}.png"), full_page=True)
        found = _axe_serious(page)
        assert found == [], "\n".join(found)
        page.click("#clear-filters")
        page.wait_for_url(re.compile(r"/ioc/phan-anh$"))
        expect(page.locator("#active-filters")).to_have_count(0)
    finally:
        ctx.close()
