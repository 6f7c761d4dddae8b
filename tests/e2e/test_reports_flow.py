"""The field-report journey in a real browser against ``tinhso serve``.

1. A citizen (phone-sized window) files a report: category, text, a pin placed by clicking the
   map at a ward's centroid, a photo; lands on their private page, which shows the tracking code,
   the private link and the secret code once. (The phone's GPS button is checked separately with
   a faked browser position.)
2. The IOC operator sees the report with the reporter's contact data and its history; the
   ward's handler signs in, sees only their ward's reports (another ward's report: 404),
   accepts the new one and resolves it with a result photo.
3. The citizen looks the report up: without the secret only the public status (no rating form);
   with the tracking code and the secret typed in, their page, where they see the result and
   its photo and rate it.

The steps share the tracking code through the module-scoped ``journey`` dict, in file order.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.e2e.images import image_drawn

pytestmark = pytest.mark.e2e

CODE_RE = re.compile(r"PA-[0-9A-Z]{5}-[0-9A-Z]{5}")
SECRET_RE = re.compile(r"[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}")


def jpeg(color=(180, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def journey() -> dict:
    return {}


def _needs(journey: dict, key: str):
    if key not in journey:
        pytest.fail(f"needs {key!r} from an earlier step of the journey (run the whole file)")
    return journey[key]


def _image_loaded(page, selector: str) -> bool:
    return image_drawn(page, selector)


def test_citizen_submits_with_map_pin_and_photo(context, server, journey):
    from playwright.sync_api import expect

    facts = server["facts"]
    ward = facts["wards"]["phan_thiet"]
    page = context.new_page()
    page.goto("/phan-anh")
    page.select_option("#id_category", facts["category"])
    page.fill("#id_description", "Rác thải đổ trộm ở góc đường, bốc mùi.")
    page.wait_for_selector("#picker-map[data-ready='1']")
    page.locator("#picker-map").scroll_into_view_if_needed()
    # Click the map exactly where the ward's centroid is drawn.
    point = page.evaluate(
        """([lat, lon]) => { const m = document.getElementById('picker-map').tinhsoMap;
            m.setView([lat, lon], 15, {animate: false});
            const p = m.latLngToContainerPoint([lat, lon]); return {x: p.x, y: p.y}; }""",
        [ward["lat"], ward["lon"]],
    )
    box = page.locator("#picker-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    expect(page.locator("#picker-map .leaflet-marker-icon")).to_have_count(1)
    assert abs(float(page.input_value("#id_lat")) - ward["lat"]) < 0.0005
    assert abs(float(page.input_value("#id_lon")) - ward["lon"]) < 0.0005
    expect(page.locator("#position-status")).to_contain_text(ward["name"])
    page.set_input_files("#id_photos", files=[{"name": "rac.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.fill("#id_reporter_name", "Nguyễn Văn Thử")
    page.fill("#id_reporter_phone", "0912 345 678")
    page.click("#submit-report")

    page.wait_for_url(re.compile(r"/phan-anh/PA-[0-9A-Z]{5}-[0-9A-Z]{5}\?k=[0-9A-Z-]{17}$"))
    code = page.inner_text("#tracking-code").strip()
    assert CODE_RE.fullmatch(code)
    expect(page.locator(".messages")).to_contain_text(code)
    # The private link and the secret, shown this once, with the note to keep them.
    secret = page.inner_text("#citizen-secret").strip()
    assert SECRET_RE.fullmatch(secret)
    expect(page.locator("#private-link")).to_contain_text("chỉ hiển thị một lần")
    assert page.input_value("#private-url") == f"{server['base']}/phan-anh/{code}?k={secret}"
    # The test category is forwarded automatically to the ward where the pin was placed.
    expect(page.locator("#report-state")).to_have_attribute("data-state", "assigned")
    expect(page.locator(".facts")).to_contain_text(ward["unit"])
    assert page.locator(".photos img").count() == 1
    assert _image_loaded(page, ".photos img")
    journey["code"], journey["secret"] = code, secret


def test_phone_gps_fills_the_position(browser, server):
    from playwright.sync_api import expect

    ward = server["facts"]["wards"]["mui_ne"]
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 412, "height": 900}, locale="vi-VN",
                              geolocation={"latitude": ward["lat"], "longitude": ward["lon"]},
                              permissions=["geolocation"])
    try:
        page = ctx.new_page()
        page.goto("/phan-anh")
        page.wait_for_selector("#picker-map[data-ready='1']")
        page.click("#use-gps")
        expect(page.locator("#id_lat")).to_have_value(f"{ward['lat']:.6f}")
        expect(page.locator("#id_lon")).to_have_value(f"{ward['lon']:.6f}")
        expect(page.locator("#position-status")).to_contain_text(ward["name"])
    finally:
        ctx.close()


def test_operator_sees_contact_and_history(context, server, journey):
    from playwright.sync_api import expect

    code = _needs(journey, "code")
    user = server["facts"]["users"]["operator"]
    page = context.new_page()
    page.goto("/dang-nhap")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(r"/ioc/phan-anh$"))
    expect(page.locator(f"tr[data-code='{code}']")).to_have_count(1)
    page.click(f"tr[data-code='{code}'] a")
    expect(page.locator("#reporter-contact")).to_contain_text("0912 345 678")
    expect(page.locator(".history li")).to_have_count(2)  # submitted, forwarded automatically


def test_unit_sees_only_its_reports_and_resolves_with_photo(context, server, journey):
    from playwright.sync_api import expect

    code = _needs(journey, "code")
    facts = server["facts"]
    user = facts["users"]["handler_phan_thiet"]
    page = context.new_page()
    page.goto("/don-vi/phan-anh")
    page.wait_for_url(re.compile(r"/dang-nhap\?next="))
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(r"/don-vi/phan-anh$"))

    expect(page.locator(f"tr[data-code='{code}']")).to_have_count(1)
    expect(page.locator(f"tr[data-code='{facts['other_report']}']")).to_have_count(0)
    other = page.goto(f"/don-vi/phan-anh/{facts['other_report']}")
    assert other.status == 404

    page.goto(f"/don-vi/phan-anh/{code}")
    body = page.inner_text("main")
    assert "Nguyễn Văn Thử" not in body and "0912 345 678" not in body  # contact data: IOC only
    page.click("#action-accept button[type=submit]")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "in_progress")

    # Resolving without a photo is refused next to the form, the text kept.
    page.fill("#result-text", "Đã thu gom rác và vệ sinh khu vực.")
    page.click("#action-resolve button[type=submit]")
    expect(page.locator("#action-resolve .error")).to_be_visible()
    expect(page.locator("#result-text")).to_have_value("Đã thu gom rác và vệ sinh khu vực.")

    page.set_input_files("#result-photos", files=[{"name": "xong.jpg", "mimeType": "image/jpeg",
                                                   "buffer": jpeg((40, 160, 60))}])
    page.click("#action-resolve button[type=submit]")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "resolved")
    assert page.locator(".photos img").count() == 2  # the citizen's and the result photo, each group captioned
    assert page.locator(".photo-group figcaption").all_inner_texts() == ["Ảnh người dân gửi", "Ảnh kết quả xử lý"]


def test_citizen_sees_result_and_rates(context, server, journey):
    from playwright.sync_api import expect

    code, secret = _needs(journey, "code"), _needs(journey, "secret")
    page = context.new_page()
    # With the tracking code alone (it is public): the status, but no rating form.
    page.goto("/phan-anh/tra-cuu")
    page.fill("#id_ma", code.lower())
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(rf"/phan-anh/{code}$"))
    expect(page.locator("#result-text")).to_contain_text("Đã thu gom rác")
    expect(page.locator("#rating")).to_have_count(0)
    expect(page.locator("#secret-entry")).to_be_visible()
    # The submitter types the code and the secret (any case) on the lookup page: their own page.
    page.goto("/phan-anh/tra-cuu")
    page.fill("#id_ma", code.lower())
    page.fill("#id_k", secret.lower())
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(rf"/phan-anh/{code}\?k="))
    expect(page.locator("#submitter-note")).to_be_visible()
    expect(page.locator("#result-text")).to_contain_text("Đã thu gom rác")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "resolved")
    result_photo = "h2:has-text('Kết quả xử lý') + p + .photo-group.result .photos img"
    expect(page.locator(result_photo)).to_have_count(1)
    assert _image_loaded(page, result_photo)

    page.check("#rating input[value='5']")
    page.fill("#rating textarea[name=comment]", "Xử lý nhanh, cảm ơn.")
    page.click("#rating button[type=submit]")
    expect(page.locator("#rating-value")).to_have_text("5/5")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("#rating")).to_have_count(0)

    # The same page in English (language switch in the top bar).
    page.click(".lang button[value=en]")
    expect(page.locator("#report-state")).to_have_text("Closed")
    expect(page.locator("#submitter-note")).to_contain_text("private link")  # the switch keeps the link
