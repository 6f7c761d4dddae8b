"""Uploaded datasets: validated against the declared Table Schema (every bad row named, nothing published
half), publisher permission per organisation, a second person approves before anything is public."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.test import Client

from tests.opendata.conftest import staff
from tinhso.core.errors import UserError
from tinhso.opendata import publishing, storage, upload
from tinhso.opendata.models import Dataset, DatasetEvent

SCHEMA = {"fields": [{"name": "co_so", "type": "string", "constraints": {"required": True}},
                     {"name": "so_giuong", "type": "integer", "constraints": {"minimum": 0}},
                     {"name": "ngay_cap_phep", "type": "date"},
                     {"name": "cong_lap", "type": "boolean"}]}
GOOD = ("co_so,so_giuong,ngay_cap_phep,cong_lap\r\n"
        "Bệnh viện Đa khoa tỉnh,500,2020-01-15,true\r\n"
        "=HYPERLINK(\"http://x\"),20,2021-06-01,false\r\n").encode()
BAD = ("co_so,so_giuong,ngay_cap_phep,cong_lap\r\n"
       "Trạm y tế A,12,2020-01-15,true\r\n"
       ",3,2020-02-30,có\r\n"
       "Trạm y tế C,-4,2021-06-01,maybe\r\n"
       "Trạm y tế D,1.234,2021-06-01,false\r\n").encode()


def _form(schema=SCHEMA, **extra):
    return {"organization": "so-y-te", "title_vi": "Cơ sở khám chữa bệnh", "title_en": "Health facilities",
            "description_vi": "Danh sách cơ sở khám chữa bệnh", "theme": "HEAL", "frequency": "ANNUAL",
            "keywords": "y tế, bệnh viện", "contact_email": "soyte@example.org",
            "table_schema": json.dumps(schema), **extra}


def _file(content: bytes, name: str = "co-so.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_every_bad_row_is_named_and_nothing_is_written(db):
    with pytest.raises(UserError) as caught:
        upload.validate(BAD, "co-so.csv", SCHEMA, "co-so")
    errors = {(e["row"], e["column"]) for e in caught.value.details}
    assert errors == {(3, "co_so"), (3, "ngay_cap_phep"), (4, "so_giuong"), (4, "cong_lap"), (5, "so_giuong")}
    assert caught.value.code == "table_invalid"


def test_a_bad_upload_through_the_form_publishes_nothing(portal, settings):
    user = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(user)
    response = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(BAD)})
    assert response.status_code == 400
    page = response.content.decode()
    for row in ("Dòng 3", "Dòng 4", "Dòng 5"):
        assert row in page
    assert not Dataset.objects.exists()
    assert not any(storage.root().iterdir())


def test_the_header_must_match_the_schema(db):
    with pytest.raises(UserError) as caught:
        upload.validate(b"co_so,giuong\r\nA,1\r\n", "x.csv", SCHEMA, "x")
    assert caught.value.code == "header_mismatch"


def test_bad_schema_is_refused(db):
    with pytest.raises(UserError) as caught:
        upload.validate(GOOD, "x.csv", {"fields": [{"name": "a b", "type": "string"}]}, "x")
    assert caught.value.code == "bad_table_schema"
    with pytest.raises(UserError):
        upload.validate(GOOD, "x.csv", {"fields": [{"name": "a", "type": "geopoint"}]}, "x")


def test_xlsx_upload_is_typed(db):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["co_so", "so_giuong", "ngay_cap_phep", "cong_lap"])
    ws.append(["Bệnh viện", 120, "2022-03-04", "false"])
    out = io.BytesIO()
    wb.save(out)
    table = upload.validate(out.getvalue(), "x.xlsx", SCHEMA, "x")
    assert table.rows[0]["so_giuong"] == 120 and table.rows[0]["cong_lap"] is False


def test_publisher_needs_the_permission_and_membership(portal):
    from tinhso.opendata.models import Organization

    outsider = staff("outsider", "opendata-publisher", org=Organization.objects.get(name="so-xay-dung"))
    nobody = staff("nobody", org=portal)
    table = upload.validate(GOOD, "x.csv", SCHEMA, "co-so")
    for user in (outsider, nobody):
        with pytest.raises(UserError) as caught:
            publishing.submit_upload(user, portal, {"name": "co-so", "title_vi": "x", "description_vi": "x",
                                                    "theme": "HEAL", "contact_email": "a@example.org"}, table)
        assert caught.value.status == 403
    client = Client()
    client.force_login(nobody)
    assert client.get("/du-lieu-mo/dang-tai").status_code == 403


def test_a_second_person_must_approve_before_it_is_public(portal):
    publisher = staff("pub", "opendata-publisher", "opendata-approver", org=portal)
    approver = staff("approver", "opendata-approver")
    client = Client()
    client.force_login(publisher)
    response = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)})
    assert response.status_code == 302, response.content.decode()[:2000]
    ds = Dataset.objects.get()
    assert ds.state == "draft" and ds.name == "co-so-kham-chua-benh"
    anonymous = Client()
    assert anonymous.get(f"/du-lieu-mo/{ds.name}").status_code == 404
    assert anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").status_code == 404
    assert anonymous.get("/api/3/action/package_list").json()["result"] == []
    assert anonymous.get(f"/api/3/action/package_show?id={ds.name}").status_code == 404
    assert anonymous.get("/api/3/action/package_search?q=benh").json()["result"]["count"] == 0
    assert ds.name.encode() not in anonymous.get("/catalog.ttl").content
    # The submitter cannot approve their own dataset, even holding the approver permission.
    assert client.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 403
    ds.refresh_from_db()
    assert ds.state == "draft"
    second = Client()
    second.force_login(approver)
    assert second.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 302
    ds.refresh_from_db()
    assert ds.state == "published"
    assert anonymous.get("/api/3/action/package_list").json()["result"] == [ds.name]
    csv_body = b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").streaming_content)
    assert b"'=HYPERLINK" in csv_body  # formula text stays text
    assert [e.action for e in DatasetEvent.objects.filter(dataset=ds).order_by("at", "id")] == [
        "submitted", "approved", "published"]
    # search without diacritics finds it
    assert anonymous.get("/du-lieu-mo?q=co so kham").content.decode().count(ds.name) >= 1


def test_the_upload_carries_licence_temporal_and_spatial_coverage_into_dcat(portal):
    from django.conf import settings
    from rdflib import Graph
    from rdflib.namespace import DCAT, DCTERMS

    from tinhso.geo.models import Unit

    commune = Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE).first()
    if commune is None:
        commune = Unit.objects.create(structure="current", level="commune", code="99991", name="Xã Thử",
                                      province_code=settings.PROVINCE_CODE)
    publisher = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(publisher)
    page = client.get("/du-lieu-mo/dang-tai").content.decode()
    assert 'name="licence"' in page and 'name="temporal_start"' in page and f'value="{commune.code}"' in page
    bad = client.post("/du-lieu-mo/dang-tai", {**_form(temporal_start="2025-02-30"), "file": _file(GOOD)})
    assert bad.status_code == 400 and "temporal_start" in bad.content.decode()
    bad = client.post("/du-lieu-mo/dang-tai", {**_form(licence="MIT"), "file": _file(GOOD)})
    assert bad.status_code == 400
    response = client.post("/du-lieu-mo/dang-tai", {**_form(licence="CC0-1.0", temporal_start="2024-01-01",
                                                             temporal_end="2024-12-31", spatial_code=commune.code),
                                                    "file": _file(GOOD)})
    assert response.status_code == 302, response.content.decode()[:2000]
    ds = Dataset.objects.get()
    assert (ds.licence, str(ds.temporal_start), str(ds.temporal_end), ds.spatial, ds.spatial_code) == (
        "CC0-1.0", "2024-01-01", "2024-12-31", commune.name, commune.code)
    second = Client()
    second.force_login(staff("approver", "opendata-approver"))
    second.post(f"/du-lieu-mo/{ds.name}/duyet")
    g = Graph().parse(data=Client().get("/catalog.ttl").content, format="turtle")
    node = next(n for n in g.subjects(DCTERMS.identifier, None) if ds.name in str(n))
    period = g.value(node, DCTERMS.temporal)
    assert str(g.value(period, DCAT.startDate)) == "2024-01-01"
    assert any(str(lic).endswith("/CC0") for lic in g.objects(None, DCTERMS.license))
    entry = Client().get("/data.json").json()["dataset"][0]
    assert entry["temporal"] == "2024-01-01/2024-12-31" and entry["spatial"] == commune.name
    assert "publicdomain/zero" in entry["license"]


def test_units_dataset_has_temporal_coverage(portal):
    from rdflib import Graph
    from rdflib.namespace import DCTERMS

    from tinhso.opendata import generated

    generated.refresh(["geo"], out=lambda *a, **k: None)
    ds = Dataset.objects.filter(name="don-vi-hanh-chinh").first()
    if ds is None:
        pytest.skip("no units registry in the test database")
    assert ds.temporal_start and ds.temporal_end
    g = Graph().parse(data=Client().get("/catalog.ttl").content, format="turtle")
    assert any(g.value(s, DCTERMS.temporal) is not None for s in g.subjects(DCTERMS.identifier, None)
               if "don-vi-hanh-chinh" in str(s))
    entry = next(e for e in Client().get("/data.json").json()["dataset"] if e["landingPage"].endswith("/don-vi-hanh-chinh"))
    assert entry["temporal"].startswith(ds.temporal_start.isoformat())


def test_demo_accounts_show_the_upload_and_two_person_approval(portal, tmp_path, monkeypatch):
    from tinhso.core import demo_accounts as store
    from tinhso.opendata import setup

    monkeypatch.setattr(store, "_STORE", tmp_path / "demo-accounts.json")  # not the real var/
    lines: list[str] = []
    setup.demo_accounts(out=lines.append)
    setup.demo_accounts(out=lambda *a, **k: None)  # idempotent
    passwords = {}
    for line in lines:
        _, rest = line.split(": ", 1)
        username, password = rest.split("  ")[0].split(" / ")
        passwords[username] = password
    assert set(passwords) == {"publisher-so-y-te", "approver-opendata"}
    assert "Sở Y tế" in next(line for line in lines if "publisher-so-y-te" in line)
    publisher = Client()
    assert publisher.post("/dang-nhap", {"username": "publisher-so-y-te",
                                         "password": passwords["publisher-so-y-te"]}).status_code == 302
    response = publisher.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)})
    assert response.status_code == 302, response.content.decode()[:2000]
    ds = Dataset.objects.get()
    approver = Client()
    assert approver.post("/dang-nhap", {"username": "approver-opendata",
                                        "password": passwords["approver-opendata"]}).status_code == 302
    assert ds.name in approver.get("/du-lieu-mo/duyet").content.decode()
    assert approver.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 302
    ds.refresh_from_db()
    assert ds.state == "published"
