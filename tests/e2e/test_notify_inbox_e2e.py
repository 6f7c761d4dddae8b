"""The inbox page's preference form in a real browser: each radio button sits right beside its label
at 360 px and at 1920 px (the site-wide ``input { width:100% }`` once stretched the radio's box across
the form, leaving the button far from its text on a wide screen), and a choice is saved."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

# The largest gap between a radio button's right edge and its label text's left edge, in CSS pixels.
MAX_GAP_PX = 16


@pytest.mark.parametrize("width,height", [(360, 740), (1920, 1080)])
def test_each_preference_radio_sits_beside_its_label(browser, server, width, height):
    ctx = browser.new_context(base_url=server["base"], viewport={"width": width, "height": height}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        user = server["facts"]["users"]["handler_phan_thiet"]
        page.goto("/dang-nhap?next=/hop-thu")
        page.fill("#id_username", user["username"])
        page.fill("#id_password", user["password"])
        page.click("form.narrow button[type=submit]")
        page.wait_for_url(re.compile(r"/hop-thu$"))
        radios = page.locator("input[type=radio][name=mode]")
        assert radios.count() == 3
        for i in range(radios.count()):
            # The radio's box, and the box of its label's text (the label's content after the radio).
            radio, text = page.evaluate("""(i) => {
                const input = document.querySelectorAll('input[type=radio][name=mode]')[i];
                const label = input.closest('label');
                const range = document.createRange();
                range.setStartAfter(input);
                range.setEndAfter(label.lastChild);
                const box = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
                return [box(input.getBoundingClientRect()), box(range.getBoundingClientRect())];
            }""", i)
            gap = text["left"] - radio["right"]
            assert 0 <= gap <= MAX_GAP_PX, f"radio {i}: {gap:.0f}px from its label at {width}px"
            middle = (radio["top"] + radio["bottom"]) / 2
            assert text["top"] <= middle <= text["bottom"], f"radio {i} not on its label's line at {width}px"
            assert radio["right"] - radio["left"] <= 32, f"radio {i} is {radio['right'] - radio['left']:.0f}px wide"
        # Clicking the label's text chooses its radio, and the choice is kept.
        page.get_by_text("Chỉ hộp thư trong hệ thống").click()
        assert page.locator("#mode-inbox").is_checked()
        page.click("form.narrow button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#mode-inbox").is_checked()
        page.locator("#mode-both").check()
        page.click("form.narrow button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#mode-both").is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()
