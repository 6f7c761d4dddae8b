"""Numbers typed as text in an import: Vietnamese "1.234,5" vs English "1,234.5"; ambiguous text is refused."""

from __future__ import annotations

import io as stdio

import pytest
from openpyxl import Workbook

from tinhso.core.errors import UserError
from tinhso.core.tabular import NumberError, parse_number
from tinhso.indicators import io, setup
from tinhso.indicators.models import Observation

pytestmark = pytest.mark.django_db
HEADER = ["Year", "Indicator", "Source", "GeoCode", "Value"]
ROW = [2023, "fibre-coverage", "seed-000-bt-cau-truc-cds", "legacy:60"]


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


def _csv(value: str, indicator: str = "fibre-coverage") -> bytes:
    row = [ROW[0], indicator, *ROW[2:]]
    return (",".join(HEADER) + "\n" + ",".join(str(c) for c in row) + f',"{value}"\n').encode("utf-8")


def _xlsx(value) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Observations"
    ws.append(HEADER)
    ws.append([*ROW, value])
    out = stdio.BytesIO()
    wb.save(out)
    return out.getvalue()


def _imported(indicator: str = "fibre-coverage") -> float:
    return Observation.objects.filter(indicator__code=indicator, period=2023).latest("id").value


@pytest.mark.parametrize("text, expected", [
    ("92,5", 92.5), ("0.125", 0.125), ("92", 92.0), ("1234.5", 1234.5), ("1,2340", 1.234), ("-0,5", -0.5),
    ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("1.234.567", 1234567.0),
])
def test_text_numbers_that_have_one_reading(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["1.234", "12,500", "-999.000", "+1,000", "1.23,4", "1,234,5", "1.234,567.8",
                                  "1e3", "nan", "1_000", "1 234"])
def test_ambiguous_or_mixed_text_is_refused(text):
    with pytest.raises(NumberError):
        parse_number(text)


def test_ambiguous_text_in_csv_is_a_row_error_naming_the_value_and_both_readings(demo):
    before = Observation.objects.count()
    with pytest.raises(UserError) as err:
        io.import_file(_csv("1.234"), "x.csv", entered_by_name="tester")
    [problem] = err.value.details
    assert (problem["row"], problem["column"]) == (2, "Value")
    assert "'1.234'" in problem["reason"] and "1234" in problem["reason"]
    assert "không rõ nghĩa" in problem["reason"] and "ambiguous" in problem["reason"]
    assert Observation.objects.count() == before


# 1234.5 is no percentage (import checks ranges as the web form does): a growth rate in %/năm has no bound.
@pytest.mark.parametrize("text, expected, indicator", [("92,5", 92.5, "fibre-coverage"),
                                                       ("0.125", 0.125, "fibre-coverage"),
                                                       ("1.234,5", 1234.5, "labour-productivity-growth")])
def test_csv_decimal_text_is_imported(demo, text, expected, indicator):
    io.import_file(_csv(text, indicator), "x.csv", entered_by_name="tester")
    assert _imported(indicator) == expected


def test_a_numeric_xlsx_cell_is_the_exact_number_it_holds(demo):
    io.import_file(_xlsx(1.234), "x.xlsx", entered_by_name="tester")
    assert _imported() == 1.234


def test_a_text_xlsx_cell_is_read_like_csv_text(demo):
    with pytest.raises(UserError) as err:
        io.import_file(_xlsx("1.234"), "x.xlsx", entered_by_name="tester")
    assert [(e["row"], e["column"]) for e in err.value.details] == [(2, "Value")]
    io.import_file(_xlsx("92,5"), "y.xlsx", entered_by_name="tester")
    assert _imported() == 92.5
