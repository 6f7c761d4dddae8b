"""The notification loop in a real browser against ``tinhso serve`` and a real SMTP server.

The whole loop runs twice: every actor on a 360 px phone, then every actor on a 1366 px desktop
(no sideways scroll on any page; screenshots in var/screenshots/).

1. A citizen files a report with an e-mail address; the SMTP server receives the
   acknowledgement with the private link (the worker started by ``serve`` delivered it).
2. The IOC operator finds it in the queue, verifies it and forwards it to the ward; the citizen receives
   "forwarded", the ward's handler "new report for your unit" (and sees it in the header counter
   and the inbox page).
3. The handler accepts and resolves it with a result photo; the citizen receives "accepted" and
   "resolved" (with the result text).
4. The citizen opens the private link from the acknowledgement e-mail: their own page with the
   result and the rating form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_reports_flow import jpeg

pytestmark = pytest.mark.e2e

LINK_RE = re.compile(r"(http://127\.0\.0\.1:\d+/phan-anh/(PA-[0-9A-Z]{5}-[0-9A-Z]{5})\?k=[0-9A-Z-]{17})")
CITIZEN_EMAIL = "nguoidan.e2e@example.org"


SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1366, "height": 900}}
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module", params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def loop(size) -> dict:
    return {"size": size}


@pytest.fixture
def ctx(browser, server, size):
    """A fresh browser profile per actor, at the loop's viewport, in Vietnamese."""
    context = browser.new_context(base_url=server["base"], viewport=SIZES[size], locale="vi-VN")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def _looked_at(page, name: str, size: str) -> None:
    """No sideways scroll at this width (once the page has loaded), and a screenshot to look at."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name}: page is {width}px wide at {page.viewport_size['width']}px"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"loop-{name}-{size}.png"), full_page=True, timeout=90_000)


def _needs(loop: dict, key: str):
    if key not in loop:
        pytest.fail(f"needs {key!r} from an earlier step (run the whole file)")
    return loop[key]


def _mail(server, subject_part: str, to: str, code: str):
    box = server["mailbox"]
    return box.wait_for(lambda m: m["To"] == to and code in box.subject(m) and subject_part in box.subject(m))


def _sign_in(page, user: dict, next_url: str) -> None:
    page.goto(f"/dang-nhap?next={next_url}")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_citizen_submits_and_receives_the_private_link(ctx, server, loop):
    from playwright.sync_api import expect

    facts = server["facts"]
    ward = facts["wards"]["phan_thiet"]
    page = ctx.new_page()
    page.goto("/phan-anh")
    page.select_option("#id_category", facts["manual_category"])
    page.fill("#id_description", "Ổ gà sâu giữa đường, xe máy dễ ngã (kiểm thử thông báo).")
    page.fill("#id_lat", f"{ward['lat']:.6f}")
    page.fill("#id_lon", f"{ward['lon']:.6f}")
    page.fill("#id_reporter_email", CITIZEN_EMAIL)
    _looked_at(page, "citizen-form", loop["size"])
    page.click("#submit-report")
    page.wait_for_url(re.compile(r"/phan-anh/PA-[0-9A-Z]{5}-[0-9A-Z]{5}\?k="))
    code = page.inner_text("#tracking-code").strip()
    expect(page.locator("#report-state")).to_have_attribute("data-state", "submitted")

    ack = _mail(server, "Đã nhận phản ánh", CITIZEN_EMAIL, code)
    text = server["mailbox"].text(ack)
    link, linked_code = LINK_RE.search(text).groups()
    assert linked_code == code
    assert link == page.input_value("#private-url")  # the same private link as on the confirmation page
    loop.update(code=code, link=link)


def test_operator_forwards_and_the_unit_is_told(ctx, server, loop):
    from playwright.sync_api import expect

    code = _needs(loop, "code")
    facts = server["facts"]
    ward = facts["wards"]["phan_thiet"]
    page = ctx.new_page()
    _sign_in(page, facts["users"]["operator"], "/ioc/phan-anh")
    # The new report waits for this operator: in the default view of the queue.
    expect(page.locator(f"[data-code='{code}']").first).to_be_visible()
    _looked_at(page, "operator-queue", loop["size"])
    page.goto(f"/ioc/phan-anh/{code}")
    _looked_at(page, "operator-report", loop["size"])
    page.uncheck("#action-verify input[name=forward_now]")
    page.click("#action-verify button[type=submit]")
    page.goto(f"/ioc/phan-anh/{code}")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "verified")
    page.select_option("#action-forward select[name=unit]", ward["unit_code"])
    page.click("#action-forward button[type=submit]")
    page.goto(f"/ioc/phan-anh/{code}")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "assigned")
    forwarded = _mail(server, "chuyển xử lý", CITIZEN_EMAIL, code)
    assert ward["unit"] in server["mailbox"].text(forwarded)
    handler = facts["users"]["handler_phan_thiet"]
    assigned = _mail(server, "Phản ánh mới giao cho đơn vị", f"{handler['username']}@example.org", code)
    assert f"/don-vi/phan-anh/{code}" in server["mailbox"].text(assigned)
    assert CITIZEN_EMAIL not in server["mailbox"].text(assigned)  # the reporter stays hidden from the unit


def test_handler_sees_the_inbox_accepts_and_resolves(ctx, server, loop):
    from playwright.sync_api import expect

    code = _needs(loop, "code")
    handler = server["facts"]["users"]["handler_phan_thiet"]
    page = ctx.new_page()
    _sign_in(page, handler, "/hop-thu")
    expect(page.locator("#inbox-link .inbox-count")).not_to_have_text("0")
    item = page.locator(".notify-message.unread", has_text=code)
    expect(item).to_have_count(1)
    item.locator("button[value=read]").click()
    expect(page.locator(".notify-message.unread", has_text=code)).to_have_count(0)

    _looked_at(page, "handler-inbox", loop["size"])
    page.goto(f"/don-vi/phan-anh/{code}")
    _looked_at(page, "handler-report", loop["size"])
    page.click("#action-accept button[type=submit]")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "in_progress")
    page.fill("#result-text", "Đã vá ổ gà, mặt đường an toàn.")
    page.set_input_files("#result-photos", files=[{"name": "xong.jpg", "mimeType": "image/jpeg",
                                                   "buffer": jpeg((40, 160, 60))}])
    page.click("#action-resolve button[type=submit]")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "resolved")
    _mail(server, "tiếp nhận", CITIZEN_EMAIL, code)
    resolved = _mail(server, "đã được xử lý", CITIZEN_EMAIL, code)
    assert "Đã vá ổ gà, mặt đường an toàn." in server["mailbox"].text(resolved)


def test_citizen_opens_the_private_link_from_the_email(ctx, server, loop):
    from playwright.sync_api import expect

    code, link = _needs(loop, "code"), _needs(loop, "link")
    page = ctx.new_page()
    page.goto(link)
    expect(page.locator("#tracking-code")).to_have_text(code)
    expect(page.locator("#submitter-note")).to_be_visible()
    expect(page.locator("#report-state")).to_have_attribute("data-state", "resolved")
    expect(page.locator("#result-text")).to_contain_text("Đã vá ổ gà")
    expect(page.locator("#rating")).to_be_visible()
    _looked_at(page, "citizen-result", loop["size"])
    subjects = [server["mailbox"].subject(m) for m in server["mailbox"].messages
                if m["To"] == CITIZEN_EMAIL and code in server["mailbox"].subject(m)]
    assert len(subjects) == 4, subjects  # acknowledged, forwarded, accepted, resolved
