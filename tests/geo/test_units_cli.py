"""``tinhso units …`` through the real entry point (tinhso.cli.main) in-process."""

from __future__ import annotations

import json

import pytest

from tinhso.cli import main

pytestmark = pytest.mark.django_db


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_search_json_finds_current_ward_and_legacy_city_with_its_wards(capsys):
    code, out, _ = run(capsys, "units", "search", "phan thiet", "--json", "--limit", "100")
    assert code == 0
    found = json.loads(out)
    keys = {"code", "name", "name_en", "level", "unit_type", "structure", "province", "parent"}
    assert all(keys <= set(entry) for entry in found)
    assert found[0]["name"] == "Phường Phan Thiết" and found[0]["structure"] == "current"
    assert found[0]["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    city = [u for u in found if u["name"] == "Thành phố Phan Thiết"]
    assert len(city) == 1 and city[0]["structure"] == "legacy" and city[0]["level"] == "district"
    wards = [u for u in found if u["parent"] and u["parent"]["code"] == city[0]["code"]]
    assert len(wards) > 10 and {w["structure"] for w in wards} == {"legacy"}


def test_search_table_is_readable(capsys):
    code, out, _ = run(capsys, "units", "search", "Phan Thiết", "--structure", "current")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["structure", "code", "name", "type", "parent", "province"]
    assert "22945" in lines[2] and "Phường Phan Thiết" in lines[2] and "Tỉnh Lâm Đồng" in lines[2]


def test_search_nothing_found_says_so(capsys):
    code, out, _ = run(capsys, "units", "search", "zzzzqqq")
    assert code == 0 and "Nothing found" in out
    code, out, _ = run(capsys, "units", "search", "zzzzqqq", "--json")
    assert json.loads(out) == []


def test_show_current_with_predecessors(capsys):
    code, out, _ = run(capsys, "units", "show", "22945", "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["name"] == "Phường Phan Thiết"
    assert {p["name"] for p in detail["predecessors"]} == {"Phường Phú Trinh", "Phường Lạc Đạo",
                                                            "Phường Bình Hưng"}
    code, out, _ = run(capsys, "units", "show", "22945")
    assert "Phường Phan Thiết — Phan Thiet Ward" in out and "Phường Lạc Đạo" in out


def test_show_legacy_with_successors(capsys):
    code, out, _ = run(capsys, "units", "show", "60", "--legacy", "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["name"] == "Tỉnh Bình Thuận" and detail["structure"] == "legacy"
    assert [(s["code"], s["name"], s["structure"]) for s in detail["successors"]] == [
        ("68", "Tỉnh Lâm Đồng", "current")]
    code, out, _ = run(capsys, "units", "show", "00073", "--legacy")
    assert code == 0 and "Phường Cửa Nam" in out and "partial" in out and "default" in out


@pytest.mark.parametrize("argv,needle", [
    (["units", "search", ""], "empty_query"),
    (["units", "search", "phan", "--level", "ward"], "invalid_level"),
    (["units", "search", "phan", "--at", "2025-02-30"], "invalid_date"),
    (["units", "search", "phan", "--limit", "0"], "invalid_limit"),
    (["units", "show", "99999"], "unit_not_found"),
    (["units", "show", "68", "--structure", "old"], "invalid_structure"),
])
def test_wrong_input_exits_2_with_a_message(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert out == ""


def test_summary_and_idempotent_load(capsys):
    code, out, _ = run(capsys, "units", "summary", "--json")
    info = json.loads(out)
    assert (info["current_communes"], info["legacy_districts"], info["version"]) == (3321, 696, "1.0.4")
    code, out, _ = run(capsys, "units", "load")
    assert code == 0 and "already loaded" in out
