"""Table Schema constraints as the Frictionless spec writes them: ``minimum``/``maximum``/``enum`` are
values of the field's type (a date's minimum is the text "2025-01-15"), lengths are integers; whatever
schema a publisher declares answers a clean 4xx or a draft, never a 500."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.opendata.conftest import staff
from tinhso.core.errors import UserError
from tinhso.opendata import upload
from tinhso.opendata.models import Dataset


def _form(schema, title="Ngày cấp phép"):
    return {"organization": "so-y-te", "title_vi": title, "title_en": "Licences", "description_vi": "Mô tả",
            "theme": "HEAL", "frequency": "ANNUAL", "contact_email": "soyte@example.org",
            "table_schema": schema if isinstance(schema, str) else json.dumps(schema)}


def _file(content: bytes, name: str = "t.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def publisher_client(portal):
    client = Client()
    client.force_login(staff("pub", "opendata-publisher", org=portal))
    return client


def test_a_date_minimum_is_a_date(publisher_client):
    schema = {"fields": [{"name": "ngay", "type": "date", "constraints": {"minimum": "2025-01-15"}}]}
    bad = publisher_client.post("/du-lieu-mo/dang-tai", {**_form(schema), "file": _file(b"ngay\r\n2025-01-14\r\n")})
    assert bad.status_code == 400
    assert "Dòng 2" in bad.content.decode() and "2025-01-15" in bad.content.decode()
    good = publisher_client.post("/du-lieu-mo/dang-tai", {**_form(schema), "file": _file(b"ngay\r\n2025-01-15\r\n")})
    assert good.status_code == 302, good.content.decode()[:1000]


def test_an_integer_minimum_written_as_text_is_an_integer(db):
    schema = {"fields": [{"name": "so", "type": "integer", "constraints": {"minimum": "0", "maximum": 10}}]}
    with pytest.raises(UserError) as caught:
        upload.validate(b"so\r\n-1\r\n11\r\n5\r\n", "t.csv", schema, "t")
    assert [(e["row"], e["column"]) for e in caught.value.details] == [(2, "so"), (3, "so")]
    assert upload.validate(b"so\r\n0\r\n10\r\n", "t.csv", schema, "t").rows == [{"so": 0}, {"so": 10}]


@pytest.mark.parametrize("field", [
    {"name": "ma", "type": "string", "constraints": {"maxLength": "abc"}},
    {"name": "ma", "type": "string", "constraints": {"maxLength": 2.5}},
    {"name": "ma", "type": "string", "constraints": {"minimum": "a"}},
    {"name": "ma", "type": "integer", "constraints": {"minimum": "abc"}},
    {"name": "ma", "type": "integer", "constraints": {"minimum": True}},
    {"name": "ma", "type": "date", "constraints": {"maximum": "2025-02-30"}},
    {"name": "ma", "type": "number", "constraints": {"enum": 5}},
    {"name": "ma", "type": "integer", "constraints": {"enum": ["x"]}},
    {"name": "ma", "type": "integer", "constraints": {"required": "yes"}},
    {"name": "ma", "type": "integer", "constraints": {"minimum": 5, "maximum": 1}},
])
def test_a_bad_constraint_is_a_schema_error_naming_the_field(publisher_client, field):
    response = publisher_client.post("/du-lieu-mo/dang-tai", {**_form({"fields": [field]}),
                                                             "file": _file(b"ma\r\n1\r\n")})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Table Schema không hợp lệ" in page and "&#x27;ma&#x27;" in page
    assert not Dataset.objects.exists()


def test_a_control_character_in_a_cell_is_refused_before_anything_is_written(publisher_client):
    # Once a 500: openpyxl cannot write U+001B into the XLSX copy of the table.
    schema = {"fields": [{"name": "ma", "type": "string"}]}
    response = publisher_client.post("/du-lieu-mo/dang-tai", {**_form(schema),
                                                             "file": _file("ma\r\n»y\x1b« ¶\r\n".encode())})
    assert response.status_code == 400
    page = response.content.decode()
    assert "U+001B" in page and "dòng 2 cột ma" in page
    assert not Dataset.objects.exists()


_json = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True)
                     | st.text(max_size=12), lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
_keys = st.sampled_from(["required", "unique", "minimum", "maximum", "minLength", "maxLength", "enum", "pattern",
                         "format", "exclusiveMinimum", "x"])
_samples = st.sampled_from(["2025-01-15", "0", "-3", "1.5", "abc", "", "2024-13", "2024-02", "true", "2000",
                            "a.*", "[", "(a+)+$", "email", "%d/%m/%Y", "1e999"])
_value = _samples | _json
_field = st.fixed_dictionaries({"name": st.sampled_from(["a", "b", "c"]) | st.text(max_size=4)},
                               optional={"type": st.sampled_from([*upload.TYPES, "geopoint"]) | _json,
                                         "format": _value,
                                         "constraints": st.dictionaries(_keys, _value, max_size=4) | _json})
_schema = st.fixed_dictionaries({"fields": st.lists(_field, min_size=0, max_size=3)},
                                optional={"missingValues": _value | st.lists(_value, max_size=3),
                                          "primaryKey": _value, "foreignKeys": _value}) | _json
_cell = _samples | st.text(max_size=8)


def _csv(schema, rows) -> bytes:
    names = [f.get("name") if isinstance(f, dict) else "?" for f in (schema.get("fields") or [])] \
        if isinstance(schema, dict) and isinstance(schema.get("fields"), list) else ["a"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(n) for n in names])
    for row in rows:
        writer.writerow(row[:len(names)])
    return out.getvalue().encode()


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(schema=_schema, rows=st.lists(st.lists(_cell, min_size=3, max_size=3), max_size=4))
def test_any_schema_is_a_clean_answer(db, schema, rows):
    try:
        upload.validate(_csv(schema, rows), "t.csv", schema, "t")
    except UserError as err:
        assert 400 <= err.status < 500 and err.message_vi and err.message_en


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(schema=_schema, rows=st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=3),
       n=st.integers(0, 10**9))
def test_any_schema_through_the_form_is_never_a_500(publisher_client, schema, rows, n):
    response = publisher_client.post("/du-lieu-mo/dang-tai", {**_form(schema, title=f"Bảng {n}"),
                                                             "file": _file(_csv(schema, rows))})
    blank = isinstance(schema, str) and not schema.strip()
    # No schema pasted: the schema is inferred from the file and shown to check (step 2, a 200).
    assert response.status_code in ((200, 400) if blank else (302, 400, 409)), response.content.decode()[:2000]


def _errors(schema, body: bytes) -> list[tuple]:
    with pytest.raises(UserError) as caught:
        upload.validate(body, "t.csv", schema, "t")
    assert caught.value.code == "table_invalid"
    return [(e["row"], e["column"], e["reason"]) for e in caught.value.details]


def test_every_declared_constraint_is_enforced(db):
    schema = {"missingValues": ["", "NA"], "primaryKey": ["ma"], "fields": [
        {"name": "ma", "type": "string", "constraints": {"pattern": "[A-Z]{2}[0-9]{3}", "minLength": 5}},
        {"name": "email", "type": "string", "format": "email", "constraints": {"unique": True}},
        {"name": "ngay", "type": "date", "format": "%d/%m/%Y", "constraints": {"minimum": "2025-01-01"}},
        {"name": "loai", "type": "string", "constraints": {"enum": ["A", "B"], "required": True}},
        {"name": "so", "type": "number", "constraints": {"exclusiveMinimum": 0}}]}
    good = (b"ma,email,ngay,loai,so\r\nAB123,a@x.vn,15/01/2025,A,1\r\nCD456,NA,NA,B,NA\r\n")
    rows = upload.validate(good, "t.csv", schema, "t").rows
    assert rows[1] == {"ma": "CD456", "email": None, "ngay": None, "loai": "B", "so": None}
    assert str(rows[0]["ngay"]) == "2025-01-15"
    bad = (b"ma,email,ngay,loai,so\r\n"
           b"AB123,a@x.vn,15/01/2025,A,1\r\n"
           b"ab123,a@x.vn,31/12/2024,C,0\r\n"
           b"AB123,khong-phai-email,2025-01-20,NA,2\r\n")
    found = _errors(schema, bad)
    cells = [(row, column) for row, column, _ in found]
    assert cells == [(3, "ma"), (3, "email"), (3, "ngay"), (3, "loai"), (3, "so"),
                     (4, "email"), (4, "ngay"), (4, "loai"), (4, "ma")]
    reasons = {(row, column): reason for row, column, reason in found}
    assert "pattern" in reasons[(3, "ma")] and "mẫu" in reasons[(3, "ma")]
    assert "duplicates row 2" in reasons[(3, "email")] and "dòng 2" in reasons[(3, "email")]
    assert "e-mail" in reasons[(4, "email")]
    assert "primary key" in reasons[(4, "ma")]
    assert "required" in reasons[(4, "loai")]


def test_min_length_counts_characters(db):
    schema = {"fields": [{"name": "ten", "type": "string", "constraints": {"minLength": 3}}]}
    assert _errors(schema, "ten\r\nĐà\r\nĐà Lạt\r\n".encode()) == [
        (2, "ten", "ngắn hơn 3 ký tự / shorter than 3 characters")]


@pytest.mark.parametrize("schema, named", [
    ({"fields": [{"name": "a", "constraints": {"jsonSchema": {}}}]}, "jsonSchema"),
    ({"fields": [{"name": "a", "constraints": {"minimun": 1}}]}, "minimun"),
    ({"fields": [{"name": "a", "type": "boolean", "trueValues": ["Y"]}]}, "trueValues"),
    ({"fields": [{"name": "a"}], "foreignKeys": []}, "foreignKeys"),
    ({"fields": [{"name": "a", "format": "hostname"}]}, "hostname"),
    ({"fields": [{"name": "a", "type": "integer", "format": "email"}]}, "email"),
    ({"fields": [{"name": "a", "type": "integer", "constraints": {"pattern": "("}}]}, "pattern"),
    ({"fields": [{"name": "a", "constraints": {"pattern": "(a+)+$"}}]}, "pattern"),
    ({"fields": [{"name": "a", "type": "integer", "constraints": {"maxLength": 3}}]}, "maxLength"),
    ({"fields": [{"name": "a"}], "primaryKey": ["b"]}, "primaryKey"),
    ({"fields": [{"name": "a"}], "missingValues": "NA"}, "missingValues"),
])
def test_a_key_that_is_not_enforced_is_refused_by_name(db, schema, named):
    with pytest.raises(UserError) as caught:
        upload.validate(b"a\r\n1\r\n", "t.csv", schema, "t")
    assert caught.value.code == "bad_table_schema"
    assert named in caught.value.message_en and named in caught.value.message_vi


def test_date_errors_read_in_both_languages(db):
    schema = {"fields": [{"name": "ngay", "type": "date"},
                         {"name": "ngay_vn", "type": "date", "format": "%d/%m/%Y"}]}
    found = _errors(schema, b"ngay,ngay_vn\r\n2020-02-30,31/02/2020\r\n2020-13-01,2020-01-01\r\n")
    reasons = {(row, column): reason for row, column, reason in found}
    assert reasons[(2, "ngay")] == "date: ngày không có trong tháng đó / day is out of range for month"
    assert reasons[(2, "ngay_vn")] == "date: ngày không có trong tháng đó / day is out of range for month"
    assert reasons[(3, "ngay")] == "date: tháng phải từ 1 đến 12 / month must be in 1..12"
    assert reasons[(3, "ngay_vn")] == ("date: không khớp định dạng %d/%m/%Y / does not match the format %d/%m/%Y")
    with pytest.raises(UserError) as caught:
        upload.validate(b"a\r\n1\r\n", "t.csv", {"fields": [{"name": "a", "type": "date",
                                                             "constraints": {"minimum": "2025-02-30"}}]}, "t")
    assert "ngày không có trong tháng đó" in caught.value.message_vi


def test_a_required_field_is_published_as_required(portal, publisher_client):
    """The upload checks ``required``; the published Table Schema (the dataset's, the JSON and the Data
    Package downloads) says so, as Frictionless writes it, and says nothing of the other fields."""
    from tests.opendata.test_upload import GOOD, SCHEMA
    from tests.opendata.test_upload import _form as upload_form

    assert publisher_client.post("/du-lieu-mo/dang-tai", {**upload_form(), "file": _file(GOOD)}).status_code == 302
    ds = Dataset.objects.get()
    approver = Client()
    approver.force_login(staff("approver", "opendata-approver"))
    assert approver.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 302
    assert SCHEMA["fields"][0]["constraints"] == {"required": True}
    ds.refresh_from_db()
    anonymous = Client()
    package = json.loads(b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/datapackage.json").streaming_content))
    table = json.loads(b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.json").streaming_content))
    for fields in (ds.table_schema["fields"], package["resources"][0]["schema"]["fields"], table["fields"]):
        assert fields[0] == {"name": "co_so", "type": "string", "constraints": {"required": True}}
        assert all("constraints" not in f for f in fields[1:])
    # listed by the API as a resource of the published dataset
    resources = anonymous.get(f"/api/3/action/package_show?id={ds.name}").json()["result"]["resources"]
    assert "datapackage.json" in [r["name"] for r in resources]


def test_a_field_the_clerk_marks_required_is_published_as_required(db):
    schema = upload.schema_from_choices([
        {"name": "ten", "title": "Tên", "type": "string", "description": "", "required": True},
        {"name": "so", "title": "Số", "type": "integer", "description": "", "required": False}])
    table = upload.validate(b"ten,so\r\nA,1\r\nB,\r\n", "t.csv", schema, "t")
    assert table.schema()["fields"] == [{"name": "ten", "type": "string", "title": "Tên", "constraints": {"required": True}},
                                        {"name": "so", "type": "integer", "title": "Số"}]
