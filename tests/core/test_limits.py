"""Limits on user files: XLSX that claim a huge sheet, zip bombs, CSV past the limits, deep or
unstorable JSON — through the readers and through the anonymous composite-index API."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import pytest
from django.test import Client
from openpyxl import Workbook

from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.core.tabular import read_table

SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.INDICES_RATE_LIMITS = {"compute": 0, "whatif": 0, "sensitivity": 0}


def workbook_with_sheet(sheet_xml: str | None = None, *, sheet_chunks=None) -> bytes:
    """A real workbook (openpyxl) whose sheet XML is replaced by ``sheet_xml`` or streamed chunks."""
    wb = Workbook()
    wb.active["A1"] = "placeholder"
    plain = io.BytesIO()
    wb.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != SHEET:
                target.writestr(info.filename, source.read(info.filename))
            elif sheet_chunks is not None:
                with target.open(SHEET, "w", force_zip64=True) as member:
                    for chunk in sheet_chunks:
                        member.write(chunk)
            else:
                target.writestr(SHEET, sheet_xml)
    return out.getvalue()


def sheet(rows_xml: str, dimension: str = "A1:D4") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><dimension ref="{dimension}"/>'
            f"<sheetData>{rows_xml}</sheetData></worksheet>")


def row(number: int, cells: dict[str, object]) -> str:
    inner = "".join(f'<c r="{col}{number}" t="inlineStr"><is><t>{value}</t></is></c>' if isinstance(value, str)
                    else f'<c r="{col}{number}"><v>{value}</v></c>' for col, value in cells.items())
    return f'<row r="{number}">{inner}</row>'


def peak_bytes(func, *args, **kwargs):
    """(result or raised UserError, peak traced allocation in bytes) of one call."""
    tracemalloc.start()
    try:
        try:
            result = func(*args, **kwargs)
        except UserError as err:
            result = err
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- XLSX: the sheet's claims are not believed --------------------------------------------------

@pytest.mark.parametrize("dimension", ["A1:XFD2000", "A1:XFD1048576"])
def test_a_claimed_huge_dimension_is_ignored_and_rows_are_not_padded(dimension):
    content = workbook_with_sheet(sheet(row(1, {"A": "unit", "B": "value"}) + row(3, {"A": "X", "B": 1.5}),
                                        dimension))
    rows, peak = peak_bytes(read_table, content, "input.xlsx")
    assert rows == [["unit", "value"], [], ["X", 1.5]]
    assert peak < 8 * 1024 * 1024, peak   # padding 2000 rows to column XFD alone would take 260 MB


def test_api_refuses_rows_with_a_cell_in_column_xfd_quickly_and_in_little_memory():
    rows_xml = "".join(row(n, {"A": "X", "XFD": 1}) for n in range(1, 1001))
    content = workbook_with_sheet(sheet(rows_xml, "A1:XFD1000"))
    assert len(content) < 64 * 1024
    upload = io.BytesIO(content)
    upload.name = "dti.xlsx"
    response, peak = peak_bytes(Client().post, "/api/v1/indices/dti-922/compute", {"file": upload})
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "table_too_many_columns"
    assert "at most 256 columns" in error["message_en"] and "Row 1 has a cell in column 16384" in error["message_en"]
    assert "table_columns" not in error["message_en"] + error["message"]  # said in words; the key is in details
    assert error["details"]["limit"] == "table_columns" and error["details"]["value"] == 256
    assert peak < 16 * 1024 * 1024, peak


def test_a_row_number_past_the_limit_is_refused_before_reading_on(settings):
    content = workbook_with_sheet(sheet(row(1, {"A": "unit"}) + row(1048576, {"A": "X"}), "A1:XFD1048576"))
    with pytest.raises(UserError) as caught:
        read_table(content, "input.xlsx")
    assert caught.value.code == "table_too_many_rows" and caught.value.status == 413
    assert "The file has more than 250,000 rows (at most 250,000 rows per file" in caught.value.message_en
    assert "Tệp có hơn 250.000 dòng" in caught.value.message_vi and "table_rows" not in caught.value.message_vi
    settings.TINHSO_FILE_LIMITS = {"table_rows": 2}
    with pytest.raises(UserError, match="more than 2 rows"):
        read_table(workbook_with_sheet(sheet(row(1, {"A": 1}) + row(2, {"A": 2}) + row(3, {"A": 3}))), "x.xlsx")


def test_a_row_of_many_cells_without_coordinates_is_refused_at_the_limit(settings):
    settings.TINHSO_FILE_LIMITS = {"table_columns": 10}
    cells = "".join("<c><v>1</v></c>" for _ in range(11))
    with pytest.raises(UserError) as caught:
        read_table(workbook_with_sheet(sheet(f'<row r="1">{cells}</row>')), "x.xlsx")
    assert caught.value.code == "table_too_many_columns"


def test_cells_overall_and_cell_length_are_bounded(settings):
    settings.TINHSO_FILE_LIMITS = {"table_cells": 5, "cell_chars": 10}
    with pytest.raises(UserError) as caught:
        read_table(workbook_with_sheet(sheet(row(1, {"A": 1, "B": 2, "C": 3}) + row(2, {"A": 1, "C": 3}))),
                   "x.xlsx")
    assert caught.value.code == "table_too_many_cells"
    with pytest.raises(UserError) as caught:
        read_table(workbook_with_sheet(sheet(row(1, {"A": "x" * 11}))), "x.xlsx")
    assert caught.value.code == "table_cell_too_long" and "at most 10 characters per cell" in caught.value.message_en


def test_a_zip_bomb_workbook_is_refused_before_it_is_inflated():
    # 200 MB of sheet XML compressed to about 200 KB: refused from the zip directory alone.
    head = f'<?xml version="1.0"?><worksheet xmlns="{NS}"><sheetData>'.encode()
    filler = b"<row/>" * (1024 * 1024 // 6)
    chunks = [head, *([filler] * 200), b"</sheetData></worksheet>"]
    content = workbook_with_sheet(sheet_chunks=chunks)
    assert len(content) < 1024 * 1024
    result, peak = peak_bytes(read_table, content, "bomb.xlsx")
    assert isinstance(result, UserError) and result.code == "file_compression_ratio", result
    assert "xl/worksheets/sheet1.xml" in result.message_en and "more than 100 times" in result.message_en
    assert "xlsx_ratio" not in result.message_en + result.message_vi
    assert peak < 8 * 1024 * 1024, peak


def test_total_uncompressed_size_is_bounded(settings):
    settings.TINHSO_FILE_LIMITS = {"xlsx_uncompressed_bytes": 4096}
    with pytest.raises(UserError) as caught:
        read_table(workbook_with_sheet(sheet(row(1, {"A": 1}))), "x.xlsx")
    assert caught.value.code == "file_uncompressed_too_large"


def central_directory_entry(content: bytes, name: str) -> int:
    """Offset of ``name``'s entry in a zip's central directory."""
    offset = zipfile.ZipFile(io.BytesIO(content)).start_dir
    while content[offset:offset + 4] == b"PK\x01\x02":
        lengths = [int.from_bytes(content[offset + i:offset + i + 2], "little") for i in (28, 30, 32)]
        if content[offset + 46:offset + 46 + lengths[0]] == name.encode():
            return offset
        offset += 46 + sum(lengths)
    raise AssertionError(name)


def test_a_member_that_inflates_past_its_declared_size_is_a_damaged_file():
    content = bytearray(workbook_with_sheet(sheet("".join(row(n, {"A": "X" * 50}) for n in range(1, 200)))))
    entry = central_directory_entry(bytes(content), SHEET)
    declared = int.from_bytes(content[entry + 24:entry + 28], "little")
    # The directory now says the sheet is a quarter of its real size: reading stops there, the file is damaged.
    content[entry + 24:entry + 28] = (declared // 4).to_bytes(4, "little")
    with pytest.raises(UserError) as caught:
        read_table(bytes(content), "x.xlsx")
    assert caught.value.code == "bad_workbook"


def test_values_and_dates_are_still_read():
    wb = Workbook()
    ws = wb.active
    ws.append(["unit", "period", "value"])
    ws.append(["48", 2022, 0.5])
    ws["E5"] = "far"
    out = io.BytesIO()
    wb.save(out)
    assert read_table(out.getvalue(), "x.xlsx") == [["unit", "period", "value"], ["48", 2022, 0.5], [], [],
                                                    [None, None, None, None, "far"]]


# --- CSV ----------------------------------------------------------------------------------------

def test_csv_limits(settings):
    settings.TINHSO_FILE_LIMITS = {"table_rows": 3, "table_columns": 4, "cell_chars": 5}
    assert read_table(b"a,b\r\n1,2\r\n", "x.csv") == [["a", "b"], ["1", "2"]]
    for content, code in [(b"a\n" * 4, "table_too_many_rows"), (b"a,b,c,d,e\n", "table_too_many_columns"),
                          (b"abcdef\n", "table_cell_too_long")]:
        with pytest.raises(UserError) as caught:
            read_table(content, "x.csv")
        assert caught.value.code == code and caught.value.status == 413


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x0b", "\x7f"])
def test_a_control_character_in_a_cell_is_named_by_row_and_column(char):
    with pytest.raises(UserError) as caught:
        read_table(f"a,b\r\n1,x{char}y\r\n".encode(), "x.csv")
    err = caught.value
    code = f"U+{ord(char):04X}"
    assert err.code == "control_character" and err.status == 400
    assert "dòng 2 cột b" in err.message_vi and code in err.message_vi and "row 2, column b" in err.message_en
    assert err.details == [{"row": 2, "column": "b", "reason": f"ký tự điều khiển {code} / control character {code}"}]
    # Tab, line feed and carriage return inside a quoted cell are text.
    assert read_table(b'a,b\r\n1,"x\ty\nz\r"\r\n', "x.csv")[1] == ["1", "x\ty\nz\r"]


def test_a_csv_field_past_the_csv_module_limit_is_a_clear_error():
    with pytest.raises(UserError) as caught:
        read_table(b'"' + b"x" * 200_000 + b'"\n', "x.csv")
    assert caught.value.code in ("csv_malformed", "table_cell_too_long")


# --- JSON ---------------------------------------------------------------------------------------

def test_deep_json_is_refused_not_a_recursion_error():
    with pytest.raises(UserError) as caught:
        limits.load_json(b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.code == "json_too_deep"
    with pytest.raises(UserError) as caught:
        limits.load_json(json.dumps({"a": [[[[[[[[1]]]]]]]]}).encode().replace(b"1", b"[" * 70 + b"]" * 70))
    assert caught.value.code == "json_too_deep" and "json_depth = 64" in caught.value.message_en
    assert limits.load_json(b'{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}


@pytest.mark.parametrize("body", [b'"\\ud800"', b'{"\\udfff": 1}', b'[{"a": "x\\ud83d"}]'])
def test_lone_surrogates_are_refused(body):
    with pytest.raises(UserError) as caught:
        limits.load_json(body)
    assert caught.value.code == "invalid_json" and "surrogate" in caught.value.message_en
    assert limits.load_json(b'"\\ud83d\\ude00"') == "\U0001F600"   # a proper pair is fine


@pytest.mark.parametrize("path", ["/api/v1/indices/dti-922/compute", "/api/v1/geo/locate"])
def test_api_json_bodies_too_deep_or_with_surrogates_are_4xx(path):
    client = Client()
    deep = client.post(path, b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    assert deep.status_code == 413 and deep.json()["error"]["code"] == "json_too_deep"
    lone = client.post(path, b'{"rows": [{"unit": "\\ud800", "period": "2022", "indicator": "x", "value": 1}]}',
                       content_type="application/json")
    assert lone.status_code == 400 and lone.json()["error"]["code"] == "invalid_json"


@pytest.mark.django_db
def test_schema_bodies_with_lone_surrogates_are_refused_before_the_view():
    # A ninja schema body: the text would fail to encode when stored. The parser refuses it (400)
    # before the view looks the report up (which would answer 404 for this unknown code).
    response = Client().post("/api/v1/reports/track/NO-SUCH-CODE/rate",
                             b'{"rating": 1, "comment": "\\ud800"}', content_type="application/json")
    assert response.status_code == 400, response.content
    assert Client().post("/api/v1/reports/track/NO-SUCH-CODE/rate", b'{"rating": 1, "comment": "ok"}',
                         content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_open311_json_body_too_deep_is_an_open311_error():
    response = Client().post("/open311/v2/requests.json", b"[" * 100_000 + b"]" * 100_000,
                             content_type="application/json")
    assert response.status_code == 400, response.content
    assert "nested deeper" in response.content.decode()


# --- gzip ---------------------------------------------------------------------------------------

def test_gunzip_is_bounded_and_reports_damage(settings):
    import gzip

    settings.TINHSO_FILE_LIMITS = {"geo_uncompressed_bytes": 1000}
    assert limits.gunzip(gzip.compress(b"x" * 1000), "a.gz") == b"x" * 1000
    assert limits.gunzip(gzip.compress(b"ab") + gzip.compress(b"cd"), "a.gz") == b"abcd"
    with pytest.raises(UserError) as caught:
        limits.gunzip(gzip.compress(b"x" * 1001), "a.gz")
    assert caught.value.code == "file_uncompressed_too_large"
    for damaged in (gzip.compress(b"x" * 500)[:-12], b"\x1f\x8b" + b"garbage" * 3):
        with pytest.raises(UserError) as caught:
            limits.gunzip(damaged, "a.gz")
        assert caught.value.code == "unreadable_file"


@pytest.mark.django_db
def test_indicator_import_refuses_an_oversized_upload_before_reading_it(settings):
    from django.contrib.auth.models import User

    from tinhso.indicators import setup

    setup.load_demo(out=lambda *a, **k: None)
    settings.TINHSO_FILE_LIMITS = {"table_file_bytes": 100}
    client = Client()
    client.force_login(User.objects.create_superuser("admin-limits", "a@example.org", "x"))
    plan = "bt-nq10-2022"
    upload = io.BytesIO(b"Indicator,Unit,Year,Value\n" + b"x,y,2024,1\n" * 20)
    upload.name = "obs.csv"
    response = client.post(f"/ke-hoach/{plan}/nhap", {"file": upload})
    assert response.status_code == 413
    page = response.content.decode()
    assert "tối đa 100 byte mỗi tệp" in page and "table_file_bytes" not in page


def test_read_table_refuses_a_file_over_the_size_limit(settings):
    settings.TINHSO_FILE_LIMITS = {"table_file_bytes": 10}
    with pytest.raises(UserError) as caught:
        read_table(b"a,b\n1,2\n3,4\n", "x.csv")
    assert caught.value.code == "file_too_large" and caught.value.status == 413


def test_xml_entity_expansion_in_a_sheet_is_refused():
    entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">'
                                                     for i in range(1, 10))
    xml = sheet(row(1, {"A": "&a9;"})).replace("<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet", 1)
    result, peak = peak_bytes(read_table, workbook_with_sheet(xml), "x.xlsx")
    assert isinstance(result, UserError) and result.code == "bad_workbook", result
    assert "declares a DTD" in result.message_en
    assert peak < 8 * 1024 * 1024, peak


# --- YAML method files (CLI --method) -------------------------------------------------------------

@pytest.mark.parametrize(("text", "reason"), [
    ('a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
     + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
               for i in range(12)), "YAML aliases (*name) are not allowed"),
    ("code: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    ("code: x\nname: \"\\ud800\"\n", "lone surrogate"),
])
def test_hostile_method_files_are_refused(tmp_path, text, reason):
    from tinhso.indices import methodology

    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        methodology.load_method(str(path))
    assert caught.value.code in ("method_invalid", "json_too_deep") and reason in caught.value.message_en


def test_a_method_file_over_the_size_limit_is_refused(tmp_path, settings):
    from tinhso.indices import methodology

    settings.TINHSO_FILE_LIMITS = {"method_file_bytes": 100}
    path = tmp_path / "big.yaml"
    path.write_text("code: x\n" + "# padding\n" * 20)
    with pytest.raises(UserError) as caught:
        methodology.load_method(str(path))
    assert caught.value.code == "file_too_large" and "method_file_bytes = 100" in caught.value.message_en
