"""Date fields show their date in the page's language and the local order (web/datefield.js), whatever
the browser's own locale: dd/mm/yyyy on a Vietnamese page, "04 Dec 2026" on an English one, with a
calendar in the page's language starting on Monday; the form still sends an ISO date."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import SHOTS, fill_date, goto_settled

pytestmark = pytest.mark.e2e


@pytest.fixture
def english_us_browser(browser, server):
    """A browser whose own locale is English (US): a native date field would show mm/dd/yyyy. Its
    Accept-Language makes the pages English until the reader picks Vietnamese."""
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def _shown(page, name: str):
    return page.locator(f"[data-date-field={name}]")


def test_a_vietnamese_page_shows_day_month_year_on_an_english_browser(english_us_browser):
    from playwright.sync_api import expect

    page = english_us_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    goto_settled(page, "/phan-anh/thong-ke?since=2026-11-01&until=2026-11-30")
    page.click(".lang button[value=vi]")  # the reader picks Vietnamese on an English browser
    page.wait_for_selector("html[lang=vi][data-date-fields=ready]", state="attached")
    since, until = _shown(page, "since"), _shown(page, "until")
    expect(since).to_have_value("01/11/2026")
    expect(until).to_have_value("30/11/2026")
    assert since.get_attribute("placeholder") == "dd/mm/yyyy"
    # The field the reader sees is the labelled one; the form's own field keeps the ISO value.
    assert page.locator("input[name=since]").get_attribute("type") == "hidden"
    assert page.locator("input[name=since]").input_value() == "2026-11-01"
    assert page.evaluate("el => el.labels.length", since.element_handle()) == 1

    since.click()  # the calendar, in Vietnamese, Monday first
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    weekdays = calendar.locator(".flatpickr-weekday").all_inner_texts()
    assert [w.strip() for w in weekdays][:2] == ["T2", "T3"], weekdays
    expect(calendar.locator(".flatpickr-monthDropdown-months option:checked")).to_have_text("Tháng 11")
    assert calendar.locator(".numInput.cur-year").get_attribute("aria-label") == "Năm"
    page.wait_for_timeout(400)  # the calendar fades in
    page.screenshot(path=str(SHOTS / "datefield-vi-calendar.png"))
    calendar.locator('.flatpickr-day[aria-label="15 Tháng 11 2026"]').click()
    expect(since).to_have_value("15/11/2026")

    fill_date(page, "until", dt.date(2026, 12, 4))  # typed as the reader would: 04/12/2026, 4 December
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"until="))
    query = parse_qs(urlsplit(page.url).query)
    assert query["since"] == ["2026-11-15"] and query["until"] == ["2026-12-04"]
    expect(_shown(page, "until")).to_have_value("04/12/2026")
    assert errors == []


def test_an_english_page_names_the_month(english_us_browser):
    from playwright.sync_api import expect

    page = english_us_browser.new_page()
    goto_settled(page, "/phan-anh/thong-ke?since=2026-12-04")
    page.wait_for_selector("html[lang=en][data-date-fields=ready]", state="attached")
    expect(_shown(page, "since")).to_have_value("04 Dec 2026")
    _shown(page, "since").click()
    calendar = page.locator(".flatpickr-calendar.open")
    assert calendar.locator(".flatpickr-weekday").first.inner_text().strip() == "Mon"
    assert calendar.locator(".numInput.cur-year").get_attribute("aria-label") == "Year"
    page.keyboard.press("Escape")
    fill_date(page, "until", dt.date(2026, 12, 31))
    # Day first, as the province writes dates, is read on the English page too.
    fill_date(page, "until", dt.date(2026, 12, 30), text="30/12/2026")
    fill_date(page, "until", dt.date(2026, 12, 31))
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"until=2026-12-31"))
    expect(_shown(page, "until")).to_have_value("31 Dec 2026")


@pytest.mark.parametrize("lang, typed", [
    ("vi", "31/02/2026"),  # no 31 February: flatpickr alone made it 3 March
    ("vi", "2026"),        # flatpickr alone read it as 20 January
    ("vi", "1/12/26"),     # a two-digit year: which century is not guessed
    ("en", "32/13/2026"),  # flatpickr alone made it 1 February 2027
    ("en", "next week"),   # flatpickr alone emptied the field
])
def test_a_text_that_is_no_date_stays_and_is_refused(browser, server, lang, typed):
    """What the reader typed stays in the field, marked invalid with how to write a date, and the form
    is not sent; once corrected, it is."""
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 900},
                              locale="vi-VN" if lang == "vi" else "en-US")
    try:
        page = ctx.new_page()
        goto_settled(page, "/phan-anh/thong-ke?since=2026-11-01")
        page.wait_for_selector(f"html[lang={lang}][data-date-fields=ready]", state="attached")
        since = _shown(page, "since")
        since.fill(typed)
        page.locator("h1").first.click()  # leaves the field
        assert since.input_value() == typed
        assert since.get_attribute("aria-invalid") == "true"
        message = since.evaluate("el => el.validationMessage")
        assert "04/12/2026" in message and message.startswith("Ngày không hợp lệ" if lang == "vi" else "Not a valid date")
        note = page.locator(f"#{since.get_attribute('aria-describedby')}")  # said beside the field too
        assert note.inner_text() == message and note.is_visible()
        assert page.locator("input[name=since]").input_value() == ""
        page.click("form.filters button[type=submit]")  # the browser refuses to send it
        page.wait_for_timeout(300)
        assert "since=2026-11-01" in page.url and "until" not in page.url
        if lang == "vi":
            page.screenshot(path=str(SHOTS / "datefield-invalid.png"))
        fill_date(page, "since", dt.date(2026, 11, 2))
        assert since.get_attribute("aria-invalid") is None and since.evaluate("el => el.validationMessage") == ""
        assert not note.is_visible()
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"since=2026-11-02"))
    finally:
        ctx.close()


def test_a_phone_keeps_its_own_date_picker(browser, server):
    """On a phone the native date field stays (its picker follows the phone's language), labelled,
    in the page's tab order, and what it holds is what the form sends."""
    from playwright.sync_api import expect

    ctx = browser.new_context(
        base_url=server["base"], viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
        locale="vi-VN", user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
                                   "(KHTML, like Gecko) Chrome/150.0 Mobile Safari/537.36")
    try:
        page = ctx.new_page()
        goto_settled(page, "/phan-anh/thong-ke?since=2026-11-01")
        page.wait_for_selector("html[data-date-fields=ready]", state="attached")
        shown = _shown(page, "since")
        assert shown.get_attribute("type") == "date" and shown.input_value() == "2026-11-01"
        assert shown.get_attribute("tabindex") is None
        assert page.evaluate("el => el.labels.length", shown.element_handle()) == 1
        _shown(page, "until").fill("2026-12-04")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"until=2026-12-04"))
        expect(_shown(page, "until")).to_have_value("2026-12-04")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        ctx.close()


def test_without_the_enhancement_the_native_field_sends_the_same(browser, server):
    """JavaScript off: the native date field, the same name and ISO value."""
    ctx = browser.new_context(base_url=server["base"], java_script_enabled=False, locale="vi-VN")
    try:
        page = ctx.new_page()
        page.goto("/phan-anh/thong-ke?since=2026-11-01")
        field = page.locator("input[name=since]")
        assert field.get_attribute("type") == "date" and field.input_value() == "2026-11-01"
    finally:
        ctx.close()
