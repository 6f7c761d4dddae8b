"""Composite indices in a real browser against ``tinhso serve``: upload a generated CSV on /chi-so, read
the ranked table, run a what-if for the last unit and see the points it needs and where they go."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tinhso.indices import dataset, methodology, results, synthetic

pytestmark = pytest.mark.e2e


def test_upload_rank_and_whatif(context):
    from playwright.sync_api import expect

    rows = synthetic.dti_rows(n_units=12, periods=("2022", "2023"), seed=5)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    expected = results.report(results.compute(dataset.from_records(methodology.load_method("dti-922"), rows)))
    order = [u["unit"] for u in expected["units"]]

    page = context.new_page()
    page.goto("/chi-so")
    page.select_option("#id_method", "dti-922")
    page.set_input_files("#id_file", files=[{"name": "dti.csv", "mimeType": "text/csv",
                                             "buffer": out.getvalue().encode("utf-8")}])
    page.click("#ix-compute")
    expect(page.locator("#ix-ranking tbody tr")).to_have_count(12)
    assert page.locator("#ix-ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.unit)") == order
    expect(page.locator("#ix-summary")).to_contain_text("2023")

    last = order[-1]
    page.select_option("#id_wi_unit", last)
    page.fill("#id_wi_rank", "3")
    page.click("#ix-whatif-run")
    expect(page.locator("#ix-whatif-result")).to_be_visible()
    expect(page.locator("#ix-allocation tbody tr").first).to_be_visible()
    assert page.locator("#ix-allocation tbody tr").count() >= 1
    expect(page.locator("#ix-whatif-needed")).to_contain_text(re.compile(r"hạng [1-3]\.?$"))
    # The table is still there for the same upload, and the workbook link points at it.
    expect(page.locator("#ix-ranking tbody tr")).to_have_count(12)
    assert page.get_attribute("#ix-xlsx", "href").endswith("/ket-qua.xlsx?ky=2023")


def _phone(browser, server):
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    return ctx


def _no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_phone_sees_the_score_and_errors_next_to_the_form(browser, server):
    """At 360 px: the score of every ranked unit and the sensitivity's median rank are on screen without
    scrolling sideways (the long score name wraps), the page never scrolls sideways (the method page's
    long links break), and a what-if or sensitivity error is shown in its panel, where the form lands."""
    from playwright.sync_api import expect

    from tinhso.indices import views

    ctx = _phone(browser, server)
    page = ctx.new_page()
    page.goto("/chi-so")
    page.select_option("#id_method", "svc-766")
    page.set_input_files("#id_file", str(views.EXAMPLES_DIR / "svc-766-synthetic-20.csv"))
    page.click("#ix-compute")
    expect(page.locator("#ix-ranking tbody tr")).to_have_count(20)
    assert _no_sideways_scroll(page) == 0
    for cell in (page.locator("#ix-ranking th.num").nth(1), page.locator("#ix-ranking td.score").first):
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box

    page.select_option("#id_wi_unit", index=5)
    page.fill("#id_wi_score", "500")
    page.click("#ix-whatif-run")
    error = page.locator("#ix-whatif-panel #ix-whatif-error")
    expect(error).to_contain_text("nằm ngoài khoảng")
    expect(error).to_be_in_viewport()
    expect(page.locator("#id_wi_score")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_wi_score")).to_have_value("500")
    assert page.locator("#ix-error").count() == 0

    page.fill("#id_se_runs", "300")
    page.click("#ix-sensitivity-run")
    expect(page.locator("#ix-rank-intervals tbody tr")).to_have_count(20)
    median = page.locator("#ix-rank-intervals tbody tr").first.locator("td").nth(2).bounding_box()
    assert median["x"] + median["width"] <= 360, median
    expect(page.locator("#ix-sobol")).not_to_contain_text("weight:")
    assert _no_sideways_scroll(page) == 0

    page.goto("/chi-so/phuong-phap/svc-766")
    expect(page.locator("#ix-sources li").first).to_be_visible()
    assert _no_sideways_scroll(page) == 0
    ctx.close()
