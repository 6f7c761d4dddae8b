"""The held-out check of issue 10: hand-built dossiers with known answers go through ``tinhso dossiers import``
and ``tinhso dossiers indicators --json``; the counts behind 2.1 and the received-by-channel bucket match."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from tests.dossiers.conftest import PERIOD, write_json, write_jsonl
from tests.dossiers.known import AGENCY, BUCKETS_PAUSE, BUCKETS_RESTART, KNOWN, ON_TIME_PAUSE

pytestmark = pytest.mark.django_db


def _unit(doc: dict, code: str) -> dict:
    return next(u for u in doc["units"] if u["code"] == code)


def _indicators(cli, *extra) -> dict:
    code, out, err = cli("dossiers", "indicators", "--period", PERIOD, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_known_dossiers_pause(catalogue, cli, tmp_path):
    code, out, err = cli("dossiers", "import", write_json(tmp_path / "known.json", KNOWN))
    assert code == 0, err
    assert "15" in out
    unit = _unit(_indicators(cli), AGENCY)
    assert unit["buckets"] == BUCKETS_PAUSE
    on_time = unit["indicators"]["2.1"]
    assert (on_time["numerator"], on_time["denominator"]) == ON_TIME_PAUSE
    assert on_time["rate"] == pytest.approx(100 * 8 / 12, abs=1e-4)
    assert on_time["points"] == pytest.approx(20 * 8 / 12, abs=1e-4)
    assert on_time["source"] == "records"


def test_known_dossiers_restart_mode(catalogue, cli, tmp_path, settings):
    cli("dossiers", "import", write_json(tmp_path / "known.json", KNOWN))
    settings.DOSSIER_SUPPLEMENT_MODE = "restart"
    doc = _indicators(cli)
    assert doc["supplement_mode"] == "restart"
    assert _unit(doc, AGENCY)["buckets"] == BUCKETS_RESTART
    # the command line can override the setting
    assert _unit(_indicators(cli, "--mode", "pause"), AGENCY)["buckets"] == BUCKETS_PAUSE


def _iso(text: str | None) -> str | None:
    if not text:
        return text
    moment = dt.datetime.strptime(text, "%d/%m/%Y %H:%M:%S")
    return moment.isoformat() + "+07:00"


def test_iso_dates_and_json_lines_give_the_same_answers(catalogue, cli, tmp_path):
    records = copy.deepcopy(KNOWN)
    for r in records:
        for key in ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"):
            r[key] = _iso(r[key])
        for s in r["DanhSachHoSoBoSung"]:
            s["NgayBoSung"], s["NgayTiepNhanBoSung"] = _iso(s["NgayBoSung"]), _iso(s["NgayTiepNhanBoSung"])
    # one timestamp given in UTC: 01:00Z is 08:00 in Vietnam
    records[0]["NgayTiepNhan"] = "2025-10-01T01:00:00Z"
    code, _, err = cli("dossiers", "import", write_jsonl(tmp_path / "known.jsonl", records))
    assert code == 0, err
    unit = _unit(_indicators(cli), AGENCY)
    assert unit["buckets"] == BUCKETS_PAUSE
    assert (unit["indicators"]["2.1"]["numerator"], unit["indicators"]["2.1"]["denominator"]) == ON_TIME_PAUSE


def test_province_level_sums_the_agencies(catalogue, cli, tmp_path):
    cli("dossiers", "import", write_json(tmp_path / "known.json", KNOWN))
    doc = _indicators(cli, "--by", "province")
    assert doc["level"] == "province"
    (province,) = doc["units"]
    assert province["buckets"] == BUCKETS_PAUSE
    assert province["rank"] == 1


def test_periods_week_quarter_year(catalogue, cli, tmp_path):
    cli("dossiers", "import", write_json(tmp_path / "known.json", KNOWN))
    # the whole year holds every received dossier (not the one refused at reception)
    code, out, _ = cli("dossiers", "indicators", "--period", "2025", "--json")
    assert _unit(json.loads(out), AGENCY)["buckets"]["total"] == 14
    # ISO week 41 (6–12 Oct): carried in are 01, 02, 03, 12, 13 (received before 6 Oct, not finished before)
    code, out, _ = cli("dossiers", "indicators", "--period", "2025-W41", "--json")
    week = _unit(json.loads(out), AGENCY)["buckets"]
    assert week["carried_over"] == 5
    assert week["received"] == 3  # 04, 05 and 09, received 6–8 Oct
    code, out, _ = cli("dossiers", "indicators", "--period", "2025-Q4", "--json")
    quarter = _unit(json.loads(out), AGENCY)["buckets"]
    assert quarter["received"] == 11  # October's ten and HS-15 in November
    assert quarter["carried_over"] == 2
