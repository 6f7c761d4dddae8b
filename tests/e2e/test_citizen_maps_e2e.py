"""The citizen's maps in a real browser, at desktop width and on a 360 px phone: the public map
draws the street basemap (the e2e server's local PMTiles archive), the commune outlines, clustered
reports and the state legend, and shows the list's reports for the list's filters; the form lists
nearby open reports, offers a photo's EXIF position as the pin, and says at once which province a
point outside ours is in. No request leaves 127.0.0.1. Screenshots go to var/screenshots/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.e2e.conftest import run_seed

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
MARK = "bản đồ e2e"
NHA_TRANG = (12.2388, 109.1967)


@pytest.fixture(scope="module")
def published(server):
    """Published reports near the two seeded wards (``seed_maps.py`` on the server's database)."""
    return run_seed(server, "seed_maps.py", "maps-facts.json")


@pytest.fixture(params=list(VIEWPORTS))
def view(request, browser, server):
    ctx = browser.new_context(base_url=server["base"], viewport=VIEWPORTS[request.param], locale="vi-VN")
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
    page = ctx.new_page()
    page.size = request.param
    yield page
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    ctx.close()


def _no_sideways_scroll(page) -> None:
    """The page, as the reader sees it once loaded, is no wider than the screen. A check that runs
    while the document is still parsing measures a half-built page (an expectation on the first
    error can pass before the rest of the form arrives), so it waits for ``load`` and the fonts."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    width = page.evaluate("document.documentElement.scrollWidth")
    limit = page.viewport_size["width"]
    wide = [] if width <= limit else page.evaluate(
        """limit => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit && !e.closest('.leaflet-container'))
            .slice(0, 6).map(e => `${e.tagName}#${e.id}.${e.className} right=${e.getBoundingClientRect().right}`)""",
        limit)
    assert width <= limit, f"page is {width}px wide at {limit}px: {wide}"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"citizen-{name}-{page.size}.png"), full_page=True, timeout=90_000)


def _axe(page) -> list[str]:
    """Serious or critical axe-core violations on the page (vendored axe, served by tinhso)."""
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))""")
    return found


def jpeg_with_gps(lat: float, lon: float) -> bytes:
    from PIL import Image

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)

    exif = Image.Exif()
    exif[0x010F] = "ACME"
    exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _open_form(page, category: str):
    page.goto("/phan-anh")
    page.select_option("#id_category", category)
    page.wait_for_selector("#picker-map[data-ready='1']")


def _type_position(page, lat: float, lon: float):
    page.fill("#id_lat", f"{lat:.6f}")
    page.fill("#id_lon", f"{lon:.6f}")
    page.dispatch_event("#id_lon", "change")


def test_public_map_draws_clusters_legend_and_follows_the_filters(view, server, published):
    from playwright.sync_api import expect

    page = view
    page.goto(f"/phan-anh/cong-khai?category={server['facts']['category']}&q={MARK}")
    page.wait_for_selector("#public-map[data-drawn='1']")
    rows = page.locator("table.public tbody tr[data-code]")
    codes = set(rows.evaluate_all("rows => rows.map(r => r.dataset.code)"))
    assert codes == set(published["phan_thiet"] + published["mui_ne"])
    assert page.get_attribute("#public-map", "data-count") == str(len(codes))  # the map shows the list's reports
    # The street basemap (local PMTiles) and the commune outlines both drew.
    assert page.get_attribute("#public-map", "data-street") == "pmtiles-raster"
    # Tiles load after the map says it drew (byte ranges of the archive): wait for one, do not count at once.
    page.wait_for_selector("#public-map .leaflet-tile-loaded", state="attached")
    assert page.locator("#public-map .leaflet-tile-loaded").count() >= 1
    assert page.locator("#public-map .leaflet-overlay-pane path").count() > 10
    # Zoomed out, reports a few hundred metres apart are one cluster per ward, with its count.
    page.evaluate("document.getElementById('public-map').tinhsoMap.setZoom(9, {animate: false})")
    clusters = page.locator("#public-map .marker-cluster")
    expect(clusters.first).to_be_visible()
    total = sum(int(t) for t in clusters.all_inner_texts())
    assert total == len(codes)
    # The legend names the states in the reader's language, with their colours.
    legend = page.locator("#map-legend")
    expect(legend).to_be_visible()
    expect(legend.locator("[data-state='assigned']")).to_contain_text("Đã chuyển xử lý")
    colour = page.evaluate("getComputedStyle(document.querySelector(\"#map-legend [data-state='assigned'] .swatch\"))"
                           ".backgroundColor")
    assert colour == "rgb(106, 79, 179)"
    # A narrower text filter: the map follows.
    page.goto(f"/phan-anh/cong-khai?q={MARK} mũi né")
    page.wait_for_selector("#public-map[data-drawn='1']")
    assert page.get_attribute("#public-map", "data-count") == str(len(published["mui_ne"]))
    assert rows.count() == len(published["mui_ne"])
    _no_sideways_scroll(page)
    _shot(page, "public-map")
    assert _axe(page) == []


def test_form_shows_nearby_open_reports(view, server, published):
    from playwright.sync_api import expect

    page = view
    ward = server["facts"]["wards"]["phan_thiet"]
    _open_form(page, server["facts"]["category"])
    _type_position(page, ward["lat"], ward["lon"])
    box = page.locator("#nearby-reports")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Đã có người phản ánh việc này?")
    items = box.locator("li[data-code]")
    shown = set(items.evaluate_all("items => items.map(i => i.dataset.code)"))
    assert shown and shown <= set(published["phan_thiet"])
    assert "Người gửi bí mật" not in box.inner_text() and "0900000099" not in box.inner_text()
    link = items.first.locator("a.follow")
    assert link.get_attribute("href") == f"/phan-anh/cong-khai/{items.first.get_attribute('data-code')}"
    expect(page.locator("#position-status")).to_contain_text(ward["name"])
    # Another category at the same place: nothing to suggest.
    page.select_option("#id_category", server["facts"]["manual_category"])
    expect(box).to_be_hidden()
    _no_sideways_scroll(page)


def test_form_offers_the_photo_gps_position(view, server):
    from playwright.sync_api import expect

    page = view
    ward = server["facts"]["wards"]["mui_ne"]
    _open_form(page, server["facts"]["category"])
    page.set_input_files("#id_photos", files=[{"name": "cay-do.jpg", "mimeType": "image/jpeg",
                                               "buffer": jpeg_with_gps(ward["lat"], ward["lon"])}])
    offer = page.locator("#photo-position")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text(f"{ward['lat']:.5f}"[:-1])
    assert page.input_value("#id_lat") == ""  # offered, never used without a click
    page.click("#use-photo-position")
    expect(page.locator("#picker-map .leaflet-marker-icon")).to_have_count(1)
    assert abs(float(page.input_value("#id_lat")) - ward["lat"]) < 1e-4
    assert abs(float(page.input_value("#id_lon")) - ward["lon"]) < 1e-4
    expect(page.locator("#position-status")).to_contain_text(ward["name"])
    # A photo without a position offers nothing.
    from PIL import Image

    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, "JPEG")
    page.set_input_files("#id_photos", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": plain.getvalue()}])
    expect(offer).to_be_hidden()
    _shot(page, "form")


def test_outside_province_is_said_at_once(view, server):
    from playwright.sync_api import expect

    page = view
    _open_form(page, server["facts"]["category"])
    _type_position(page, *NHA_TRANG)
    status = page.locator("#position-status")
    expect(status).to_have_text("Vị trí này thuộc tỉnh Khánh Hòa, ngoài tỉnh Lâm Đồng.")
    expect(status).to_have_attribute("role", "alert")
    page.fill("#id_description", "Thử gửi ngoài tỉnh")
    page.click("#submit-report")
    expect(page.locator("[data-field='lat']")).to_contain_text("Vị trí này thuộc tỉnh Khánh Hòa, ngoài tỉnh Lâm Đồng.")
    _no_sideways_scroll(page)
    assert _axe(page) == []


@pytest.mark.parametrize("path", ["/phan-anh", "/phan-anh/tra-cuu", "/phan-anh/thong-ke"])
def test_citizen_pages_fit_a_phone(browser, server, published, path):
    from playwright.sync_api import expect

    ctx = browser.new_context(base_url=server["base"], viewport=VIEWPORTS["phone"], locale="vi-VN")
    try:
        page = ctx.new_page()
        page.size = "phone"
        page.goto(path)
        nav = page.locator("#site-nav")
        toggle = page.locator("#menu-toggle")
        expect(toggle).to_be_visible()
        expect(nav).to_be_hidden()
        toggle.click()
        expect(nav).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        _no_sideways_scroll(page)
        toggle.click()
        expect(nav).to_be_hidden()
        _no_sideways_scroll(page)
        _shot(page, path.strip("/").replace("/", "-"))
        assert _axe(page) == []
    finally:
        ctx.close()


def test_public_detail_map_and_cards_on_a_phone(browser, server, published):
    from playwright.sync_api import expect

    ctx = browser.new_context(base_url=server["base"], viewport=VIEWPORTS["phone"], locale="vi-VN")
    try:
        page = ctx.new_page()
        page.size = "phone"
        page.goto(f"/phan-anh/cong-khai?q={MARK}")
        first = page.locator("table.public tbody tr[data-code]").first
        # A row is a card: its cells stack, each with the column name.
        assert page.evaluate("getComputedStyle(document.querySelector('table.public tbody tr')).display") == "block"
        expect(first.locator("td[data-label]").first).to_be_visible()
        _no_sideways_scroll(page)
        code = first.get_attribute("data-code")
        page.goto(f"/phan-anh/cong-khai/{code}")
        page.wait_for_selector("#report-map[data-drawn='1']")
        assert page.locator("#report-map .leaflet-marker-icon").count() == 1
        # No deeper than the street basemap's tiles (the e2e archive stops at zoom 12), and its tiles drew.
        assert page.evaluate("document.getElementById('report-map').tinhsoMap.getZoom()") <= 12
        expect(page.locator("#report-map .leaflet-tile-loaded").first).to_be_attached()
        assert page.evaluate(OUTLINE_IN_VIEW, "report-map"), "no commune outline within the report's map"
        _no_sideways_scroll(page)
        _shot(page, "public-detail")
    finally:
        ctx.close()


def test_citizen_adds_their_report_to_a_nearby_one(view, server, published):
    """"Someone already reported this — add yours to it": the citizen ticks "same problem" on a
    suggestion; their report is stored, joined to that one, keeps its own private page (which
    follows the original) and its sender is told by e-mail (the real SMTP server)."""
    from playwright.sync_api import expect

    page = view
    ward = server["facts"]["wards"]["phan_thiet"]
    email = f"cung-viec-{page.size}@example.org"
    _open_form(page, server["facts"]["category"])
    page.fill("#id_description", f"Tôi cũng thấy việc này ({page.size}).")
    _type_position(page, ward["lat"], ward["lon"])
    box = page.locator("#nearby-reports")
    expect(box).to_be_visible()
    expect(page.locator("#same-as-none")).to_be_checked()  # a new report unless the citizen says otherwise
    first = box.locator("li[data-code]").first
    original = first.get_attribute("data-code")
    choice = first.locator("input[name=same_as]")
    expect(first.locator("label.same-as")).to_contain_text(original)
    choice.check()
    page.fill("#id_reporter_email", email)
    _no_sideways_scroll(page)
    _shot(page, "same-problem-form")
    assert _axe(page) == []
    page.click("#submit-report")
    page.wait_for_url("**/phan-anh/PA-*?k=*")
    mine = page.inner_text("#tracking-code").strip()
    assert mine != original
    expect(page.locator("#report-state")).to_have_attribute("data-state", "merged")
    expect(page.locator("main")).to_contain_text(original)  # follows the original's status
    _shot(page, "same-problem-joined")
    box = server["mailbox"]
    joined = box.wait_for(lambda m: m["To"] == email and "gộp vào" in box.subject(m))
    assert mine in box.subject(joined) and original in box.subject(joined)


# Whether a commune outline's vertex lies within the map's view (besides the pin, something drew).
OUTLINE_IN_VIEW = """id => {
    const map = document.getElementById(id).tinhsoMap, view = map.getBounds();
    let inside = 0;
    const visit = points => points.forEach(p => Array.isArray(p) ? visit(p) : (inside += view.contains(p) ? 1 : 0));
    map.eachLayer(l => { if (l.getLatLngs && !l.getLatLng) { visit(l.getLatLngs()); } });
    return inside > 0;
}"""


def test_report_map_opens_on_the_pin_with_its_commune_outline_without_a_street_basemap(view, server, published):
    """The demo's setting (no street basemap): the one-report map used to open at zoom 15 inside a commune
    larger than the view, a blank area with a pin. It opens framed so an outline (and the pin) is in view."""
    page = view
    code = published["phan_thiet"][0]
    _without_basemap(page, f"/phan-anh/{code}")
    page.goto(f"/phan-anh/{code}")
    page.wait_for_selector("#report-map[data-drawn='1']")
    assert page.get_attribute("#report-map", "data-street") == "none"
    assert page.locator("#report-map .leaflet-marker-icon").count() == 1
    assert page.evaluate(OUTLINE_IN_VIEW, "report-map"), "no commune outline within the report's map"
    pin_in_view = "(() => { const m = document.getElementById('report-map').tinhsoMap; " \
                  "let pin; m.eachLayer(l => { if (l instanceof L.Marker) { pin = l.getLatLng(); } }); return m.getBounds().contains(pin); })()"
    assert page.evaluate(pin_in_view)
    page.locator("#report-map").screenshot(path=str(SHOTS / f"citizen-report-map-no-basemap-{page.size}.png"))


def _without_basemap(page, path: str) -> None:
    """Serve ``path`` as an installation with no street basemap configured renders it (the demo's
    default): the page's basemap setting says ``{"kind": "none"}``."""
    import re

    def strip(route):
        response = route.fetch()
        body = re.sub(r'(<script id="basemap-config" type="application/json">).*?(</script>)',
                      r'\1{"kind": "none"}\2', response.text(), flags=re.S)
        assert '{"kind": "none"}' in body
        route.fulfill(response=response, body=body)

    page.route(re.compile(r".*/phan-anh(/cong-khai)?(/PA-[A-Z0-9-]+)?(\?.*)?$"), strip)


def test_public_map_draws_reports_without_a_street_basemap(view, server, published):
    """No street basemap: only the commune outlines; the reports are still drawn and clustered
    (markercluster needs the map's maxZoom, which no tile layer sets then)."""
    from playwright.sync_api import expect

    page = view
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _without_basemap(page, "/phan-anh/cong-khai")
    page.goto(f"/phan-anh/cong-khai?q={MARK}")
    page.wait_for_selector("#public-map[data-ready='1']")
    page.wait_for_selector("#public-map[data-drawn='1']", timeout=10_000)
    assert page.get_attribute("#public-map", "data-street") == "none"
    expected = len(published["phan_thiet"]) + len(published["mui_ne"])
    assert page.get_attribute("#public-map", "data-count") == str(expected)
    page.evaluate("document.getElementById('public-map').tinhsoMap.setZoom(9, {animate: false})")
    clusters = page.locator("#public-map .marker-cluster")
    expect(clusters.first).to_be_visible()
    assert sum(int(t) for t in clusters.all_inner_texts()) == expected
    # Zoomed in all the way, the single reports are circle markers.
    page.evaluate("document.getElementById('public-map').tinhsoMap.setZoom(19, {animate: false})")
    assert page.get_attribute("#public-map", "data-error") is None
    assert errors == []
    # The form's picker works without a basemap too: a typed position puts the pin.
    _without_basemap(page, "/phan-anh")
    page.goto("/phan-anh")
    page.wait_for_selector("#picker-map[data-ready='1']")
    assert page.get_attribute("#picker-map", "data-street") == "none"
    # A position inside the province: one outside is answered with a 400 (the form says so), which the
    # browser logs as a failed resource, and whether that lands before the check below is a race.
    ward = server["facts"]["wards"]["phan_thiet"]
    with page.expect_response(lambda r: "/api/v1/reports/place" in r.url) as answer:
        _type_position(page, ward["lat"], ward["lon"])
    assert answer.value.status == 200
    expect(page.locator("#picker-map .leaflet-marker-icon")).to_have_count(1)
    assert errors == []
