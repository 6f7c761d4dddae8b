"""The /api/v1/indices/ endpoints: the three input shapes, published DTI 2022 figures reproduced over
HTTP, row errors, size and rate limits, unknown methods, what-if and sensitivity documents."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from tests.indices.published import DTI_922_MAINS, DTI_2022, as_csv, records
from tinhso.indices import api, synthetic

UNIT_CODES = {"TP. Đà Nẵng": "48", "TP. Hồ Chí Minh": "79", "Quảng Ninh": "22"}


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # Other tests in the same minute must not eat this file's budget; the 429 test sets its own limit.
    settings.INDICES_RATE_LIMITS = {"compute": 0, "whatif": 0, "sensitivity": 0}


@pytest.fixture
def client() -> Client:
    return Client()


def dti_rows() -> list[dict]:
    rows = records(DTI_2022, DTI_922_MAINS, "2022")
    for r in rows:
        r["unit_name"], r["unit"] = r["unit"], UNIT_CODES[r["unit"]]
    return rows


def assert_published(doc: dict) -> None:
    assert doc["method"] == "dti-922" and doc["period"] == "2022"
    assert [u["unit"] for u in doc["units"]] == ["48", "79", "22"]
    assert [u["rank"] for u in doc["units"]] == [1, 2, 3]
    published = {UNIT_CODES[name]: score for name, (_, score) in DTI_2022.items()}
    for u in doc["units"]:
        assert abs(u["score"] - published[u["unit"]]) <= 0.0001 + 1e-12, u
        assert set(DTI_922_MAINS) <= set(u["nodes"])
    assert doc["units"][0]["name"] == "TP. Đà Nẵng"


def test_methods_list_and_one_method(client):
    listed = client.get("/api/v1/indices/methods").json()
    codes = [m["code"] for m in listed]
    assert {"dti-922", "dti-1726", "pci-2013", "svc-766"} <= set(codes)
    assert set(listed[0]) == {"code", "title", "title_en", "used_for", "score"}
    one = client.get("/api/v1/indices/methods/pci-2013").json()
    assert one["code"] == "pci-2013" and one["score"] == "pci"
    assert {n["code"] for n in one["nodes"]} >= {"entry_costs", "legal_institutions"}


@pytest.mark.parametrize("path", ["/api/v1/indices/methods/dti-999", "/api/v1/indices/methods/dti-922.yaml"])
def test_unknown_method_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "method_not_found"


def test_compute_unknown_method_404_even_if_a_yaml_path(client):
    # A method code that names a file must never reach the YAML loader.
    for method in ("nope", "dti-922.yaml"):
        response = client.post(f"/api/v1/indices/{method}/compute", {"rows": dti_rows()},
                               content_type="application/json")
        assert response.status_code == 404, method
        assert response.json()["error"]["field"] == "method"


def test_compute_json_rows_reproduce_dti_2022(client):
    response = client.post("/api/v1/indices/dti-922/compute", {"rows": dti_rows()}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert_published(response.json())


def test_compute_multipart_file_with_form_options(client):
    upload = io.BytesIO(as_csv(dti_rows()))
    upload.name = "dti2022.csv"
    response = client.post("/api/v1/indices/dti-922/compute", {"file": upload, "period": "2022"})
    assert response.status_code == 200, response.content
    assert_published(response.json())


def test_compute_raw_csv_with_query_options(client):
    rows = dti_rows() + [dict(r, period="2021", value=round(r["value"] * 0.9, 4)) for r in dti_rows()]
    response = client.post("/api/v1/indices/dti-922/compute?period=2022", as_csv(rows), content_type="text/csv")
    assert response.status_code == 200, response.content
    doc = response.json()
    assert_published(doc)
    assert doc["previous_period"] == "2021"
    both = client.post("/api/v1/indices/dti-922/compute?all_periods=true", as_csv(rows), content_type="text/csv")
    assert [p["period"] for p in both.json()["periods"]] == ["2021", "2022"]


def test_row_errors_come_back_with_row_and_column(client):
    rows = dti_rows()
    rows[2]["indicator"] = "awarenes"          # row 3: unknown indicator (typo)
    rows[5]["value"] = "abc"                    # row 6: not a number
    rows[9]["value"] = 1.7                      # row 10: outside [0, 1]
    response = client.post("/api/v1/indices/dti-922/compute", {"rows": rows}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "index_input_invalid"
    found = {(d["row"], d["column"]) for d in error["details"]}
    assert found == {(3, "indicator"), (6, "value"), (10, "value")}
    # The same problems in a CSV count the header as row 1.
    response = client.post("/api/v1/indices/dti-922/compute", as_csv(rows), content_type="text/csv")
    assert {(d["row"], d["column"]) for d in response.json()["error"]["details"]} == {(4, "indicator"), (7, "value"),
                                                                                       (11, "value")}


def test_rows_that_are_not_objects_are_named(client):
    response = client.post("/api/v1/indices/dti-922/compute", {"rows": [dti_rows()[0], 5]},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["row"] == 2


def test_bad_and_unknown_options(client):
    body = {"rows": dti_rows(), "perod": "2022"}
    response = client.post("/api/v1/indices/dti-922/compute", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_option"
    assert response.json()["error"]["field"] == "perod"
    body = {"rows": dti_rows(), "all_periods": "maybe"}
    response = client.post("/api/v1/indices/dti-922/compute", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "all_periods"
    response = client.post("/api/v1/indices/dti-922/compute", {"rows": dti_rows(), "period": "1999"},
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "period_not_found"


def test_unsupported_body_and_missing_file(client):
    response = client.post("/api/v1/indices/dti-922/compute", b"<x/>", content_type="application/xml")
    assert response.status_code == 415
    response = client.post("/api/v1/indices/dti-922/compute", {"period": "2022"})  # multipart without file
    assert response.status_code == 400 and response.json()["error"]["field"] == "file"
    response = client.post("/api/v1/indices/dti-922/compute", b"{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def test_uploads_over_5_mb_are_413(client):
    big = as_csv(dti_rows()) + b"#" * (api.MAX_UPLOAD_BYTES + 1)
    response = client.post("/api/v1/indices/dti-922/compute", big, content_type="text/csv")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "input_too_large"
    upload = io.BytesIO(big)
    upload.name = "big.csv"
    response = client.post("/api/v1/indices/dti-922/compute", {"file": upload})
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "file"


def test_too_many_json_rows_is_413(client, monkeypatch):
    from tinhso.indices import dataset

    monkeypatch.setattr(dataset, "MAX_ROWS", 10)
    response = client.post("/api/v1/indices/dti-922/compute", {"rows": dti_rows()}, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "index_input_too_large"


def test_rate_limit_429_per_ip(client, settings, db):  # the counters live in the database cache
    settings.INDICES_RATE_LIMITS = {"compute": 2, "whatif": 0, "sensitivity": 0}
    ip = "198.51.100.77"
    statuses = [client.post("/api/v1/indices/dti-922/compute", {"rows": dti_rows()}, content_type="application/json",
                            REMOTE_ADDR=ip).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    body = client.post("/api/v1/indices/dti-922/compute", {"rows": dti_rows()}, content_type="application/json",
                       REMOTE_ADDR=ip).json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"]["scope"] == "compute"
    # Another client is counted on its own.
    other = client.post("/api/v1/indices/dti-922/compute", {"rows": dti_rows()}, content_type="application/json",
                        REMOTE_ADDR="198.51.100.78")
    assert other.status_code == 200


def test_sensitivity_has_its_own_tighter_default_limit():
    assert api.DEFAULT_RATE_LIMITS["sensitivity"] < api.DEFAULT_RATE_LIMITS["compute"]


@pytest.mark.django_db
def test_merge_provinces_2025_means_the_former_provinces(client):
    rows = dti_rows()
    da_nang = [r for r in rows if r["unit"] == "48"]
    quang_nam = [dict(r, unit="49", unit_name="Quảng Nam", value=round(r["value"] * 0.8, 4)) for r in da_nang]
    body = {"rows": [r for r in rows if r["unit"] != "79"] + quang_nam, "merge_provinces_2025": True}
    response = client.post("/api/v1/indices/dti-922/compute", body, content_type="application/json")
    assert response.status_code == 200, response.content
    units = {u["unit"]: u for u in response.json()["units"]}
    assert set(units) == {"48", "22"}
    separate = client.post("/api/v1/indices/dti-922/compute", {"rows": body["rows"]},
                           content_type="application/json").json()
    scores = {u["unit"]: u["score"] for u in separate["units"]}
    # DTI is linear in the main indices, so the merged score is the mean of the two former scores.
    assert units["48"]["score"] == pytest.approx((scores["48"] + scores["49"]) / 2, abs=1e-9)
    assert units["48"]["name"] == "Thành phố Đà Nẵng"


def test_whatif_returns_the_analysis(client):
    body = {"rows": dti_rows(), "unit": "22", "target_rank": 1}
    response = client.post("/api/v1/indices/dti-922/whatif", body, content_type="application/json")
    assert response.status_code == 200, response.content
    doc = response.json()
    assert {"current", "target", "improvement", "per_step", "strengths_weaknesses"} <= set(doc)
    assert doc["unit"] == "22" and doc["current"]["rank"] == 3
    assert doc["feasible"] is True and doc["improvement"]["result"]["rank"] == 1
    allocation = doc["improvement"]["allocation"]
    assert allocation and sum(a["points"] for a in allocation) == pytest.approx(doc["improvement"]["points"], abs=1e-6)
    assert {s["node"] for s in doc["per_step"]} == set(DTI_922_MAINS)


def test_whatif_options_from_the_query_string_and_errors(client):
    response = client.post("/api/v1/indices/dti-922/whatif?unit=79&target_score=0.75", as_csv(dti_rows()),
                           content_type="text/csv")
    assert response.status_code == 200, response.content
    assert response.json()["target"]["score"] == 0.75
    missing = client.post("/api/v1/indices/dti-922/whatif", {"rows": dti_rows()}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "unit"
    bad = client.post("/api/v1/indices/dti-922/whatif", {"rows": dti_rows(), "unit": "22", "target_rank": "first"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "target_rank"


def test_sensitivity_returns_rank_intervals_and_sobol(client):
    rows = synthetic.dti_rows(n_units=12, periods=("2023",), seed=7)
    body = {"rows": rows, "runs": 400, "weights": "dirichlet", "seed": 3, "normalisations": "published,minmax"}
    response = client.post("/api/v1/indices/dti-922/sensitivity", body, content_type="application/json")
    assert response.status_code == 200, response.content
    doc = response.json()
    assert doc["runs"] == 400 and doc["settings"]["weights"] == "dirichlet"
    assert doc["settings"]["normalisations"] == ["published", "minmax"]
    assert len(doc["units"]) == 12
    for u in doc["units"]:
        assert 1 <= u["p05_rank"] <= u["median_rank"] <= u["p95_rank"] <= 12
    assert {i["name"] for i in doc["sobol"]["inputs"]} >= {"normalisation", "aggregation"}


def test_sensitivity_runs_are_capped(client):
    body = {"rows": dti_rows(), "runs": api.MAX_API_RUNS + 1}
    response = client.post("/api/v1/indices/dti-922/sensitivity", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "runs"


def test_openapi_documents_the_three_request_shapes(client):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/indices/{method}/compute"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "text/csv"} <= set(body)
    assert "rows" in body["application/json"]["schema"]["properties"]
    sens = schema["paths"]["/api/v1/indices/{method}/sensitivity"]["post"]["requestBody"]["content"]
    assert sens["application/json"]["schema"]["properties"]["runs"]["maximum"] == api.MAX_API_RUNS
