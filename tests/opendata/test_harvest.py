"""Harvest the catalogue of a real ``tinhso serve`` with the unmodified ``ckanapi`` client the way CKAN's
harvester does (package_search, rows=100, paging on start, sort=id asc, then an incremental run with
fq=metadata_modified:[X TO *]), read each package with package_show, and download every distribution."""

from __future__ import annotations

import datetime as dt
import hashlib
import urllib.request

import ckanapi
import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from tests.installation import installation, served, tinhso


def _harvest(ckan: ckanapi.RemoteCKAN, fq: str | None = None) -> list[str]:
    ids: list[str] = []
    start = 0
    while True:
        params = {"rows": 100, "start": start, "sort": "id asc"}
        if fq:
            params["fq"] = fq
        page = ckan.action.package_search(**params)["results"]
        fresh = [p["id"] for p in page if p["id"] not in ids]
        if not fresh:
            break
        ids += fresh
        start += 100
    return ids


def test_ckanapi_harvests_and_downloads_every_distribution(tmp_path):
    with installation(tmp_path / "var", TINHSO_OPENDATA_RATE="0", TINHSO_DEMO="1") as env:
        tinhso(env, "init")
        done = tinhso(env, "opendata", "refresh", "--json").stdout
        assert "don-vi-hanh-chinh" in done
        with served(env, tmp_path / "serve.log") as base:
            ckan = ckanapi.RemoteCKAN(base, user_agent="ckanapi-harvest-test")
            assert ckan.action.status_show()["ckan_version"]
            names = ckan.action.package_list()
            assert set(names) >= {"don-vi-hanh-chinh", "bang-chuyen-doi-2025"}
            ids = _harvest(ckan)
            assert len(ids) == len(names)
            downloaded = 0
            for package_id in ids:
                pkg = ckan.action.package_show(id=package_id)
                assert pkg["organization"]["name"] in ckan.action.organization_list()
                for resource in pkg["resources"]:
                    with urllib.request.urlopen(resource["url"], timeout=30) as response:
                        body = response.read()
                    assert len(body) == resource["size"]
                    assert "sha256:" + hashlib.sha256(body).hexdigest() == resource["hash"]
                    downloaded += 1
            assert downloaded == 11  # units: 6 files (with GeoJSON), crosswalk: 5
            # Incremental run: nothing modified since now → nothing; everything since an hour ago.
            future = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert _harvest(ckan, f"metadata_modified:[{future} TO *]") == []
            past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert sorted(_harvest(ckan, f"metadata_modified:[{past} TO *]")) == sorted(ids)
            with pytest.raises(ckanapi.NotFound):
                ckan.action.package_show(id="khong-ton-tai")
            with pytest.raises(ckanapi.ValidationError):
                ckan.action.package_search(rows=-1)
            # As CKAN: rows above ckan.search.rows_max (1000) are capped, not refused.
            assert len(ckan.action.package_search(rows=5000)["results"]) == len(ids)
            assert len(_harvest(ckan, "metadata_modified:[NOW-1DAY TO NOW]")) == len(ids)
            with urllib.request.urlopen(base + "/catalog.ttl", timeout=30) as response:
                g = Graph().parse(data=response.read(), format="turtle")
            assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == len(ids)
