"""Index inputs: tidy CSV/XLSX with Vietnamese or English headers; every bad row named, nothing dropped."""

from __future__ import annotations

import io
import unicodedata

import numpy as np
import pytest
from openpyxl import Workbook

from tinhso.core.errors import UserError
from tinhso.indices import dataset, methodology

DTI = methodology.load_method("dti-922")
PCI = methodology.load_method("pci-2013")


def _csv(text: str) -> bytes:
    return text.strip().encode("utf-8")


def test_vietnamese_headers_names_and_decimal_commas_are_read():
    data = dataset.read_file(DTI, _csv("""
Đơn vị,Năm,Chỉ số,Giá trị
Lâm Đồng,2023,Nhận thức số,"0,8123"
Lâm Đồng,2023,hd kts,0.5
"""), "x.csv")
    given = data.periods["2023"].given[0]
    assert given[DTI.order.index("awareness")] == 0.8123
    assert given[DTI.order.index("econ_activity")] == 0.5
    assert np.isnan(given[DTI.order.index("institutions")])


def test_an_xlsx_with_number_cells_is_read_exactly():
    wb = Workbook()
    ws = wb.active
    ws.append(["unit", "period", "indicator", "value"])
    ws.append(["60", 2022, "awareness", 0.9581])
    out = io.BytesIO()
    wb.save(out)
    data = dataset.read_file(DTI, out.getvalue(), "x.xlsx")
    assert list(data.periods) == ["2022"] and data.periods["2022"].units == ["60"]
    assert data.periods["2022"].given[0, DTI.order.index("awareness")] == 0.9581


def test_a_text_number_with_two_readings_is_read_when_only_one_fits_the_range():
    # "6.313" could be 6313 or 6.313; a PCI sub-index lies in [1, 10], so it can only be 6.313.
    data = dataset.read_file(PCI, _csv("unit,period,indicator,value\nA,2020,transparency,6.313\nA,2020,entry_costs,\"1,000\""),
                             "x.csv")
    given = data.periods["2020"].given[0]
    assert given[PCI.order.index("transparency")] == 6.313
    assert given[PCI.order.index("entry_costs")] == 1.0


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_computed():
    with pytest.raises(UserError) as err:
        dataset.read_file(DTI, _csv("""
unit,period,indicator,value
A,2022,awareness,0.5
A,2022,awarenes,0.5
A,2022,institutions,1.5
,2022,infrastructure,0.5
A,2022,awareness,0.6
A,2022,cybersecurity,
A,2022,gov_activity,abc
"""), "x.csv")
    problems = {(p["row"], p["column"]): p["reason"] for p in err.value.details}
    assert set(problems) == {(3, "indicator"), (4, "value"), (5, "unit"), (6, "indicator"), (7, "value"),
                             (8, "value")}
    assert "did you mean: awareness" in problems[(3, "indicator")]
    assert "outside [0, 1]" in problems[(4, "value")]
    assert "duplicate of row 2" in problems[(6, "indicator")]
    assert err.value.code == "index_input_invalid"


def test_header_problems_are_named():
    with pytest.raises(UserError) as err:
        dataset.read_file(DTI, _csv("unit,period,value,colour\nA,2022,0.5,red"), "x.csv")
    reasons = " ".join(p["reason"] for p in err.value.details)
    assert "unknown column 'colour'" in reasons and "missing column 'indicator'" in reasons


def test_wrong_file_type_and_empty_file():
    with pytest.raises(UserError) as err:
        dataset.read_file(DTI, b"%PDF-1.4", "x.pdf")
    assert err.value.code == "unknown_format"
    with pytest.raises(UserError) as err:
        dataset.read_file(DTI, b"unit,period,indicator,value\n", "x.csv")
    assert err.value.code == "index_input_empty"


def test_periods_are_ordered_in_time_not_as_text():
    rows = [{"unit": "A", "period": p, "indicator": "dti", "value": 0.5} for p in ("2021", "2009", "2100")]
    assert list(dataset.from_records(DTI, rows).periods) == ["2009", "2021", "2100"]
    # "²" is a digit to str.isdigit, not to int: a label, after the years (it used to raise ValueError).
    rows.append({"unit": "A", "period": "²", "indicator": "dti", "value": 0.5})
    assert list(dataset.from_records(DTI, rows).periods) == ["2009", "2021", "2100", "²"]


def test_unit_text_is_nfc_normalised():
    rows = [{"unit": unicodedata.normalize("NFD", "Lâm Đồng"), "period": "2022", "indicator": "dti", "value": 0.5}]
    assert dataset.from_records(DTI, rows).periods["2022"].units == ["Lâm Đồng"]


def test_a_file_that_fits_another_method_is_named_instead_of_row_errors():
    pci_file = _csv("""
unit,period,indicator,value
60,2020,entry_costs,7.1
60,2020,land_access,6.5
""")
    with pytest.raises(UserError) as err:
        dataset.read_file(DTI, pci_file, "pci.csv")
    assert err.value.code == "looks_like_other_method"
    assert err.value.details["suggested_method"] == "pci-2013"
    assert "PCI 2013" in err.value.message_vi and "looks like a PCI 2013 file" in err.value.message_en
    # A file with one typo among known names is not "another method": its row is named as before.
    with pytest.raises(UserError) as typo:
        dataset.read_file(DTI, _csv("unit,period,indicator,value\n60,2022,awareness,0.5\n60,2022,awarenes,0.5"),
                          "x.csv")
    assert typo.value.code == "index_input_invalid"
