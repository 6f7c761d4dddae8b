"""The CKAN Action API subset and the DCAT documents, through Django's test client."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from tinhso.opendata import dcat, generated, publishing
from tinhso.opendata.models import Dataset
from tinhso.opendata.writers import Field, Table


def _small(name: str, theme: str = "ECON") -> Dataset:
    meta = {"name": name, "title_vi": f"Bộ dữ liệu {name}", "title_en": f"Dataset {name}",
            "description_vi": "Mô tả", "description_en": "Description", "theme": theme, "keywords": ["thử"],
            "frequency": "MONTHLY", "temporal_start": dt.date(2025, 1, 1), "temporal_end": dt.date(2025, 12, 31)}
    return publishing.publish_generated(meta, Table(name, [Field("month", "yearmonth"), Field("x", "integer")],
                                                        [{"month": "2025-01", "x": 1}, {"month": "2025-02", "x": 2}]))


@pytest.fixture
def catalogue(portal):
    generated.refresh(["geo"], out=lambda *a, **k: None)
    for i in range(7):
        _small(f"bo-{i}", "ECON" if i % 2 else "SOCI")
    return Dataset.objects.filter(state="published")


def _get(path, **params):
    response = Client().get(path, params)
    return response.status_code, response.json()


def test_envelope_and_package_list(catalogue):
    status, body = _get("/api/3/action/package_list")
    assert status == 200 and body["success"] is True and body["help"].endswith("name=package_list")
    assert body["result"] == sorted(d.name for d in catalogue)


def test_package_search_pages_like_the_harvester(catalogue):
    seen = []
    start = 0
    while True:
        status, body = _get("/api/3/action/package_search", rows=3, start=start, sort="id asc")
        assert status == 200
        page = body["result"]["results"]
        if not page:
            break
        seen += [p["id"] for p in page]
        start += 3
    assert seen == sorted(str(d.id) for d in catalogue)
    assert body["result"]["count"] == catalogue.count()


@pytest.mark.parametrize("huge", ["2147483648", "9" * 40])
def test_offsets_and_limits_past_any_catalogue_answer_like_the_end(catalogue, huge):
    # Once a 500: a start past 64 bits reached the database.
    status, body = _get("/api/3/action/package_search", start=huge)
    assert status == 200 and body["result"]["results"] == [] and body["result"]["count"] == catalogue.count()
    status, body = _get("/api/3/action/package_list", offset=huge)
    assert status == 200 and body["result"] == []
    status, body = _get("/api/3/action/package_list", limit=huge, offset=2)
    assert status == 200 and body["result"] == sorted(d.name for d in catalogue)[2:]


def test_fq_metadata_modified_and_sort_desc(catalogue):
    mark = dt.datetime.now(dt.UTC)
    later = _small("moi-nhat")
    fq = f"metadata_modified:[{mark.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z TO *]"
    _, body = _get("/api/3/action/package_search", fq=fq, rows=100)
    assert [p["name"] for p in body["result"]["results"]] == [later.name]
    _, body = _get("/api/3/action/package_search", sort="metadata_modified desc", rows=1)
    assert body["result"]["results"][0]["name"] == "moi-nhat"
    _, body = _get("/api/3/action/package_search", fq="groups:soci", rows=100)
    assert {p["groups"][0]["name"] for p in body["result"]["results"]} == {"soci"}
    # what the harvester writes for an organisation filter and an incremental run, together
    _, body = _get("/api/3/action/package_search", rows=100,
                   fq=f"+dataset_type:dataset organization:so-y-te OR organization:trung-tam-dieu-hanh {fq}")
    assert [p["name"] for p in body["result"]["results"]] == [later.name]
    _, body = _get("/api/3/action/package_search", rows=100, fq="-organization:trung-tam-dieu-hanh")
    assert body["result"]["count"] == 0


def test_errors_have_ckans_shape(catalogue):
    status, body = _get("/api/3/action/package_search", rows=-1)
    assert status == 409 and body["success"] is False and body["error"]["__type"] == "Validation Error"
    assert "rows" in body["error"]
    status, body = _get("/api/3/action/package_show", id="khong-co")
    assert status == 404 and body["error"]["__type"] == "Not Found Error"
    status, body = _get("/api/3/action/package_search", sort="score; drop table")
    assert status == 409
    status, body = _get("/api/3/action/package_search", fq="metadata_modified:[yesterday TO *]")
    assert status == 409
    status, body = _get("/api/3/action/no_such_action")
    assert status == 400 and body["success"] is False


def test_package_show_organizations_groups_status(catalogue):
    ds = catalogue.get(name="don-vi-hanh-chinh")
    _, body = _get("/api/3/action/package_show", id=str(ds.id))
    pkg = body["result"]
    assert pkg["name"] == ds.name and pkg["license_id"] == "CC-BY-4.0"
    assert {r["format"] for r in pkg["resources"]} == {"CSV", "XLSX", "JSON", "Parquet", "GeoJSON", "datapackage"}
    assert all(r["url"].startswith("http://testserver/du-lieu-mo/don-vi-hanh-chinh/tai-ve/") for r in pkg["resources"])
    _, body = _get("/api/3/action/organization_list", all_fields="true")
    ioc = next(o for o in body["result"] if o["name"] == "trung-tam-dieu-hanh")
    assert ioc["package_count"] == catalogue.count()
    _, body = _get("/api/3/action/organization_show", id="trung-tam-dieu-hanh")
    assert body["result"]["title"].startswith("Trung tâm")
    _, body = _get("/api/3/action/group_list")
    assert set(body["result"]) == {"econ", "soci", "regi"}
    _, body = _get("/api/3/action/status_show")
    assert body["result"]["ckan_version"]


def test_post_json_body_as_ckanapi_sends(catalogue):
    response = Client().post("/api/3/action/package_search", json.dumps({"rows": 2, "sort": "id asc"}),
                             content_type="application/json")
    assert response.status_code == 200 and len(response.json()["result"]["results"]) == 2


def test_datapackage_is_v2(catalogue):
    response = Client().get("/du-lieu-mo/bo-1/tai-ve/datapackage.json")
    doc = json.loads(b"".join(response.streaming_content))
    assert doc["$schema"].endswith("/2.0/datapackage.json")
    (resource,) = doc["resources"]
    assert resource["type"] == "table" and resource["path"] == "bo-1.csv"
    assert resource["schema"]["fields"] == [{"name": "month", "type": "yearmonth"}, {"name": "x", "type": "integer"}]


@pytest.mark.parametrize("fmt,parser", [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")])
def test_dcat_has_dcat_ap_3_mandatory_properties(catalogue, fmt, parser):
    response = Client().get(f"/catalog.{fmt}")
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format=parser)
    (cat,) = list(g.subjects(RDF.type, DCAT.Catalog))
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert g.value(cat, prop) is not None, prop
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == catalogue.count()
    assert set(g.objects(cat, DCAT.dataset)) == set(datasets)
    for ds in datasets:
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
            assert g.value(ds, prop) is not None, (ds, prop)
        assert list(g.objects(ds, DCAT.distribution))
    for dist in g.subjects(RDF.type, DCAT.Distribution):
        assert g.value(dist, DCAT.accessURL) is not None
    for agent in g.subjects(RDF.type, FOAF.Agent):
        assert g.value(agent, FOAF.name) is not None
    for service in g.subjects(RDF.type, DCAT.DataService):
        assert g.value(service, DCTERMS.title) is not None and g.value(service, DCAT.endpointURL) is not None
    for contact in g.subjects(RDF.type, dcat.VCARD.Kind):
        assert g.value(contact, dcat.VCARD.fn) is not None and g.value(contact, dcat.VCARD.hasEmail) is not None


def test_data_json_is_dcat_us_1_1(catalogue):
    _, doc = _get("/data.json")
    assert doc["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert len(doc["dataset"]) == catalogue.count()
    for entry in doc["dataset"]:
        for key in ("title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
                    "accessLevel"):
            assert entry[key], key
        assert entry["contactPoint"]["hasEmail"].startswith("mailto:")
        assert all(d["downloadURL"].startswith("http://testserver/") for d in entry["distribution"])


def test_pages_search_filter_and_chart(catalogue, client):
    page = client.get("/du-lieu-mo", {"q": "don vi hanh chinh"}).content.decode()
    assert "/du-lieu-mo/don-vi-hanh-chinh" in page and "/du-lieu-mo/bo-1" not in page
    page = client.get("/du-lieu-mo", {"chu-de": "SOCI"}).content.decode()
    assert "/du-lieu-mo/bo-0" in page and "/du-lieu-mo/bo-1\"" not in page
    page = client.get("/du-lieu-mo", {"dinh-dang": "GeoJSON"}).content.decode()
    assert "/du-lieu-mo/don-vi-hanh-chinh" in page and "/du-lieu-mo/bo-0" not in page
    detail = client.get("/du-lieu-mo/bo-0")
    html = detail.content.decode()
    assert 'id="opendata-chart-data"' in html and "echarts.min.js" in html
    assert "<script>" not in html and " style=" not in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/du-lieu-mo"})
    assert "Open data" in client.get("/du-lieu-mo").content.decode()


def test_public_endpoints_are_rate_limited(catalogue, monkeypatch):
    monkeypatch.setenv("TINHSO_OPENDATA_RATE", "3")
    client = Client()
    codes = [client.get("/api/3/action/package_list").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/3/action/package_list").json()["error"]["__type"] == "Rate Limit Error"


def test_rows_above_the_maximum_are_capped_and_package_list_has_no_cap(catalogue, monkeypatch):
    from tinhso.opendata import catalog

    monkeypatch.setattr(catalog, "ROWS_MAX", 3)  # CKAN caps rows at ckan.search.rows_max silently
    status, body = _get("/api/3/action/package_search", rows=1001)
    assert status == 200 and len(body["result"]["results"]) == 3 and body["result"]["count"] == catalogue.count()
    status, body = _get("/api/3/action/package_list", limit=1001)
    assert status == 200 and len(body["result"]) == catalogue.count()
    assert len(_get("/api/3/action/package_list", limit=2, offset=1)[1]["result"]) == 2
    assert _get("/api/3/action/package_list", limit=-1)[0] == 409


def test_fq_date_math_metadata_created_and_parentheses(catalogue):
    from django.utils import timezone

    total = catalogue.count()
    old = catalogue.get(name="bo-0")
    Dataset.objects.filter(pk=old.pk).update(metadata_modified=timezone.now() - dt.timedelta(days=3),
                                             metadata_created=timezone.now() - dt.timedelta(days=40))
    for fq, expected in [("metadata_modified:[NOW-1DAY TO NOW]", total - 1),
                         ("metadata_modified:[NOW/DAY-2DAYS TO *]", total - 1),
                         ("metadata_modified:[* TO NOW-2DAYS]", 1),
                         ("metadata_modified:[NOW-4DAYS TO NOW-2DAYS]", 1),
                         ("metadata_modified:[NOW-1MONTH TO NOW+1HOUR]", total),
                         ("metadata_created:[* TO NOW-1MONTH]", 1),
                         ("metadata_created:[NOW-7DAYS TO NOW]", total - 1),
                         ("(organization:trung-tam-dieu-hanh)", total),
                         ("(name:bo-0 OR name:bo-1)", 2),
                         ("-(name:bo-0 OR name:bo-1)", total - 2),
                         ("groups:soci (name:bo-0 OR name:bo-1)", 1)]:
        status, body = _get("/api/3/action/package_search", fq=fq, rows=100)
        assert status == 200, (fq, body)
        assert body["result"]["count"] == expected, fq
    assert _get("/api/3/action/package_search", fq="metadata_modified:[NOW-1FORTNIGHT TO *]")[0] == 409


def test_solr_date_math():
    from tinhso.opendata.catalog import date_math

    now = dt.datetime(2026, 3, 31, 15, 42, 7, 123456, tzinfo=dt.UTC)
    assert date_math("NOW-1DAY", now) == now - dt.timedelta(days=1)
    assert date_math("NOW/DAY", now) == dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
    assert date_math("NOW/DAY+1DAY", now) == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert date_math("NOW-1MONTH", now) == dt.datetime(2026, 2, 28, 15, 42, 7, 123456, tzinfo=dt.UTC)
    assert date_math("NOW/YEAR", now) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert date_math("NOW-6HOURS/HOUR", now) == dt.datetime(2026, 3, 31, 9, tzinfo=dt.UTC)
    assert date_math("2025-01-15T10:00:00Z+2YEARS", now) == dt.datetime(2027, 1, 15, 10, tzinfo=dt.UTC)
    for bad in ("NOW-1WEEK", "NOW-99999999YEARS", "yesterday"):
        with pytest.raises(ValueError):
            date_math(bad, now)


def test_field_queries_in_q(catalogue):
    def names(q):
        status, body = _get("/api/3/action/package_search", q=q, rows=100)
        assert status == 200, body
        return sorted(p["name"] for p in body["result"]["results"])

    assert names("name:bo-3") == ["bo-3"]
    assert names("title:thử") == []  # "thử" is a keyword, not in any title
    assert names("tags:thử") == sorted(f"bo-{i}" for i in range(7))
    assert names("title:bo-2") == ["bo-2"]
    assert names('title:"Bộ dữ liệu bo-4"') == ["bo-4"] == names("title:bo du lieu bo-4".replace(" ", " title:"))
    assert names("title:\"cua tinh\"") == ["don-vi-hanh-chinh"]
    assert names("groups:econ -name:bo-1") == ["bo-3", "bo-5"]
    assert "don-vi-hanh-chinh" in names("organization:trung-tam-dieu-hanh")


def test_download_digest_is_base64_of_the_raw_sha256(catalogue):
    import base64
    import hashlib

    ds = catalogue.get(name="bo-1")
    dist = ds.distributions.get(format="CSV")
    response = Client().get(f"/du-lieu-mo/{ds.name}/tai-ve/{dist.file_name}")
    body = b"".join(response.streaming_content)
    assert response["Digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert dist.sha256 == hashlib.sha256(body).hexdigest()  # the hex stays in the metadata


def test_search_finds_spatial_coverage_theme_and_frequency_in_both_languages(catalogue):
    total = catalogue.count()
    Dataset.objects.filter(name="bo-2").update(spatial="Lâm Đồng")
    from tinhso.opendata import publishing

    publishing.reindex()
    spatial = set(catalogue.exclude(spatial="").values_list("name", flat=True))
    assert "bo-2" in spatial
    for q in ("Lâm Đồng", "lam dong"):
        _, body = _get("/api/3/action/package_search", q=q, rows=100)
        assert {p["name"] for p in body["result"]["results"]} == spatial, q
        page = Client().get("/du-lieu-mo", {"q": q}).content.decode()
        assert "bo-2" in page
    econ = {f"bo-{i}" for i in range(1, 7, 2)}
    for q in ("kinh tế", "economy"):
        _, body = _get("/api/3/action/package_search", q=q, rows=100)
        assert {p["name"] for p in body["result"]["results"]} >= econ, q
    for q in ("hang thang", "monthly"):
        _, body = _get("/api/3/action/package_search", q=q, rows=100)
        assert body["result"]["count"] == total - 2, q  # all but the two IRREG units datasets


def test_the_migration_reindexes_existing_rows(catalogue):
    import importlib

    from django.apps import apps

    Dataset.objects.filter(name="bo-1").update(spatial="Lâm Đồng")
    Dataset.objects.update(search_text="")
    importlib.import_module("tinhso.opendata.migrations.0004_search_text_coverage").reindex(apps, None)
    text = Dataset.objects.get(name="bo-1").search_text
    assert "lam dong" in text and "monthly" in text and "hang thang" in text and " bo du lieu bo 1 " in text
