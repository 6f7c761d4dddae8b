"""/dich-vu-cong in a real browser against ``tinhso serve`` with a few thousand synthetic dossiers: the
chart draws (under the site's CSP, no inline script), the league table is the API's, the numbers
lead to the dossier list for staff (a visitor sees plain numbers and one note with the sign-in link),
a period not over yet is drawn apart, and the page fits a 360 px phone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO, fill_date
from tests.installation import base_env

pytestmark = pytest.mark.e2e

LOAD = ("import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); django.setup(); "
        "from tinhso.dossiers.setup import load_demo; load_demo(out=lambda *a, **k: None, count=4000)")


@pytest.fixture(scope="module")
def dossiers(server):
    env = base_env()
    env.update(TINHSO_VAR_DIR=str(server["log"].parent), TINHSO_DEMO="1", PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-c", LOAD], env=env, cwd=REPO, check=True, timeout=600)
    return server


def open_filters(page) -> None:
    """The dossier list's filter form starts folded on a phone (the dossiers come first): open it."""
    if page.locator("#dvc-filter-box").get_attribute("open") is None:
        page.locator("#dvc-filter-box > summary").click()


def sign_in(browser, dossiers, path: str, width: int, language: str = "vi"):
    user = dossiers["facts"]["users"]["operator"]
    context = browser.new_context(base_url=dossiers["base"], viewport={"width": width, "height": 800},
                                  locale="vi-VN" if language == "vi" else "en-GB")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": dossiers["base"]}])
    page = context.new_page()
    page.goto(f"/dang-nhap?next={path}")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**{path}**")
    return context, page


def test_chart_draws_and_the_league_table_is_the_apis(context, dossiers):
    from playwright.sync_api import expect

    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/dich-vu-cong")
    expect(page.locator("#dvc-synthetic")).to_be_visible()
    expect(page.locator("#dvc-chart")).to_have_attribute("data-drawn", "1")
    assert page.locator("#dvc-chart canvas").count() >= 1
    # the points' labels write decimals the page's way (the context's pages are Vietnamese)
    label = page.evaluate("(() => { const s = echarts.getInstanceByDom(document.getElementById('dvc-chart'))"
                          ".getOption().series[0]; return s.label.formatter({value: 84.04, dataIndex: s.data.length - 1}); })()")
    assert label == "84,0", label
    period = page.locator(".dvc-kinds a[aria-current]").get_attribute("href").split("=", 1)[1]
    api = page.request.get(f"/api/v1/dossiers/indicators?period={period}&level=agency").json()
    expected = [(u["code"], str(u["rank"] or "")) for u in api["units"]]
    shown = page.locator("#dvc-departments tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.code, r.dataset.rank])")
    assert [tuple(r) for r in shown] == expected
    assert page.locator("#sap-den-han").count() == 1
    # 360 px: nothing wider than the screen (wide tables scroll inside their own box)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # a visitor: the numbers are plain (the lists are staff-only), and the page says so once, with the
    # staff sign-in, which brings one back here
    assert page.locator("a[href*='/dich-vu-cong/ho-so']").count() == 0
    assert page.locator("[data-bucket=received] td.num").inner_text().strip().isdigit()
    expect(page.locator("#dvc-list-note")).to_contain_text("chỉ dành cho cán bộ")
    page.locator("#dvc-list-note a").click()
    page.wait_for_url("**/dang-nhap?next=%2Fdich-vu-cong**")
    assert violations == []


def test_week_switch_redraws(context, dossiers):
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto("/dich-vu-cong?kind=week")
    expect(page.locator("#dvc-chart")).to_have_attribute("data-drawn", "1")
    tab = page.locator(".dvc-kinds a[aria-current]").inner_text()
    assert tab.startswith("Tuần ") and "-W" not in tab, tab  # "Tuần 49/2026 (30/11–06/12)", not 2026-W49


def test_long_lists_start_folded_on_a_phone_and_open_on_a_wide_screen(browser, dossiers):
    """The commune committees' ranking and the due-soon agencies are long (a phone page was ~18,000 px):
    on a 360 px phone they start folded behind a summary that names how many, and open on a tap; on a
    wide screen they are open from the start."""
    from playwright.sync_api import expect

    for width, folded in ((360, True), (1280, False)):
        context = browser.new_context(base_url=dossiers["base"], viewport={"width": width, "height": 800}, locale="vi-VN")
        page = context.new_page()
        page.goto("/dich-vu-cong")
        expect(page.locator("#dvc-chart")).to_have_attribute("data-drawn", "1")
        communes = page.locator("details.dvc-fold:has(#dvc-communes)")
        assert communes.evaluate("d => d.open") is (not folded), width
        assert page.locator("#dvc-communes").is_visible() is (not folded)
        if folded:
            rows = page.locator("#dvc-communes tbody tr").count()
            assert f"{rows} " in communes.locator("summary").inner_text()
            communes.locator("summary").click()
            expect(page.locator("#dvc-communes")).to_be_visible()
        context.close()


def test_the_chart_fits_a_phone(browser, dossiers):
    """At 360 px the axis name no longer runs into the legend (the legend goes under the chart and names
    the lines) and only the latest point is labelled (twelve labels overlapped); wide screens keep both."""
    from playwright.sync_api import expect

    read = ("(() => { const o = echarts.getInstanceByDom(document.getElementById('dvc-chart')).getOption();"
            " const f = o.series[0].label.formatter; const n = o.series[0].data.length;"
            " return {name: o.yAxis[0].name, bottom: o.legend[0].bottom, top: o.legend[0].top,"
            " first: f({value: 84.04, dataIndex: 0}), last: f({value: 84.04, dataIndex: n - 1})}; })()")
    for width in (360, 1280):
        context = browser.new_context(base_url=dossiers["base"], viewport={"width": width, "height": 800}, locale="vi-VN")
        page = context.new_page()
        page.goto("/dich-vu-cong")
        expect(page.locator("#dvc-chart")).to_have_attribute("data-drawn", "1")
        shown = page.evaluate(read)
        if width == 360:
            assert shown["name"] == "" and shown["bottom"] == 0 and shown["first"] == "" and shown["last"] == "84,0"
        else:
            assert shown["name"] == "Tổng điểm (/100)" and shown["first"] == "84,0", shown
        page.locator(".dvc-chart-card").screenshot(path=str(REPO / "var" / "screenshots" / f"dvc-chart-{width}.png"))
        context.close()


def test_a_day_filter_from_the_form_is_shown_kept_and_fits_a_phone(browser, dossiers):
    """Staff pick one reception day with the form's date fields: the list holds that day's dossiers (the
    API's count), names the day as an active filter, keeps it on the next page, and fits 360 px; the chip's
    × lists without it; a reversed range is a 400 page in both languages."""
    import datetime as dt

    from playwright.sync_api import expect

    user = dossiers["facts"]["users"]["operator"]
    context = browser.new_context(base_url=dossiers["base"], viewport={"width": 360, "height": 800}, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/dang-nhap?next=/dich-vu-cong/ho-so")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("main form button[type=submit]")
    page.wait_for_url("**/dich-vu-cong/ho-so**")
    newest = page.locator("table.dvc-list tbody tr").first.locator("td").nth(6).inner_text()  # dd/mm/yyyy hh:mm
    day = dt.datetime.strptime(newest.split()[0], "%d/%m/%Y").date()
    open_filters(page)  # folded on a phone: the dossiers come first
    fill_date(page, "since", day)  # typed dd/mm/yyyy (web/datefield.js); the form sends ISO
    fill_date(page, "until", day)
    page.click("form.dvc-filters button[type=submit]")
    page.wait_for_url(f"**until={day.isoformat()}**")
    expect(page.locator('#dvc-active [data-filter="days"]')).to_contain_text(day.strftime("%d/%m/%Y"))
    shown = int(page.locator("#dvc-count").get_attribute("data-total"))
    api = page.request.get(f"/api/v1/dossiers/records?since={day}&until={day}&page_size=1").json()
    assert shown == api["total"] > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if shown > 50:
        page.click("a[rel=next]")
        expect(page.locator('#dvc-active [data-filter="days"]')).to_contain_text(day.strftime("%d/%m/%Y"))
    page.locator('#dvc-active [data-filter="days"] a').click()
    expect(page.locator('#dvc-active [data-filter="days"]')).to_have_count(0)
    answer = page.goto(f"/dich-vu-cong/ho-so?since={day}&until={day - dt.timedelta(days=1)}")
    assert answer.status == 400
    # named as the form labels the fields, in the page's language only
    expect(page.locator("p.error")).to_contain_text("“Tiếp nhận đến ngày”")
    expect(page.locator("p.error")).to_contain_text("sớm hơn “Tiếp nhận từ ngày”")
    assert "since" not in page.locator("main").inner_text() and "earlier" not in page.locator("main").inner_text()
    context.close()


def test_a_list_an_indicator_leads_to_keeps_its_bucket_when_another_filter_is_added(browser, dossiers):
    """From an agency's indicator table, 4.3's numerator leads to the dossiers reusing digitised data: the
    chip and the "Nhóm" dropdown name that list, and adding a channel with the form keeps it (the list
    narrows; it used to drop the bucket and jump to every dossier). The indicator table names each
    indicator and writes 2.2 in working days."""
    from playwright.sync_api import expect

    user = dossiers["facts"]["users"]["operator"]
    context = browser.new_context(base_url=dossiers["base"], viewport={"width": 360, "height": 800}, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/dang-nhap?next=/dich-vu-cong")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("main form button[type=submit]")
    page.wait_for_url("**/dich-vu-cong")
    page.locator("#dvc-departments tbody tr a[href*='/co-quan/']").first.click()
    page.wait_for_url("**/dich-vu-cong/co-quan/**")
    rows = page.locator("table.dvc-indicators tbody tr").evaluate_all(
        "rows => Object.fromEntries(rows.map(r => [r.cells[0].innerText, [r.cells[1].innerText, r.cells[4].innerText]]))")
    assert rows["2.2"][0] == "Thời gian giải quyết TTHC trung bình" and rows["2.2"][1].endswith(" ngày làm việc"), rows
    assert rows["2.1"][1].endswith("%") and all(name for name, _value in rows.values()), rows
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    reuse = page.locator("table.dvc-indicators a[href*='bucket=reuse']")
    if reuse.count() == 0:
        pytest.skip("no dossier of this agency reuses digitised data in this period")
    reuse.first.click()
    page.wait_for_url("**bucket=reuse**")
    expect(page.locator('#dvc-active [data-filter="bucket"]')).to_contain_text("Dùng lại dữ liệu số hóa")
    assert page.locator("select[name=bucket]").input_value() == "reuse"
    before = int(page.locator("#dvc-count").get_attribute("data-total"))
    open_filters(page)
    page.select_option("select[name=channel]", "2")
    page.click("form.dvc-filters button[type=submit]")
    page.wait_for_url("**channel=2**")
    assert "bucket=reuse" in page.url
    expect(page.locator('#dvc-active [data-filter="bucket"]')).to_contain_text("Dùng lại dữ liệu số hóa")
    assert int(page.locator("#dvc-count").get_attribute("data-total")) <= before
    context.close()


def test_a_period_not_over_yet_is_drawn_apart(browser, dossiers):
    """The month in progress: its point hollow at the end of a dashed segment, the tooltip naming it as a
    reader writes it with the day its figures run to, and the score's heading says so too (both languages)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from playwright.sync_api import expect

    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    for lang, month, note in (("vi", f"Tháng {today.month}/{today.year}", f"đến ngày {today:%d/%m/%Y}"),
                              ("en", f"{today:%B} {today.year}", f"to {today.day} {today:%b} {today.year}")):
        for width in (360, 1920):
            context = browser.new_context(base_url=dossiers["base"], viewport={"width": width, "height": 900},
                                          locale="vi-VN")
            context.add_cookies([{"name": "django_language", "value": lang, "url": dossiers["base"]}])
            page = context.new_page()
            page.goto(f"/dich-vu-cong?period={today:%Y-%m}")
            expect(page.locator("#dvc-chart")).to_have_attribute("data-drawn", "1")
            expect(page.locator("#dvc-period")).to_have_text(month)
            expect(page.locator("#dvc-partial")).to_have_text(f"({note})")
            shown = page.evaluate("""(() => {
              const c = echarts.getInstanceByDom(document.getElementById('dvc-chart')); const o = c.getOption();
              const n = o.xAxis[0].data.length; const dashed = o.series[1];
              return {solidLast: o.series[0].data[n - 1], solidSymbol: o.series[0].symbol,
                      dashType: dashed.lineStyle.type, last: dashed.data[n - 1], before: dashed.data[n - 2],
                      tip: o.tooltip[0].formatter([{dataIndex: n - 1}]), axis: o.xAxis[0].data[n - 1]}; })()""")
            assert shown["solidLast"] is None and shown["solidSymbol"] == "circle" and shown["dashType"] == "dashed"
            assert shown["last"]["symbol"] == "emptyCircle" and shown["before"]["symbol"] == "none", shown
            assert f"{month} ({note})" in shown["tip"] and "-" not in shown["axis"], shown
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.locator(".dvc-chart-card").screenshot(
                path=str(REPO / "var" / "screenshots" / f"dvc-partial-{lang}-{width}.png"))
            context.close()


def test_the_list_names_procedures_filters_by_name_and_fits_a_phone(browser, dossiers):
    """Staff read each dossier's procedure by its name (the code small beside it) and narrow the list by
    picking a procedure's name in the form (folded on a phone); the list is the API's by code, and the page
    has no sideways scroll at 360 px; in English the catalogue's English names."""
    from playwright.sync_api import expect

    context, page = sign_in(browser, dossiers, "/dich-vu-cong/ho-so", 360)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.locator("#dvc-filter-box")).not_to_have_attribute("open", "")  # the dossiers come first
    cells = page.locator("table.dvc-list tbody td.dvc-procedure")
    first = cells.first.inner_text()
    assert not first.startswith("DEMO.") and cells.first.locator("small.dvc-code").inner_text().startswith("DEMO.")
    expect(page.locator("table.dvc-list thead")).not_to_contain_text("Mã TTHC")
    open_filters(page)
    field = page.locator("input[name=procedure]")
    assert field.get_attribute("list") == "dvc-procedures"
    names = page.locator("#dvc-procedures option").evaluate_all("os => os.map(o => o.value)")
    assert "Đăng ký khai sinh" in names and not any(n.startswith("DEMO.") for n in names)
    field.fill("Đăng ký khai sinh")
    page.click("form.dvc-filters button[type=submit]")
    page.wait_for_url("**procedure=**")
    expect(page.locator('#dvc-active [data-filter="procedure"]')).to_contain_text("Đăng ký khai sinh")
    shown = int(page.locator("#dvc-count").get_attribute("data-total"))
    api = page.request.get("/api/v1/dossiers/records?ma_tthc=DEMO.XA.KS&page_size=1").json()
    assert shown == api["total"] > 0
    texts = cells.evaluate_all("cs => cs.map(c => c.innerText)")
    assert texts and all(t.startswith("Đăng ký khai sinh") and "DEMO.XA.KS" in t for t in texts), texts[:3]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # part of a name, typed without its marks
    open_filters(page)
    page.locator("input[name=procedure]").fill("khai sinh")
    page.click("form.dvc-filters button[type=submit]")
    page.wait_for_url("**procedure=khai+sinh**")
    assert int(page.locator("#dvc-count").get_attribute("data-total")) == shown
    context.close()
    # English, on a wide screen and on a phone
    for width in (1920, 360):
        context, page = sign_in(browser, dossiers, "/dich-vu-cong/ho-so?ma_tthc=DEMO.XA.KS", width, "en")
        expect(page.locator('#dvc-active [data-filter="ma_tthc"]')).to_contain_text("Birth registration")
        assert page.locator("table.dvc-list tbody td.dvc-procedure").first.inner_text().startswith("Birth registration")
        expect(page.locator("table.dvc-list thead")).to_contain_text("Procedure")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        context.close()
