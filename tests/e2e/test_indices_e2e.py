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
