"""The upload form a clerk can fill: the Table Schema is inferred from the file (names made safe, types read
conservatively from every row), shown for review in a second server-rendered step, then sent for approval."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.test import Client

from tests.opendata.conftest import staff
from tinhso.core.errors import UserError
from tinhso.opendata import upload
from tinhso.opendata.models import Dataset, DatasetState


def _csv(rows: str) -> bytes:
    return rows.replace("\n", "\r\n").encode()


@pytest.fixture
def vn_csv() -> bytes:
    # The decimal-comma cells are quoted, as a spreadsheet saving CSV with "," separators writes them.
    return _csv("Tên cơ sở,Số giường,Tỷ lệ lấp đầy (%),Ngày cấp phép,Ngày khai trương,Mã xã,Doanh thu,"
                "Công lập,Ghi chú,Số giường\n"
                'Bệnh viện Đa khoa tỉnh,500,"92,5",2020-01-15,15/01/2020,00123,"1.234.567",true,,1\n'
                'Trạm y tế Mũi Né,12,"0,75",2021-06-01,01/06/2021,00456,"2.500",FALSE,Đang sửa chữa,2\n'
                "Trạm y tế Hàm Tiến,,61,2021-06-30,30/06/2021,01234,,,,3\n")


def test_a_vietnamese_csv_gets_safe_names_and_conservative_types(vn_csv):
    inferred = upload.infer(vn_csv, "co-so.csv")
    fields = {f["name"]: f for f in inferred["fields"]}
    assert [f["name"] for f in inferred["fields"]] == [
        "ten_co_so", "so_giuong", "ty_le_lap_day", "ngay_cap_phep", "ngay_khai_truong", "ma_xa", "doanh_thu",
        "cong_lap", "ghi_chu", "so_giuong_2"]
    assert fields["ten_co_so"]["title"] == "Tên cơ sở" and fields["so_giuong_2"]["title"] == "Số giường"
    assert inferred["rows"] == 3
    assert fields["so_giuong"]["type"] == "integer" and fields["so_giuong"]["empty"] == 1
    assert fields["ty_le_lap_day"]["type"] == "number"  # decimal commas
    assert fields["ngay_cap_phep"]["type"] == "date"
    assert fields["ngay_khai_truong"]["type"] == "date-dmy"
    assert fields["ma_xa"]["type"] == "string"  # leading zeros are part of a code
    assert fields["doanh_thu"]["type"] == "string"  # "2.500": 2500 or 2.5? the column stays text
    assert fields["cong_lap"]["type"] == "boolean" and fields["cong_lap"]["empty"] == 1
    assert fields["ghi_chu"]["type"] == "string" and fields["ghi_chu"]["empty"] == 2
    assert fields["ten_co_so"]["examples"] == ["Bệnh viện Đa khoa tỉnh", "Trạm y tế Mũi Né", "Trạm y tế Hàm Tiến"]
    # The inferred schema reads the file with every value unchanged.
    table = upload.validate(vn_csv, "co-so.csv", upload.schema_from_choices(inferred["fields"]), "co-so",
                            expected_header=inferred["header"])
    first, second = table.rows[0], table.rows[1]
    assert first["ty_le_lap_day"] == 92.5 and second["ty_le_lap_day"] == 0.75
    assert first["ngay_khai_truong"].isoformat() == "2020-01-15"
    assert first["ma_xa"] == "00123" and first["doanh_thu"] == "1.234.567" and second["doanh_thu"] == "2.500"
    assert table.rows[2]["so_giuong"] is None


@pytest.mark.parametrize(("cells", "kind"), [
    (["1", "-2", "30"], "integer"),
    (["1.234.567", "12"], "integer"),  # two groups: thousands, certainly
    (["1.234"], "string"),  # thousands or decimal: never guessed
    (["1.234", "2,5"], "string"),
    (["0,5", "1.5"], "number"),
    (["1", "yes"], "string"),
    (["1", "0"], "integer"),  # 1/0 is a number, not a boolean
    (["có", "không"], "string"),
    (["True", "false"], "boolean"),
    (["2024-02-30"], "string"),  # no such day
    (["2024-01-15", "15/01/2024"], "string"),  # two spellings of dates: text
    (["12/25/2024"], "string"),  # month first is not Vietnamese
    (["12345678901234567"], "string"),  # beyond exact reading
    (["", ""], "string"),
])
def test_a_type_is_inferred_only_when_every_cell_keeps_its_value(cells, kind):
    content = ("cot\r\n" + "".join(f'"{c}"\r\n' for c in cells)).encode()
    fields = upload.infer(content, "t.csv")["fields"]
    assert fields[0]["type"] == kind


def test_xlsx_cells_keep_their_types():
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Năm", "Giá trị", "Ngày", "Có"])
    ws.append([2024, 1.5, dt.datetime(2024, 1, 2), True])
    ws.append([2025, 2, dt.datetime(2024, 3, 4), False])
    buf = io.BytesIO()
    wb.save(buf)
    kinds = [f["type"] for f in upload.infer(buf.getvalue(), "t.xlsx")["fields"]]
    assert kinds == ["integer", "number", "date", "boolean"]


def test_safe_names_are_ascii_snake_case_and_unique():
    taken: set[str] = set()
    names = [upload.safe_name(t, i, taken) for i, t in enumerate(
        ["Đơn vị", "Đơn vị", "2024", "", "Tổng (triệu đồng)", "ĐƯỜNG"], 1)]
    assert names == ["don_vi", "don_vi_2", "c_2024", "cot_4", "tong_trieu_dong", "duong"]


def _form(**extra):
    return {"organization": "so-y-te", "title_vi": "Cơ sở khám chữa bệnh", "description_vi": "Danh sách cơ sở",
            "theme": "HEAL", "frequency": "ANNUAL", "contact_email": "soyte@example.org", **extra}


def _file(content: bytes, name: str = "co-so.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_two_steps_without_json_send_a_draft(portal, vn_csv):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    first = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(vn_csv)})
    assert first.status_code == 200
    page = first.content.decode()
    assert "ngay_khai_truong" in page and "Ngày (dd/mm/yyyy)" in page and "00123" in page
    assert not Dataset.objects.exists()  # nothing before the clerk confirms
    token = first.context["staged"]
    fields = first.context["fields"]
    choices = {f"title_{f['index']}": f["title"] for f in fields}
    choices.update({f"type_{f['index']}": f["type"] for f in fields})
    choices.update({"title_1": "Số giường bệnh", "description_1": "Giường kế hoạch", "required_0": "1"})
    done = client.post("/du-lieu-mo/dang-tai", {**_form(), "staged": token, "step": "schema", **choices})
    assert done.status_code == 302, done.content.decode()[:2000]
    ds = Dataset.objects.get()
    assert ds.state == DatasetState.DRAFT  # still goes to the approver
    schema = {f["name"]: f for f in ds.table_schema["fields"]}
    assert schema["so_giuong"]["title"] == "Số giường bệnh" and schema["so_giuong"]["type"] == "integer"
    assert schema["so_giuong"]["description"] == "Giường kế hoạch"
    assert schema["ngay_khai_truong"]["type"] == "date" and schema["ty_le_lap_day"]["type"] == "number"
    # The staged file is gone once sent.
    again = client.post("/du-lieu-mo/dang-tai", {**_form(name="khac"), "staged": token, "step": "schema", **choices})
    assert again.status_code == 400 and "tải lại tệp" in again.content.decode()


def test_a_type_change_that_breaks_values_names_every_row_and_sends_nothing(portal, vn_csv):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    first = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(vn_csv)})
    fields = first.context["fields"]
    choices = {f"type_{f['index']}": f["type"] for f in fields}
    choices.update({"type_6": "number", "required_8": "1"})  # Doanh thu "2.500" is ambiguous; Ghi chú empty
    response = client.post("/du-lieu-mo/dang-tai", {**_form(), "staged": first.context["staged"], "step": "schema",
                                                    **choices})
    assert response.status_code == 400
    rows = {(e["row"], e["column"]) for e in response.context["row_errors"]}
    assert rows == {(3, "Doanh thu (doanh_thu)"), (2, "Ghi chú (ghi_chu)"), (4, "Ghi chú (ghi_chu)")}
    assert not Dataset.objects.exists()
    page = response.content.decode()
    assert response.context["error"].message_en.startswith("3 errors in the file")
    assert "Dòng 3, Doanh thu (doanh_thu): số &#x27;2.500&#x27; không rõ nghĩa" in page and "/ ambiguous" not in page
    # The clerk's choices are kept on the page to fix and send again.
    assert 'name="required_8" value="1" checked' in page


def test_a_file_whose_rows_do_not_hold_together_is_refused_at_the_first_step(portal):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    response = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(b"a,b\r\n1,2\r\n3\r\n")})
    assert response.status_code == 400 and "staged" not in response.context
    assert [(e["row"]) for e in response.context["row_errors"]] == [3]


def test_a_staged_file_belongs_to_its_uploader(portal, vn_csv):
    owner = staff("pub", "opendata-publisher", org=portal)
    other = staff("pub2", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(owner)
    token = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(vn_csv)}).context["staged"]
    client.force_login(other)
    response = client.post("/du-lieu-mo/dang-tai", {**_form(), "staged": token, "step": "schema"})
    assert response.status_code == 400
    with pytest.raises(UserError):
        from tinhso.opendata import staged

        staged.load(other, token)


def test_a_pasted_schema_still_works(portal):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    schema = {"fields": [{"name": "a", "type": "integer"}]}
    response = client.post("/du-lieu-mo/dang-tai", {**_form(table_schema=json.dumps(schema)),
                                                    "file": _file(b"a\r\n1\r\n")})
    assert response.status_code == 302
    assert Dataset.objects.get().table_schema["fields"][0]["type"] == "integer"


def test_the_form_speaks_english_with_nothing_to_type_in_json(portal, vn_csv):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    blank = client.get("/du-lieu-mo/dang-tai", HTTP_ACCEPT_LANGUAGE="en")
    assert '<textarea name="table_schema">' in blank.content.decode()
    assert 'name="table_schema" required' not in blank.content.decode()
    client.cookies["django_language"] = "en"
    page = client.post("/du-lieu-mo/dang-tai?lang=en", {**_form(), "file": _file(vn_csv)},
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Date (dd/mm/yyyy)" in page and "Ngày (dd/mm/yyyy)" not in page


def test_choosing_another_file_at_the_second_step_reads_it_and_forgets_the_first(portal, vn_csv):
    from tinhso.opendata import staged

    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    first = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(vn_csv)}).context["staged"]
    second = client.post("/du-lieu-mo/dang-tai", {**_form(), "staged": first, "step": "schema",
                                                  "file": _file(b"Nam,Gia tri\r\n2024,1\r\n", "moi.csv")})
    assert second.status_code == 200 and not Dataset.objects.exists()
    assert [f["name"] for f in second.context["fields"]] == ["nam", "gia_tri"]
    with pytest.raises(UserError):
        staged.load(user, first)


def test_one_error_is_counted_in_the_singular(db):
    with pytest.raises(UserError) as caught:
        upload.validate(b"a\r\nx\r\n", "t.csv", {"fields": [{"name": "a", "type": "integer"}]}, "t")
    assert caught.value.message_en.startswith("1 error in the file;")


def test_a_metadata_error_at_the_second_step_keeps_the_file_and_the_choices(portal, vn_csv):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    token = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(vn_csv)}).context["staged"]
    response = client.post("/du-lieu-mo/dang-tai", {**_form(contact_email=""), "staged": token, "step": "schema",
                                                    "title_0": "Cơ sở", "type_1": "string"})
    assert response.status_code == 400 and response.context["staged"] == token
    fields = response.context["fields"]
    assert fields[0]["title"] == "Cơ sở" and fields[1]["type"] == "string"
    done = client.post("/du-lieu-mo/dang-tai", {**_form(), "staged": token, "step": "schema", "type_1": "string"})
    assert done.status_code == 302 and Dataset.objects.get().table_schema["fields"][1]["type"] == "string"
