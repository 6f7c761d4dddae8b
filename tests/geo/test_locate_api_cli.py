"""The locator's doors: GET/POST /api/v1/geo/locate and ``tinhso geo locate`` (one point or a CSV)."""

from __future__ import annotations

import csv
import json

import pytest

from tests.geo.test_boundaries import quiet
from tinhso.cli import main
from tinhso.geo import boundaries, locator

pytestmark = pytest.mark.django_db

URL = "/api/v1/geo/locate"
PHAN_THIET = (10.9289, 108.1022)
SHAPE = {"status", "lat", "lon", "commune", "province", "legacy", "boundary"}


@pytest.fixture
def approximate():
    return boundaries.build_approximate(out=quiet)


# --- API ---------------------------------------------------------------------------------------


def test_get_locate_returns_the_contract_shape(client, approximate):
    response = client.get(URL, {"lat": "10.9289", "lon": "108.1022"})
    assert response.status_code == 200
    body = response.json()
    assert SHAPE <= set(body)
    assert body["status"] == "ok" and body["lat"] == 10.9289 and body["lon"] == 108.1022
    assert body["commune"] == {"code": "22945", "name": "Phường Phan Thiết"}
    assert body["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    assert body["legacy"]["province"]["code"] == "60"
    assert {"commune", "district", "province"} <= set(body["legacy"])
    assert body["boundary"] == {"version": approximate.pk, "quality": "approximate"}


def test_get_locate_outside_is_200(client, approximate):
    response = client.get(URL, {"lat": "13.7563", "lon": "100.5018"})
    assert response.status_code == 200
    assert response.json()["status"] == "outside" and response.json()["commune"] is None


@pytest.mark.parametrize("params, code", [
    ({"lat": "abc", "lon": "108"}, "invalid_coordinate"),
    ({"lat": "10.9"}, "missing_coordinate"),
    ({"lat": "100", "lon": "108"}, "coordinates_out_of_range"),
    ({"lat": "108.1022", "lon": "10.9289"}, "coordinates_swapped"),
])
def test_get_locate_bad_input_is_a_400_with_a_code(client, approximate, params, code):
    response = client.get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_en"]


def test_get_locate_without_boundaries_is_503(client, no_boundaries):
    response = client.get(URL, {"lat": "10.9", "lon": "108.1"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "no_boundaries"


def test_post_locate_answers_each_item(client, approximate):
    body = [{"lat": 10.9289, "lon": 108.1022}, {"lat": "abc", "lon": 1}, {"lat": 13.7563, "lon": 100.5018},
            {"lat": 108.1022, "lon": 10.9289}, "not an object"]
    response = client.post(URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 5 and data["summary"] == {"ok": 1, "outside": 1, "error": 3}
    results = data["results"]
    assert results[0]["commune"]["code"] == "22945" and results[0]["legacy"]["province"]["code"] == "60"
    assert results[1]["status"] == "error" and results[1]["error"]["code"] == "invalid_coordinate"
    assert results[1]["lat"] == "abc"
    assert results[2]["status"] == "outside"
    assert results[3]["error"]["code"] == "coordinates_swapped"
    assert results[4]["error"]["code"] == "invalid_item"
    assert data["boundary"]["quality"] == "approximate"


def test_post_locate_limits_and_malformed_bodies(client, approximate):
    too_many = [{"lat": 10.9, "lon": 108.1}] * (locator.MAX_BATCH_POINTS + 1)
    response = client.post(URL, json.dumps(too_many), content_type="application/json")
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_many_points"
    response = client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    response = client.post(URL, json.dumps({"lat": 1}), content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_body"


def test_boundary_versions_endpoint(client, no_boundaries, approximate):
    response = client.get("/api/v1/geo/boundaries")
    assert response.status_code == 200
    assert [(v["version"], v["quality"], v["is_active"]) for v in response.json()] == [
        (approximate.pk, "approximate", True)]


# --- CLI: one point ----------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_locate_json(capsys, approximate):
    code, out, _ = run(capsys, "geo", "locate", "10.9289", "108.1022", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["commune"]["name"] == "Phường Phan Thiết" and result["province"]["code"] == "68"
    assert result["legacy"]["province"]["code"] == "60" and result["boundary"]["quality"] == "approximate"


def test_cli_locate_text_and_errors(capsys, approximate):
    code, out, _ = run(capsys, "geo", "locate", "10.9289", "108.1022")
    assert code == 0 and "Phường Phan Thiết (22945)" in out and "Tỉnh Bình Thuận (60)" in out
    code, out, err = run(capsys, "geo", "locate", "108.1022", "10.9289")
    assert code == 2 and "coordinates_swapped" in err and "Traceback" not in err
    code, out, _ = run(capsys, "geo", "locate", "abc", "1", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "invalid_coordinate"
    code, out, _ = run(capsys, "geo", "locate", "-33.86", "151.21", "--json")
    assert code == 0 and json.loads(out)["status"] == "outside"


# --- CLI: CSV batch ----------------------------------------------------------------------------


def test_cli_csv_keeps_every_row_and_column(tmp_path, capsys, approximate):
    src = tmp_path / "in.csv"
    src.write_text(
        "id,lat,lon,note\n"
        "1,10.9289,108.1022,Phan Thiết\n"
        "2,abc,108.1,bad\n"
        "3,13.7563,100.5018,Bangkok\n"
        "4,108.1022,10.9289,swapped\n"
        "5,10.9289\n"
        "6,,,empty\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, stdout, _ = run(capsys, "geo", "locate", "--csv", str(src), "--out", str(out))
    assert code == 0 and "6 rows" in stdout
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert list(rows[0])[:4] == ["id", "lat", "lon", "note"]
    assert {"status", "commune_code", "province_code", "legacy_commune_code", "legacy_province_code",
            "error"} <= set(rows[0])
    assert (rows[0]["status"], rows[0]["commune_code"], rows[0]["province_code"],
            rows[0]["legacy_province_code"], rows[0]["note"]) == ("ok", "22945", "68", "60", "Phan Thiết")
    assert rows[0]["legacy_commune_code"] and rows[0]["error"] == ""
    assert rows[1]["status"] == "error" and rows[1]["error"].startswith("invalid_coordinate")
    assert rows[2]["status"] == "outside" and rows[2]["commune_code"] == ""
    assert rows[3]["error"].startswith("coordinates_swapped")
    assert rows[4]["status"] == "error" and rows[4]["error"].startswith("malformed_row") and rows[4]["lat"] == "10.9289"
    assert rows[5]["error"].startswith("missing_coordinate")


def test_cli_csv_matches_single_lookups(tmp_path, capsys, approximate):
    points = [(10.9289, 108.1022), (21.0285, 105.8542), (10.7769, 106.7009), (16.0471, 108.2068)]
    src = tmp_path / "in.csv"
    src.write_text("lat,lon\n" + "".join(f"{a},{b}\n" for a, b in points))
    run(capsys, "geo", "locate", "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    with open(tmp_path / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for (lat, lon), row in zip(points, rows):
        single = locator.locate(lat, lon)
        assert row["commune_code"] == single["commune"]["code"]
        assert row["legacy_commune_code"] == single["legacy"]["commune"]["code"]


@pytest.mark.parametrize("header", ["latitude,longitude", "lat,lat,lon", "lat;lon", "lat,lon,status", ""])
def test_cli_csv_malformed_header_is_a_clear_error(tmp_path, capsys, approximate, header):
    src = tmp_path / "in.csv"
    src.write_text(header + ("\n10.9,108.1\n" if header else ""))
    code, _, err = run(capsys, "geo", "locate", "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    assert code == 2 and ("csv_header" in err or "csv_empty" in err) and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_cli_csv_bom_and_header_case(tmp_path, capsys, approximate):
    src = tmp_path / "in.csv"
    src.write_bytes("\ufeffLat, Lon\n10.9289,108.1022\n".encode())
    code, _, _ = run(capsys, "geo", "locate", "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    assert code == 0
    with open(tmp_path / "out.csv", newline="") as f:
        assert next(csv.DictReader(f))["commune_code"] == "22945"


def test_cli_csv_row_with_too_many_columns_is_refused(tmp_path, capsys, approximate, settings):
    settings.TINHSO_FILE_LIMITS = {"table_columns": 5}
    src = tmp_path / "in.csv"
    src.write_text("lat,lon\n10.9,108.1\n10.9,108.1" + ",x" * 5 + "\n")
    code, _, err = run(capsys, "geo", "locate", "--csv", str(src), "--out", str(tmp_path / "out.csv"))
    assert code == 2 and "in.csv: line 3 has 7 columns (limit table_columns = 5)" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()
